package pipeline

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"
)

// countSource hands out n messages, in batches of at most b.Limit.
type countSource struct{ n, sent int }

func (s *countSource) Read(_ context.Context, b *Batch) error {
	if s.sent == s.n {
		return io.EOF
	}
	for s.sent < s.n && !b.Full() {
		s.sent++
		b.Add(Message{Value: []byte(`{"n":` + strconv.Itoa(s.sent) + `}`), Origin: Origin{Offset: -1}})
	}
	b.More = s.sent < s.n
	return nil
}
func (s *countSource) Ack(context.Context, []Message) error { return nil }
func (s *countSource) Close() error                         { return nil }

// doubler writes every event twice, and one more at the end.
type doubler struct{}

func (doubler) Process(_ context.Context, in []Message, out *Batch) error {
	for _, m := range in {
		out.Add(m)
		out.Add(m)
	}
	return nil
}
func (doubler) Finish(_ context.Context, out *Batch) error {
	out.Add(Message{Value: []byte(`{"end":true}`)})
	return nil
}

type recordObserver struct{ batches, in, out int }

func (r *recordObserver) Batch(in, out []Message, d time.Duration) {
	r.batches++
	r.in += len(in)
	r.out += len(out)
}

// TestObserver: the observer sees every batch read, what the stage made
// of it, and the stage's held output at the end.
func TestObserver(t *testing.T) {
	obs := &recordObserver{}
	if err := Run(context.Background(), &countSource{n: 2500}, doubler{}, &txSink{}, Policy{MaxBatch: 1000, Observer: obs}); err != nil {
		t.Fatal(err)
	}
	if obs.batches != 4 || obs.in != 2500 || obs.out != 5001 {
		t.Errorf("%d batches, %d in, %d out; want 4, 2500, 5001", obs.batches, obs.in, obs.out)
	}
}
