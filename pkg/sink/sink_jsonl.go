// Package sink provides where events go: JSON Lines on a stream or in a file.
// Table stores (CSV) live in package store.
package sink

import (
	"bufio"
	"context"
	"io"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// JSONL writes each message's value as one line.
type JSONL struct {
	w      *bufio.Writer
	closer io.Closer
}

// NewJSONL returns a sink writing to w; Close also closes closer, if not nil.
func NewJSONL(w io.Writer, closer io.Closer) *JSONL {
	return &JSONL{w: bufio.NewWriterSize(w, 256<<10), closer: closer}
}

// Write implements pipeline.Sink.
func (s *JSONL) Write(_ context.Context, msgs []pipeline.Message) error {
	for i := range msgs {
		s.w.Write(msgs[i].Value)
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
