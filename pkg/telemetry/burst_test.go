package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestBurstProcessor: every span reaches the exporter, at a flush.
func TestBurstProcessor(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, tp := New(AlwaysSample, nil, BatchProcessor(exp))
	ctx := context.Background()
	_, span, _ := tr.Begin(ctx, trace.SpanContext{}, "one", trace.SpanKindInternal)
	span.End()
	if err := tp.ForceFlush(ctx); err != nil || len(exp.GetSpans()) != 1 {
		t.Fatalf("after ForceFlush: %d spans, %v", len(exp.GetSpans()), err)
	}
	for range 1000 {
		_, span, _ := tr.Begin(ctx, trace.SpanContext{}, "many", trace.SpanKindInternal)
		span.End()
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != 1001 {
		t.Errorf("%d spans exported, want 1001", n)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
