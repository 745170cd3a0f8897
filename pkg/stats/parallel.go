package stats

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"sync"
)

// A large CSV file is read in parts, one per core. Parts start at record
// boundaries found by scanning forward from evenly spaced offsets: the
// first line end, then, when rows carry an event_id, on to the first row
// of another event, so that no event is split between parts. Whether a
// part starts inside a quoted field that holds line ends cannot be told
// from where it starts; the part before it tells, by ending inside a
// quoted field. Then the parts are dropped and the file read in one pass.

// minPart is the smallest part worth a goroutine of its own; maxParts
// returns how many parts to read at once. Tests change both.
var (
	minPart  int64 = 8 << 20
	maxParts       = func() int { return runtime.GOMAXPROCS(0) }
)

// partResult is what reading one part gave.
type partResult struct {
	agg   *Agg
	bad   badRows
	lines int // lines consumed
	err   error
	torn  bool // ended inside a quoted field: the next part is misplaced
}

// readCSVFile reads a CSV file, in parallel parts when it is large.
// It returns false, having read nothing, when the file is not fit for
// parallel reading; the caller then reads it in one pass.
func (a *Agg) readCSVFile(ctx context.Context, f *os.File, size int64, name string, in Input) (bool, error) {
	workers := maxParts()
	if n := int(size / minPart); n < workers {
		workers = n
	}
	// --strict stops at the first bad row and --dlq keeps every one: both
	// are simpler in one pass.
	if workers < 2 || (in.Rejects != nil && (in.Rejects.Strict || in.Rejects.DLQ != nil)) {
		return false, nil
	}
	hr := newCSVReader(io.NewSectionReader(f, 0, size), in.maxRecord())
	header, _, err := hr.next()
	if err != nil {
		return false, nil
	}
	l, err := readLayout(header, name)
	if err != nil {
		return true, err
	}
	dataStart := hr.offset()
	headerLines := hr.line - 1

	bounds := []int64{dataStart}
	for k := 1; k < workers; k++ {
		pos := dataStart + (size-dataStart)*int64(k)/int64(workers)
		b, err := recordBoundary(f, pos, size, &l, in.maxRecord())
		if err != nil {
			return false, nil
		}
		if b < bounds[len(bounds)-1] {
			b = bounds[len(bounds)-1]
		}
		bounds = append(bounds, b)
	}
	bounds = append(bounds, size)

	parts := make([]partResult, len(bounds)-1)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := &parts[i]
			p.agg = a.newPart()
			cr := newCSVReader(in.reader(io.NewSectionReader(f, bounds[i], bounds[i+1]-bounds[i])), in.maxRecord())
			p.lines, p.err = p.agg.readRows(ctx, cr, &l, name, in, &p.bad)
			p.lines-- // readRows returns the line number after the last
			p.torn = cr.openQuoteAtEnd
		}(i)
	}
	wg.Wait()
	for i, p := range parts {
		if p.err != nil {
			return true, p.err
		}
		if p.torn && i < len(parts)-1 {
			return false, nil
		}
	}
	// Report bad rows in file order, at their lines in the whole file.
	line := headerLines
	for _, p := range parts {
		for k, e := range p.bad.errs {
			e.Line += line
			if err := in.reject(e, p.bad.raws[k]); err != nil {
				return true, err
			}
		}
		for k := 0; k < p.bad.extra; k++ {
			if err := in.reject(&RowError{Input: name, Reason: "bad row"}, nil); err != nil {
				return true, err
			}
		}
		line += p.lines
	}
	for _, p := range parts {
		a.merge(p.agg)
	}
	return true, nil
}

// recordBoundary returns the offset of the first record at or after pos
// that starts a line and, when rows carry an event_id, starts an event.
func recordBoundary(f *os.File, pos, size int64, l *layout, maxRecord int) (int64, error) {
	// Start of the first line at or after pos.
	var buf [64 << 10]byte
	at := pos - 1
	for {
		if at >= size {
			return size, nil
		}
		n, err := f.ReadAt(buf[:], at)
		if n == 0 && err != nil {
			return 0, err
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			at += int64(i) + 1
			break
		}
		at += int64(n)
	}
	idCol := l.pos[colID]
	if idCol < 0 {
		return at, nil
	}
	cr := newCSVReader(io.NewSectionReader(f, at, size-at), maxRecord)
	cr.need = idCol + 1
	var first []byte
	for rows := 0; ; rows++ {
		off := at + cr.offset()
		fields, _, err := cr.next()
		if err == io.EOF {
			return size, nil
		}
		if err != nil {
			return 0, errMisaligned
		}
		if len(fields) <= idCol {
			continue // a bad row: the part reading it reports it
		}
		id := fields[idCol]
		if len(id) == 0 {
			return off, nil // a row without event_id is an event of its own
		}
		if rows == 0 {
			first = append(first, id...)
			continue
		}
		if !bytes.Equal(id, first) {
			return off, nil
		}
	}
}

type misalignedError struct{}

func (misalignedError) Error() string { return "no record boundary" }

var errMisaligned error = misalignedError{}
