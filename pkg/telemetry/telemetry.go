// Package telemetry is secpipe's tracing and metrics: the OpenTelemetry
// tracer of a command, exporting over OTLP (to Jaeger), set up from the
// standard OTEL_* variables by Setup, which returns the shutdown function;
// the span wrappers of stages and sinks; the trace field events carry on
// pipes; and the metrics a command serves to Prometheus and sums up at exit.
//
// Where the trace context of an event goes, with tracing on:
//
//   - sources take it out of the event: from the Kafka traceparent header
//     or the event's "traceparent" member (TraceField) into Message.Trace;
//     a Kafka source also starts the consumer "process" span;
//   - gen starts the root span of each event, a stage wrapper (Stage) one
//     span per traced event, a sink wrapper (Sink) one per event written;
//   - sinks write the context out: a Kafka sink starts the producer
//     "publish" span and puts its context in the traceparent header, a JSON
//     Lines sink writes the event's context as its first member.
//
// Each event is sampled once, where its trace starts, and the decision
// travels with it: events left out carry an unsampled context, for which
// no span is started anywhere, and are processed in batches as without
// tracing.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names secpipe's instrumentation.
const ScopeName = "github.com/secpipe/secpipe"

// ShutdownTimeout bounds how long a command waits at exit for its last
// spans to be exported.
var ShutdownTimeout = 5 * time.Second

// Tracer starts the spans of one command. A nil *Tracer means tracing is
// off; the code that holds one checks for nil once, not per event.
type Tracer struct {
	tracer  trace.Tracer
	sampler Sampler
	prop    propagation.TextMapPropagator

	mu    sync.Mutex
	attrs *eventAttrs // for EndEvent
}

// New returns a tracer whose spans go to the span processors (tests use
// tracetest.NewSpanRecorder), and its provider; shut the provider down to
// flush them.
func New(s Sampler, res *resource.Resource, processors ...sdktrace.SpanProcessor) (*Tracer, *sdktrace.TracerProvider) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(s.SDK()), sdktrace.WithIDGenerator(idGenerator{})}
	if res != nil {
		opts = append(opts, sdktrace.WithResource(res))
	}
	for _, p := range processors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracer{tracer: tp.Tracer(ScopeName), sampler: s, prop: propagation.TraceContext{}, attrs: newEventAttrs()}, tp
}

// BatchProcessor returns the span processor of Setup: the SDK's batch
// span processor (OTEL_BSP_* configure it), exporting to exp, fed ended
// spans in bursts (see burstProcessor).
func BatchProcessor(exp sdktrace.SpanExporter) sdktrace.SpanProcessor {
	return newBurstProcessor(sdktrace.NewBatchSpanProcessor(exp))
}

// Options configures Setup.
type Options struct {
	// Service is the service name unless OTEL_SERVICE_NAME gives one:
	// secpipe-classify.
	Service string
	// Version is the service version.
	Version string
	// Getenv reads the OTEL_* variables that choose the protocol and
	// the sampler. The exporter reads the others (endpoints, headers,
	// timeouts, OTEL_BSP_*) from the process environment.
	Getenv func(string) string
	// Errors receives export errors, prefixed with Prefix ("secpipe
	// classify"), the first few only.
	Errors io.Writer
	Prefix string
}

// Setup starts tracing for a command as the OpenTelemetry variables say:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
//	    where to send spans (default http://localhost:4317, or
//	    http://localhost:4318 over HTTP)
//	OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
//	    grpc (default) or http/protobuf
//	OTEL_SERVICE_NAME      the service name (default: Options.Service)
//	OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG
//	    which events are traced (see Samplers; default parentbased_always_on)
//
// Spans are exported in batches in the background. The shutdown function
// exports those left and stops, within ShutdownTimeout.
func Setup(ctx context.Context, o Options) (*Tracer, func() error, error) {
	getenv := o.Getenv
	sampler, err := ParseSampler(getenv("OTEL_TRACES_SAMPLER"), getenv("OTEL_TRACES_SAMPLER_ARG"))
	if err != nil {
		return nil, nil, err
	}
	exp, endpoint, err := newExporter(ctx, getenv)
	if err != nil {
		return nil, nil, err
	}
	service := o.Service
	if s := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); s != "" {
		service = s
	}
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(service), semconv.ServiceVersion(o.Version)))
	if err != nil {
		res = resource.Default()
	}
	if o.Errors != nil {
		otel.SetErrorHandler(&errorLog{w: o.Errors, prefix: o.Prefix})
	}
	if err := dialCollector(endpoint); err != nil {
		// Spans are still made, so that trace context goes on to the next
		// stage, but not exported: shutdown has nothing to wait for.
		if o.Errors != nil {
			fmt.Fprintf(o.Errors, "%s: tracing: no OpenTelemetry collector at %s (%v): spans are not sent\n", o.Prefix, endpoint, err)
		}
		sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		exp.Shutdown(sctx)
		cancel()
		t, _ := New(sampler, res)
		return t, func() error { return nil }, nil
	}
	t, tp := New(sampler, res, BatchProcessor(exp))
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		err := tp.Shutdown(sctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("tracing: spans not all exported to %s within %v (is the collector running?)", endpoint, ShutdownTimeout)
		}
		if err != nil {
			return fmt.Errorf("tracing: %w", err)
		}
		return nil
	}
	return t, shutdown, nil
}

