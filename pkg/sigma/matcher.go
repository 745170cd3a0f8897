package sigma

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
)

// Matcher matches events against an engine's rules. It holds per-event
// buffers and the correlation state, so it belongs to one goroutine.
type Matcher struct {
	e      *Engine
	fields event.Fields
	epoch  uint32

	lits    []litHit      // by pattern id of the source
	anchors []anchors     // by source (Engine.sources)
	caches  []*valueCache // by literal set (2*literalSet.id, +1 cased)
	found   []localHit    // the hits of the value last scanned
	hitPids []int32
	cand    []uint32 // per rule of the source: epoch when queued
	queue   []int32
	hits    []int32 // the source's bound rules that matched the event

	texts  []slotText // by slot
	all    slotText
	arena  []byte
	result Result
	corr   *corrState // nil for a screener
	src    *boundSource
	ts     int64
	tsOK   bool
	tsDone bool
	// plain: the event is ASCII and its strings escape only backslashes
	// and quotes (0: not known yet, 1: yes, 2: no).
	plain uint8
}

// litHit records how a pattern occurred in the event's values, if its
// epoch is the event's.
type litHit struct {
	epoch uint32
	flags uint8
}

// slotText caches a slot's values as text and lowered text for one event.
type slotText struct {
	epoch uint32
	texts [][]byte
	lows  [][]byte
	kinds []event.Kind
}

// Result is what matched one event.
type Result struct {
	// Source names the mapping source the event belongs to ("" for none).
	Source string
	// Rules lists the indexes in Engine.Rules of the rules that tag the
	// event: detection rules that stand alone, and correlations whose
	// condition holds with this event.
	Rules []int
	// Alerts lists the correlations this event set off.
	Alerts []Alert
	// Detections lists every detection rule that matched, including rules
	// that only feed correlations.
	Detections []int
}

// NewMatcher returns a matcher of the engine's rules.
func (e *Engine) NewMatcher() *Matcher {
	return &Matcher{e: e, corr: newCorrState(e)}
}

// NewScreener returns a matcher that finds the detection rules an event
// matches and feeds no correlation: events are independent for it, so
// several screeners can share a stream's events out, in any order. Its
// results have no Alerts and no correlation Rules.
func (e *Engine) NewScreener() *Matcher {
	return &Matcher{e: e}
}

// Match matches one event, a valid JSON object. The result is valid until
// the next call.
func (m *Matcher) Match(raw []byte) *Result {
	m.e.paths.Extract(raw, &m.fields)
	return m.match(raw)
}

// MatchExtracted is Match for an event whose fields were extracted ahead,
// with the engine's Paths (ExtractTo): raw is the event x was extracted
// from, and x must not change until the next call.
func (m *Matcher) MatchExtracted(raw []byte, x *event.Extracted) *Result {
	m.fields.Load(x, m.e.paths)
	return m.match(raw)
}

// match matches the event whose fields the matcher holds.
func (m *Matcher) match(raw []byte) *Result {
	e := m.e
	r := m.begin(raw)

	// The first source whose "when" holds. A source needing a field the
	// event lacks is passed over with the sources after it that need the
	// same field; of a run of sources selected by one field's value, only
	// those wanting the event's value are tried.
sources:
	for i := 0; i < len(e.sources); {
		s := e.sources[i]
		if d := s.dispatch; d != nil {
			if c := m.dispatched(d, i); c >= 0 {
				m.src = e.sources[c]
				break
			}
			i = d.end
			continue
		}
		for k, group := range s.needs {
			if !m.hasAny(group) {
				i = s.skip[k]
				continue sources
			}
		}
		if m.run(&s.when, 0) {
			m.src = s
			break
		}
		i++
	}
	if m.src == nil {
		return r
	}
	s := m.src
	r.Source = s.src.Name
	if len(m.use(s)) == 0 {
		return r
	}

	// One pass of each field's automata over its values.
	m.hitPids = m.hitPids[:0]
	for _, k := range s.keys {
		if k.raw != nil && m.rawRulesOut(k.raw, raw) {
			continue
		}
		for _, slot := range k.slots {
			m.scanSlot(k, slot)
		}
	}

	// Candidates: rules without a required literal, and rules one of whose
	// anchors occurred, tried in rule order whatever the anchors.
	if len(m.cand) < len(s.rules) {
		m.cand = make([]uint32, len(s.rules))
	}
	a := m.anchorsFor(s)
	m.queue = append(m.queue[:0], s.always...)
	for _, pid := range m.hitPids {
		for _, ri := range a.byPid[pid] {
			if m.cand[ri] != m.epoch {
				m.cand[ri] = m.epoch
				m.queue = append(m.queue, ri)
			}
		}
	}
	a.count(s, m.hitPids)
	slices.Sort(m.queue)
	for _, ri := range m.queue {
		if m.run(&s.prog, s.ruleAt[ri]) {
			m.matched(ri)
		}
	}
	return m.finish()
}

