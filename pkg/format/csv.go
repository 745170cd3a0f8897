package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

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
			return &csvReader{lineReader: newLineReader(r, opt)}, nil
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
	cur     int // number of the line last taken
	obj     jsonObject
}

type pendingLine struct {
	text string
	num  int
}

// Buffered reports whether a line is already in memory.
func (c *csvReader) Buffered() bool { return len(c.pending) > 0 || c.buffered() }

// take returns the next line, read again or new.
func (c *csvReader) take() (string, error) {
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		c.cur = p.num
		return p.text, nil
	}
	l, err := c.next()
	if err != nil {
		return "", err
	}
	c.cur = c.line
	return string(l), nil
}

// Next returns the next row.
func (c *csvReader) Next() (event.Record, error) {
	for {
		first, err := c.take()
		if err != nil {
			return event.Record{}, err
		}
		if strings.TrimSpace(first) == "" {
			continue
		}
		start := c.cur
		cells, reason, err := c.record(first)
		if err != nil {
			return event.Record{}, err
		}
		if reason != "" {
			return event.Record{}, &event.BadRecordError{Input: c.name, Line: start, Reason: reason, Raw: []byte(first)}
		}
		if c.header == nil {
			c.setHeader(cells)
			continue
		}
		c.obj.reset()
		for i, v := range cells {
			if v != "" {
				c.obj.str(c.header[i], v)
			}
		}
		return event.Record{Raw: c.obj.done(), Input: c.name, Line: start}, nil
	}
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
		if err != nil || len(text)+1+len(next) > span {
			if err == nil {
				more = append(more, pendingLine{next, c.cur})
			}
			c.pending = append(more, c.pending...)
			return nil, "a quoted cell never closes", nil
		}
		more = append(more, pendingLine{next, c.cur})
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
	c.header = names
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
