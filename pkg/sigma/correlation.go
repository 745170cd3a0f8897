package sigma

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ParseTimespan reads a Sigma timespan: a number and s, m, h, d or w ("90m").
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid timespan %q (want a number and s, m, h or d, e.g. 5m)", s)
	}
	n, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid timespan %q (want a number and s, m, h or d, e.g. 5m)", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("invalid timespan %q (want a number and s, m, h or d, e.g. 5m)", s)
	}
	return time.Duration(n * float64(unit)), nil
}

// corrRule is a compiled correlation rule.
type corrRule struct {
	pos   int // in Engine.corrs
	index int // in Engine.Rules
	rule  *Rule
	c     *Correlation
	span  int64
	refs  []int // Engine.Rules indexes of the correlated rules, in order
	cond  []bound
}

// bound is one comparison of a correlation's condition: the value must be
// op x. Every bound must hold.
type bound struct {
	op string // gt, gte, lt, lte, eq, neq
	x  float64
}

// holds reports whether v meets every bound of the condition.
func (cr *corrRule) holds(v float64) bool {
	for _, b := range cr.cond {
		if !compare(v, b.op, b.x) {
			return false
		}
	}
	return true
}

// corrLink connects a correlated rule, in one source, to a correlation.
type corrLink struct {
	corr    *corrRule
	order   int      // position of the rule in the correlation's rules
	group   [][]int  // slots of each group-by field
	fields  []string // group-by field names as the correlation gives them
	paths   []string // first event path of each group-by field, for alerts
	value   [][]int  // slots of the condition's field(s)
	chained []corrLink
}

// Alert reports a correlation whose condition became true.
type Alert struct {
	Rule     int // index in Engine.Rules of the correlation
	Type     string
	Group    []GroupValue
	Value    float64 // the count, distinct count, sum, average or percentage compared
	Start    time.Time
	End      time.Time
	Timespan string
}

// GroupValue is one group-by field of an alert.
type GroupValue struct {
	Field string // as the correlation names it
	Path  string // where it lies in events of the triggering source
	Value string
}

// compileCorrelations adds the correlations that can be evaluated to
// e.Rules. One that refers to a rule not loaded, or to itself through its
// rules, is a problem and not loaded; so is one that refers to it.
func (e *Engine) compileCorrelations(rules []*Rule, byRef map[string][]int) []Problem {
	var corrs []*corrRule
	corrByRef := map[string]*corrRule{}
	for _, r := range rules {
		if r.Correlation == nil {
			continue
		}
		span, _ := ParseTimespan(r.Correlation.Timespan)
		cr := &corrRule{rule: r, c: r.Correlation, span: int64(span)}
		for op, x := range r.Correlation.Condition {
			cr.cond = append(cr.cond, bound{op, x})
		}
		corrs = append(corrs, cr)
		for _, ref := range []string{r.ID, r.Name} {
			if _, dup := corrByRef[ref]; ref != "" && !dup {
				corrByRef[ref] = cr
			}
		}
	}
	// A reference names a detection rule first, else a correlation.
	target := func(ref string) (det bool, cr *corrRule) {
		if _, ok := byRef[ref]; ok {
			return true, nil
		}
		return false, corrByRef[ref]
	}
	bad := map[*corrRule]error{}
	var reaches func(from, goal *corrRule, depth int) bool
	reaches = func(from, goal *corrRule, depth int) bool {
		if depth > len(corrs) {
			return false
		}
		for _, ref := range from.c.Rules {
			if _, cr := target(ref); cr != nil && (cr == goal || reaches(cr, goal, depth+1)) {
				return true
			}
		}
		return false
	}
	// Until no more is found bad: a bad correlation unloads those above it.
	for changed := true; changed; {
		changed = false
		for _, cr := range corrs {
			if bad[cr] != nil {
				continue
			}
			for _, ref := range cr.c.Rules {
				if det, c := target(ref); !det && (c == nil || bad[c] != nil) {
					bad[cr] = fmt.Errorf("correlation refers to rule %q, which is not loaded", ref)
					break
				}
			}
			if bad[cr] == nil && reaches(cr, cr, 0) {
				bad[cr] = errors.New("correlation refers to itself through its rules")
			}
			changed = changed || bad[cr] != nil
		}
	}
	var problems []Problem
	for _, cr := range corrs {
		if err := bad[cr]; err != nil {
			problems = append(problems, Problem{Rule: cr.rule, Err: err})
			continue
		}
		cr.index = len(e.Rules)
		cr.pos = len(e.corrs)
		e.Rules = append(e.Rules, cr.rule)
		e.standalone = append(e.standalone, true)
		e.corrs = append(e.corrs, cr)
	}
	generate := map[int]bool{}
	referenced := map[int]bool{}
	for _, cr := range e.corrs {
		for _, ref := range cr.c.Rules {
			idx := 0
			if det, c := target(ref); det {
				idx = byRef[ref][0]
			} else {
				idx = c.index
			}
			cr.refs = append(cr.refs, idx)
			referenced[idx] = true
			if cr.c.Generate {
				generate[idx] = true
			}
		}
	}
	for idx := range referenced {
		if !generate[idx] {
			e.standalone[idx] = false
		}
	}
	return problems
}