// Screened is what a screener found in one event (Save), for the matcher
// that keeps the correlation state to take up (Resume) without matching
// the event again.
type Screened struct {
	source int32   // in Engine.sources; -1: none
	rules  []int32 // the source's bound rules that matched, in order
	fields event.Snapshot
}

// Save records what the last Match found, for Resume.
func (m *Matcher) Save(sc *Screened) {
	sc.source, sc.rules = -1, sc.rules[:0]
	if m.src != nil {
		sc.source = int32(m.src.index)
		sc.rules = append(sc.rules, m.hits...)
	}
	m.fields.Save(&sc.fields)
}

// Resume gives the result of an event that a screener matched and saved:
// the same as Match's, from the correlation state of this matcher. raw is
// the event the screener matched; it must not have changed.
func (m *Matcher) Resume(raw []byte, sc *Screened) *Result {
	m.fields.Restore(&sc.fields, m.e.paths)
	r := m.begin(raw)
	if sc.source < 0 {
		return r
	}
	m.src = m.e.sources[sc.source]
	m.use(m.src)
	r.Source = m.src.src.Name
	for _, ri := range sc.rules {
		m.matched(ri)
	}
	return m.finish()
}

// use binds the source's rules if it is the first event of the source, and
// returns them.
func (m *Matcher) use(s *boundSource) []*boundRule {
	rules := s.boundRules()
	if n := s.npat - len(m.lits); n > 0 {
		m.lits = append(m.lits, make([]litHit, n)...)
	}
	return rules
}

// begin readies the matcher for the event whose fields it holds.
func (m *Matcher) begin(raw []byte) *Result {
	m.epoch++
	if m.epoch == 0 { // wrapped: clear the stamps
		clear(m.lits)
		clear(m.cand)
		m.epoch = 1
	}
	if need := 4*len(raw) + 1024; cap(m.arena) < need {
		m.arena = make([]byte, 0, need)
	}
	m.arena = m.arena[:0]
	m.tsDone = false
	m.plain = 0
	m.src = nil
	m.hits = m.hits[:0]
	r := &m.result
	r.Source, r.Rules, r.Alerts, r.Detections = "", r.Rules[:0], r.Alerts[:0], r.Detections[:0]
	return r
}

// matched records that bound rule ri of the event's source matched, and
// feeds the correlations it takes part in.
func (m *Matcher) matched(ri int32) {
	br := m.src.rules[ri]
	r := &m.result
	m.hits = append(m.hits, ri)
	r.Detections = append(r.Detections, br.index)
	if m.e.standalone[br.index] {
		r.Rules = append(r.Rules, br.index)
	}
	if m.corr == nil {
		return
	}
	for i := range br.links {
		m.corr.observe(m, &br.links[i])
	}
}

// finish completes the result of an event whose matched rules are recorded.
func (m *Matcher) finish() *Result {
	r := &m.result
	if m.corr != nil {
		m.corr.sweep(m)
	}
	if len(r.Rules) > 1 {
		sort.Ints(r.Rules)
		out := r.Rules[:1]
		for _, x := range r.Rules[1:] {
			if x != out[len(out)-1] {
				out = append(out, x)
			}
		}
		r.Rules = out
	}
	return r
}

