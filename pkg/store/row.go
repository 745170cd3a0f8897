package store

import (
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
)

// Columns are the columns of the store's CSV. The first eight are the
// course lab's classified_packets.csv, in its order, so that the lab's
// notebook and scripts read the file as they read theirs.
var Columns = []string{
	"event_id", "timestamp", "user", "host", "source_ip", "event_type", "mitre_tactic", "mitre_technique",
	"tactic_name", "technique_name", "rule_name", "rule_id", "level", "event_kind",
	"destination_ip", "destination_port", "process_name", "command_line", "dataset",
	"source_country", "threat_indicator",
}

// HeaderLine is the CSV header, without its line end.
var HeaderLine = func() string {
	s := ""
	for i, c := range Columns {
		if i > 0 {
			s += ","
		}
		s += c
	}
	return s
}()

// LabColumns are the course lab's classified_packets.csv columns, the first
// eight of Columns, for the lab's layout: one row per event.
var LabColumns = Columns[:8]

// LabHeaderLine is the lab layout's header, without its line end.
var LabHeaderLine = strings.Join(LabColumns, ",")

// column lists the fields a cell is read from, first holding a value wins.
type column struct {
	paths []string
	slots []int
}

// Rows turns classified events into CSV rows: one row per (tactic,
// technique) pair of an event (ecs.Pairs), or one row with empty tactic
// cells for an event that matched nothing. Not safe for concurrent use.
type Rows struct {
	cat   *attack.Catalog
	paths *event.Paths
	f     event.Fields

	head, tail []column // cells before and after the pair cells
	kind       int      // event.kind slot, for alerts without event.action
	typeCol    int      // index of event_type in head

	// Slots of the threat fields: ECS ids and names, and the lab's flat fields.
	tacticID, tacticName, techID, techName, subID, subName int
	ecsTactics, ecsTechs, labTactics, labTechs             []int
	ruleName, ruleID                                       int
	indicator                                              int // threat.enrichments.matched.atomic

	lab bool // the lab's layout: one row per event, its first pair

	headBuf, tailBuf, scratch, key []byte
	cache                          map[string]*pairSet
}

// pairSet is the rows' pair cells of one combination of tactics and techniques.
type pairSet struct {
	cells [][]byte // per pair: the encoded tactic,technique,tactic_name,technique_name cells
	lab   []byte   // the first pair's tactic,technique cells
	pairs []Pair   // the pairs, as text
	labAt int      // the index in pairs of the lab's pair
}

// labNone are the lab layout's cells of an event without a tactic, as the
// lab's classifier writes them.
const labNone = "TA0000,T0000"

// NewLabRows returns a row builder of the lab's layout: its eight columns,
// one row per event with its first tactic and a technique of that tactic,
// TA0000,T0000 when it has none.
func NewLabRows(cat *attack.Catalog) *Rows {
	r := NewRows(cat)
	r.lab = true
	return r
}

// maxCached bounds the cached combinations of tactics and techniques.
const maxCached = 4096

// NewRows returns a row builder naming tactics and techniques from cat.
func NewRows(cat *attack.Catalog) *Rows {
	r := &Rows{cat: cat, paths: event.NewPaths(), cache: map[string]*pairSet{}}
	col := func(paths ...[]string) column {
		var c column
		for _, ps := range paths {
			for _, p := range ps {
				c.paths = append(c.paths, p)
				c.slots = append(c.slots, r.paths.Add(p))
			}
		}
		return c
	}
	r.head = []column{col(ecs.EventID), col(ecs.Timestamp), col(ecs.User), col(ecs.Host), col(ecs.SourceIP), col(ecs.EventType)}
	r.typeCol = 5
	r.ruleName = r.paths.Add(ecs.RuleName[0])
	r.ruleID = r.paths.Add(ecs.RuleID[0])
	r.kind = r.paths.Add(ecs.EventKind[0])
	r.tail = []column{
		{}, {}, // rule_name, rule_id: joined lists, filled apart
		col(ecs.RuleLevel), col(ecs.EventKind), col(ecs.DestIP), col(ecs.DestPort),
		col(ecs.Process), col(ecs.Command), col(ecs.Dataset),
		col(ecs.SourceCountry), {}, // threat_indicator: a joined list, filled apart
	}
	r.indicator = r.paths.Add(ecs.Indicator[0])
	r.tacticID = r.paths.Add(ecs.TacticID[0])
	r.tacticName = r.paths.Add(ecs.TacticName[0])
	r.techID = r.paths.Add(ecs.TechID[0])
	r.techName = r.paths.Add("threat.technique.name")
	r.subID = r.paths.Add(ecs.SubTechID[0])
	r.subName = r.paths.Add("threat.technique.subtechnique.name")
	r.ecsTactics = []int{r.tacticID}
	r.ecsTechs = []int{r.techID, r.subID}
	r.labTactics = []int{r.paths.Add(ecs.TacticID[1])}
	r.labTechs = []int{r.paths.Add(ecs.TechID[1])}
	return r
}

// scalar reports whether a value can fill a cell: objects (an ECS "host"),
// arrays and nulls cannot.
func scalar(v event.Value) bool {
	return v.Kind == event.String || v.Kind == event.Number || v.Kind == event.Bool
}

// first appends the text of the first scalar value of c.
func (r *Rows) first(dst []byte, c column) ([]byte, bool) {
	for _, s := range c.slots {
		for _, v := range r.f.Values(s) {
			if scalar(v) {
				return v.AppendText(dst), true
			}
		}
	}
	return dst, false
}

// joined appends every scalar value of a slot, separated by ';'.
func (r *Rows) joined(dst []byte, slot int) []byte {
	n := 0
	for _, v := range r.f.Values(slot) {
		if scalar(v) {
			if n > 0 {
				dst = append(dst, ';')
			}
			dst = v.AppendText(dst)
			n++
		}
	}
	return dst
}

// indicatorCell is the index in Rows.tail of the threat_indicator cell.
const indicatorCell = 10

// Append appends the rows of one event, raw compact JSON, to dst. It
// returns the number of rows and whether the event matched a rule, tactic
// or technique.
func (r *Rows) Append(dst, raw []byte) (out []byte, rows int, matched bool) {
	r.paths.Extract(raw, &r.f)

	r.headBuf = r.headBuf[:0]
	for i, c := range r.head {
		r.scratch = r.scratch[:0]
		var ok bool
		r.scratch, ok = r.first(r.scratch, c)
		if !ok && i == r.typeCol && r.isAlert() {
			r.scratch = append(r.scratch, "alert"...)
		}
		r.headBuf = AppendCell(r.headBuf, r.scratch)
		r.headBuf = append(r.headBuf, ',')
	}
	set, matched := r.pairs()
	matched = matched || len(r.f.Values(r.ruleID)) > 0
	if r.lab {
		dst = append(dst, r.headBuf...)
		if set == nil {
			dst = append(dst, labNone...)
		} else {
			dst = append(dst, set.lab...)
		}
		return append(dst, '\n'), 1, matched
	}
	r.tailBuf = r.tailBuf[:0]
	for i, c := range r.tail {
		r.scratch = r.scratch[:0]
		switch i {
		case 0:
			r.scratch = r.joined(r.scratch, r.ruleName)
		case 1:
			r.scratch = r.joined(r.scratch, r.ruleID)
		case indicatorCell:
			r.scratch = r.joined(r.scratch, r.indicator)
		default:
			r.scratch, _ = r.first(r.scratch, c)
		}
		r.tailBuf = append(r.tailBuf, ',')
		r.tailBuf = AppendCell(r.tailBuf, r.scratch)
	}
	r.tailBuf = append(r.tailBuf, '\n')

	if set == nil {
		dst = append(dst, r.headBuf...)
		dst = append(dst, ",,,"...)
		dst = append(dst, r.tailBuf...)
		return dst, 1, matched
	}
	for _, cells := range set.cells {
		dst = append(dst, r.headBuf...)
		dst = append(dst, cells...)
		dst = append(dst, r.tailBuf...)
	}
	return dst, len(set.cells), matched
}

func (r *Rows) isAlert() bool {
	for _, v := range r.f.Values(r.kind) {
		if v.Kind == event.String && string(v.Raw) == "alert" {
			return true
		}
	}
	return false
}

// hasStrings reports whether the slots hold a non-empty string.
func (r *Rows) hasStrings(slots []int) bool {
	for _, s := range slots {
		for _, v := range r.f.Values(s) {
			if v.Kind == event.String && len(v.Raw) > 0 {
				return true
			}
		}
	}
	return false
}

// Unclassified reports whether a lab value means "no tactic/technique".
func Unclassified(s []byte) bool {
	return len(s) == 0 || string(s) == "TA0000" || string(s) == "T0000"
}

// pairs returns the pair cells of the event, or nil when it has no tactic
// or technique. Sets are cached by the event's tactics and techniques.
func (r *Rows) pairs() (*pairSet, bool) {
	// ECS fields first; the lab classifier's flat fields otherwise.
	tacticSlots := r.ecsTactics
	if !r.hasStrings(tacticSlots) {
		tacticSlots = r.labTactics
	}
	techSlots := r.ecsTechs
	if !r.hasStrings(techSlots) {
		techSlots = r.labTechs
	}
	r.key = r.key[:0]
	n := 0
	for _, s := range tacticSlots {
		for _, v := range r.f.Values(s) {
			if v.Kind == event.String && !Unclassified(v.Raw) {
				r.key = v.AppendText(r.key)
				r.key = append(r.key, 0)
				n++
			}
		}
	}
	r.key = append(r.key, 1)
	for _, s := range techSlots {
		for _, v := range r.f.Values(s) {
			if v.Kind == event.String && !Unclassified(v.Raw) {
				r.key = v.AppendText(r.key)
				r.key = append(r.key, 0)
				n++
			}
		}
	}
	if n == 0 {
		return nil, false
	}
	if set, ok := r.cache[string(r.key)]; ok {
		return set, true
	}
	set := r.buildPairs(tacticSlots, techSlots)
	if len(r.cache) >= maxCached {
		clear(r.cache)
	}
	r.cache[string(r.key)] = set
	return set, true
}

// ids returns the classified IDs held by the slots.
func (r *Rows) ids(slots []int) []string {
	var ids []string
	for _, s := range slots {
		for _, v := range r.f.Values(s) {
			if v.Kind == event.String && !Unclassified(v.Raw) {
				ids = append(ids, v.Text())
			}
		}
	}
	return ids
}

// nameAt returns the i-th string of a slot, "" if there is none.
func (r *Rows) nameAt(slot, i int) string {
	k := 0
	for _, v := range r.f.Values(slot) {
		if v.Kind != event.String {
			continue
		}
		if k == i {
			return v.Text()
		}
		k++
	}
	return ""
}

// eventName finds the name an event gives to an ID in its ECS id/name lists.
func (r *Rows) eventName(id string, idSlot, nameSlot int) string {
	k := 0
	for _, v := range r.f.Values(idSlot) {
		if v.Kind != event.String {
			continue
		}
		if v.Text() == id {
			return r.nameAt(nameSlot, k)
		}
		k++
	}
	return ""
}

func (r *Rows) buildPairs(tacticSlots, techSlots []int) *pairSet {
	tactics := r.ids(tacticSlots)
	techniques := r.ids(techSlots)
	set := &pairSet{labAt: -1}
	for _, p := range ecs.Pairs(tactics, techniques, r.cat) {
		tname := ""
		if p.Tactic != "" {
			if ta, ok := r.cat.Tactic(p.Tactic); ok {
				tname = ta.Name
			} else {
				tname = r.eventName(p.Tactic, r.tacticID, r.tacticName)
			}
		}
		qname := ""
		if p.Technique != "" {
			if te, ok := r.cat.Technique(p.Technique); ok {
				qname = te.Name
			} else if qname = r.eventName(p.Technique, r.subID, r.subName); qname == "" {
				qname = r.eventName(p.Technique, r.techID, r.techName)
			}
		}
		var c []byte
		c = AppendCell(c, []byte(p.Tactic))
		c = append(c, ',')
		c = AppendCell(c, []byte(p.Technique))
		c = append(c, ',')
		c = AppendCell(c, []byte(tname))
		c = append(c, ',')
		c = AppendCell(c, []byte(qname))
		set.cells = append(set.cells, c)
		if set.lab == nil && (len(tactics) == 0 || p.Tactic == tactics[0]) {
			set.lab = AppendCell(append(AppendCell(nil, []byte(p.Tactic)), ','), []byte(p.Technique))
			set.labAt = len(set.pairs)
		}
		set.pairs = append(set.pairs, Pair{Tactic: p.Tactic, Technique: p.Technique, TacticName: tname, TechniqueName: qname})
	}
	return set
}
