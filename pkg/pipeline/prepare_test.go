package pipeline

import (
	"context"
	"fmt"
	"testing"
)

// lengths is a Preparer that notes each event's length in Prepare, marks
// events one at a time in Ahead, and writes events as Process finds them
// prepared. The race detector sees Ahead touch a batch the stage has.
type lengths struct{ batches, ahead int }

func (l *lengths) Prepare(b *Batch) {
	n, _ := b.Prepared.(*[]int)
	if n == nil {
		n = new([]int)
		b.Prepared = n
	}
	*n = (*n)[:0]
	for i := range b.Msgs {
		*n = append(*n, len(b.Msgs[i].Value))
	}
	for i := range b.Msgs {
		b.Msgs[i].Prepared = &(*n)[i]
	}
}

func (l *lengths) Ahead(b *Batch) bool {
	for i := range b.Msgs {
		if b.Msgs[i].Key == nil {
			b.Msgs[i].Key = []byte("ahead")
			return i+1 < len(b.Msgs)
		}
	}
	return false
}

func (l *lengths) Process(_ context.Context, in []Message, out *Batch) error {
	l.batches++
	for _, m := range in {
		n, ok := m.Prepared.(*int)
		if !ok || *n != len(m.Value) {
			return fmt.Errorf("%s not prepared: %v", m.Value, m.Prepared)
		}
		if m.Key != nil {
			l.ahead++
		}
		out.Add(m)
	}
	return nil
}

func (l *lengths) Finish(context.Context, *Batch) error { return nil }

// TestRunPrepares: each batch is prepared before the stage processes it,
// with its batches' storage reused, while the reader reads ahead; work
// ahead on a batch stops when the stage takes it.
func TestRunPrepares(t *testing.T) {
	stage := &lengths{}
	sink := &txSink{}
	if err := Run(context.Background(), &countSource{n: 25000}, stage, sink, Policy{MaxBatch: 1000}); err != nil {
		t.Fatal(err)
	}
	if stage.batches != 25 || sink.written != 25000 {
		t.Fatalf("%d batches, %d events written; want 25, 25000", stage.batches, sink.written)
	}
}
