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

// ctxSink fails, as a Kafka producer does, to write or flush on a done
// context; with block, Flush waits for its context instead.
type ctxSink struct {
	written int
	block   bool
}

func (s *ctxSink) Write(ctx context.Context, msgs []Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.written += len(msgs)
	return nil
}

func (s *ctxSink) Flush(ctx context.Context) error {
	if s.block {
		<-ctx.Done()
	}
	return ctx.Err()
}

func (s *ctxSink) Close() error { return nil }

// TestCancelDrainsOnItsOwnContext: the cancellation stops the reading,
// not the delivery of what was read.
func TestCancelDrainsOnItsOwnContext(t *testing.T) {
	for i := 0; i < 100; i++ {
		src := &endlessSource{}
		sink := &ctxSink{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, src, nil, sink, Policy{MaxBatch: 16}) }()
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) // a random moment, not a wait for a condition
		cancel()
		if err := <-done; !errors.Is(err, ErrInterrupted) {
			t.Fatalf("run %d: %v, want ErrInterrupted", i, err)
		}
		if src.read != src.acked || sink.written != src.read {
			t.Fatalf("run %d: %d read, %d written, %d acknowledged", i, src.read, sink.written, src.acked)
		}
	}
}

// TestDrainTimeout: a sink that never delivers fails the run DrainTimeout
// after the cancellation, and nothing is acknowledged.
func TestDrainTimeout(t *testing.T) {
	src := &endlessSource{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err := Run(ctx, src, nil, &ctxSink{block: true}, Policy{MaxBatch: 16, DrainTimeout: 100 * time.Millisecond})
	if err == nil || errors.Is(err, ErrInterrupted) {
		t.Fatalf("Run: %v, want a drain failure", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Run returned %v after the cancellation, with a drain timeout of 100ms", d)
	}
	if src.acked != 0 {
		t.Fatalf("%d messages acknowledged, none delivered", src.acked)
	}
}
