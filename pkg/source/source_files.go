package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// StdinName is how standard input is named in messages.
const StdinName = "<stdin>"

// Files reads events from files in order, or from stdin for "-" or when no
// file is named, each in its format (see package format). Bad records go
// to rejects and reading goes on.
type Files struct {
	names     []string
	stdin     io.Reader
	format    format.Format
	maxRecord int
	rejects   *pipeline.Rejects

	cur     format.Reader
	curRows format.RowReader // cur, when it gives rows and rows are asked for
	curName string
	closers []io.Closer // of the current input: its decoder, then its file
	next    int
	regular bool                   // the current input is a regular file: reading never waits
	trace   *telemetry.FieldCutter // nil: tracing off
	now     func() time.Time       // the clock of formats whose timestamps lack a year
	fields  []string               // the only fields the consumer reads (nil: all)
	rows    bool                   // give rows where the format has them (ReadRows)
	parts   int                    // up to how many parts a file may be read in (ReadParts)
	minPart int64

	curParts  *csvParts   // the current input, offered in parts
	partsRead []*csvParts // the inputs offered in parts, for Close

	curFormat format.Format
	good, bad int      // records of the current input
	worthless []string // inputs with bad records and no good one
}

// NewFiles returns a source over the named files (stdin when names is
// empty) in format f (format.Auto: recognised per input). maxRecord caps
// one record's size (0: event.DefaultMaxRecord).
func NewFiles(names []string, stdin io.Reader, f format.Format, maxRecord int, rejects *pipeline.Rejects) *Files {
	if len(names) == 0 {
		names = []string{"-"}
	}
	return &Files{names: names, stdin: stdin, format: f, maxRecord: maxRecord, rejects: rejects}
}

// SetClock sets the clock that timestamps without a year are read against
// (syslog's RFC 3164); the default is the system's.
func (f *Files) SetClock(now func() time.Time) { f.now = now }

// ReadOnly tells the formats that can leave fields out (CSV's columns)
// that the consumer reads only these.
func (f *Files) ReadOnly(fields []string) { f.fields = fields }

// ReadRows makes the source give the events of inputs whose format has
// columns (CSV) as rows (pipeline.Message.Row) of the fields named by
// ReadOnly, in that order, rather than as JSON. Call it before the first
// Read, and not with ExtractTrace.
func (f *Files) ReadRows() { f.rows = true }

// ReadParts lets the source give the last input, when it is a regular,
// uncompressed CSV file of at least two parts of minPart bytes (0:
// DefaultMinPart), as one message whose Parts reads it in up to n parts at
// once (pipeline.Parts), when rows are asked for (ReadRows). Not with
// --strict or a dead-letter file, whose bad records must come as the
// reading finds them. Call it before the first Read.
func (f *Files) ReadParts(n int, minPart int64) {
	if minPart <= 0 {
		minPart = DefaultMinPart
	}
	f.parts, f.minPart = n, minPart
}

// ExtractTrace makes the source take each event's trace context out of its
// "traceparent" member (telemetry.TraceField) into Message.Trace, for
// tracing. Call it before the first Read.
func (f *Files) ExtractTrace() { f.trace = telemetry.NewFieldCutter() }