// hasAny reports whether the event has a value in one of the slots.
func (m *Matcher) hasAny(slots []int) bool {
	for _, slot := range slots {
		if len(m.fields.Values(slot)) > 0 {
			return true
		}
	}
	return false
}

// scanSlot matches a field's literals against the slot's values and
// records their hits: anywhere, at the start, at the end, or the whole
// value. A value its set's cache holds is neither scanned nor lowered.
func (m *Matcher) scanSlot(k *fieldKey, slot int) {
	vals := m.fields.Values(slot)
	if slot == m.e.allSlot {
		vals = m.fields.Strings()
	}
	var st *slotText // the values as text, made for the first value not cached
	i := 0           // the value's index in st
	for _, v := range vals {
		if v.Kind == event.Object || v.Kind == event.Array {
			continue // as slot leaves them out
		}
		key := v.Raw
		if v.Kind == event.Null {
			key = nil // scanned as no text, unlike the string "null": never cached
		}
		if k.ci != nil {
			if c, ok := m.fromCache(k.ci, false, k.ciPids, key); !ok {
				if st == nil {
					st = m.slot(slot)
				}
				m.scan(k.ci, k.ciPids, st.lows[i], c, key)
			}
		}
		if k.cs != nil {
			if c, ok := m.fromCache(k.cs, true, k.csPids, key); !ok {
				if st == nil {
					st = m.slot(slot)
				}
				m.scan(k.cs, k.csPids, st.texts[i], c, key)
			}
		}
		i++
	}
}

// fromCache records the hits kept for a value, by its JSON text raw, in
// the matcher's cache of a literal set (the set matched against lowered
// text or, cased, against the text as it is). Else it returns the cache to
// keep them in once found, if any.
func (m *Matcher) fromCache(lits *literalSet, cased bool, pids []int32, raw []byte) (*valueCache, bool) {
	if m.e.noValueCache {
		return nil, false
	}
	at := 2 * lits.id
	if cased {
		at++
	}
	if at >= len(m.caches) {
		m.caches = append(m.caches, make([]*valueCache, at+1-len(m.caches))...)
	}
	c := m.caches[at]
	if c == nil {
		c = newValueCache()
		m.caches[at] = c
	}
	hits, ok := c.find(raw)
	if ok {
		m.record(pids, hits)
	}
	return c, ok
}

// scan matches a set's literals against one value's text and records
// their hits, keeping them in c (if not nil) for the value's JSON text raw.
func (m *Matcher) scan(lits *literalSet, pids []int32, text []byte, c *valueCache, raw []byte) {
	n := len(text)
	m.found = m.found[:0]
	lits.scan(text, func(local int32, start, end int) {
		f := hitAny
		if start == 0 {
			f |= hitStart
		}
		if end == n {
			f |= hitEnd
			if start == 0 {
				f |= hitExact
			}
		}
		m.found = append(m.found, localHit{local: local, flags: f})
	})
	if c != nil {
		c.keep(raw, m.found)
	}
	m.record(pids, m.found)
}

// record records the hits of a set's literals, pids giving their patterns.
func (m *Matcher) record(pids []int32, hits []localHit) {
	for _, hit := range hits {
		pid := pids[hit.local]
		h := &m.lits[pid]
		if h.epoch != m.epoch {
			h.epoch, h.flags = m.epoch, 0
			m.hitPids = append(m.hitPids, pid)
		}
		h.flags |= hit.flags
	}
}

// rawRulesOut reports whether no literal of a keyword search's key can
// occur in the event's strings, judging from the event's bytes, raw
// (quoted: the key's literals, printable ASCII, as JSON writes them),
// without collecting, unescaping and lowering every string. In a plain
// event (isPlainJSON) every printable ASCII character of a string is
// written as itself, or as \\ and \", and lowering the string lowers
// them alone to ASCII, so a literal in a lowered string is in the lowered
// JSON.
func (m *Matcher) rawRulesOut(quoted *literalSet, raw []byte) bool {
	if m.plain == 0 {
		m.plain = 2
		if isPlainJSON(raw) {
			m.plain = 1
		}
	}
	return m.plain == 1 && !quoted.holdsFolded(raw)
}

