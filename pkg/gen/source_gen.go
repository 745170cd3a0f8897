package gen

import (
	"context"
	"io"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// Source is a pipeline.Source of generated events. With Config.Rate > 0 it
// paces them evenly in wall time, event i becoming ready Rate·i seconds
// after the first Read; otherwise it fills each batch as fast as it can.
// Read returns io.EOF after the last event, and ctx.Err() as soon as ctx is
// done, also while it waits for the next event to be due.
type Source struct {
	g    *Generator
	rate float64
	now  func() time.Time

	t0    time.Time
	n     int64 // events read so far
	buf   []byte
	done  bool
	timer *time.Timer

	tracer *telemetry.Tracer
}

// NewSource returns a source of the events c describes.
func NewSource(c Config) (*Source, error) {
	g, err := New(c)
	if err != nil {
		return nil, err
	}
	return &Source{g: g, rate: c.Rate, now: time.Now}, nil
}

// Trace makes the source trace its events: each starts a trace (if the
// sampler keeps it) with a root span "gen", and carries its context in
// Message.Trace. Call it before the first Read.
func (s *Source) Trace(t *telemetry.Tracer) { s.tracer = t }

// due returns when event i is ready.
func (s *Source) due(i int64) time.Time {
	return s.t0.Add(time.Duration(float64(i) / s.rate * float64(time.Second)))
}

// Read implements pipeline.Source.
func (s *Source) Read(ctx context.Context, b *pipeline.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.done {
		return io.EOF
	}
	var now time.Time
	if s.rate > 0 {
		if s.n == 0 {
			s.t0 = s.now()
		}
		if err := s.sleepUntil(ctx, s.due(s.n)); err != nil {
			return err
		}
		now = s.now()
	}
	for !b.Full() {
		if s.rate > 0 && len(b.Msgs) > 0 && s.due(s.n).After(now) {
			break
		}
		var span trace.Span
		var sc trace.SpanContext
		if s.tracer != nil {
			_, span, sc = s.tracer.Begin(ctx, trace.SpanContext{}, "gen", trace.SpanKindInternal)
		}
		var ok bool
		s.buf, ok = s.g.Next(s.buf[:0])
		if span != nil && ok { // a span not ended is not exported
			s.tracer.EndEvent(span, s.buf)
		}
		if !ok {
			s.done = true
			break
		}
		s.n++
		b.Add(pipeline.Message{Value: b.Copy(s.buf), Origin: pipeline.Origin{Input: "gen", Line: int(s.n), Offset: -1}, Trace: sc})
	}
	b.More = !s.done && (s.rate == 0 || !s.due(s.n).After(now))
	if len(b.Msgs) == 0 && s.done {
		return io.EOF
	}
	return nil
}

// sleepUntil waits until t or until ctx is done.
func (s *Source) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(s.now())
	if d <= 0 {
		return nil
	}
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		s.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		s.timer.Stop()
		return ctx.Err()
	case <-s.timer.C:
		return nil
	}
}

// Ack implements pipeline.Source; generated events need no acknowledgement.
func (s *Source) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (s *Source) Close() error {
	if s.timer != nil {
		s.timer.Stop()
	}
	return nil
}
