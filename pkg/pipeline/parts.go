package pipeline

// Parts is an input that a source offers to be read in parallel parts, as
// one message (Message.Parts): a large regular CSV file, to a consumer that
// asked for it (source.Options.Parts) and that counts rows without keeping
// them (stats). The sink reads it with Read, in Write.
type Parts interface {
	// Read reads the input's rows into the sinks that c makes, one for each
	// part, all parts at once, and has c merge them in input order. What
	// is wrong with the input (bad records) and what the sinks note
	// (Later) is reported in input order, at lines counted from the
	// input's start, as a read in one pass would report it.
	Read(c PartConsumer) error
	// Size returns the input's size in bytes.
	Size() int64
}

// PartConsumer takes the rows of an input read in parts (Parts).
type PartConsumer interface {
	// Part returns the sink of one part's rows. The first part's is asked
	// for with later nil: its rows come after what the consumer took
	// before, and what it notes is reported at once (it may be the
	// consumer itself). The other parts' sinks note what they would
	// report in later, at lines counted from their part's start.
	Part(later *Later) PartSink
	// Same reports whether two rows (cells of the consumer's fields)
	// belong together, as the rows of one event: a part does not start
	// between them.
	Same(a, b [][]byte) bool
	// Merge adds to the consumer what the sinks of the parts after the
	// first took, in input order.
	Merge(parts []PartSink) error
}

// PartSink takes the rows of one part of an input, on a goroutine of its
// own.
type PartSink interface {
	// Row takes a row: its cells of the consumer's fields, valid until Row
	// returns, and where it is (at.Line counted as Part says).
	Row(cells [][]byte, at Origin) error
	// Continues reports whether the part's first row belongs with the last
	// row of prev, the sink of the part before (Same, or the consumer's own
	// state at the end of prev): then the parts from this one on are read
	// again into prev, after it.
	Continues(prev PartSink) bool
}

// Later holds what is to be reported about the rows of one part of an
// input read in parts, in input order, until the number of lines before
// the part is known.
type Later struct{ fns []func(lines int) error }

// Add adds a report, to be made with the number of lines before the part.
func (l *Later) Add(report func(lines int) error) { l.fns = append(l.fns, report) }

// Report makes the reports in the order they were added; the first error
// stops it.
func (l *Later) Report(lines int) error {
	for _, f := range l.fns {
		if err := f(lines); err != nil {
			return err
		}
	}
	l.fns = nil
	return nil
}
