package sink

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// flushAt is the buffered size at which a sink hands its rows to the file.
const flushAt = 256 << 10

// CSVSink writes events as CSV rows (see Columns). Rows are built in the
// sink's buffer and handed to the writer whole, in one Write call each time,
// so that the file never holds part of a row.
//
// With more cores than the pipeline's reader and this sink use, large
// batches are turned into rows by several goroutines, each on a slice of
// the batch, and the rows joined in order.
type CSVSink struct {
	output
	rows *store.Rows

	helpers []*csvPart // the other slices' builders
}

// csvPart builds the rows of one slice of a batch.
type csvPart struct {
	rows   *store.Rows
	buf    []byte
	counts Counts
}

// minPerHelper is the fewest events worth handing to another goroutine.
const minPerHelper = 512

// NewCSVSink returns a sink writing CSV rows to w, starting with the header
// line if header is set. Close also closes closer, if not nil.
func NewCSVSink(w io.Writer, closer io.Closer, cat *attack.Catalog, header bool) *CSVSink {
	return newCSVSink(w, closer, cat, header, false)
}

// NewLabCSVSink is NewCSVSink in the lab's layout (store.NewLabRows).
func NewLabCSVSink(w io.Writer, closer io.Closer, cat *attack.Catalog, header bool) *CSVSink {
	return newCSVSink(w, closer, cat, header, true)
}

func newCSVSink(w io.Writer, closer io.Closer, cat *attack.Catalog, header, lab bool) *CSVSink {
	newRows, headerLine := store.NewRows, store.HeaderLine
	if lab {
		newRows, headerLine = store.NewLabRows, store.LabHeaderLine
	}
	s := &CSVSink{output: newOutput(w, closer), rows: newRows(cat)}
	// One core reads input; this goroutine and the helpers share the rest.
	for i := 0; i < min(runtime.GOMAXPROCS(0)-2, 3); i++ {
		s.helpers = append(s.helpers, &csvPart{rows: newRows(cat)})
	}
	if header {
		s.buf = append(s.buf, headerLine...)
		s.buf = append(s.buf, '\n')
	}
	return s
}

// Write implements pipeline.Sink.
func (s *CSVSink) Write(_ context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	if k := min(len(s.helpers), len(msgs)/minPerHelper-1); k > 0 {
		return s.writeParallel(msgs, k)
	}
	for i := range msgs {
		var n int
		var matched bool
		s.buf, n, matched = s.rows.Append(s.buf, msgs[i].Value)
		s.pending.add(n, matched)
		if len(s.buf) >= flushAt {
			if err := s.writeOut(); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeParallel builds the rows of msgs in k+1 slices at once, the last
// k by helpers, then appends them in order.
func (s *CSVSink) writeParallel(msgs []pipeline.Message, k int) error {
	per := (len(msgs) + k) / (k + 1)
	var wg sync.WaitGroup
	for h := 0; h < k; h++ {
		part := s.helpers[h]
		chunk := msgs[min((h+1)*per, len(msgs)):min((h+2)*per, len(msgs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			part.buf = part.buf[:0]
			part.counts = Counts{}
			for i := range chunk {
				var n int
				var matched bool
				part.buf, n, matched = part.rows.Append(part.buf, chunk[i].Value)
				part.counts.add(n, matched)
			}
		}()
	}
	for i := range msgs[:per] {
		var n int
		var matched bool
		s.buf, n, matched = s.rows.Append(s.buf, msgs[i].Value)
		s.pending.add(n, matched)
	}
	wg.Wait()
	for _, part := range s.helpers[:k] {
		if len(s.buf) >= flushAt {
			if err := s.writeOut(); err != nil {
				return err
			}
		}
		s.buf = append(s.buf, part.buf...)
		s.pending.plus(part.counts)
	}
	if len(s.buf) >= flushAt {
		return s.writeOut()
	}
	return nil
}
