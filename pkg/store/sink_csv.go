package store

import (
	"context"
	"io"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// flushAt is the buffered size at which a sink hands its rows to the file.
const flushAt = 256 << 10

// CSVSink writes events as CSV rows (see Columns). Rows are built in the
// sink's buffer and handed to the writer whole, in one Write call each time,
// so that the file never holds part of a row.
type CSVSink struct {
	rows   *Rows
	w      io.Writer
	closer io.Closer
	buf    []byte
	counts Counts
	err    error
}

// NewCSVSink returns a sink writing CSV rows to w, starting with the header
// line if header is set. Close also closes closer, if not nil.
func NewCSVSink(w io.Writer, closer io.Closer, cat *attack.Catalog, header bool) *CSVSink {
	s := &CSVSink{rows: NewRows(cat), w: w, closer: closer, buf: make([]byte, 0, flushAt+flushAt/4)}
	if header {
		s.buf = append(s.buf, HeaderLine...)
		s.buf = append(s.buf, '\n')
	}
	return s
}

// Write implements pipeline.Sink.
func (s *CSVSink) Write(_ context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	for i := range msgs {
		var n int
		var matched bool
		s.buf, n, matched = s.rows.Append(s.buf, msgs[i].Value)
		s.counts.Events++
		s.counts.Rows += n
		if matched {
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

// writeOut hands the buffered rows, all whole, to the writer in one call.
func (s *CSVSink) writeOut() error {
	if s.err != nil || len(s.buf) == 0 {
		return s.err
	}
	_, s.err = s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return s.err
}

// Flush implements pipeline.Sink: it writes out every buffered row.
func (s *CSVSink) Flush(context.Context) error { return s.writeOut() }

// Close implements pipeline.Sink.
func (s *CSVSink) Close() error {
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
func (s *CSVSink) Counts() Counts { return s.counts }
