package stats

import (
	"bytes"
	"errors"
	"io"
)

// csvReader reads CSV records (RFC 4180). A line without a quote, the
// common case, is split with bytes.IndexByte, in place; a record with
// quotes goes through a full parser, which also takes quoted line ends. A
// quote inside an unquoted field is kept as text, as pandas and lenient
// readers do.
type csvReader struct {
	r          io.Reader
	buf        []byte
	base       int64 // input offset of buf[0]
	start, end int
	eof        bool
	readErr    error
	line       int // line number of buf[start]
	maxRecord  int

	// need is how many leading fields next returns (0: all); count is the
	// record's number of fields.
	need, count int
	fields      [][]byte
	offs        []int  // field bounds in unq during a quoted parse
	unq         []byte // unquoted field text of a quoted record
	lastRaw     []byte // the record's bytes, for messages
	// openQuoteAtEnd is set when the input ended inside a quoted field.
	openQuoteAtEnd bool
}

const csvMinRead = 1 << 20

// errBadQuote reports a record whose quoted field never ends.
var errBadQuote = errors.New("a quoted field is not closed before the end of the input")

// errTooLong reports a record larger than the reader's limit.
var errTooLong = errors.New("record exceeds the size limit (an unclosed quote?)")

func newCSVReader(r io.Reader, maxRecord int) *csvReader {
	return &csvReader{r: r, line: 1, maxRecord: maxRecord}
}

// fill reads more input, keeping buf[start:end].
func (c *csvReader) fill() {
	if c.start > 0 {
		n := copy(c.buf, c.buf[c.start:c.end])
		c.base += int64(c.start)
		c.start, c.end = 0, n
	}
	if len(c.buf)-c.end < csvMinRead/2 {
		size := 2 * len(c.buf)
		if size < csvMinRead {
			size = csvMinRead
		}
		nb := make([]byte, size)
		c.end = copy(nb, c.buf[c.start:c.end])
		c.base += int64(c.start)
		c.start = 0
		c.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err != nil {
			c.eof = true
			if err != io.EOF {
				c.readErr = err
			}
			return
		}
		if n > 0 {
			return
		}
	}
	c.eof, c.readErr = true, io.ErrNoProgress
}

// offset returns the input offset of the next unread byte.
func (c *csvReader) offset() int64 { return c.base + int64(c.start) }

// next returns the next record's fields, valid until the next call, and
// the line it starts on. Blank lines are skipped. At the end it returns
// io.EOF; errBadQuote and errTooLong report a bad record, after which
// reading may go on.
func (c *csvReader) next() ([][]byte, int, error) {
	for {
		nl := bytes.IndexByte(c.buf[c.start:c.end], '\n')
		if nl < 0 && !c.eof {
			if c.end-c.start > c.maxRecord {
				line, err := c.skipLine()
				return nil, line, err
			}
			c.fill()
			continue
		}
		var line []byte
		next := c.end
		if nl >= 0 {
			line = c.buf[c.start : c.start+nl]
			next = c.start + nl + 1
		} else {
			line = c.buf[c.start:c.end]
			if len(line) == 0 {
				if c.readErr != nil {
					return nil, c.line, c.readErr
				}
				return nil, c.line, io.EOF
			}
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			c.start = next
			c.line++
			continue
		}
		if !c.split(line) {
			return c.quoted()
		}
		c.lastRaw = line
		lineNo := c.line
		c.start = next
		c.line++
		return c.fields, lineNo, nil
	}
}

// split splits one line into fields: the first need of them (all when need
// is 0) into c.fields, and counts them all into c.count. It returns false
// when a quoted field runs on past the line's end.
func (c *csvReader) split(line []byte) bool {
	c.fields = c.fields[:0]
	if cap(c.unq) < len(line) {
		c.unq = make([]byte, 0, len(line)+len(line)/2)
	}
	c.unq = c.unq[:0] // never grows past len(line): fields may point into it
	p := line
	for c.need == 0 || len(c.fields) < c.need {
		if len(p) > 0 && p[0] == '"' {
			f, rest, ok := c.quotedField(p)
			if !ok {
				return false
			}
			c.fields = append(c.fields, f)
			if rest == nil {
				c.count = len(c.fields)
				return true
			}
			p = rest
			continue
		}
		i := bytes.IndexByte(p, ',')
		if i < 0 {
			c.fields = append(c.fields, p)
			c.count = len(c.fields)
			return true
		}
		c.fields = append(c.fields, p[:i])
		p = p[i+1:]
	}
	// Count the fields left, without keeping them.
	if bytes.IndexByte(p, '"') < 0 {
		c.count = len(c.fields) + bytes.Count(p, []byte{','}) + 1
		return true
	}
	n := len(c.fields)
	mark := len(c.unq)
	for {
		n++
		if len(p) > 0 && p[0] == '"' {
			_, rest, ok := c.quotedField(p)
			c.unq = c.unq[:mark]
			if !ok {
				return false
			}
			if rest == nil {
				break
			}
			p = rest
			continue
		}
		i := bytes.IndexByte(p, ',')
		if i < 0 {
			break
		}
		p = p[i+1:]
	}
	c.count = n
	return true
}

