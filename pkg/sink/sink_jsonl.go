package sink

import (
	"context"
	"io"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// JSONLSink writes events as they are, one a line, handing the writer whole
// lines only, as CSVSink does with rows.
type JSONLSink struct {
	output
	trace bool

	paths *event.Paths
	f     event.Fields
}

// NewJSONLSink returns a sink writing JSON Lines to w. Close also closes
// closer, if not nil.
func NewJSONLSink(w io.Writer, closer io.Closer) *JSONLSink {
	return &JSONLSink{output: newOutput(w, closer)}
}

// CountMatched makes the sink count the events that carry a rule, tactic
// or technique (Counts().Matched), which costs a look into each event.
func (s *JSONLSink) CountMatched() {
	s.paths = event.NewPaths(ecs.TacticID[0], ecs.TacticID[1], ecs.TechID[0], ecs.TechID[1], ecs.SubTechID[0], ecs.RuleID[0])
}

// InjectTrace makes the sink write each event's trace context
// (Message.Trace), when it has one, as its first member, the
// "traceparent" of telemetry.TraceField, so that a stored event leads to
// its trace.
func (s *JSONLSink) InjectTrace() { s.trace = true }

// Write implements pipeline.Sink.
func (s *JSONLSink) Write(_ context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	for i := range msgs {
		v := msgs[i].Value
		if s.trace && msgs[i].Trace.IsValid() {
			s.buf = telemetry.AppendWithTrace(s.buf, msgs[i].Trace, v)
		} else {
			s.buf = append(s.buf, v...)
		}
		s.buf = append(s.buf, '\n')
		s.pending.add(1, s.paths != nil && s.matched(v))
		if len(s.buf) >= flushAt {
			if err := s.writeOut(); err != nil {
				return err
			}
		}
	}
	return nil
}

// matched reports whether an event carries a rule, tactic or technique.
func (s *JSONLSink) matched(raw []byte) bool {
	s.paths.Extract(raw, &s.f)
	for slot := 0; slot < s.paths.Len(); slot++ {
		for _, v := range s.f.Values(slot) {
			if v.Kind == event.String && !store.Unclassified(v.Raw) {
				return true
			}
		}
	}
	return false
}
