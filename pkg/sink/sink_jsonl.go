// Package sink provides where events go: JSON Lines on a stream or in a file.
// Table stores (CSV) live in package store.
package sink

import (
	"bufio"
	"context"
	"io"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// JSONL writes each message's value as one line.
type JSONL struct {
	w      *bufio.Writer
	closer io.Closer
	trace  bool
}

// NewJSONL returns a sink writing to w; Close also closes closer, if not nil.
func NewJSONL(w io.Writer, closer io.Closer) *JSONL {
	return &JSONL{w: bufio.NewWriterSize(w, 256<<10), closer: closer}
}

// InjectTrace makes the sink write each event's trace context
// (Message.Trace), when it has one, as its first member: the
// "traceparent" of telemetry.TraceField.
func (s *JSONL) InjectTrace() { s.trace = true }

// Write implements pipeline.Sink.
func (s *JSONL) Write(_ context.Context, msgs []pipeline.Message) error {
	for i := range msgs {
		if s.trace && msgs[i].Trace.IsValid() {
			s.w.Write(telemetry.AppendWithTrace(s.w.AvailableBuffer(), msgs[i].Trace, msgs[i].Value))
		} else {
			s.w.Write(msgs[i].Value)
		}
		if err := s.w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// Flush implements pipeline.Sink.
func (s *JSONL) Flush(context.Context) error { return s.w.Flush() }

// Close implements pipeline.Sink.
func (s *JSONL) Close() error {
	err := s.w.Flush()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
