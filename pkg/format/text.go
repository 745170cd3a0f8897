package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/secpipe/secpipe/pkg/event"
)

// lineReader reads a text input one line at a time, counting lines, for the
// line-oriented formats (Zeek TSV, syslog, auditd).
type lineReader struct {
	r    *bufio.Reader
	name string
	max  int
	line int // number of the line last returned
	buf  []byte
	rest *lineRest // an oversized line's rest, not read to its end yet
	// off counts the bytes taken from r, and start is the offset at which
	// the line last returned starts (both from where r starts, plus the
	// offset the reader was given: csvSplit.reader).
	off, start int64
}

func newLineReader(r *bufio.Reader, opt Options) *lineReader {
	limit := opt.MaxRecord
	if limit <= 0 {
		limit = event.DefaultMaxRecord
	}
	return &lineReader{r: r, name: opt.Name, max: limit}
}

// next returns the next line without its line end, valid until the next
// call. A line longer than the record limit is skipped and reported as a
// *event.BadRecordError, its first limit bytes in Raw and the others read
// from the input by its Rest; at the end of input next returns io.EOF.
func (l *lineReader) next() ([]byte, error) {
	if l.rest != nil { // what is left of the last oversized line
		if _, err := io.Copy(io.Discard, l.rest); err != nil {
			return nil, err
		}
		l.rest = nil
	}
	l.buf = l.buf[:0]
	l.start = l.off
	for {
		chunk, err := l.r.ReadSlice('\n')
		l.off += int64(len(chunk))
		if err == nil && len(l.buf) == 0 && len(chunk) <= l.max+2 {
			l.line++ // a whole line in the buffer: no copy
			return trimLineEnd(chunk), nil
		}
		if len(l.buf)+len(chunk) > l.max+2 { // +2: the line end
			room := l.max - len(l.buf)
			l.buf = append(l.buf, chunk[:room]...)
			l.line++
			l.rest = &lineRest{l: l, pending: chunk[room:], ended: err != bufio.ErrBufferFull}
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				return nil, err
			}
			e := l.bad(fmt.Sprintf("record over %d bytes", l.max), l.buf)
			e.Rest = l.rest
			return nil, e
		}
		l.buf = append(l.buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(l.buf) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		l.line++
		return trimLineEnd(l.buf), nil
	}
}

// trimLineEnd drops the line ends (\r and \n) at the end of b.
func trimLineEnd(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// lineRest reads the rest of an oversized line from the input, until the
// line reader's next call to next.
type lineRest struct {
	l       *lineReader
	pending []byte // read from the input, not yet returned
	ended   bool   // the line's end is in pending
}

// Read implements io.Reader.
func (r *lineRest) Read(p []byte) (int, error) {
	if r.l.rest != r {
		return 0, io.EOF
	}
	for len(r.pending) == 0 {
		if r.ended {
			return 0, io.EOF
		}
		chunk, err := r.l.r.ReadSlice('\n')
		r.l.off += int64(len(chunk))
		r.pending, r.ended = chunk, err != bufio.ErrBufferFull
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return 0, err
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// buffered reports whether a line (or part of one) is already in memory.
func (l *lineReader) buffered() bool { return l.r.Buffered() > 0 }

// bad reports the line last read as a skipped record.
func (l *lineReader) bad(reason string, raw []byte) *event.BadRecordError {
	return &event.BadRecordError{Input: l.name, Line: l.line, Reason: reason, Raw: bytes.Clone(raw)}
}

// jsonObject builds one compact JSON object, keys in the order added.
type jsonObject struct{ b []byte }

func (o *jsonObject) reset() { o.b = append(o.b[:0], '{') }

func (o *jsonObject) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = event.AppendString(o.b, k)
	o.b = append(o.b, ':')
}

// str adds a string member.
func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = event.AppendString(o.b, v)
}

// integer adds an integer member.
func (o *jsonObject) integer(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) done() []byte { return append(o.b, '}') }

// isJSONNumber reports whether s is a number as JSON writes them.
func isJSONNumber(s string) bool {
	// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
	digits := func(i int) int {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

// headLines returns up to n lines of head that are not blank; the last
// may be cut short when head ends inside it.
func headLines(head []byte, n int) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(trimBOM(head), []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if out = append(out, l); len(out) == n {
			break
		}
	}
	return out
}
