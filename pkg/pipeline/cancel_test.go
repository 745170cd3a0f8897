package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// endlessSource hands out full batches until ctx is done, and counts the
// messages acknowledged.
type endlessSource struct {
	mu          sync.Mutex
	read, acked int
}

func (s *endlessSource) Read(ctx context.Context, b *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for !b.Full() {
		b.Add(Message{Value: []byte(`{"n":1}`), Origin: Origin{Offset: -1}})
	}
	s.mu.Lock()
	s.read += len(b.Msgs)
	s.mu.Unlock()
	b.More = true
	return nil
}

func (s *endlessSource) Ack(_ context.Context, msgs []Message) error {
	s.mu.Lock()
	s.acked += len(msgs)
	s.mu.Unlock()
	return nil
}

func (s *endlessSource) Close() error { return nil }

// TestCancelAtAnyMoment cancels runs at random moments: each returns
// ErrInterrupted promptly, with every message read acknowledged.
func TestCancelAtAnyMoment(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 50
	}
	for i := 0; i < runs; i++ {
		src := &endlessSource{}
		sink := &txSink{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, src, nil, sink, Policy{MaxBatch: 16}) }()
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) // a random moment, not a wait for a condition
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("run %d: %v, want ErrInterrupted", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d: Run did not return within 5s of the cancellation", i)
		}
		if src.read != src.acked || sink.written != src.read {
			t.Fatalf("run %d: %d read, %d written, %d acknowledged", i, src.read, sink.written, src.acked)
		}
	}
}
