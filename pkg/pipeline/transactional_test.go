package pipeline

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"
)

// stallSource hands out one batch that claims more input is ready, then
// waits until told to end.
type stallSource struct {
	sent  bool
	end   chan struct{}
	mu    sync.Mutex
	acked int
}

func (s *stallSource) Read(ctx context.Context, b *Batch) error {
	if !s.sent {
		s.sent = true
		b.Add(Message{Value: []byte(`{"a":1}`), Origin: Origin{Offset: -1}})
		b.Add(Message{Value: []byte(`{"a":2}`), Origin: Origin{Offset: -1}})
		b.More = true
		return nil
	}
	select {
	case <-s.end:
		return io.EOF
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *stallSource) Ack(_ context.Context, msgs []Message) error {
	s.mu.Lock()
	s.acked += len(msgs)
	s.mu.Unlock()
	return nil
}

func (s *stallSource) Close() error { return nil }

func (s *stallSource) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// txSink records the calls Run makes.
type txSink struct {
	mu      sync.Mutex
	written int
	commits [][][]Message
	flushes int
}

func (t *txSink) Write(_ context.Context, msgs []Message) error {
	t.mu.Lock()
	t.written += len(msgs)
	t.mu.Unlock()
	return nil
}
func (t *txSink) Flush(context.Context) error { t.flushes++; return nil }
func (t *txSink) Close() error                { return nil }
func (t *txSink) Commit(_ context.Context, _ Source, batches [][]Message) error {
	t.mu.Lock()
	t.commits = append(t.commits, append([][]Message(nil), batches...))
	t.mu.Unlock()
	return nil
}

// TestTransactionalSinkAndIdleFlush checks that Run commits through a
// TransactionalSink instead of Flush, and that output waiting behind a
// stalled source is committed and acknowledged after FlushInterval.
func TestTransactionalSinkAndIdleFlush(t *testing.T) {
	src := &stallSource{end: make(chan struct{})}
	sink := &txSink{}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), src, nil, sink, Policy{MaxBatch: 10, FlushInterval: 20 * time.Millisecond})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for src.ackedCount() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the stalled batch was never committed and acknowledged")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(src.end)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sink.flushes != 0 {
		t.Errorf("Flush called %d times on a transactional sink", sink.flushes)
	}
	if len(sink.commits) == 0 || len(sink.commits[0]) != 1 || len(sink.commits[0][0]) != 2 {
		t.Errorf("commits %v, want the first with one batch of 2 messages", sink.commits)
	}
}
