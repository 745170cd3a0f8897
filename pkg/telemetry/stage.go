package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Stage returns inner (nil: a stage passing events on unchanged) with a
// span named name for each traced event, the child of the event's
// context. A traced event is processed alone, inside its span, which gets
// the event's attributes as the stage left it (the ATT&CK techniques
// classify found), and its output carries the span's context. Events left
// out are processed in batches, as without tracing; those without a
// context get the sampler's decision here, as the first stage of their
// trace.
func (t *Tracer) Stage(name string, inner pipeline.Stage) pipeline.Stage {
	return &tracedStage{t: t, name: name, inner: inner, attrs: newEventAttrs()}
}

type tracedStage struct {
	t     *Tracer
	name  string
	inner pipeline.Stage
	attrs *eventAttrs
}

// Process implements pipeline.Stage.
func (s *tracedStage) Process(ctx context.Context, in []pipeline.Message, out *pipeline.Batch) error {
	start := 0
	for i := range in {
		d := s.t.sampler.decide(in[i].Trace)
		if !d.sampled {
			in[i].Trace = d.parent
			continue
		}
		if err := s.process(ctx, in[start:i], out); err != nil {
			return err
		}
		if err := s.traced(ctx, d, in[i:i+1], out); err != nil {
			return err
		}
		start = i + 1
	}
	return s.process(ctx, in[start:], out)
}

func (s *tracedStage) process(ctx context.Context, in []pipeline.Message, out *pipeline.Batch) error {
	if len(in) == 0 {
		return nil
	}
	if s.inner == nil {
		out.Msgs = append(out.Msgs, in...)
		return nil
	}
	return s.inner.Process(ctx, in, out)
}

// traced processes one event in a span of its own.
func (s *tracedStage) traced(ctx context.Context, d decision, in []pipeline.Message, out *pipeline.Batch) error {
	ctx, span := s.t.start(ctx, d, s.name, trace.SpanKindInternal)
	defer span.End()
	first := len(out.Msgs)
	err := s.process(ctx, in, out)
	sc := span.SpanContext()
	for j := first; j < len(out.Msgs); j++ {
		out.Msgs[j].Trace = sc
	}
	if len(out.Msgs) > first {
		s.attrs.set(span, out.Msgs[first].Value)
	} else {
		s.attrs.set(span, in[0].Value)
	}
	span.SetAttributes(AttrOutput.Int(len(out.Msgs) - first))
	if err != nil {
		Fail(span, err)
	}
	return err
}

// Prepare implements pipeline.Preparer for an inner stage that is one.
func (s *tracedStage) Prepare(b *pipeline.Batch) {
	if p, ok := s.inner.(pipeline.Preparer); ok {
		p.Prepare(b)
	}
}

// Ahead implements pipeline.Preparer for an inner stage that is one.
func (s *tracedStage) Ahead(b *pipeline.Batch) bool {
	if p, ok := s.inner.(pipeline.Preparer); ok {
		return p.Ahead(b)
	}
	return false
}

// Finish implements pipeline.Stage.
func (s *tracedStage) Finish(ctx context.Context, out *pipeline.Batch) error {
	if s.inner == nil {
		return nil
	}
	return s.inner.Finish(ctx, out)
}

// Sink returns inner with a span named name for each traced event it is
// given: the span covers the writing of the event's batch, as the event
// waits for its whole batch, and fails if the write does. The event
// carries the span's context into inner, which may write it out. Events
// without a context get the sampler's decision here.
//
// The wrapper is a plain pipeline.Sink: it is for sinks at the end of a
// pipeline (store's files, eval), not for Kafka sinks, which trace their
// messages themselves.
func (t *Tracer) Sink(name string, inner pipeline.Sink) pipeline.Sink {
	return &tracedSink{t: t, name: name, inner: inner, attrs: newEventAttrs()}
}

type tracedSink struct {
	t     *Tracer
	name  string
	inner pipeline.Sink
	attrs *eventAttrs
	spans []trace.Span
}

// Write implements pipeline.Sink.
func (s *tracedSink) Write(ctx context.Context, msgs []pipeline.Message) error {
	s.spans = s.spans[:0]
	for i := range msgs {
		d := s.t.sampler.decide(msgs[i].Trace)
		if !d.sampled {
			msgs[i].Trace = d.parent
			continue
		}
		_, span := s.t.start(ctx, d, s.name, trace.SpanKindInternal)
		msgs[i].Trace = span.SpanContext()
		s.attrs.set(span, msgs[i].Value)
		s.spans = append(s.spans, span)
	}
	err := s.inner.Write(ctx, msgs)
	for i, span := range s.spans {
		if err != nil {
			Fail(span, err)
		}
		span.SetAttributes(attribute.Int("secpipe.batch.size", len(msgs)))
		span.End()
		s.spans[i] = nil
	}
	return err
}

// Flush implements pipeline.Sink.
func (s *tracedSink) Flush(ctx context.Context) error { return s.inner.Flush(ctx) }

// Close implements pipeline.Sink.
func (s *tracedSink) Close() error { return s.inner.Close() }
