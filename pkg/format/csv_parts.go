package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/pkg/event"
)

// A large CSV file can be read in parts at once, each part a range of
// whole lines. Where a part starts is chosen by reading a few rows there,
// which may be misread when the part starts inside a quoted cell that
// holds line ends: only the part before can tell, by ending inside a
// quoted cell (PartEnd). The reader of parts then reads on from there
// (CSVSplit.Rest), so that every row is read as one pass would read it.

// CSVSplit is a plan to read a regular, uncompressed CSV file in parts
// at once: part i holds the lines of [Bounds[i], Bounds[i+1]). The first
// part reads the header; the others know it.
type CSVSplit struct {
	r      io.ReaderAt
	size   int64
	opt    Options
	header []string
	Bounds []int64
}

// PartEnd ends a part whose last row has a quoted cell still open at the
// part's end: the rows from Offset (the row's first line, Line of the
// part) must be read by a reader that goes on past the part (Rest).
type PartEnd struct {
	Offset int64
	Line   int
}

func (e *PartEnd) Error() string {
	return fmt.Sprintf("a quoted cell runs on past the part at line %d", e.Line)
}

// maxBoundaryScan bounds how far past an even split the rows are read in
// search of a part's start; past it, the part starts at the next line and
// the reader of parts finds out whether rows that belong together were
// split (CSVSplit's same).
const maxBoundaryScan = 1 << 20

// SplitCSV plans the reading of the CSV file r, of size bytes, in up to
// parts parts of at least minPart bytes. A part starts at a line that
// starts a row whose cells (of opt.Fields) are not the same, for same
// (nil: never), as the row before's: the rows of one event stay in one
// part. It returns nil when the file is too small for two parts,
// compressed, or its header cannot be read.
func SplitCSV(r io.ReaderAt, size int64, parts int, minPart int64, opt Options, same func(a, b [][]byte) bool) (*CSVSplit, error) {
	if minPart <= 0 {
		minPart = 1
	}
	if n := size / minPart; n < int64(parts) {
		parts = int(n)
	}
	if parts < 2 {
		return nil, nil
	}
	var head [4]byte
	n, err := r.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if bytes.HasPrefix(head[:n], gzipMagic) || bytes.HasPrefix(head[:n], zstdMagic) {
		return nil, nil
	}
	// A byte order mark stays in the header's first name, which drops it,
	// as when Open reads a regular file.
	s := &CSVSplit{r: r, size: size, opt: opt}
	hr := s.reader(0, size, 0, false)
	if err := hr.readHeader(); err != nil || len(hr.pending) > 0 {
		return nil, nil
	}
	s.header = hr.header
	s.Bounds = []int64{0}
	for k := 1; k < parts; k++ {
		b, err := s.boundary(size*int64(k)/int64(parts), same)
		if err != nil {
			return nil, err
		}
		if b > max(hr.off, s.Bounds[len(s.Bounds)-1]) && b < size {
			s.Bounds = append(s.Bounds, b)
		}
	}
	if len(s.Bounds) < 2 {
		return nil, nil
	}
	s.Bounds = append(s.Bounds, size)
	return s, nil
}

// Parts returns the number of parts.
func (s *CSVSplit) Parts() int { return len(s.Bounds) - 1 }

// Part returns a reader of part i's rows. The first part's lines are
// counted from the file's start; the others' from their own start.
func (s *CSVSplit) Part(i int) *CSVPart {
	return &CSVPart{s.reader(s.Bounds[i], s.Bounds[i+1], 0, i+1 < s.Parts())}
}

// Rest returns a reader of the rows from offset off to the end of the
// file, where a part's reader stopped (PartEnd), or where the next part
// starts; lines are counted on from lines, the lines before off in its
// part.
func (s *CSVSplit) Rest(off int64, lines int) *CSVPart {
	return &CSVPart{s.reader(off, s.size, lines, false)}
}

// reader reads the rows of [from, to), after lines lines; it knows the
// header unless it starts the file, and stops at the end of a part
// inside a quoted cell (PartEnd) if part is set.
func (s *CSVSplit) reader(from, to int64, lines int, part bool) *csvReader {
	br := bufio.NewReaderSize(io.NewSectionReader(s.r, from, to-from), HeadSize)
	c := &csvReader{lineReader: newLineReader(br, s.opt), only: s.opt.Fields, part: part}
	c.line, c.off = lines, from
	if from > 0 {
		c.useHeader(slices.Clone(s.header))
	}
	return c
}

// boundary returns the offset of the first line at or after pos that
// starts a row that is not the same as the one before it.
func (s *CSVSplit) boundary(pos int64, same func(a, b [][]byte) bool) (int64, error) {
	at, err := s.lineStart(pos)
	if err != nil || at >= s.size || same == nil {
		return at, err
	}
	c := s.reader(at, s.size, 0, true)
	var prev [][]byte
	for {
		row, err := c.NextRow()
		switch err.(type) {
		case nil:
		case *PartEnd:
			return at, nil // misread: the part before will tell
		case *event.BadRecordError:
			continue // a bad row: it stays in the part before
		default:
			if err == io.EOF {
				return s.size, nil
			}
			return 0, err
		}
		if prev != nil && !same(prev, row.Cells) || c.recOff-at > maxBoundaryScan {
			return c.recOff, nil
		}
		prev = prev[:0]
		for _, cell := range row.Cells {
			if cell == nil {
				prev = append(prev, nil)
			} else {
				prev = append(prev, slices.Clone(cell))
			}
		}
	}
}

// lineStart returns the offset of the first line that starts at or after
// pos.
func (s *CSVSplit) lineStart(pos int64) (int64, error) {
	var buf [16 << 10]byte
	for at := pos - 1; at < s.size; {
		n, err := s.r.ReadAt(buf[:min(int64(len(buf)), s.size-at)], at)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return at + int64(i) + 1, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break
		}
		at += int64(n)
	}
	return s.size, nil
}

// CSVPart reads the rows of a part of a CSV file (CSVSplit).
type CSVPart struct{ c *csvReader }

// NextRow is RowReader's, with lines counted as CSVSplit says. At a
// quoted cell open at the part's end, it returns a *PartEnd.
func (p *CSVPart) NextRow() (Row, error) { return p.c.NextRow() }

// Lines returns the number of the line last read: once NextRow returned
// io.EOF, the part's lines (and those before it, for the first part).
func (p *CSVPart) Lines() int { return p.c.line }

// readHeader reads the header as read does, and fails on a bad one.
func (c *csvReader) readHeader() error {
	for c.header == nil {
		first, err := c.take()
		if err != nil {
			return err
		}
		if strings.TrimSpace(first) == "" {
			continue
		}
		cells, reason, err := c.record(first)
		if err != nil {
			return err
		}
		if reason != "" {
			return fmt.Errorf("header: %s", reason)
		}
		c.setHeader(cells)
	}
	return nil
}
