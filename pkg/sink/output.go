package sink

import (
	"context"
	"io"
)

// output is what both sinks share: whole rows or lines buffered, written
// out in one call per flush, and the destination closed at the end.
type output struct {
	w      io.Writer
	closer io.Closer
	buf    []byte
	counts Counts
	err    error
}

func newOutput(w io.Writer, closer io.Closer) output {
	return output{w: w, closer: closer, buf: make([]byte, 0, flushAt+flushAt/4)}
}

// writeOut hands the buffered rows, all whole, to the writer in one call.
func (o *output) writeOut() error {
	if o.err != nil || len(o.buf) == 0 {
		return o.err
	}
	_, o.err = o.w.Write(o.buf)
	o.buf = o.buf[:0]
	return o.err
}

// Flush implements pipeline.Sink: it writes out everything buffered.
func (o *output) Flush(context.Context) error { return o.writeOut() }

// Close implements pipeline.Sink.
func (o *output) Close() error {
	err := o.writeOut()
	if o.closer != nil {
		if cerr := o.closer.Close(); err == nil {
			err = cerr
		}
		o.closer = nil
	}
	return err
}

// Counts returns what the sink wrote so far.
func (o *output) Counts() Counts { return o.counts }
