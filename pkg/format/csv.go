package format

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/secpipe/secpipe/pkg/event"
)

// CSV is comma-separated values with a header row (RFC 4180), as SIEM
// exports and `secpipe store` write them. Each row becomes a flat object
// keyed by the header's names, every value a string; empty cells are left
// out.
//
// A malformed row (a stray quote, a wrong number of cells) is skipped and
// reported on its first line, and reading goes on at the next line: a
// quote that never closes costs its own line, not the rest of the file.
const CSV Format = "csv"

func init() {
	register(spec{
		name:   CSV,
		rank:   90,
		about:  "CSV with a header row",
		detect: detectCSV,
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			return &csvReader{lineReader: newLineReader(r, opt), only: opt.Fields}, nil
		},
	})
}

func detectCSV(head []byte, name string) bool {
	ls := headLines(head, 6)
	if len(ls) == 0 || bytes.IndexByte(ls[0], '{') >= 0 {
		return false
	}
	names, ok := csvHeader(ls[0])
	if !ok {
		return false
	}
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		return true
	}
	// Without the name, the rows must agree with the header. The last line
	// may be cut short by the end of head.
	if len(ls) > 1 && len(head) >= HeadSize {
		ls = ls[:len(ls)-1]
	}
	if len(ls) < 2 {
		return false
	}
	for _, l := range ls[1:] {
		cells, err := splitCSV(string(l))
		if err != "" || len(cells) != len(names) {
			return false
		}
	}
	return true
}

// csvHeader reads a header line: two or more names, none empty, of
// printable characters that are not quotes' leftovers.
func csvHeader(line []byte) ([]string, bool) {
	names, err := splitCSV(string(line))
	if err != "" || len(names) < 2 {
		return nil, false
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || len(n) > 128 || strings.ContainsAny(n, "\t\x00") {
			return nil, false
		}
	}
	return names, true
}

type csvReader struct {
	*lineReader
	header []string
	// pending holds lines read ahead while looking for a quote's end, to
	// be read again when the quote turned out to be stray.
	pending []pendingLine
	cur     int   // number of the line last taken
	curOff  int64 // the offset at which it starts
	recOff  int64 // the offset at which the row last read starts
	// part is set when the input ends at a part's end rather than the
	// file's (SplitCSV): a quoted cell open there ends the part (PartEnd).
	part    bool
	obj     jsonObject
	keys    [][]byte // the header's names, encoded as JSON keys with their colon
	scratch []byte   // the unquoted text of a row's quoted cells
	only    []string // Options.Fields: the columns to keep (nil: all)

	// The row last read: its cells, by header position, pointing into the
	// line or scratch; its line when it lay on one (nil: it did not).
	cells [][]byte
	whole []byte
	ascii bool // the row last split by splitPlain is all ASCII
	// For NextRow: the position in only of each header column (-1: not
	// kept), the row handed on, and room for cells made valid UTF-8.
	field []int
	row   [][]byte
	fixed []byte
}

type pendingLine struct {
	text string
	num  int
	off  int64
}

// Buffered reports whether a line is already in memory.
func (c *csvReader) Buffered() bool { return len(c.pending) > 0 || c.buffered() }

// take returns the next line, read again or new.
func (c *csvReader) take() (string, error) {
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		c.cur, c.curOff = p.num, p.off
		return p.text, nil
	}
	l, err := c.next()
	if err != nil {
		return "", err
	}
	c.cur, c.curOff = c.line, c.start
	return string(l), nil
}

// Next returns the next row as a JSON object.
func (c *csvReader) Next() (event.Record, error) {
	start, err := c.read()
	if err != nil {
		return event.Record{}, err
	}
	c.obj.reset()
	for i, cell := range c.cells {
		if len(cell) > 0 && c.keys[i] != nil {
			if len(c.obj.b) > 1 {
				c.obj.b = append(c.obj.b, ',')
			}
			c.obj.b = append(c.obj.b, c.keys[i]...)
			c.obj.b = event.AppendString(c.obj.b, unsafe.String(unsafe.SliceData(cell), len(cell)))
		}
	}
	return event.Record{Raw: c.obj.done(), Input: c.name, Line: start}, nil
}

// NextRow implements RowReader: the row's cells of the columns named by
// Options.Fields, as the JSON object of Next would hold them.
func (c *csvReader) NextRow() (Row, error) {
	start, err := c.read()
	if err != nil {
		return Row{}, err
	}
	clear(c.row)
	c.fixed = c.fixed[:0]
	valid := c.whole != nil && (c.ascii || utf8.Valid(c.whole))
	for i, cell := range c.cells {
		if f := c.field[i]; f >= 0 && len(cell) > 0 {
			if !valid && !utf8.Valid(cell) {
				at := len(c.fixed)
				c.fixed = appendValidUTF8(c.fixed, cell)
				cell = c.fixed[at:len(c.fixed):len(c.fixed)]
			}
			c.row[f] = cell
		}
	}
	return Row{Cells: c.row, Input: c.name, Line: start}, nil
}

