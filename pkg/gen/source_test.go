package gen

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// readAll reads src to the end and returns the events and the last error.
func readAll(ctx context.Context, src pipeline.Source) (int, error) {
	n := 0
	for {
		b := &pipeline.Batch{Limit: 4096}
		err := src.Read(ctx, b)
		n += len(b.Msgs)
		if err != nil {
			return n, err
		}
	}
}

func TestSourceAsFastAsPossible(t *testing.T) {
	src, err := NewSource(Config{Seed: 1, Count: 10000, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	b := &pipeline.Batch{Limit: 4096}
	if err := src.Read(context.Background(), b); err != nil || len(b.Msgs) != 4096 || !b.More {
		t.Fatalf("first read: %d events, more %v, %v", len(b.Msgs), b.More, err)
	}
	first := string(b.Msgs[0].Value)
	n, err := readAll(context.Background(), src)
	if err != io.EOF || n+4096 != 10000 {
		t.Fatalf("read %d more events, then %v", n, err)
	}
	if first == "" || first[0] != '{' {
		t.Fatalf("first event %q", first)
	}
}

func TestSourceRate(t *testing.T) {
	src, err := NewSource(Config{Seed: 1, Count: 20, Rate: 200, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	reads := 0
	n := 0
	for {
		b := &pipeline.Batch{Limit: 4096}
		err := src.Read(context.Background(), b)
		n += len(b.Msgs)
		if len(b.Msgs) > 0 {
			reads++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Event 19 is due 19/200 s after the first.
	if d := time.Since(start); n != 20 || d < 90*time.Millisecond {
		t.Fatalf("%d events in %s, want 20 in at least 95ms", n, d)
	}
	if reads < 5 {
		t.Errorf("%d reads: events came in bursts, not evenly", reads)
	}
}

func TestSourceCancel(t *testing.T) {
	src, err := NewSource(Config{Seed: 1, Rate: 50, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	n, err := readAll(ctx, src)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read %d events, then %v; want the context's error", n, err)
	}
	if d := time.Since(start); d > time.Second || n < 2 || n > 10 {
		t.Fatalf("%d events in %s at 50/s before a 100ms deadline", n, d)
	}
}
