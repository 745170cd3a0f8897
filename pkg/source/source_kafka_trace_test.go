package source_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func header(m pipeline.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestKafkaTraceContext sends events through a topic with tracing on both
// ends: the producer span of a traced event is the child of its context,
// its context crosses in the traceparent header (replacing a stale one),
// and the consumer's process span is the child of the producer span,
// ended when the batch is acknowledged; an unsampled context crosses
// unchanged, with no spans; an event without one starts its trace at the
// producer.
func TestKafkaTraceContext(t *testing.T) {
	cfg := devBroker(t, "traced")
	rec := tracetest.NewSpanRecorder()
	s, _ := telemetry.ParseSampler("parentbased_always_on", "")
	tr, tp := telemetry.New(s, nil, rec)
	defer tp.Shutdown(context.Background())
	ctx := context.Background()

	_, gen, traced := tr.Begin(ctx, trace.SpanContext{}, "gen", trace.SpanKindInternal)
	gen.End()
	unsampled, _ := telemetry.ParseTraceparent([]byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"))
	stale := pipeline.Header{Key: "traceparent", Value: []byte("00-11111111111111111111111111111111-2222222222222222-01")}
	produce(t, cfg, "traced", sink.KafkaOptions{Tracer: tr}, []pipeline.Message{
		{Value: []byte(`{"n":1}`), Trace: traced, Headers: []pipeline.Header{stale}},
		{Value: []byte(`{"n":2}`), Trace: unsampled},
		{Value: []byte(`{"n":3}`)},
	})
	got, _, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"traced"}, ExitAtEnd: true, Tracer: tr})
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}

	spans := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	var publish, process []sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		spans[sp.SpanContext().SpanID()] = sp
		switch sp.SpanKind() {
		case trace.SpanKindProducer:
			publish = append(publish, sp)
		case trace.SpanKindConsumer:
			process = append(process, sp)
		}
	}
	if len(publish) != 2 || len(process) != 2 {
		t.Fatalf("%d publish and %d process spans, want 2 each (the unsampled event has none)", len(publish), len(process))
	}
	for _, p := range publish {
		if p.Name() != "publish traced" || attr(p, "messaging.system") != "kafka" || attr(p, "messaging.destination.name") != "traced" ||
			attr(p, "messaging.operation.type") != "send" || attr(p, "messaging.destination.partition.id") == "" || attr(p, "messaging.kafka.offset") == "" {
			t.Errorf("publish span %q: %v", p.Name(), p.Attributes())
		}
	}
	for _, m := range got {
		n := string(m.Value)
		tp := header(m, "traceparent")
		switch n {
		case `{"n":2}`:
			if !m.Trace.Equal(unsampled) || tp != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" {
				t.Errorf("unsampled event: context %v, header %s", m.Trace, tp)
			}
			continue
		case `{"n":1}`, `{"n":3}`:
		default:
			t.Fatalf("event %s", n)
		}
		proc, ok := spans[m.Trace.SpanID()]
		if !ok || proc.SpanKind() != trace.SpanKindConsumer || proc.Name() != "process traced" {
			t.Fatalf("event %s carries %v, not its process span", n, m.Trace)
		}
		pub := spans[proc.Parent().SpanID()]
		if pub == nil || pub.SpanKind() != trace.SpanKindProducer || tp != string(telemetry.AppendTraceparent(nil, pub.SpanContext())) {
			t.Fatalf("event %s: process span's parent %v is not the producer span in its header %s", n, proc.Parent(), tp)
		}
		if attr(proc, "messaging.kafka.offset") != attr(pub, "messaging.kafka.offset") || attr(proc, "messaging.destination.partition.id") != attr(pub, "messaging.destination.partition.id") {
			t.Errorf("event %s: consumed at %s/%s, produced at %s/%s", n,
				attr(proc, "messaging.destination.partition.id"), attr(proc, "messaging.kafka.offset"),
				attr(pub, "messaging.destination.partition.id"), attr(pub, "messaging.kafka.offset"))
		}
		if n == `{"n":1}` && pub.Parent().SpanID() != traced.SpanID() {
			t.Errorf("the producer span of the traced event is the child of %v, not of gen's span", pub.Parent())
		}
		if n == `{"n":3}` && pub.Parent().IsValid() {
			t.Errorf("the event without context: producer span with parent %v, want a root", pub.Parent())
		}
	}
}

// TestKafkaTraceBadMessage: a message the consumer rejects, here for its
// size, ends its trace in a failed process span, which says why.
func TestKafkaTraceBadMessage(t *testing.T) {
	cfg := devBroker(t, "big")
	rec := tracetest.NewSpanRecorder()
	tr, tp := telemetry.New(telemetry.AlwaysSample, nil, rec)
	defer tp.Shutdown(context.Background())
	_, span, sc := tr.Begin(context.Background(), trace.SpanContext{}, "gen", trace.SpanKindInternal)
	span.End()
	produce(t, cfg, "big", sink.KafkaOptions{Tracer: tr}, []pipeline.Message{
		{Value: []byte(`{"small":1}`)},
		{Value: []byte(`{"large":"` + string(make([]byte, 100)) + `"}`), Trace: sc},
	})
	got, rejects, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"big"}, ExitAtEnd: true, MaxRecord: 50, Tracer: tr})
	if len(got) != 1 || rejects.Count() != 1 {
		t.Fatalf("%d events, %d rejected; want 1 and 1", len(got), rejects.Count())
	}
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindConsumer && s.SpanContext().TraceID() == sc.TraceID() {
			if s.Status().Code != codes.Error || s.Status().Description == "" {
				t.Errorf("process span of the rejected message: status %v", s.Status())
			}
			return
		}
	}
	t.Error("no process span for the rejected message")
}