// isPlainJSON reports whether a JSON text writes every printable ASCII
// character as itself or, for the backslash and the quote, as \\ and \",
// and has no other character that lowers to ASCII (the Kelvin sign lowers
// to k).
func isPlainJSON(b []byte) bool {
	for i := 0; i < len(b); {
		if i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&asciiHighs == 0 {
			i += 8
			continue
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if unicode.ToLower(r) < utf8.RuneSelf {
			return false
		}
		i += n
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return true
		}
		i += j + 1
		if i == len(b) {
			return false
		}
		switch b[i] {
		case '\\', '"', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			r, ok := hex4(b[i+1:])
			if !ok || unicode.ToLower(r) < utf8.RuneSelf {
				return false
			}
			i += 5
		default: // \/ writes a printable character
			return false
		}
	}
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// slot returns the values of a slot as text, for this event.
func (m *Matcher) slot(slot int) *slotText {
	var st *slotText
	var vals []event.Value
	if slot == m.e.allSlot {
		st, vals = &m.all, m.fields.Strings()
	} else {
		if slot >= len(m.texts) {
			m.texts = append(m.texts, make([]slotText, slot+1-len(m.texts))...)
		}
		st = &m.texts[slot]
		vals = m.fields.Values(slot)
	}
	if st.epoch == m.epoch {
		return st
	}
	st.epoch = m.epoch
	st.texts, st.lows, st.kinds = st.texts[:0], st.lows[:0], st.kinds[:0]
	for _, v := range vals {
		if v.Kind == event.Object || v.Kind == event.Array {
			continue
		}
		var text []byte
		if v.Kind == event.Null {
			text = nil
		} else {
			text = v.Raw
			if v.Escaped() {
				text = m.keep(v.AppendText(m.arena[len(m.arena):]))
			}
		}
		low := text
		if needsLower(text) {
			low = m.keep(appendLower(m.arena[len(m.arena):], text))
		}
		st.texts = append(st.texts, text)
		st.lows = append(st.lows, low)
		st.kinds = append(st.kinds, v.Kind)
	}
	return st
}

// keep makes b, just appended past the arena's end, part of the arena; if
// it outgrew the arena's capacity it is already a fresh allocation.
func (m *Matcher) keep(b []byte) []byte {
	n := len(m.arena)
	if len(b) > 0 && n+len(b) <= cap(m.arena) && &m.arena[n : n+1][0] == &b[0] {
		m.arena = m.arena[:n+len(b)]
	}
	return b[:len(b):len(b)]
}

func (m *Matcher) evalTest(bt *boundTest) bool {
	t := bt.t
	switch t.op {
	case opExists:
		found := false
		for _, s := range bt.slots {
			if s == m.e.allSlot || len(m.fields.Values(s)) > 0 {
				found = true
				break
			}
		}
		return found == t.exist
	case opNull:
		any := false
		for _, s := range bt.slots {
			st := m.slot(s)
			for i := range st.texts {
				if st.kinds[i] == event.Null {
					return true
				}
				any = true
			}
		}
		return !any
	case opFieldRef:
		for _, s := range bt.slots {
			st := m.slot(s)
			for _, rs := range bt.refs {
				rt := m.slot(rs)
				for i := range st.texts {
					for j := range rt.texts {
						if fieldRefMatch(t, st, i, rt, j) {
							return true
						}
					}
				}
			}
		}
		return false
	}
	for _, s := range bt.slots {
		if s != m.e.allSlot && len(m.fields.Values(s)) == 0 {
			continue
		}
		st := m.slot(s)
		for i := range st.texts {
			if st.kinds[i] == event.Null {
				continue
			}
			if t.op == opMatch {
				if t.cased {
					if t.glob.matchBytes(st.texts[i]) {
						return true
					}
				} else if bt.t.low.matchBytes(st.lows[i]) {
					return true
				}
				continue
			}
			if m.testText(t, st.texts[i], st.lows[i]) {
				return true
			}
		}
	}
	return false
}

func fieldRefMatch(t *fieldTest, a *slotText, i int, b *slotText, j int) bool {
	x, y := a.lows[i], b.lows[j]
	if t.cased {
		x, y = a.texts[i], b.texts[j]
	}
	switch sh, _ := t.glob.shape(); sh {
	case shapeContains:
		return bytes.Contains(x, y)
	case shapePrefix:
		return bytes.HasPrefix(x, y)
	case shapeSuffix:
		return bytes.HasSuffix(x, y)
	}
	return bytes.Equal(x, y)
}

// testText applies a non-glob test to one value.
func (m *Matcher) testText(t *fieldTest, text, low []byte) bool {
	switch t.op {
	case opRegex:
		return t.reHint.admits(text, low) && t.re.Match(text)
	case opCIDR:
		a, ok := ipaddr.Parse(bytes.TrimSpace(text))
		return ok && t.net.Contains(a.Unmap())
	case opNumCmp:
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(text)), 64)
		return err == nil && compare(f, t.cmp, t.num)
	case opTimePart:
		ns, ok := parseTime(text)
		if !ok {
			return false
		}
		tm := time.Unix(0, ns).UTC()
		var v int
		switch t.part {
		case "minute":
			v = tm.Minute()
		case "hour":
			v = tm.Hour()
		case "day":
			v = tm.Day()
		case "week":
			_, v = tm.ISOWeek()
		case "month":
			v = int(tm.Month())
		case "year":
			v = tm.Year()
		}
		return float64(v) == t.num
	case opMatch:
		if t.cased {
			return t.glob.matchBytes(text)
		}
		return t.low.matchBytes(low)
	}
	return false
}

