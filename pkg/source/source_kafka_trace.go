// Tracing: each message's process span, from the read until its batch is
// acknowledged.

package source

import (
	"errors"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// openSpan is the process span of a message read, not yet acknowledged.
type openSpan struct {
	tp   tp
	span trace.Span
}

var (
	errRevoked = errors.New("partition revoked before the event was processed; its next owner reads it again")
	errUnacked = errors.New("event not delivered before the source closed; it will be read again")
)

// endSpan ends a process span, failed with err if not nil.
func endSpan(span trace.Span, err error) {
	if err != nil {
		telemetry.Fail(span, err)
	}
	span.End()
}

// trace extracts a message's trace context, starts its process span and
// returns its value without the trace field.
func (k *Kafka) trace(msg *pipeline.Message, t tp) []byte {
	hdrs := msg.Headers // a copy, so that msg (most often a local) stays off the heap
	parent := k.opts.Tracer.Extract(k.readCtx, &hdrs)
	msg.Headers = hdrs
	inValue, value := k.cutter.Cut(msg.Value)
	if !parent.IsValid() {
		parent = inValue
	}
	msg.Value = value
	span, sc := k.opts.Tracer.Process(k.readCtx, parent, t.topic, t.part, msg.Origin.Offset, k.opts.Group)
	if span != nil {
		k.spans = append(k.spans, openSpan{t, span})
	}
	msg.Trace = sc
	return value
}

// traceBad records a bad message in a failed process span, if its trace
// is sampled: the trace shows where the event was lost.
func (k *Kafka) traceBad(m *ck.Message, o pipeline.Origin, err error) {
	var hdrs []pipeline.Header
	for _, h := range m.Headers {
		hdrs = append(hdrs, pipeline.Header{Key: h.Key, Value: h.Value})
	}
	parent := k.opts.Tracer.Extract(k.readCtx, &hdrs)
	if span, _ := k.opts.Tracer.Process(k.readCtx, parent, o.Input, o.Partition, o.Offset, k.opts.Group); span != nil {
		endSpan(span, err)
	}
}
