package stats

import (
	"bytes"
	"context"
	"fmt"
	"unsafe"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// RowError reports where a bad input event is and what is wrong with it.
type RowError struct {
	Input  string
	Line   int
	Reason string
}

func (e *RowError) Error() string {
	if e.Line == 0 {
		return e.Input + ": " + e.Reason
	}
	return fmt.Sprintf("%s:%d: %s", e.Input, e.Line, e.Reason)
}

// Sink adds the classified events written to it to an Agg: a
// pipeline.Sink, so that stats reads every input secpipe reads (store's
// CSV, the lab's classified_packets.csv, classified JSON Lines, topics).
// Each message is one event, its tactics and techniques taken from the
// ECS threat fields or the lab's mitre_tactic/mitre_technique; adjacent
// messages with the same event id are one event (store's CSV has one row
// per tactic/technique pair). An event without a timestamp, or with one
// that does not parse, counts as undated (Report.Undated).
type Sink struct {
	agg     *Agg
	rejects *pipeline.Rejects
	paths   *jsonPaths
	f       event.Fields // the JSON event last read
	cells   [][]byte     // the row last read, by slot
	// The open row's tactics, techniques and tactic names (eventFields.strs).
	tactics, techs, names []string
	pairs                 []ecs.Pair
	tc                    timeCache
	badTime               int // events whose timestamp did not parse

	id, prevID, ts, user, host, ip, country, scratch []byte

	// The time range kept (SetRange), and whether the open event is out of it.
	ranged       bool
	since, until int64
	skipping     bool

	// Of the sink of a part of an input read in parts (Part): the sink it
	// is merged into, where its notes wait, and its first row's event id.
	main    *Sink
	later   *pipeline.Later
	started bool
	firstID []byte
}

// SetRange keeps only the events whose timestamp is in [since, until),
// Unix nanoseconds, until 0 meaning no end: others, and events without a
// timestamp that parses, are left out.
func (s *Sink) SetRange(since, until int64) {
	s.ranged, s.since, s.until = true, since, until
}

func (s *Sink) inRange(ns int64, dated bool) bool {
	return dated && ns >= s.since && (s.until == 0 || ns < s.until)
}

// NewSink returns a sink adding to a; bad events go to rejects (nil: dropped).
func NewSink(a *Agg, rejects *pipeline.Rejects) *Sink {
	if rejects == nil {
		rejects = &pipeline.Rejects{}
	}
	p := newJSONPaths()
	return &Sink{agg: a, rejects: rejects, paths: p, cells: make([][]byte, p.p.Len())}
}

// maxBadTimeLogged caps the unparsable timestamps named on the log.
const maxBadTimeLogged = 10

// noteBadTime names, on the rejects' log, the first events whose
// timestamp does not parse; they are counted, as undated.
func (s *Sink) noteBadTime(at pipeline.Origin, ts []byte) {
	if s.later != nil {
		ts, main := bytes.Clone(ts), s.main
		s.later.Add(func(lines int) error {
			at.Line += lines
			main.noteBadTime(at, ts)
			return nil
		})
		return
	}
	s.badTime++
	if s.rejects.Log == nil || s.badTime > maxBadTimeLogged {
		return
	}
	e := &RowError{Input: at.Input, Line: at.Line, Reason: fmt.Sprintf("unparsable timestamp %q", ts)}
	fmt.Fprintf(s.rejects.Log, "%s: %v (counted without timestamp)\n", s.rejects.Prefix, e)
}

// Write implements pipeline.Sink.
func (s *Sink) Write(_ context.Context, msgs []pipeline.Message) error {
	for i := range msgs {
		if p := msgs[i].Parts; p != nil {
			if err := p.Read(s); err != nil {
				return err
			}
			continue
		}
		if err := s.add(&msgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Flush implements pipeline.Sink: the counts are in memory.
func (s *Sink) Flush(context.Context) error { return nil }

// Close implements pipeline.Sink: it closes the last event.
func (s *Sink) Close() error {
	s.agg.End()
	return nil
}

// Fields lists the event fields stats reads, for sources that can leave
// the others out.
func Fields() []string {
	p := newJSONPaths().p
	out := make([]string, p.Len())
	for i := range out {
		out[i] = p.Name(i)
	}
	return out
}

// jsonPaths are the fields stats reads from events.
type jsonPaths struct {
	p                                 *event.Paths
	id, ts, user, host, ip, country   []int
	indicator, labIndicator           int
	tactic, tech, sub, labTact, labTq int
	tacticName                        int
}

func newJSONPaths() *jsonPaths {
	j := &jsonPaths{p: event.NewPaths()}
	slots := func(paths []string) []int {
		var s []int
		for _, p := range paths {
			s = append(s, j.p.Add(p))
		}
		return s
	}
	j.id, j.ts, j.user, j.host, j.ip = slots(ecs.EventID), slots(ecs.Timestamp), slots(ecs.User), slots(ecs.Host), slots(ecs.SourceIP)
	j.tactic, j.labTact = j.p.Add(ecs.TacticID[0]), j.p.Add(ecs.TacticID[1])
	j.tech, j.labTq = j.p.Add(ecs.TechID[0]), j.p.Add(ecs.TechID[1])
	j.sub = j.p.Add(ecs.SubTechID[0])
	j.tacticName = j.p.Add(ecs.TacticName[0])
	j.country = slots(ecs.SourceCountry)
	j.indicator, j.labIndicator = j.p.Add(ecs.Indicator[0]), j.p.Add(ecs.Indicator[1])
	return j
}

// eventFields reads one event's values by slot: the cells of a row
// (pipeline.Message.Row), or, when row is nil, the values of a JSON event
// (event.Paths.Extract). A concrete type, not an interface: the calls are
// direct and small, and there are a dozen per row.
type eventFields struct {
	row  [][]byte // by slot: a string each, or nil
	json *event.Fields
}

// first appends the text of the first string or number at the slots.
func (e *eventFields) first(dst []byte, slots []int) []byte {
	for _, s := range slots {
		if e.row != nil {
			if s < len(e.row) && e.row[s] != nil {
				return append(dst, e.row[s]...)
			}
			continue
		}
		for _, v := range e.json.Values(s) {
			if v.Kind == event.String || v.Kind == event.Number {
				return v.AppendText(dst)
			}
		}
	}
	return dst
}

// value returns the text of the first string or number at the slots: a
// row's cell itself, or a JSON value's text in *buf. It is valid while
// the event is.
func (e *eventFields) value(buf *[]byte, slots []int) []byte {
	if e.row != nil {
		return rowID(e.row, slots)
	}
	*buf = e.first((*buf)[:0], slots)
	return *buf
}

// strs appends to dst the strings at slots a and b (-1: none), leaving out
// the lab's "unclassified" (TA0000, T0000) and empty ones. They are valid
// while the event is.
func (e *eventFields) strs(dst []string, a, b int) []string {
	for _, s := range [2]int{a, b} {
		if e.row != nil {
			if s < 0 || s >= len(e.row) {
				continue
			}
			if c := e.row[s]; c != nil && !unclassifiedCell(c) {
				dst = append(dst, unsafe.String(unsafe.SliceData(c), len(c))) // the cell outlives the event
			}
			continue
		}
		for _, v := range e.json.Values(s) {
			if v.Kind == event.String && !unclassifiedTactic(string(v.Raw)) && !unclassifiedTechnique(string(v.Raw)) {
				dst = append(dst, v.Text())
			}
		}
	}
	return dst
}

// count returns how many values a slot holds.
func (e *eventFields) count(slot int) int {
	if e.row == nil {
		return len(e.json.Values(slot))
	}
	if slot >= len(e.row) || e.row[slot] == nil {
		return 0
	}
	return 1
}

// str appends the text of the slot's i-th value if it is a string.
func (e *eventFields) str(dst []byte, slot, i int) ([]byte, bool) {
	if e.row != nil {
		return append(dst, e.row[slot]...), true
	}
	v := e.json.Values(slot)[i]
	if v.Kind != event.String {
		return dst, false
	}
	return v.AppendText(dst), true
}

// addEnrichment counts the open event's source country and the
// indicators it matched: each ECS threat.enrichments entry, or the
// ";"-joined list of store's threat_indicator column.
func (s *Sink) addEnrichment(f *eventFields) {
	a, j := s.agg, s.paths
	a.countries.add(f.value(&s.country, j.country), 1)
	n := 0
	for i := range f.count(j.indicator) {
		var ok bool
		if s.scratch, ok = f.str(s.scratch[:0], j.indicator, i); ok {
			a.addIndicator(s.scratch)
			n++
		}
	}
	if n > 0 {
		return
	}
	for i := range f.count(j.labIndicator) {
		var ok bool
		if s.scratch, ok = f.str(s.scratch[:0], j.labIndicator, i); ok {
			for ind := range bytes.SplitSeq(s.scratch, []byte{';'}) {
				a.addIndicator(ind)
			}
		}
	}
}

// add adds one event, a JSON object or a row; an error means stop (--strict).
func (s *Sink) add(m *pipeline.Message) error {
	if m.Row != nil {
		if !pipeline.RowCells(m.Row, s.cells) {
			return fmt.Errorf("%s: a row of other fields than stats reads", m.Origin)
		}
		return s.addEvent(&eventFields{row: s.cells}, m.Origin)
	}
	s.paths.p.Extract(m.Value, &s.f)
	return s.addEvent(&eventFields{json: &s.f}, m.Origin)
}

// addEvent adds one event's fields.
func (s *Sink) addEvent(f *eventFields, at pipeline.Origin) error {
	a, j := s.agg, s.paths
	id := f.value(&s.id, j.id)
	sameID := len(id) > 0 && string(id) == string(s.prevID)
	if s.skipping && sameID {
		return nil // another row of an event out of the range
	}
	sameEvent := a.open && sameID
	if !sameEvent {
		ts := f.value(&s.ts, j.ts)
		// An unparsable timestamp counts as none: the event still counts.
		var ns int64
		dated := false
		if len(ts) > 0 {
			if ns, dated = s.tc.parse(ts); !dated {
				s.noteBadTime(at, ts)
			}
		}
		if s.skipping = s.ranged && !s.inRange(ns, dated); s.skipping {
			s.prevID = append(s.prevID[:0], id...)
			return nil
		}
		a.Begin(ns, dated, f.value(&s.user, j.user), f.value(&s.host, j.host), f.value(&s.ip, j.ip))
		s.prevID = append(s.prevID[:0], id...)
		s.addEnrichment(f)
	}
	a.rows++
	tactics := f.strs(s.tactics[:0], j.tactic, -1)
	if len(tactics) == 0 {
		tactics = f.strs(tactics, j.labTact, -1)
	}
	techs := f.strs(s.techs[:0], j.tech, j.sub)
	if len(techs) == 0 {
		techs = f.strs(techs, j.labTq, -1)
	}
	s.tactics, s.techs = tactics, techs
	if len(tactics) == 0 && len(techs) == 0 {
		return nil
	}
	s.names = f.strs(s.names[:0], j.tacticName, -1)
	names := s.names
	s.pairs = ecs.AppendPairs(s.pairs[:0], tactics, techs, a.cat)
	for _, p := range s.pairs {
		var tname []byte
		for i, t := range tactics {
			if t == p.Tactic && i < len(names) {
				tname = []byte(names[i])
			}
		}
		a.Tag([]byte(p.Tactic), []byte(p.Technique), tname, nil)
	}
	return nil
}
