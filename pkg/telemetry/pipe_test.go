package telemetry_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// tracer returns a tracer that records its spans, as one process of a
// pipeline does.
func tracer(t *testing.T, sampler, arg string) (*telemetry.Tracer, *tracetest.SpanRecorder) {
	t.Helper()
	s, err := telemetry.ParseSampler(sampler, arg)
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tr, tp := telemetry.New(s, nil, rec)
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tr, rec
}

// runPipe runs the three processes of gen | classify | store in turn,
// each with its own tracer, over buffers standing for the pipes, and
// returns the spans each recorded and store's JSON Lines.
func runPipe(t *testing.T, n int64, sampler, arg string) (genSpans, classifySpans, storeSpans *tracetest.SpanRecorder, stored string) {
	t.Helper()
	ctx := context.Background()

	genTracer, genSpans := tracer(t, sampler, arg)
	src, err := gen.NewSource(gen.Config{Count: n, Seed: 5, AttackShare: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	src.Trace(genTracer)
	var pipe1 bytes.Buffer
	out1 := sink.NewJSONLSink(&pipe1, nil)
	out1.InjectTrace()
	if err := pipeline.Run(ctx, src, nil, out1, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}

	classifyTracer, classifySpans := tracer(t, sampler, arg)
	in2 := source.NewFiles(nil, &pipe1, format.JSON, 0, &pipeline.Rejects{})
	in2.ExtractTrace()
	engine, _, err := classify.Load(classify.Config{})
	if err != nil {
		t.Fatal(err)
	}
	stage := classifyTracer.Stage("classify", classify.NewStage(engine, attack.Default(), false))
	var pipe2 bytes.Buffer
	out2 := sink.NewJSONLSink(&pipe2, nil)
	out2.InjectTrace()
	if err := pipeline.Run(ctx, in2, stage, out2, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}

	storeTracer, storeSpans := tracer(t, sampler, arg)
	in3 := source.NewFiles(nil, &pipe2, format.JSON, 0, &pipeline.Rejects{})
	in3.ExtractTrace()
	var file bytes.Buffer
	out3 := sink.NewJSONLSink(&file, nil)
	out3.InjectTrace()
	if err := pipeline.Run(ctx, in3, nil, storeTracer.Sink("store", out3), pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	return genSpans, classifySpans, storeSpans, file.String()
}

// TestPipeIsOneTracePerEvent: gen | classify | store with --trace gives
// each event one trace of three spans, gen → classify → store, across the
// three processes, linked by the traceparent field; the classify and
// store spans of an attack event name its techniques.
func TestPipeIsOneTracePerEvent(t *testing.T) {
	const n = 300
	genSpans, classifySpans, storeSpans, stored := runPipe(t, n, "", "")
	gens, classifies, stores := genSpans.Ended(), classifySpans.Ended(), storeSpans.Ended()
	if len(gens) != n || len(classifies) != n {
		t.Fatalf("%d gen and %d classify spans, want %d each", len(gens), len(classifies), n)
	}
	if len(stores) < n { // and one per correlation alert
		t.Fatalf("%d store spans, want at least %d", len(stores), n)
	}
	byID := map[trace.SpanID]string{}
	for _, s := range gens {
		if s.Name() != "gen" || s.Parent().IsValid() {
			t.Fatalf("gen span %q with parent %v", s.Name(), s.Parent())
		}
		byID[s.SpanContext().SpanID()] = "gen"
	}
	attacks := 0
	for _, s := range classifies {
		if byID[s.Parent().SpanID()] != "gen" || s.Parent().TraceID() != s.SpanContext().TraceID() {
			t.Fatalf("classify span's parent %v is not a gen span of its trace", s.Parent())
		}
		byID[s.SpanContext().SpanID()] = "classify"
		for _, a := range s.Attributes() {
			if a.Key == telemetry.AttrTechnique {
				attacks++
			}
		}
	}
	if attacks == 0 {
		t.Error("no classify span names a technique")
	}
	for _, s := range stores {
		if byID[s.Parent().SpanID()] != "classify" {
			t.Fatalf("store span's parent %v is not a classify span", s.Parent())
		}
	}
	// The stored events lead to their store span.
	lines := strings.Split(strings.TrimSpace(stored), "\n")
	c := telemetry.NewFieldCutter()
	storeIDs := map[trace.SpanID]bool{}
	for _, s := range stores {
		storeIDs[s.SpanContext().SpanID()] = true
	}
	for _, l := range lines {
		sc, rest := c.Cut([]byte(l))
		if !storeIDs[sc.SpanID()] || strings.Contains(string(rest), "traceparent") {
			t.Fatalf("stored event with trace %v (not a store span): %.200s", sc, l)
		}
	}
}

// TestPipeSamplesAtTheHead: with a ratio sampler, the head (gen) decides
// and the stages after it follow: every trace kept is whole, and events
// left out carry an unsampled context that no stage makes spans for.
func TestPipeSamplesAtTheHead(t *testing.T) {
	const n = 2000
	genSpans, classifySpans, storeSpans, stored := runPipe(t, n, "parentbased_traceidratio", "0.05")
	gens, classifies, stores := len(genSpans.Ended()), len(classifySpans.Ended()), len(storeSpans.Ended())
	if gens < 40 || gens > 180 {
		t.Errorf("%d of %d events traced at ratio 0.05", gens, n)
	}
	if classifies != gens || stores < gens {
		t.Errorf("%d gen, %d classify, %d store spans: the stages did not follow gen's decision", gens, classifies, stores)
	}
	if got := strings.Count(stored, `"traceparent":"00-`); got < n {
		t.Errorf("%d stored events carry a context, want all %d", got, n)
	}
}
