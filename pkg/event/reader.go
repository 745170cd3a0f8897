package event

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// DefaultMaxRecord is the default size limit of one record. Lines up to this size are valid.
const DefaultMaxRecord = 64 << 20

const (
	minRead = 64 << 10
	// rescanBelow is the pending size under which an incomplete multi-line
	// record is rescanned at every new line; above it, only once it grew by half.
	rescanBelow = 1 << 20
)

// Record is one JSON object read from an input.
type Record struct {
	// Raw is the object as compact JSON. It is valid until the next call to Next.
	Raw []byte
	// Input names where the record came from: a file path, or "<stdin>".
	Input string
	// Line is the 1-based line on which the record starts.
	Line int
}

// BadRecordError reports input that is not a valid JSON object.
// The reader skips it and can go on: call Next again.
type BadRecordError struct {
	Input string
	Line  int // line where the bad record starts
	// Reason says what is wrong, including the position of the fault when it
	// is not on the first line.
	Reason string
	// Raw holds the skipped bytes; of a record longer than the reader's
	// size limit, the first limit bytes, and Rest reads the others.
	Raw []byte
	// Rest, when not nil, reads the rest of the record from the input: it
	// is valid until the reader's next Next, which skips what is left of it.
	Rest io.Reader
}

// RawRest returns Rest, for pipeline.Rejects.
func (e *BadRecordError) RawRest() io.Reader { return e.Rest }

func (e *BadRecordError) Error() string {
	if e.Line == 0 { // a binary input: Reason says where
		return e.Input + ": " + e.Reason
	}
	return fmt.Sprintf("%s:%d: %s", e.Input, e.Line, e.Reason)
}

// Reader reads JSON objects from a stream of concatenated JSON values:
// JSON Lines, or objects pretty-printed over several lines, as jq accepts.
// A UTF-8 byte order mark at the start of the stream is skipped, as jq does.
//
// After a bad record the reader resynchronises on the next line that starts
// with '{' in its first column (every line of JSON Lines; the start of each
// top-level object in pretty-printed output), so one bad line costs nothing
// else.
type Reader struct {
	r       io.Reader
	name    string
	max     int
	buf     []byte
	start   int // first unread byte
	end     int // end of valid data
	line    int // line number at buf[start]
	eof     bool
	readErr error
	compact []byte
	gaps    []int    // the scanner's whitespace runs, kept for reuse
	begun   bool     // the start of input was looked at for a byte order mark
	skip    *skipper // a bad record's Rest, not read to its end yet
}

// NewReader returns a reader of the stream r, named name in messages.
// maxRecord limits the size of one record; 0 means DefaultMaxRecord.
func NewReader(r io.Reader, name string, maxRecord int) *Reader {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	return &Reader{r: r, name: name, max: maxRecord, line: 1}
}

// Ready is implemented by inputs that can tell whether a Read would return
// without waiting, such as a pipe read on a goroutine of its own.
type Ready interface{ Ready() bool }

// ready reports whether reading more would return at once; inputs that
// cannot tell are taken to be ready, as files are.
func (r *Reader) ready() bool {
	if rr, ok := r.r.(Ready); ok {
		return rr.Ready()
	}
	return true
}

// Name returns the name of the input.
func (r *Reader) Name() string { return r.name }

// Buffered reports whether unread input is already in memory, so that Next
// is likely to return without waiting for the underlying reader.
func (r *Reader) Buffered() bool {
	for i := r.start; i < r.end; i++ {
		if class[r.buf[i]] != clsSpace {
			return true
		}
	}
	return false
}

