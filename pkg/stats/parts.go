package stats

import (
	"bytes"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// A Sink takes a large CSV file in parallel parts (pipeline.Parts): the
// first part's rows it adds itself, each other part's go to a Sink of
// their own, into an Agg of their own, merged in file order at the end.
// Parts start where the event id changes, so that no event is split.

// Part implements pipeline.PartConsumer.
func (s *Sink) Part(later *pipeline.Later) pipeline.PartSink {
	if later == nil {
		return s
	}
	p := NewSink(s.agg.newPart(), s.rejects)
	p.ranged, p.since, p.until = s.ranged, s.since, s.until
	p.main, p.later = s, later
	return p
}

// Same implements pipeline.PartConsumer: rows of one event id.
func (s *Sink) Same(a, b [][]byte) bool {
	id := rowID(a, s.paths.id)
	return len(id) > 0 && bytes.Equal(id, rowID(b, s.paths.id))
}

// rowID returns a row's event id: its first cell at slots.
func rowID(cells [][]byte, slots []int) []byte {
	for _, i := range slots {
		if i < len(cells) && cells[i] != nil {
			return cells[i]
		}
	}
	return nil
}

// Merge implements pipeline.PartConsumer.
func (s *Sink) Merge(parts []pipeline.PartSink) error {
	for _, ps := range parts {
		p := ps.(*Sink)
		s.agg.merge(p.agg)
		s.prevID, s.skipping = append(s.prevID[:0], p.prevID...), p.skipping
	}
	return nil
}

// Row implements pipeline.PartSink.
func (s *Sink) Row(cells [][]byte, at pipeline.Origin) error {
	if !s.started {
		s.started = true
		s.firstID = bytes.Clone(rowID(cells, s.paths.id))
	}
	return s.addEvent(&eventFields{row: cells}, at)
}

// Continues implements pipeline.PartSink: the first row has the event id
// of prev's last, and would have been added to its event.
func (s *Sink) Continues(prev pipeline.PartSink) bool {
	return len(s.firstID) > 0 && bytes.Equal(s.firstID, prev.(*Sink).prevID)
}
