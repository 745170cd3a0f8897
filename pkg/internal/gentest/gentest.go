// Package gentest gives tests the events secpipe gen makes, as a slice.
package gentest

import (
	"context"
	"testing"

	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Events returns the events gen makes with cfg, all cfg.Count of them.
func Events(t testing.TB, cfg gen.Config) [][]byte {
	t.Helper()
	src, err := gen.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var events [][]byte
	batch := &pipeline.Batch{Limit: 4096}
	for {
		batch.Reset()
		if err := src.Read(context.Background(), batch); err != nil {
			break
		}
		for _, m := range batch.Msgs {
			events = append(events, append([]byte(nil), m.Value...))
		}
	}
	if int64(len(events)) != cfg.Count {
		t.Fatalf("gen made %d events, want %d", len(events), cfg.Count)
	}
	return events
}