// quotedField reads the quoted field at the start of p, within one line.
// It returns the field's text, what follows its separator (nil at the
// line's end), and false if the quote is not closed on this line. Text
// after the closing quote, up to the separator, is kept (lenient).
func (c *csvReader) quotedField(p []byte) (field, rest []byte, ok bool) {
	i := 1
	var text []byte
	escaped := false
	for {
		q := bytes.IndexByte(p[i:], '"')
		if q < 0 {
			return nil, nil, false
		}
		if i+q+1 < len(p) && p[i+q+1] == '"' {
			if !escaped {
				escaped = true
				text = c.unq[len(c.unq):]
			}
			text = append(text, p[i:i+q+1]...)
			i += q + 2
			continue
		}
		if escaped {
			text = append(text, p[i:i+q]...)
		} else {
			text = p[i : i+q]
		}
		i += q + 1
		break
	}
	if i < len(p) && p[i] != ',' {
		// Text after the closing quote: keep it, up to the separator.
		j := bytes.IndexByte(p[i:], ',')
		end := len(p)
		if j >= 0 {
			end = i + j
		}
		if !escaped {
			text = append(c.unq[len(c.unq):], text...)
			escaped = true
		}
		text = append(text, p[i:end]...)
		i = end
	}
	if escaped {
		c.unq = c.unq[:len(c.unq)+len(text)]
	}
	if i >= len(p) {
		return text, nil, true
	}
	return text, p[i+1:], true
}

// skipLine drops an over-long line, reporting it.
func (c *csvReader) skipLine() (int, error) {
	lineNo := c.line
	for {
		nl := bytes.IndexByte(c.buf[c.start:c.end], '\n')
		if nl >= 0 {
			c.lastRaw = nil
			c.start += nl + 1
			c.line++
			return lineNo, errTooLong
		}
		c.start = c.end
		if c.eof {
			return lineNo, errTooLong
		}
		c.fill()
	}
}

// quoted parses a record holding quotes, reading more input while a
// quoted field runs on.
func (c *csvReader) quoted() ([][]byte, int, error) {
	for {
		n, ok := c.parseQuoted(c.buf[c.start:c.end])
		if !ok && !c.eof {
			if c.end-c.start > c.maxRecord {
				line, err := c.skipLine()
				return nil, line, err
			}
			c.fill()
			continue
		}
		lineNo := c.line
		raw := c.buf[c.start : c.start+n]
		c.lastRaw = bytes.TrimRight(raw, "\r\n")
		c.line += bytes.Count(raw, []byte{'\n'})
		c.start += n
		if !ok {
			c.openQuoteAtEnd = true
			return nil, lineNo, errBadQuote
		}
		c.fields = c.fields[:0]
		for i := 0; i+1 < len(c.offs); i += 2 {
			c.fields = append(c.fields, c.unq[c.offs[i]:c.offs[i+1]])
		}
		c.count = len(c.fields)
		return c.fields, lineNo, nil
	}
}

// parseQuoted parses one record at the start of b into unq and offs. It
// returns the bytes consumed, line end included, and false if b ends
// inside a quoted field.
func (c *csvReader) parseQuoted(b []byte) (int, bool) {
	c.unq = c.unq[:0]
	c.offs = c.offs[:0]
	i := 0
	for {
		c.offs = append(c.offs, len(c.unq))
		if i < len(b) && b[i] == '"' {
			// Quoted field: up to the closing quote, "" being a quote.
			i++
			for {
				q := bytes.IndexByte(b[i:], '"')
				if q < 0 {
					return len(b), false
				}
				c.unq = append(c.unq, b[i:i+q]...)
				i += q + 1
				if i < len(b) && b[i] == '"' {
					c.unq = append(c.unq, '"')
					i++
					continue
				}
				if i == len(b) && !c.eof {
					return len(b), false // "" may follow
				}
				break
			}
		}
		// Unquoted text, or text after a closing quote, up to the separator.
		for i < len(b) && b[i] != ',' && b[i] != '\n' {
			if b[i] == '\r' && (i+1 == len(b) || b[i+1] == '\n') {
				i++
				continue
			}
			c.unq = append(c.unq, b[i])
			i++
		}
		c.offs = append(c.offs, len(c.unq))
		if i == len(b) {
			return i, c.eof // more input may continue the record
		}
		if b[i] == '\n' {
			return i + 1, true
		}
		i++ // ','
	}
}
