package telemetry

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Samplers lists the accepted values of OTEL_TRACES_SAMPLER.
var Samplers = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

// Sampler decides which events are traced. It makes the same decisions as
// the SDK sampler it configures, but without starting a span: an event
// left out costs a few random numbers, not a span.
type Sampler struct {
	root        sdktrace.Sampler // decides for events without a context
	parentBased bool             // events with a context follow its sampled flag
}

// AlwaysSample traces every event.
var AlwaysSample = Sampler{root: sdktrace.AlwaysSample()}

// ParseSampler reads the values of OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG (the ratio of the traceidratio samplers, 1 when
// empty). An empty name is parentbased_always_on, OpenTelemetry's default.
func ParseSampler(name, arg string) (Sampler, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = "parentbased_always_on"
	}
	base, parentBased := strings.CutPrefix(name, "parentbased_")
	s := Sampler{parentBased: parentBased}
	switch base {
	case "always_on":
		s.root = sdktrace.AlwaysSample()
	case "always_off":
		s.root = sdktrace.NeverSample()
	case "traceidratio":
		ratio := 1.0
		if arg = strings.TrimSpace(arg); arg != "" {
			r, err := strconv.ParseFloat(arg, 64)
			if err != nil || !(r >= 0 && r <= 1) {
				return s, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: want a ratio from 0 to 1", arg)
			}
			ratio = r
		}
		s.root = sdktrace.TraceIDRatioBased(ratio)
	default:
		return s, fmt.Errorf("OTEL_TRACES_SAMPLER=%q is not supported (want one of %s)", name, strings.Join(Samplers, ", "))
	}
	return s, nil
}

// SDK returns the SDK sampler that decides as s does, for the tracer
// provider: spans started by other code (or by the SDK itself) agree with s.
func (s Sampler) SDK() sdktrace.Sampler {
	if s.parentBased {
		return sdktrace.ParentBased(s.root)
	}
	return s.root
}

// decision is the sampler's verdict on one event.
type decision struct {
	// parent is the event's context: the one it came with, or, when it had
	// none and is left out, a new unsampled one to pass on.
	parent  trace.SpanContext
	root    trace.TraceID // sampled and without a context: the new trace's ID
	sampled bool
}

// decide decides for an event whose context is parent (zero: none). It
// does not allocate.
func (s Sampler) decide(parent trace.SpanContext) decision {
	if parent.IsValid() {
		if s.parentBased {
			return decision{parent: parent, sampled: parent.IsSampled()}
		}
		return decision{parent: parent, sampled: s.keeps(parent.TraceID())}
	}
	id := newTraceID()
	if s.keeps(id) {
		return decision{root: id, sampled: true}
	}
	// Left out: the event carries an unsampled context, so that the
	// stages after this one agree not to trace it.
	return decision{parent: trace.NewSpanContext(trace.SpanContextConfig{TraceID: id, SpanID: newSpanID()})}
}

// keeps asks the root sampler about a trace ID. The samplers supported
// read nothing else, so its answer is the one the SDK will give.
func (s Sampler) keeps(id trace.TraceID) bool {
	p := sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: id}
	return s.root.ShouldSample(p).Decision == sdktrace.RecordAndSample
}

func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// idGenerator gives new spans random IDs, except that a root span started
// for a decision gets the trace ID the sampler was asked about, so that the
// SDK's sampler agrees with the decision.
type idGenerator struct{}

type rootIDKey struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if id, ok := ctx.Value(rootIDKey{}).(trace.TraceID); ok && id.IsValid() {
		return id, newSpanID()
	}
	return newTraceID(), newSpanID()
}

func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }
