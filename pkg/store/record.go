package store

import (
	"github.com/secpipe/secpipe/pkg/event"
)

// Pair is one (tactic, technique) pair of an event, with their names.
type Pair struct {
	Tactic, Technique, TacticName, TechniqueName string
}

// Record is one event as a database row holds it: the cells of the CSV's
// columns as text ("" when the event lacks the field), one per event, with
// the lab's tactic and technique (its first pair), and the event's pairs
// and rules in full.
type Record struct {
	EventID, Timestamp, User, Host, SourceIP, EventType string
	Tactic, Technique                                   string // the lab's pair: the first
	Level, EventKind, DestIP, DestPort, Process         string
	CommandLine, Dataset                                string
	SourceCountry                                       string
	// Indicators are the threat-intelligence indicators the event matched.
	Indicators []string
	// Time is the timestamp in Unix nanoseconds, when Dated: read as
	// stats reads it (event.ParseStamp).
	Time  int64
	Dated bool
	// Pairs are the event's (tactic, technique) pairs, as CSV rows list them.
	Pairs []Pair
	// RuleIDs and RuleNames are the rules the event matched, in order.
	RuleIDs, RuleNames []string
	// Matched tells that the event carries a rule, tactic or technique.
	Matched bool
}

// Record fills rec from one event, raw compact JSON, reusing its slices.
// Its cells are those of the CSV's columns, as they are: no spreadsheet
// quote is added (a database stores values, not formulas).
func (r *Rows) Record(raw []byte, rec *Record) {
	r.paths.Extract(raw, &r.f)
	cells := [...]*string{&rec.EventID, &rec.Timestamp, &rec.User, &rec.Host, &rec.SourceIP, &rec.EventType}
	for i, c := range r.head {
		r.scratch = r.scratch[:0]
		var ok bool
		r.scratch, ok = r.first(r.scratch, c)
		if !ok && i == r.typeCol && r.isAlert() {
			r.scratch = append(r.scratch, "alert"...)
		}
		*cells[i] = string(r.scratch)
	}
	tail := [...]*string{nil, nil, &rec.Level, &rec.EventKind, &rec.DestIP, &rec.DestPort, &rec.Process, &rec.CommandLine, &rec.Dataset, &rec.SourceCountry, nil}
	for i, c := range r.tail {
		if tail[i] == nil {
			continue
		}
		r.scratch, _ = r.first(r.scratch[:0], c)
		*tail[i] = string(r.scratch)
	}
	rec.RuleIDs = r.texts(rec.RuleIDs[:0], r.ruleID)
	rec.RuleNames = r.texts(rec.RuleNames[:0], r.ruleName)
	rec.Indicators = r.texts(rec.Indicators[:0], r.indicator)
	rec.Time, rec.Dated = 0, false
	if rec.Timestamp != "" {
		rec.Time, rec.Dated = event.ParseStamp([]byte(rec.Timestamp))
	}
	set, matched := r.pairs()
	rec.Matched = matched || len(rec.RuleIDs) > 0
	rec.Pairs = rec.Pairs[:0]
	rec.Tactic, rec.Technique = "", ""
	if set != nil {
		rec.Pairs = append(rec.Pairs, set.pairs...)
		if set.labAt >= 0 {
			rec.Tactic, rec.Technique = set.pairs[set.labAt].Tactic, set.pairs[set.labAt].Technique
		}
	}
}

// texts appends the text of every scalar value of a slot.
func (r *Rows) texts(dst []string, slot int) []string {
	for _, v := range r.f.Values(slot) {
		if scalar(v) {
			dst = append(dst, v.Text())
		}
	}
	return dst
}
