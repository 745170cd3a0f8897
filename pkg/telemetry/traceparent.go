package telemetry

import (
	"bytes"

	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/event"
)

// TraceField is the top-level member of a JSON event that carries the
// event's trace context on pipes and in files: a string holding a W3C
// traceparent value (https://www.w3.org/TR/trace-context/#traceparent-header),
//
//	{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","@timestamp":...}
//
// With tracing on, a source takes the member out of each event (the stage
// never sees it) and a JSON Lines sink writes the event's current context
// back as its first member. With tracing off, the member is left alone: it
// passes through like any other field. On Kafka topics the context travels
// in the traceparent header instead.
const TraceField = "traceparent"

// traceparentLen is the length of a version 00 traceparent value.
const traceparentLen = 55

const hexDigits = "0123456789abcdef"

// AppendTraceparent appends sc as a W3C traceparent value:
// 00-<trace-id>-<span-id>-<flags>.
func AppendTraceparent(dst []byte, sc trace.SpanContext) []byte {
	tid, sid := sc.TraceID(), sc.SpanID()
	dst = append(dst, '0', '0', '-')
	for _, b := range tid {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	dst = append(dst, '-')
	for _, b := range sid {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	f := byte(sc.TraceFlags())
	return append(dst, '-', hexDigits[f>>4], hexDigits[f&15])
}

// ParseTraceparent reads a W3C traceparent value, as the propagator of the
// W3C Trace Context does: version 00 exactly, later versions by their
// first four fields; IDs in lower-case hex, not all zeros. The context is
// marked remote.
func ParseTraceparent(v []byte) (trace.SpanContext, bool) {
	if len(v) < traceparentLen || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return trace.SpanContext{}, false
	}
	ver, ok := hexByte(v[0], v[1])
	if !ok || ver == 0xff || (ver == 0 && len(v) != traceparentLen) || (len(v) > traceparentLen && v[traceparentLen] != '-') {
		return trace.SpanContext{}, false
	}
	var cfg trace.SpanContextConfig
	for i := range cfg.TraceID {
		if cfg.TraceID[i], ok = hexByte(v[3+2*i], v[4+2*i]); !ok {
			return trace.SpanContext{}, false
		}
	}
	for i := range cfg.SpanID {
		if cfg.SpanID[i], ok = hexByte(v[36+2*i], v[37+2*i]); !ok {
			return trace.SpanContext{}, false
		}
	}
	flags, ok := hexByte(v[53], v[54])
	if !ok || !cfg.TraceID.IsValid() || !cfg.SpanID.IsValid() {
		return trace.SpanContext{}, false
	}
	cfg.TraceFlags = trace.TraceFlags(flags) & trace.FlagsSampled
	cfg.Remote = true
	return trace.NewSpanContext(cfg), true
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexVal(hi)
	l, ok2 := hexVal(lo)
	return h<<4 | l, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// fieldPrefix starts an event whose first member is the trace field.
const fieldPrefix = `{"` + TraceField + `":"`

// AppendWithTrace appends the event value with sc as its first member,
// the trace field. value must not have one (see FieldCutter).
func AppendWithTrace(dst []byte, sc trace.SpanContext, value []byte) []byte {
	dst = append(dst, fieldPrefix...)
	dst = AppendTraceparent(dst, sc)
	dst = append(dst, '"')
	if len(value) <= 2 { // {}
		return append(dst, '}')
	}
	dst = append(dst, ',')
	return append(dst, value[1:]...)
}

// FieldCutter takes the trace field out of JSON events. Use one per
// goroutine.
type FieldCutter struct {
	paths *event.Paths
	f     event.Fields
}

// NewFieldCutter returns a cutter.
func NewFieldCutter() *FieldCutter {
	return &FieldCutter{paths: event.NewPaths(TraceField)}
}

// fieldTail is the end of the quoted field name: searching for it is
// three times faster than for the whole name, whose first bytes, a quote
// and a t, are everywhere in JSON.
var fieldTail = []byte(`ceparent"`)

// mayHaveField reports whether value may have the trace field: whether
// the quoted name is in its bytes.
func mayHaveField(value []byte) bool {
	const head = `"tra`
	for i := 0; ; {
		j := bytes.Index(value[i:], fieldTail)
		if j < 0 {
			return false
		}
		if i+j >= len(head) && string(value[i+j-len(head):i+j]) == head {
			return true
		}
		i += j + 1
	}
}

// Cut returns the context in value's trace field, if it holds a valid one,
// and value without the field (without any top-level member of that
// name). value must be one compact JSON object; Cut works in place: the
// event returned shares value's bytes, which it may change.
//
// The field written by AppendWithTrace, first, is found at once; elsewhere,
// it costs a search of the event's bytes, and a pass over its members only
// when the name is in it.
func (c *FieldCutter) Cut(value []byte) (trace.SpanContext, []byte) {
	const n = len(fieldPrefix)
	if len(value) >= n+traceparentLen+2 && string(value[:n]) == fieldPrefix && value[n+traceparentLen] == '"' {
		sc, _ := ParseTraceparent(value[n : n+traceparentLen])
		switch end := n + traceparentLen + 1; value[end] {
		case ',':
			value[end] = '{'
			return sc, value[end:]
		case '}':
			value[end-1] = '{'
			return sc, value[end-1:]
		}
	}
	if !mayHaveField(value) {
		return trace.SpanContext{}, value
	}
	c.paths.Extract(value, &c.f)
	var sc trace.SpanContext
	if vals := c.f.Values(0); len(vals) > 0 && vals[0].Kind == event.String {
		sc, _ = ParseTraceparent(vals[0].Raw)
	}
	members := c.f.Members()
	for i := len(members) - 1; i >= 0; i-- {
		if string(members[i].Key) == TraceField {
			value = cutMember(value, members[i].Start, members[i].End)
		}
	}
	return sc, value
}

// cutMember removes the member at value[start:end] with a comma beside
// it, moving the bytes after it in place.
func cutMember(value []byte, start, end int) []byte {
	if value[end] == ',' {
		end++
	} else if value[start-1] == ',' {
		start--
	}
	n := copy(value[start:], value[end:])
	return value[:start+n]
}