// CollectorDialTimeout bounds the check, at start, that the collector
// accepts connections.
var CollectorDialTimeout = time.Second

// dialCollector opens and closes a TCP connection to an OTLP endpoint
// ("http://host:port", "host:port").
func dialCollector(endpoint string) error {
	hostport := endpoint
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		hostport = u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			hostport = net.JoinHostPort(u.Hostname(), port)
		}
	}
	c, err := net.DialTimeout("tcp", hostport, CollectorDialTimeout)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err // "connect: connection refused", without the addresses
		}
		return err
	}
	return c.Close()
}

// newExporter returns the OTLP exporter the variables ask for, and where
// it sends, for messages. Without an endpoint it sends to localhost in
// plain text, the specification's default (the Go exporters would
// otherwise want TLS for gRPC).
func newExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, string, error) {
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	switch protocol {
	case "", "grpc":
		var opts []otlptracegrpc.Option
		if endpoint == "" {
			endpoint = "http://localhost:4317"
			opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		return exp, endpoint, err
	case "http/protobuf":
		var opts []otlptracehttp.Option
		if endpoint == "" {
			endpoint = "http://localhost:4318"
			opts = append(opts, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		return exp, endpoint, err
	}
	return nil, "", fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q is not supported (want grpc or http/protobuf)", protocol)
}

// errorLog reports OpenTelemetry's errors (failed exports), the first few.
type errorLog struct {
	w      io.Writer
	prefix string
	mu     sync.Mutex
	n      int
}

func (e *errorLog) Handle(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	switch {
	case e.n <= 3:
		fmt.Fprintf(e.w, "%s: tracing: %v\n", e.prefix, err)
	case e.n == 4:
		fmt.Fprintf(e.w, "%s: tracing: more errors; not reporting them\n", e.prefix)
	}
}

// Begin decides whether the event whose context is parent (zero: none)
// is traced. If it is, it starts the span name, of kind, as the child of
// parent (a root without one), and returns it with a context holding it.
// If not, it returns a nil span, ctx, and the context the event passes on:
// parent, or a new unsampled one. Either way the last result is what goes
// into Message.Trace.
func (t *Tracer) Begin(ctx context.Context, parent trace.SpanContext, name string, kind trace.SpanKind) (context.Context, trace.Span, trace.SpanContext) {
	d := t.sampler.decide(parent)
	if !d.sampled {
		return ctx, nil, d.parent
	}
	ctx, span := t.start(ctx, d, name, kind)
	return ctx, span, span.SpanContext()
}

// start starts the span of a sampled decision.
func (t *Tracer) start(ctx context.Context, d decision, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	if d.parent.IsValid() {
		return t.tracer.Start(trace.ContextWithSpanContext(ctx, d.parent), name, trace.WithSpanKind(kind))
	}
	ctx = context.WithValue(ctx, rootIDKey{}, d.root)
	return t.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithNewRoot())
}

// EndEvent puts the attributes of the event raw on span (the Attr keys:
// its ID, ATT&CK techniques, gen scenario) and ends it.
func (t *Tracer) EndEvent(span trace.Span, raw []byte) {
	t.mu.Lock()
	t.attrs.set(span, raw)
	t.mu.Unlock()
	span.End()
}

// Fail marks span as failed with err.
func Fail(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