// Next returns the next record. At the end of input it returns io.EOF.
// A *BadRecordError reports a skipped record; reading may continue.
// Any other error comes from the underlying reader.
func (r *Reader) Next() (Record, error) {
	if !r.begun {
		r.skipBOM()
	}
	if r.skip != nil { // the rest of the last bad record
		for r.skip.next(math.MaxInt) != nil {
		}
		r.skip = nil
	}
	// Skip whitespace between values.
	for {
		i := r.start
		for i < r.end && class[r.buf[i]] == clsSpace {
			if r.buf[i] == '\n' {
				r.line++
			}
			i++
		}
		r.start = i
		if i < r.end {
			break
		}
		if r.eof {
			if r.readErr != nil {
				return Record{}, r.readErr
			}
			return Record{}, io.EOF
		}
		r.fill()
	}
	startLine := r.line

	// Make sure the first line of the record is in the buffer, so that a
	// JSON Lines record is scanned exactly once.
	r.fillUntilNewline(r.start)

	lastScan := 0
	for {
		sc := scanner{buf: r.buf[r.start:r.end], gaps: r.gaps[:0]}
		n, err := sc.value(0)
		r.gaps = sc.gaps
		if err == nil && n > r.max {
			return Record{}, r.badOversize(startLine)
		}
		if err == nil {
			return r.finish(&sc, n, startLine)
		}
		if err != errIncomplete {
			return Record{}, r.badSyntax(err, startLine)
		}
		if r.eof && r.readErr != nil {
			// The read failed or was cancelled mid-record: that is not bad input.
			return Record{}, r.readErr
		}
		if r.eof {
			return Record{}, r.badTruncated(startLine)
		}
		if r.end-r.start >= r.max {
			return Record{}, r.badOversize(startLine)
		}
		// The value continues past what is buffered: read at least one more
		// line, and rescan unless a big record has not grown enough yet.
		lastScan = r.end - r.start
		for {
			r.fillUntilNewline(r.end)
			pending := r.end - r.start
			if r.eof || pending >= r.max || pending < rescanBelow || pending >= lastScan+lastScan/2 {
				break
			}
		}
	}
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// skipBOM drops a UTF-8 byte order mark at the start of the input.
func (r *Reader) skipBOM() {
	r.begun = true
	for !r.eof && r.end-r.start < len(bom) && bytes.HasPrefix(bom, r.buf[r.start:r.end]) {
		r.fill()
	}
	if bytes.HasPrefix(r.buf[r.start:r.end], bom) {
		r.start += len(bom)
	}
}

// finish returns the scanned value of n bytes at r.start as a record.
func (r *Reader) finish(sc *scanner, n int, startLine int) (Record, error) {
	raw := r.buf[r.start : r.start+n]
	r.consume(n)
	if raw[0] != '{' {
		return Record{}, r.bad(startLine, "not a JSON object but "+kindName(raw[0]), raw)
	}
	if sc.soft != nil {
		return Record{}, r.bad(startLine, r.where(raw, sc.soft.off, startLine)+sc.soft.msg, raw)
	}
	if len(sc.gaps) > 0 {
		r.compact = sc.compact(r.compact[:0], n)
		raw = r.compact
	}
	return Record{Raw: raw, Input: r.name, Line: startLine}, nil
}

// where describes the position of byte off of raw when it is not on the record's first line.
func (r *Reader) where(raw []byte, off int, startLine int) string {
	nl := bytes.Count(raw[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(raw[:off], '\n')
	if nl == 0 {
		return fmt.Sprintf("column %d: ", col)
	}
	return fmt.Sprintf("line %d, column %d: ", startLine+nl, col)
}

// badSyntax skips a record with a syntax error and resynchronises.
func (r *Reader) badSyntax(err *syntaxError, startLine int) error {
	// Resync on the first line after the record's first line that starts
	// with '{'. If that line comes before the fault, the record was cut short
	// and the scanner ran on into the next record.
	next := r.nextObjectLine(r.start)
	var reason string
	if next >= 0 && next <= r.start+err.off {
		reason = "invalid JSON: the object is not closed at the end of its line"
	} else {
		reason = "invalid JSON: " + r.where(r.buf[r.start:r.end], err.off, startLine) + err.msg
	}
	return r.skipBad(startLine, reason)
}

func (r *Reader) badTruncated(startLine int) error {
	return r.skipBad(startLine, "invalid JSON: unexpected end of input inside the record")
}

func (r *Reader) badOversize(startLine int) error {
	return r.skipBad(startLine, fmt.Sprintf("record exceeds the size limit of %d bytes", r.max))
}

// skipBad consumes input up to the next line starting with '{' and reports
// what was skipped: up to the size limit in Raw, the rest through Rest, so
// that memory stays bounded by the limit.
func (r *Reader) skipBad(startLine int, reason string) error {
	e := &BadRecordError{Input: r.name, Line: startLine, Reason: reason}
	sk := &skipper{r: r}
	for {
		chunk := sk.next(r.max - len(e.Raw))
		if chunk == nil {
			break
		}
		e.Raw = append(e.Raw, chunk...)
		if len(e.Raw) == r.max && !sk.done {
			r.skip = sk
			e.Rest = sk
			return e
		}
	}
	e.Raw = bytes.TrimRight(e.Raw, " \t\r\n")
	return e
}

// skipper consumes a bad record, chunk by chunk, up to the next line that
// starts with '{'.
type skipper struct {
	r           *Reader
	atLineStart bool // the consumed input ended with a newline
	done        bool
}

// next consumes and returns the next chunk of at most limit bytes (> 0) of
// the bad record, valid until the next call; nil at its end.
func (s *skipper) next(limit int) []byte {
	r := s.r
	for !s.done {
		if s.atLineStart && r.start < r.end && r.buf[r.start] == '{' {
			s.done = true
			break
		}
		next := r.nextObjectLine(r.start)
		stop := r.end
		if next >= 0 {
			stop = next
		}
		if stop > r.start {
			cut := stop-r.start > limit
			if cut {
				stop = r.start + limit
			}
			chunk := r.buf[r.start:stop]
			s.atLineStart = chunk[len(chunk)-1] == '\n'
			r.consume(len(chunk))
			// Whole lines consumed and the input is idle: the record ends
			// here rather than wait for the next line.
			idle := s.atLineStart && r.start == r.end && !r.ready()
			if !cut && (next >= 0 || r.eof || idle) {
				s.done = true
			}
			return chunk
		}
		if next >= 0 || r.eof || (s.atLineStart && r.start == r.end && !r.ready()) {
			s.done = true
			break
		}
		r.fill()
	}
	return nil
}

// Read implements io.Reader.
func (s *skipper) Read(p []byte) (int, error) {
	if s.r.skip != s {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	chunk := s.next(len(p))
	if chunk == nil {
		return 0, io.EOF
	}
	return copy(p, chunk), nil
}

// WriteTo implements io.WriterTo: it writes what is left of the record.
func (s *skipper) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for s.r.skip == s {
		chunk := s.next(math.MaxInt)
		if chunk == nil {
			break
		}
		k, err := w.Write(chunk)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// nextObjectLine returns the offset of the first line after the one holding
// buf[from] that starts with '{', or -1 if the buffer holds none.
func (r *Reader) nextObjectLine(from int) int {
	i := from
	for {
		nl := bytes.IndexByte(r.buf[i:r.end], '\n')
		if nl < 0 {
			return -1
		}
		i += nl + 1
		if i >= r.end {
			return -1
		}
		if r.buf[i] == '{' {
			return i
		}
	}
}

func (r *Reader) bad(line int, reason string, raw []byte) error {
	return &BadRecordError{Input: r.name, Line: line, Reason: reason, Raw: bytes.Clone(raw)}
}

func (r *Reader) consume(n int) {
	r.line += bytes.Count(r.buf[r.start:r.start+n], []byte{'\n'})
	r.start += n
}

// fillUntilNewline reads until a newline follows position from, the input
// ends, or the buffer holds a maximal record.
func (r *Reader) fillUntilNewline(from int) {
	searched := from
	for !r.eof {
		if bytes.IndexByte(r.buf[searched:r.end], '\n') >= 0 {
			return
		}
		if r.end-r.start >= r.max {
			return
		}
		searched = r.end - r.start // offsets move when fill compacts the buffer
		r.fill()
		searched += r.start
	}
}

// fill reads once from the underlying reader, growing or compacting the buffer.
func (r *Reader) fill() {
	if r.start > 0 && (r.start == r.end || r.end == len(r.buf)) {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, n
	}
	if len(r.buf)-r.end < minRead {
		size := 2 * len(r.buf)
		if size < 4*minRead {
			size = 4 * minRead
		}
		if limit := r.max + minRead; size > limit && r.end+minRead <= limit {
			size = limit
		}
		nb := make([]byte, size)
		r.end = copy(nb, r.buf[r.start:r.end])
		r.start = 0
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.eof = true
			if !errors.Is(err, io.EOF) {
				r.readErr = err
			}
			return
		}
		if n > 0 {
			return
		}
	}
	r.eof, r.readErr = true, io.ErrNoProgress
}

func kindName(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
