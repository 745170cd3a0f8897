package sink

import (
	"context"
	"fmt"
	"io"
	"os"
)

// output is what both sinks share: whole rows or lines buffered, written
// out in one call per flush, and the destination closed at the end.
//
// A failed write (a full disk) is final: the sink writes nothing more and
// every later call returns the error. If the destination is a regular
// file, a short write is undone, so the file ends at the last whole row;
// the counts hold only the rows the destination took.
type output struct {
	w       io.Writer
	closer  io.Closer
	buf     []byte
	counts  Counts // what was written out
	pending Counts // what buf holds
	err     error

	file *os.File // the regular file written to, if it is one
	size int64    // file's size after the last whole write
}

func newOutput(w io.Writer, closer io.Closer) output {
	return output{w: w, closer: closer, buf: make([]byte, 0, flushAt+flushAt/4)}
}

// writeOut hands the buffered rows, all whole, to the writer in one call.
func (o *output) writeOut() error {
	if o.err != nil || len(o.buf) == 0 {
		return o.err
	}
	n, err := o.w.Write(o.buf)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		o.err = err
		if o.file != nil && n > 0 {
			if terr := o.file.Truncate(o.size); terr != nil {
				o.err = fmt.Errorf("%w; removing the partial row: %v", err, terr)
			}
		}
		o.buf = o.buf[:0]
		o.pending = Counts{}
		return o.err
	}
	o.size += int64(n)
	o.counts.plus(o.pending)
	o.pending = Counts{}
	o.buf = o.buf[:0]
	return nil
}

// writesFile makes o undo short writes to f, a regular file of size bytes.
func (o *output) writesFile(f *os.File, size int64) {
	o.file, o.size = f, size
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

// Counts returns what the sink wrote out so far: not what is still
// buffered, nor what a failed write lost.
func (o *output) Counts() Counts { return o.counts }
