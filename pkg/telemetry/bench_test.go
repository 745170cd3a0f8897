package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// BenchmarkClassifyTracing measures classify as a process runs it (read
// JSON Lines, classify, write JSON Lines) on gen's events, without tracing
// and with tracing at several samplers, spans going to an exporter that
// drops them. Compare ns/event: tracing off is the code path of a build
// without tracing; sampled-out events take the batch path.
//
//	go test -run XXX -bench ClassifyTracing -benchmem ./pkg/telemetry
func BenchmarkClassifyTracing(b *testing.B) {
	const n = 20000
	var events bytes.Buffer
	src, _ := gen.NewSource(gen.Config{Count: n, Seed: 9})
	if err := pipeline.Run(context.Background(), src, nil, sink.NewJSONLSink(&events, nil), pipeline.DefaultPolicy); err != nil {
		b.Fatal(err)
	}
	engine, _, err := classify.Load(classify.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, sampler, arg string }{
		{"off", "", ""},
		{"always_off", "parentbased_always_off", ""},
		{"ratio_0.01", "parentbased_traceidratio", "0.01"},
		{"ratio_1", "parentbased_traceidratio", "1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var tr *telemetry.Tracer
			if bc.sampler != "" {
				s, _ := telemetry.ParseSampler(bc.sampler, bc.arg)
				var tp *sdktrace.TracerProvider
				tr, tp = telemetry.New(s, nil, telemetry.BatchProcessor(tracetest.NewNoopExporter()))
				defer tp.Shutdown(context.Background())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				in := source.NewFiles(nil, bytes.NewReader(events.Bytes()), format.JSON, 0, &pipeline.Rejects{})
				out := sink.NewJSONLSink(io.Discard, nil)
				var stage pipeline.Stage = classify.NewStage(engine, attack.Default(), false)
				if tr != nil {
					in.ExtractTrace()
					out.InjectTrace()
					stage = tr.Stage("classify", stage)
				}
				if err := pipeline.Run(context.Background(), in, stage, out, pipeline.DefaultPolicy); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
