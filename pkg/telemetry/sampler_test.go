package telemetry

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestParseSampler(t *testing.T) {
	for _, tc := range []struct{ name, arg, desc string }{
		{"", "", "ParentBased{root:AlwaysOnSampler"},
		{"always_on", "", "AlwaysOnSampler"},
		{"always_off", "", "AlwaysOffSampler"},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler"},
		{"PARENTBASED_TRACEIDRATIO", "0.01", "ParentBased{root:TraceIDRatioBased{0.01}"},
	} {
		s, err := ParseSampler(tc.name, tc.arg)
		if err != nil {
			t.Errorf("%s %s: %v", tc.name, tc.arg, err)
			continue
		}
		if d := s.SDK().Description(); len(d) < len(tc.desc) || d[:len(tc.desc)] != tc.desc {
			t.Errorf("%s %s: %s, want %s...", tc.name, tc.arg, d, tc.desc)
		}
	}
	for _, bad := range [][2]string{{"jaeger_remote", ""}, {"traceidratio", "2"}, {"traceidratio", "half"}, {"parentbased_", ""}} {
		if _, err := ParseSampler(bad[0], bad[1]); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestDecisionsAgreeWithSDK checks that the spans Begin starts are the
// ones the SDK records, with the trace IDs the decisions were made on: a
// ratio sampler keeps about its share of roots, children follow their
// parent under a parent-based sampler, and an event left out passes on an
// unsampled context instead of a span.
func TestDecisionsAgreeWithSDK(t *testing.T) {
	s, _ := ParseSampler("parentbased_traceidratio", "0.3")
	rec := tracetest.NewSpanRecorder()
	tr, tp := New(s, nil, rec)
	defer tp.Shutdown(context.Background())
	ctx := context.Background()
	var kept, children int
	var unsampled []trace.SpanContext
	for range 2000 {
		_, span, sc := tr.Begin(ctx, trace.SpanContext{}, "root", trace.SpanKindInternal)
		if span == nil {
			if !sc.IsValid() || sc.IsSampled() {
				t.Fatalf("left out with context %v", sc)
			}
			unsampled = append(unsampled, sc)
			continue
		}
		kept++
		if !span.SpanContext().IsSampled() || !sc.Equal(span.SpanContext()) {
			t.Fatal("a root kept by the decision is not sampled by the SDK")
		}
		_, child, csc := tr.Begin(ctx, sc, "child", trace.SpanKindInternal)
		if child == nil || csc.TraceID() != sc.TraceID() {
			t.Fatal("the child of a sampled span was left out")
		}
		child.End()
		span.End()
		children++
	}
	if kept < 450 || kept > 750 {
		t.Errorf("kept %d of 2000 roots at ratio 0.3", kept)
	}
	for _, sc := range unsampled[:50] {
		if _, span, csc := tr.Begin(ctx, sc, "child", trace.SpanKindInternal); span != nil || !csc.Equal(sc) {
			t.Fatal("the child of an unsampled context was traced, or got another context")
		}
	}
	if n := len(rec.Ended()); n != kept+children {
		t.Errorf("%d spans recorded, want %d", n, kept+children)
	}
	for _, span := range rec.Ended() {
		if span.Name() == "child" && span.Parent().SpanID() == (trace.SpanID{}) {
			t.Error("child span without parent")
		}
	}
}

// TestDecideDoesNotAllocate: an event left out costs no allocation.
func TestDecideDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"always_off", "parentbased_traceidratio"} {
		s, _ := ParseSampler(name, "0.000001")
		parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: newTraceID(), SpanID: newSpanID()})
		if n := testing.AllocsPerRun(1000, func() {
			s.decide(trace.SpanContext{})
			s.decide(parent)
		}); n != 0 {
			t.Errorf("%s: %v allocations per decision", name, n)
		}
	}
}

func TestSetupRejectsBadVariables(t *testing.T) {
	for _, env := range []map[string]string{
		{"OTEL_TRACES_SAMPLER": "xray"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
	} {
		if _, _, err := Setup(context.Background(), Options{Service: "secpipe-test", Getenv: func(k string) string { return env[k] }}); err == nil {
			t.Errorf("%v: no error", env)
		}
	}
}

var _ sdktrace.IDGenerator = idGenerator{}