// appendValidUTF8 appends b with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as event.AppendString writes it.
func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}

// read reads the next row into c.cells and returns the line it starts on.
func (c *csvReader) read() (int, error) {
	for {
		var first string
		if len(c.pending) == 0 && c.header != nil {
			line, err := c.next()
			if err != nil {
				return 0, err
			}
			c.cur, c.curOff = c.line, c.start
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			// The common row, with its quotes (if any) closed on its line.
			if c.splitLine(line) {
				c.whole, c.recOff = line, c.curOff
				return c.cur, nil
			}
			first = string(line)
		} else {
			var err error
			if first, err = c.take(); err != nil {
				return 0, err
			}
		}
		if strings.TrimSpace(first) == "" {
			continue
		}
		start, startOff := c.cur, c.curOff
		cells, reason, err := c.record(first)
		if err != nil {
			return 0, err
		}
		if reason != "" {
			return 0, &event.BadRecordError{Input: c.name, Line: start, Reason: reason, Raw: []byte(first)}
		}
		if c.header == nil {
			c.setHeader(cells)
			continue
		}
		c.cells = c.cells[:0]
		for _, v := range cells {
			c.cells = append(c.cells, unsafe.Slice(unsafe.StringData(v), len(v)))
		}
		c.whole, c.recOff = nil, startOff
		return start, nil
	}
}

// splitLine splits a row that lies on one line into c.cells without
// copying its unquoted cells. It returns false when the row is malformed or
// has the wrong number of cells: the caller's careful path reports it.
func (c *csvReader) splitLine(line []byte) bool {
	c.cells = c.cells[:0]
	if ok, quoted := c.splitPlain(line); !quoted {
		return ok
	}
	c.cells = c.cells[:0]
	c.ascii = false
	c.scratch = c.scratch[:0]
	if cap(c.scratch) < len(line) {
		c.scratch = make([]byte, 0, 2*len(line)) // unquoted cells never grow: no reallocation below
	}
	for rest := line; ; {
		var cell []byte
		if len(rest) > 0 && rest[0] == '"' {
			start := len(c.scratch)
			i := 1
			for {
				j := bytes.IndexByte(rest[i:], '"')
				if j < 0 {
					return false
				}
				c.scratch = append(c.scratch, rest[i:i+j]...)
				i += j + 1
				if i < len(rest) && rest[i] == '"' { // an escaped quote
					c.scratch = append(c.scratch, '"')
					i++
					continue
				}
				break
			}
			cell, rest = c.scratch[start:len(c.scratch):len(c.scratch)], rest[i:]
			if len(rest) > 0 && rest[0] != ',' {
				return false
			}
		} else {
			j := bytes.IndexByte(rest, ',')
			if j < 0 {
				j = len(rest)
			}
			cell, rest = rest[:j:j], rest[j:]
			if bytes.IndexByte(cell, '"') >= 0 {
				return false
			}
		}
		if len(c.cells) == len(c.header) {
			return false
		}
		c.cells = append(c.cells, cell)
		if len(rest) == 0 {
			break
		}
		rest = rest[1:] // the comma
	}
	return len(c.cells) == len(c.header)
}

// Bytes of eight, for splitPlain.
const (
	ones   = 0x0101010101010101
	lows   = 0x7f7f7f7f7f7f7f7f
	commas = ',' * ones
	quotes = '"' * ones
)

// splitPlain splits a line without quotes into c.cells at its commas,
// eight bytes at a time, and notes whether it is all ASCII (c.ascii). It
// returns quoted, having split nothing of use, when the line holds a
// quote; else whether it has the header's number of cells.
func (c *csvReader) splitPlain(line []byte) (ok, quoted bool) {
	start, i := 0, 0
	var high uint64
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		high |= w
		x, q := w^commas, w^quotes
		// The high bit of each byte that is zero in x (a comma) or in q.
		x = ^((x&lows + lows) | x | lows)
		if q = ^((q&lows + lows) | q | lows); q != 0 {
			return false, true
		}
		for ; x != 0; x &= x - 1 {
			at := i + bits.TrailingZeros64(x)>>3
			if len(c.cells) == len(c.header) {
				return false, false
			}
			c.cells = append(c.cells, line[start:at:at])
			start = at + 1
		}
	}
	for ; i < len(line); i++ {
		switch b := line[i]; {
		case b == '"':
			return false, true
		case b == ',':
			if len(c.cells) == len(c.header) {
				return false, false
			}
			c.cells = append(c.cells, line[start:i:i])
			start = i + 1
		case b >= 0x80:
			high |= 0x80
		}
	}
	c.cells = append(c.cells, line[start:len(line):len(line)])
	c.ascii = high&(0x80*ones) == 0
	return len(c.cells) == len(c.header), false
}

