package classify

import (
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/internal/gentest"
	"github.com/secpipe/secpipe/pkg/shareddata"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// A source's rules are bound when its first event comes, after the
// engine's event paths are fixed: binding every source must find each
// field it reads already resolved (it panics otherwise) and add no path.
func TestBindingAddsNoPath(t *testing.T) {
	corpus := shareddata.Dir(t, "sigma")
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"default pack", Config{}},
		{"SigmaHQ corpus", Config{NoBuiltin: true, RulePaths: []string{
			filepath.Join(corpus, "rules"),
			filepath.Join(corpus, "rules-emerging-threats"),
			filepath.Join(corpus, "rules-threat-hunting"),
		}}},
	} {
		engine, _, err := Load(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		before := engine.Paths().Len()
		bound := 0
		for _, n := range engine.Sources() { // binds every source
			bound += n
		}
		if after := engine.Paths().Len(); after != before {
			t.Errorf("%s: binding took the engine from %d paths to %d", c.name, before, after)
		}
		if bound == 0 {
			t.Errorf("%s: no rule bound to any source", c.name)
		}
		t.Logf("%s: %d paths, %d rule bindings", c.name, before, bound)
	}
}

// Matching the same events finds the same sources and detections whichever
// source sees its first event first.
func TestBindingOrderChangesNothing(t *testing.T) {
	var events [][]byte
	for _, f := range []gen.Format{gen.ECS, gen.Lab} {
		events = append(events, gentest.Events(t, gen.Config{Seed: 9, Count: 3000, Format: f, AttackShare: 0.5})...)
	}
	results := func(order []int) map[int]string {
		engine, _, err := Load(Config{})
		if err != nil {
			t.Fatal(err)
		}
		m := engine.NewScreener()
		out := map[int]string{}
		for _, i := range order {
			r := m.Match(events[i])
			out[i] = describe(engine, r)
		}
		return out
	}
	forward := make([]int, len(events))
	backward := make([]int, len(events))
	for i := range events {
		forward[i], backward[len(events)-1-i] = i, i
	}
	a, b := results(forward), results(backward)
	tagged := 0
	for i := range events {
		if a[i] != b[i] {
			t.Fatalf("event %d: %s in input order, %s in reverse order", i, a[i], b[i])
		}
		if a[i] != "" {
			tagged++
		}
	}
	if tagged == 0 {
		t.Fatal("no event matched a rule")
	}
}

// describe names an event's source and the detection rules it matched.
func describe(e *sigma.Engine, r *sigma.Result) string {
	if r.Source == "" {
		return ""
	}
	s := r.Source
	for _, i := range r.Detections {
		s += " " + e.Rules[i].Title
	}
	return s
}