// linksFor returns the correlations fed by rule idx, with fields bound by
// the binder of a source.
func (e *Engine) linksFor(idx int, b *binder) []corrLink {
	bs := b.bs
	var links []corrLink
	for _, cr := range e.corrs {
		for order, ref := range cr.refs {
			if ref != idx {
				continue
			}
			l := corrLink{corr: cr, order: order}
			name := e.Rules[idx].Name
			for _, g := range cr.c.GroupBy {
				field := g
				if a, ok := cr.c.Aliases[g]; ok {
					if f, ok := a[name]; ok {
						field = f
					}
				}
				l.group = append(l.group, b.slots(field))
				l.fields = append(l.fields, g)
				l.paths = append(l.paths, e.mapping.paths(bs.src, field)[0])
			}
			for _, f := range cr.c.Field {
				l.value = append(l.value, b.slots(f))
			}
			l.chained = e.linksFor(cr.index, b)
			links = append(links, l)
		}
	}
	return links
}

// corrState holds the windows of every correlation, by group.
type corrState struct {
	e        *Engine
	groups   []map[string]*group
	maxTime  int64
	late     int64 // the most an event's time fell behind maxTime (up to MaxLateness)
	observed int
	keyBuf   []byte
	valBuf   []byte
}

type group struct {
	last   int64
	times  window[int64]    // event_count: times of the events in the window
	vals   window[timedVal] // value_*: values in the window
	counts map[string]*valueCount
	seen   []int64 // temporal: last time of each rule; temporal_ordered: chain start through each rule
	active bool
	key    string // the group-by values, joined by NULs
}

// valueCount counts a value in a window; it holds the value's one string,
// which every timedVal of the value shares.
type valueCount struct {
	s string
	n int
}

type timedVal struct {
	t   int64
	s   string
	num float64
}

func newCorrState(e *Engine) *corrState {
	return &corrState{e: e, groups: make([]map[string]*group, len(e.corrs))}
}