// maxQuotedSpan caps how far a quoted cell may run over lines (or the
// record limit, if smaller) before its quote is taken for a stray one.
const maxQuotedSpan = 1 << 20

// record reads the record that starts with line first, taking more lines
// while a quoted cell runs on. When the record is malformed, the lines
// after the first are put back to be read again, and reason says what is
// wrong.
func (c *csvReader) record(first string) (cells []string, reason string, err error) {
	// A quote is open while the count of quotes is odd (an escaped quote
	// is two), so lines are joined and split once the count is even.
	open := strings.Count(first, `"`)%2 == 1
	if !open {
		cells, reason = splitCSV(first)
		return cells, c.checkCount(cells, reason), nil
	}
	startLine, startOff := c.cur, c.curOff
	span := min(c.max, maxQuotedSpan)
	text := []byte(first)
	var more []pendingLine
	for open {
		next, err := c.take()
		if err != nil && err != io.EOF {
			if _, bad := err.(*event.BadRecordError); !bad {
				return nil, "", err
			}
		}
		if err == io.EOF && c.part {
			// The next part may hold the quote's end: only a reader that
			// goes on past the part can tell.
			return nil, "", &PartEnd{Offset: startOff, Line: startLine}
		}
		if err != nil || len(text)+1+len(next) > span {
			if err == nil {
				more = append(more, pendingLine{next, c.cur, c.curOff})
			}
			c.pending = append(more, c.pending...)
			return nil, "a quoted cell never closes", nil
		}
		more = append(more, pendingLine{next, c.cur, c.curOff})
		text = append(append(text, '\n'), next...)
		open = open != (strings.Count(next, `"`)%2 == 1)
	}
	cells, reason = splitCSV(string(text))
	if reason = c.checkCount(cells, reason); reason != "" {
		c.pending = append(more, c.pending...)
		reason = "a stray quote: " + reason
	}
	return cells, reason, nil
}

// checkCount adds to a split's reason a row's wrong number of cells.
func (c *csvReader) checkCount(cells []string, reason string) string {
	if reason == "" && c.header != nil && len(cells) != len(c.header) {
		return fmt.Sprintf("%d cells, the header has %d", len(cells), len(c.header))
	}
	return reason
}

// setHeader takes the header's names, making repeated ones unique
// (name, name_2 ...) and naming empty ones by position.
func (c *csvReader) setHeader(names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		n = strings.TrimSpace(n)
		if i == 0 {
			n = strings.TrimPrefix(n, "\uFEFF")
		}
		if n == "" {
			n = "column" + strconv.Itoa(i+1)
		}
		base := n
		for k := 2; seen[n]; k++ {
			n = base + "_" + strconv.Itoa(k)
		}
		seen[n] = true
		names[i] = n
	}
	c.useHeader(names)
}

// useHeader keys the rows by names, the header as setHeader made it.
func (c *csvReader) useHeader(names []string) {
	c.header = names
	c.keys = make([][]byte, len(names))
	c.field = make([]int, len(names))
	c.row = make([][]byte, len(c.only))
	for i, n := range names {
		if c.only == nil || slices.Contains(c.only, n) {
			c.keys[i] = append(event.AppendString(nil, n), ':')
		}
		c.field[i] = slices.Index(c.only, n)
	}
}

// splitCSV splits one record into cells (RFC 4180); reason says what is
// wrong with it.
func splitCSV(text string) (cells []string, reason string) {
	var b strings.Builder
	for i := 0; ; {
		if i < len(text) && text[i] == '"' {
			b.Reset()
			i++
			for {
				j := strings.IndexByte(text[i:], '"')
				if j < 0 {
					return nil, "a quoted cell never closes"
				}
				b.WriteString(text[i : i+j])
				i += j + 1
				if i < len(text) && text[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			cells = append(cells, b.String())
			if i == len(text) {
				return cells, ""
			}
			if text[i] != ',' {
				return nil, fmt.Sprintf("text after a quoted cell, column %d", i+1)
			}
			i++
			continue
		}
		j := strings.IndexByte(text[i:], ',')
		cell := text[i:]
		if j >= 0 {
			cell = text[i : i+j]
		}
		if q := strings.IndexByte(cell, '"'); q >= 0 {
			return nil, fmt.Sprintf(`a " inside an unquoted cell, column %d`, i+q+1)
		}
		cells = append(cells, cell)
		if j < 0 {
			return cells, ""
		}
		i += j + 1
	}
}
