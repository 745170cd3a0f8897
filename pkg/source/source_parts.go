package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// DefaultMinPart is the smallest part of a file worth a goroutine of its
// own (Options.MinPart).
const DefaultMinPart = 8 << 20

// csvParts offers a regular, uncompressed CSV file to be read in parallel
// parts (pipeline.Parts).
type csvParts struct {
	ctx     context.Context // the source's: an interrupt stops the reading
	file    *os.File
	name    string
	size    int64
	parts   int
	minPart int64
	opt     format.Options
	rejects *pipeline.Rejects

	good, bad int // records read, once Read returned
}

// partRead is what reading a part gave.
type partRead struct {
	lines     int             // the lines read, once at the part's end
	end       *format.PartEnd // where a quoted cell ran on past the part
	good, bad int             // records
	err       error
}

// Size implements pipeline.Parts.
func (p *csvParts) Size() int64 { return p.size }

// Read implements pipeline.Parts.
func (p *csvParts) Read(c pipeline.PartConsumer) error {
	split, err := format.SplitCSV(p.file, p.size, p.parts, p.minPart, p.opt, c.Same)
	if err != nil {
		return fmt.Errorf("reading %s: %w", p.name, err)
	}
	if split == nil {
		return p.readWhole(c.Part(nil))
	}
	n := split.Parts()
	sinks := make([]pipeline.PartSink, n)
	laters := make([]*pipeline.Later, n)
	reads := make([]partRead, n)
	sinks[0] = c.Part(nil)
	for i := 1; i < n; i++ {
		laters[i] = &pipeline.Later{}
		sinks[i] = c.Part(laters[i])
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { reads[i] = p.read(split.Part(i), sinks[i], laters[i]) })
	}
	wg.Wait()
	for _, r := range reads {
		if r.err != nil {
			return r.err
		}
	}
	if p.ctx.Err() != nil {
		return nil // interrupted: the run ends without a report
	}
	// Where a part ended inside a quoted cell, or the next part's first
	// row belongs with its last, the part is read on to the end of the
	// file in one pass, and the parts after it are dropped.
	last := n - 1
	for i := range n {
		var rest *format.CSVPart
		switch {
		case reads[i].end != nil:
			rest = split.Rest(reads[i].end.Offset, reads[i].end.Line-1)
		case i+1 < n && sinks[i+1].Continues(sinks[i]):
			rest = split.Rest(split.Bounds[i+1], reads[i].lines)
		default:
			continue
		}
		r := p.read(rest, sinks[i], laters[i])
		if r.err != nil {
			return r.err
		}
		r.good, r.bad = r.good+reads[i].good, r.bad+reads[i].bad
		reads[i], last = r, i
		break
	}
	lines := reads[0].lines
	for i := 1; i <= last; i++ {
		if err := laters[i].Report(lines); err != nil {
			return err
		}
		lines += reads[i].lines
	}
	for _, r := range reads[:last+1] {
		p.good, p.bad = p.good+r.good, p.bad+r.bad
	}
	return c.Merge(sinks[1 : last+1])
}

// read reads a part's rows into sink. Bad records are reported at once
// when later is nil, else added to it.
func (p *csvParts) read(part *format.CSVPart, sink pipeline.PartSink, later *pipeline.Later) (r partRead) {
	for n := 0; ; n++ {
		if n%4096 == 0 && p.ctx.Err() != nil {
			return r
		}
		row, err := part.NextRow()
		switch e := err.(type) {
		case nil:
			r.good++
			if err := sink.Row(row.Cells, pipeline.Origin{Input: row.Input, Line: row.Line, Offset: -1}); err != nil {
				r.err = err
				return r
			}
			continue
		case *format.PartEnd:
			r.end = e
			return r
		case *event.BadRecordError:
			r.bad++
			if later == nil {
				r.err = p.rejects.Reject(e, e.Raw)
			} else {
				later.Add(func(lines int) error {
					e.Line += lines
					return p.rejects.Reject(e, e.Raw)
				})
			}
			if r.err != nil {
				return r
			}
			continue
		}
		if err != io.EOF {
			r.err = fmt.Errorf("reading %s: %w", p.name, err)
		}
		r.lines = part.Lines()
		return r
	}
}

// readWhole reads the file in one pass into sink.
func (p *csvParts) readWhole(sink pipeline.PartSink) error {
	rd, _, err := format.Open(io.NewSectionReader(p.file, 0, p.size), format.CSV, p.opt)
	if err != nil {
		return err
	}
	rows, ok := rd.(format.RowReader)
	if !ok {
		return fmt.Errorf("reading %s: no rows", p.name)
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && p.ctx.Err() != nil {
			return nil
		}
		row, err := rows.NextRow()
		if bad, ok := err.(*event.BadRecordError); ok {
			p.bad++
			if err := p.rejects.Reject(bad, bad.Raw); err != nil {
				return err
			}
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", p.name, err)
		}
		p.good++
		if err := sink.Row(row.Cells, pipeline.Origin{Input: row.Input, Line: row.Line, Offset: -1}); err != nil {
			return err
		}
	}
}