func compare(v float64, op string, x float64) bool {
	switch op {
	case "gt":
		return v > x
	case "gte":
		return v >= x
	case "lt":
		return v < x
	case "lte":
		return v <= x
	case "eq":
		return v == x
	case "neq":
		return v != x
	}
	return false
}

// eventTime returns the event's time in Unix nanoseconds, from the schema's
// timestamp fields.
func (m *Matcher) eventTime() (int64, bool) {
	if m.tsDone {
		return m.ts, m.tsOK
	}
	m.tsDone, m.tsOK = true, false
	for _, s := range m.src.tsSlots {
		for _, v := range m.fields.Values(s) {
			if v.Kind == event.Number {
				// Epoch seconds or milliseconds.
				if f, err := strconv.ParseFloat(string(v.Raw), 64); err == nil {
					if f > 1e12 {
						f /= 1000
					}
					m.ts, m.tsOK = int64(f*1e9), true
					return m.ts, true
				}
			}
			if ns, ok := parseTime(v.Raw); ok {
				m.ts, m.tsOK = ns, true
				return m.ts, true
			}
		}
	}
	return 0, false
}

// parseTime reads the timestamp forms found in logs (see
// event.ParseLogTime), spaces around them aside, as Unix nanoseconds.
func parseTime(b []byte) (int64, bool) {
	return event.ParseLogTime(bytes.TrimSpace(b))
}

// firstText returns the text of the first non-null value of a field.
func (m *Matcher) firstText(slots []int) []byte {
	for _, s := range slots {
		if s != m.e.allSlot && len(m.fields.Values(s)) == 0 {
			continue
		}
		st := m.slot(s)
		for i, t := range st.texts {
			if st.kinds[i] != event.Null {
				return t
			}
		}
	}
	return nil
}

// Fields returns the fields extracted from the last event matched, holding
// the engine's paths (and any added to Engine.Paths before NewMatcher).
func (m *Matcher) Fields() *event.Fields { return &m.fields }