// Read implements pipeline.Source.
func (f *Files) Read(ctx context.Context, b *pipeline.Batch) error {
	for {
		if f.cur == nil {
			if f.next >= len(f.names) {
				return io.EOF
			}
			if err := f.open(ctx); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.curParts != nil {
			b.Msgs = append(b.Msgs, pipeline.Message{Parts: f.curParts, Origin: pipeline.Origin{Input: f.curName, Offset: -1}})
			f.partsRead = append(f.partsRead, f.curParts)
			f.closers = f.closers[:0] // the file is the parts', closed by Close
			f.closeCurrent()
			return nil
		}
		// The message is filled in place: it is large, and copies cost
		// when there are millions.
		b.Msgs = append(b.Msgs, pipeline.Message{})
		err := f.nextMessage(b, &b.Msgs[len(b.Msgs)-1])
		if err != nil {
			b.Msgs = b.Msgs[:len(b.Msgs)-1]
		}
		switch {
		case err == nil:
			f.good++
			// A pipe's writer may pause: hand on what came at once. A
			// regular file has the rest ready: fill the batch.
			if b.Full() || (!f.regular && !f.cur.Buffered()) {
				b.More = f.regular || f.cur.Buffered()
				return nil
			}
		case errors.Is(err, io.EOF):
			f.endInput()
			f.closeCurrent()
			if f.next >= len(f.names) {
				if len(b.Msgs) > 0 {
					return nil
				}
				return io.EOF
			}
			if len(b.Msgs) > 0 {
				b.More = true
				return nil
			}
		default:
			var bad *event.BadRecordError
			if errors.As(err, &bad) {
				f.bad++
				if rerr := f.rejects.Reject(bad, bad.Raw); rerr != nil {
					return rerr
				}
				// As after a good record: do not wait on an idle pipe
				// while good events read before are held back.
				if len(b.Msgs) > 0 && !f.regular && !f.cur.Buffered() {
					return nil
				}
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading %s: %w", f.curName, err)
		}
	}
}

// nextMessage reads the current input's next event into msg, as a row or
// as JSON.
func (f *Files) nextMessage(b *pipeline.Batch, msg *pipeline.Message) error {
	if f.curRows != nil {
		row, err := f.curRows.NextRow()
		if err != nil {
			return err
		}
		msg.Row = b.CopyRow(row.Cells)
		msg.Origin = pipeline.Origin{Input: row.Input, Line: row.Line, Offset: -1}
		return nil
	}
	rec, err := f.cur.Next()
	if err != nil {
		return err
	}
	msg.Value = b.Copy(rec.Raw)
	msg.Origin = pipeline.Origin{Input: rec.Input, Line: rec.Line, Offset: -1}
	if f.trace != nil {
		msg.Trace, msg.Value = f.trace.Cut(msg.Value)
	}
	return nil
}

func (f *Files) open(ctx context.Context) error {
	name := f.names[f.next]
	f.next++
	var r io.Reader = f.stdin
	var file *os.File // the named file; nil for stdin
	f.curName = StdinName
	if name != "-" {
		var err error
		if file, err = os.Open(name); err != nil {
			return err
		}
		f.closers = append(f.closers, file)
		r, f.curName = file, name
	}
	f.regular = isRegular(r)
	if !f.regular {
		r = NewCancelReader(ctx, r) // a pipe, FIFO or device can block forever
	}
	f.good, f.bad = 0, 0
	opt := format.Options{Name: f.curName, MaxRecord: f.maxRecord, Now: f.now, Fields: f.fields}
	rd, fm, err := format.Open(r, f.format, opt)
	if err != nil {
		f.closeCurrent()
		return err
	}
	if c, ok := rd.(io.Closer); ok {
		f.closers = append([]io.Closer{c}, f.closers...)
	}
	f.cur, f.curFormat = rd, fm
	f.curRows = nil
	if rr, ok := rd.(format.RowReader); ok && f.rows && f.trace == nil {
		f.curRows = rr
		f.curParts = f.offerParts(ctx, file, rd, fm, opt)
	}
	return nil
}

// offerParts returns the current input, file, as parts to read at once,
// or nil when it is not to be read so (ReadParts): stdin (file nil) never
// is, even when it is a regular file, whose start may have been read.
func (f *Files) offerParts(ctx context.Context, file *os.File, rd format.Reader, fm format.Format, opt format.Options) *csvParts {
	_, compressed := rd.(io.Closer)
	if f.parts < 2 || file == nil || fm != format.CSV || !f.regular || compressed || f.next < len(f.names) || f.rejects.Strict || f.rejects.DLQ != nil {
		return nil
	}
	st, err := file.Stat()
	if err != nil || st.Size() < 2*f.minPart {
		return nil
	}
	return &csvParts{ctx: ctx, file: file, name: f.curName, size: st.Size(), parts: f.parts, minPart: f.minPart, opt: opt, rejects: f.rejects}
}

// isRegular reports whether r is a regular file, which a read never waits on.
func isRegular(r io.Reader) bool {
	file, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode().IsRegular()
}

func (f *Files) closeCurrent() {
	for _, c := range f.closers {
		c.Close()
	}
	f.closers = f.closers[:0]
	f.cur, f.curRows, f.curParts = nil, nil, nil
}

// Ack implements pipeline.Source; files keep no read position.
func (f *Files) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (f *Files) Close() error {
	f.closeCurrent()
	for _, p := range f.partsRead {
		p.file.Close()
		f.good, f.bad, f.curName, f.curFormat = p.good, p.bad, p.name, format.CSV
		f.endInput()
	}
	f.partsRead = nil
	if len(f.worthless) > 0 {
		return &pipeline.NoValidRecordError{Inputs: f.worthless}
	}
	return nil
}

// endInput notes an input that ended with bad records and no good one.
func (f *Files) endInput() {
	if f.good == 0 && f.bad > 0 {
		plural := "s"
		if f.bad == 1 {
			plural = ""
		}
		f.worthless = append(f.worthless, fmt.Sprintf("%s (%d bad record%s, read as %s)", f.curName, f.bad, plural, f.curFormat))
	}
}