// observe records that the current event matched the rule of link.
func (cs *corrState) observe(m *Matcher, link *corrLink) {
	cr := link.corr
	t, ok := m.eventTime()
	if !ok {
		t = cs.maxTime // no time: count it as now
	}
	if t > cs.maxTime {
		cs.maxTime = t
	} else if behind := min(cs.maxTime-t, int64(MaxLateness)); behind > cs.late {
		cs.late = behind
	}
	cs.observed++

	cs.keyBuf = cs.keyBuf[:0]
	for i, slots := range link.group {
		if i > 0 {
			cs.keyBuf = append(cs.keyBuf, 0)
		}
		cs.keyBuf = append(cs.keyBuf, m.firstText(slots)...)
	}
	gm := cs.groups[cr.pos]
	if gm == nil {
		gm = map[string]*group{}
		cs.groups[cr.pos] = gm
	}
	g := gm[string(cs.keyBuf)]
	if g == nil {
		key := string(cs.keyBuf)
		g = &group{key: key}
		gm[key] = g
	}
	g.last = t
	from := t - cr.span

	var value float64
	holds := false
	switch cr.c.Type {
	case "event_count":
		times := g.times.items()
		g.times.drop(sort.Search(len(times), func(i int) bool { return times[i] >= from }))
		g.times.push(t)
		value = float64(len(g.times.items()))
		holds = cr.holds(value)
	case "value_count", "value_sum", "value_avg", "value_percentile":
		if g.counts == nil {
			g.counts = map[string]*valueCount{}
		}
		vals := g.vals.items()
		k := 0
		for ; k < len(vals) && vals[k].t < from; k++ {
			old := g.counts[vals[k].s]
			if old.n--; old.n <= 0 {
				delete(g.counts, old.s)
			}
		}
		text := cs.fieldValue(m, link)
		vc := g.counts[string(text)]
		if vc == nil {
			vc = &valueCount{s: string(text)}
			g.counts[vc.s] = vc
		}
		vc.n++
		v := timedVal{t: t, s: vc.s}
		if cr.c.Type != "value_count" { // only the numeric types need the number
			v.num, _ = strconv.ParseFloat(v.s, 64)
		}
		g.vals.drop(k)
		g.vals.push(v)
		vals = g.vals.items()
		switch cr.c.Type {
		case "value_count":
			value = float64(len(g.counts))
		case "value_sum", "value_avg":
			for _, x := range vals {
				value += x.num
			}
			if cr.c.Type == "value_avg" {
				value /= float64(len(vals))
			}
		case "value_percentile":
			// The share, in percent, of the window's events that have
			// this event's value: rare values have a low percentile.
			value = 100 * float64(vc.n) / float64(len(vals))
		}
		holds = cr.holds(value)
	case "temporal", "temporal_ordered":
		if g.seen == nil {
			g.seen = make([]int64, len(cr.refs))
			for i := range g.seen {
				g.seen[i] = -1 << 62
			}
		}
		k := link.order
		if cr.c.Type == "temporal" {
			g.seen[k] = t
		} else if k == 0 {
			g.seen[0] = t
		} else if g.seen[k-1] >= from && g.seen[k-1] > g.seen[k] {
			g.seen[k] = g.seen[k-1]
		}
		holds = true
		if cr.c.Type == "temporal" {
			for _, s := range g.seen {
				if s < from {
					holds = false
				}
			}
		} else {
			holds = g.seen[len(g.seen)-1] >= from
		}
		value = float64(len(cr.refs))
		if len(cr.c.Condition) > 0 && holds {
			n := 0
			for _, s := range g.seen {
				if s >= from {
					n++
				}
			}
			value = float64(n)
			holds = cr.holds(value)
		}
	}
	if cr.c.Type == "temporal_ordered" && link.order != len(cr.refs)-1 {
		// Earlier steps of an ordered sequence start or extend it; only the
		// event that completes it, and later final steps, carry its tags.
		return
	}
	if !holds {
		g.active = false
		return
	}
	e := cs.e
	if !g.active {
		g.active = true
		if e.standalone[cr.index] {
			a := Alert{Rule: cr.index, Type: cr.c.Type, Value: value, Start: time.Unix(0, from), End: time.Unix(0, t), Timespan: cr.c.Timespan}
			values := strings.Split(g.key, "\x00")
			for i, f := range link.fields {
				a.Group = append(a.Group, GroupValue{Field: f, Path: link.paths[i], Value: values[i]})
			}
			m.result.Alerts = append(m.result.Alerts, a)
		}
	}
	if e.standalone[cr.index] {
		m.result.Rules = append(m.result.Rules, cr.index)
	}
	for i := range link.chained {
		cs.observe(m, &link.chained[i])
	}
}

// fieldValue returns the event's value of the correlation's field (its
// fields' values joined by NULs), in a buffer reused by the next call.
func (cs *corrState) fieldValue(m *Matcher, link *corrLink) []byte {
	if len(link.value) == 1 {
		return m.firstText(link.value[0])
	}
	cs.valBuf = cs.valBuf[:0]
	for i, slots := range link.value {
		if i > 0 {
			cs.valBuf = append(cs.valBuf, 0)
		}
		cs.valBuf = append(cs.valBuf, m.firstText(slots)...)
	}
	return cs.valBuf
}

// MaxLateness bounds how far behind the latest event time seen an event may
// come and still find its group's window as it was. Events read from
// several Kafka partitions interleave: one partition may be behind the
// others in event time, while each group's events, keyed to one
// partition, stay in order.
var MaxLateness = time.Hour

// sweep drops groups whose window has passed, so that state stays bounded
// by what the windows hold. A window has passed once the latest event time
// is a span beyond it, and twice the lateness seen so far: events in time
// order (a pipe) drop groups as soon as possible, events interleaved from
// partitions only once no lagging partition can still add to them.
func (cs *corrState) sweep(m *Matcher) {
	if cs.observed < 4096 {
		return
	}
	cs.observed = 0
	for pos, gm := range cs.groups {
		span := cs.e.corrs[pos].span
		for k, g := range gm {
			if g.last < cs.maxTime-span-2*cs.late {
				delete(gm, k)
			}
		}
	}
}

// window is what a time window holds, oldest first, in an array reused as
// it slides: a window costs a constant time per event, however many it
// holds, and allocates only to grow.
type window[T any] struct {
	buf   []T
	start int // buf[start:] is in the window
}

func (w *window[T]) items() []T { return w.buf[w.start:] }

// drop takes the k oldest items out.
func (w *window[T]) drop(k int) { w.start += k }

// push adds an item, newest.
func (w *window[T]) push(v T) {
	if len(w.buf) == cap(w.buf) && w.start >= len(w.buf)/2 {
		// At least half the array is dropped items: move the window to its
		// front instead of growing it.
		n := copy(w.buf, w.buf[w.start:])
		clear(w.buf[n:])
		w.buf, w.start = w.buf[:n], 0
	}
	w.buf = append(w.buf, v)
}
