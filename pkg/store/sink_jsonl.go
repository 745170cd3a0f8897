package store

import (
	"context"
	"io"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// JSONLSink writes events as they are, one a line, handing the writer whole
// lines only, as CSVSink does with rows.
type JSONLSink struct {
	w      io.Writer
	closer io.Closer
	buf    []byte
	counts Counts
	err    error
	trace  bool

	paths *event.Paths
	f     event.Fields
}

// NewJSONLSink returns a sink writing JSON Lines to w. Close also closes
// closer, if not nil.
func NewJSONLSink(w io.Writer, closer io.Closer) *JSONLSink {
	return &JSONLSink{
		w: w, closer: closer, buf: make([]byte, 0, flushAt+flushAt/4),
		paths: event.NewPaths(ecs.TacticID[0], ecs.TacticID[1], ecs.TechID[0], ecs.TechID[1], ecs.SubTechID[0], ecs.RuleID[0]),
	}
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
		s.counts.Events++
		s.counts.Rows++
		if s.matched(v) {
			s.counts.Matched++
		}
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
			if v.Kind == event.String && !unclassified(v.Raw) {
				return true
			}
		}
	}
	return false
}

func (s *JSONLSink) writeOut() error {
	if s.err != nil || len(s.buf) == 0 {
		return s.err
	}
	_, s.err = s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return s.err
}

// Flush implements pipeline.Sink: it writes out every buffered line.
func (s *JSONLSink) Flush(context.Context) error { return s.writeOut() }

// Close implements pipeline.Sink.
func (s *JSONLSink) Close() error {
	err := s.writeOut()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
		s.closer = nil
	}
	return err
}

// Counts returns what the sink wrote so far.
func (s *JSONLSink) Counts() Counts { return s.counts }
