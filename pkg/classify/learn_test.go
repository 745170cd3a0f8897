package classify

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/secpipe/secpipe/pkg/sigma"
)

// TestWhatMatchersLearnChangesNothing matches the SigmaHQ corpus's
// regression events and gen's Windows events with a screener that has
// seen them twice, and so anchored each rule on the literals that occurred
// least and cached the literals of the values it saw, and with fresh
// screeners, anchored as loaded and scanning every value: every event must
// match the same rules in the same source.
func TestWhatMatchersLearnChangesNothing(t *testing.T) {
	engine, corpus := corpusEngine(t, false)
	events := append(regressionEvents(t, filepath.Join(corpus, "regression")), genWindowsEvents(t, 20000)...)
	trained := engine.NewScreener()
	for range 2 {
		for _, ev := range events {
			trained.Match(ev)
		}
	}
	compared, matching := 0, 0
	for i, ev := range events {
		got := found(trained.Match(ev))
		if i%4 != 0 {
			continue // a fresh screener an event is slow: compare a quarter
		}
		if want := found(engine.NewScreener().Match(ev)); got != want {
			t.Fatalf("event %d: trained screener %s, fresh one %s\n%s", i, got, want, ev)
		}
		compared++
		if len(trained.Match(ev).Detections) > 0 {
			matching++
		}
	}
	if matching < 100 || compared < 1000 {
		t.Fatalf("compared %d events, %d of them matching: too few to tell", compared, matching)
	}
}

// found names what a result found: the source, and the rules matched.
func found(r *sigma.Result) string {
	return fmt.Sprint(r.Source, slices.Sorted(slices.Values(r.Detections)))
}
