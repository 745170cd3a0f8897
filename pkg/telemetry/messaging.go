package telemetry

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Kafka spans follow the OpenTelemetry messaging semantic conventions
// (v1.43): a producer span "publish <topic>" per message sent, ended when
// the broker acknowledges it, and a consumer span "process <topic>" per
// message read, ended when the output made of it is delivered. Both carry
// messaging.system=kafka, messaging.destination.name, messaging.operation.type
// (send, process) and .name (publish, process), the partition
// (messaging.destination.partition.id) and offset (messaging.kafka.offset).

// Extract returns the trace context in Kafka headers (traceparent and
// tracestate), or a zero one.
func (t *Tracer) Extract(ctx context.Context, headers *[]pipeline.Header) trace.SpanContext {
	if len(*headers) == 0 {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(t.prop.Extract(ctx, NewHeaderCarrier(headers)))
}

// Inject sets the traceparent (and tracestate) headers to sc, replacing
// any already there.
func (t *Tracer) Inject(ctx context.Context, sc trace.SpanContext, headers *[]pipeline.Header) {
	t.prop.Inject(trace.ContextWithSpanContext(ctx, sc), NewHeaderCarrier(headers))
}

// Process starts the consumer span of a message read from a topic, as
// Begin does: nil when the message is left out.
func (t *Tracer) Process(ctx context.Context, parent trace.SpanContext, topic string, partition int32, offset int64, group string) (trace.Span, trace.SpanContext) {
	_, span, sc := t.Begin(ctx, parent, "process "+topic, trace.SpanKindConsumer)
	if span != nil {
		attrs := []attribute.KeyValue{
			semconv.MessagingSystemKafka,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			semconv.MessagingDestinationName(topic),
			semconv.MessagingDestinationPartitionID(strconv.Itoa(int(partition))),
			semconv.MessagingKafkaOffset(int(offset)),
		}
		if group != "" {
			attrs = append(attrs, semconv.MessagingConsumerGroupName(group))
		}
		span.SetAttributes(attrs...)
	}
	return span, sc
}

// Publish starts the producer span of a message sent to topic, as Begin
// does: nil when the message is left out. The caller injects the context
// returned into the message's headers and ends the span with Delivered.
func (t *Tracer) Publish(ctx context.Context, parent trace.SpanContext, topic string, key []byte, size int) (trace.Span, trace.SpanContext) {
	_, span, sc := t.Begin(ctx, parent, "publish "+topic, trace.SpanKindProducer)
	if span != nil {
		attrs := []attribute.KeyValue{
			semconv.MessagingSystemKafka,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName("publish"),
			semconv.MessagingDestinationName(topic),
			semconv.MessagingMessageBodySize(size),
		}
		if key != nil {
			attrs = append(attrs, semconv.MessagingKafkaMessageKey(string(key)))
		}
		span.SetAttributes(attrs...)
	}
	return span, sc
}

// Delivered ends a producer span with where the broker put the message,
// or with the error that kept it out.
func Delivered(span trace.Span, partition int32, offset int64, err error) {
	if err != nil {
		Fail(span, err)
	} else {
		span.SetAttributes(
			semconv.MessagingDestinationPartitionID(strconv.Itoa(int(partition))),
			semconv.MessagingKafkaOffset(int(offset)))
	}
	span.End()
}
