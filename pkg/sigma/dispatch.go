package sigma

import (
	"slices"

	"github.com/secpipe/secpipe/pkg/event"
)

// dispatch indexes a run of consecutive sources whose "when" each requires
// one field (the same slots for all) to equal one of a few values, as
// Zeek's _path, Suricata's and the lab's event_type and the event logs'
// EventID do. An event can belong only to the sources of the run that
// want a value it has, so those are the only ones tried.
type dispatch struct {
	slots   []int
	end     int              // the index after the run
	byValue map[string][]int // lowered value -> sources of the run wanting it, in order
}

// minDispatch is the shortest run worth an index.
const minDispatch = 3

// setDispatch gives every source in a run of at least minDispatch sources
// keyed alike the run's index.
func setDispatch(sources []*boundSource) {
	keys := make([][]keyTest, len(sources))
	for i, s := range sources {
		keys[i] = whenKeys(s.when)
	}
	for i := 0; i < len(sources); {
		best, bestLen := -1, 0
		for k, key := range keys[i] {
			n := 1
			for i+n < len(sources) && slices.ContainsFunc(keys[i+n], key.sameSlots) {
				n++
			}
			if n > bestLen {
				best, bestLen = k, n
			}
		}
		if bestLen < minDispatch {
			i++
			continue
		}
		slots := keys[i][best].slots
		d := &dispatch{slots: slots, end: i + bestLen, byValue: map[string][]int{}}
		for j := i; j < d.end; j++ {
			k := slices.IndexFunc(keys[j], func(t keyTest) bool { return slices.Equal(t.slots, slots) })
			for _, v := range keys[j][k].values {
				if l := d.byValue[v]; len(l) == 0 || l[len(l)-1] != j {
					d.byValue[v] = append(l, j)
				}
			}
			sources[j].dispatch = d
		}
		i = d.end
	}
}

// keyTest is a conjunct of a "when": a field that must equal one of values
// (lowered).
type keyTest struct {
	slots  []int
	values []string
}

func (k keyTest) sameSlots(o keyTest) bool { return slices.Equal(k.slots, o.slots) }

// whenKeys returns the conjuncts of a bound "when" that require a field to
// equal, case-insensitively, one of some values.
func whenKeys(when *node) []keyTest {
	conjuncts := []*node{when}
	if when.kind == nodeAnd {
		conjuncts = when.kids
	}
	var keys []keyTest
	for _, c := range conjuncts {
		alts := []*node{c}
		if c.kind == nodeOr {
			alts = c.kids
		}
		var key keyTest
		for _, a := range alts {
			lit, ok := exactTest(a)
			if !ok || (key.slots != nil && !slices.Equal(key.slots, a.test.slots)) {
				key.slots = nil
				break
			}
			key.slots = a.test.slots
			key.values = append(key.values, lit)
		}
		if key.slots != nil {
			keys = append(keys, key)
		}
	}
	return keys
}

// exactTest returns the lowered value that a case-insensitive equality test
// wants.
func exactTest(n *node) (string, bool) {
	if n.kind != nodeTest {
		return "", false
	}
	t := n.test.t
	if t.op != opMatch || t.cased || t.field == "" || len(n.test.slots) == 0 {
		return "", false
	}
	sh, lit := t.low.shape()
	return lit, sh == shapeExact
}

// dispatched returns the first source of d's run, from index from on, whose
// "when" the event meets, or -1.
func (m *Matcher) dispatched(d *dispatch, from int) int {
	found := -1
	for _, slot := range d.slots {
		if len(m.fields.Values(slot)) == 0 {
			continue
		}
		st := m.slot(slot)
		for j, low := range st.lows {
			if st.kinds[j] == event.Null {
				continue
			}
			for _, c := range d.byValue[string(low)] {
				if found >= 0 && c >= found {
					break
				}
				if c < from {
					continue
				}
				if m.meets(m.e.sources[c]) {
					found = c
					break
				}
			}
		}
	}
	return found
}

// meets reports whether the event meets a source's "when".
func (m *Matcher) meets(s *boundSource) bool {
	for _, group := range s.needs {
		if !m.hasAny(group) {
			return false
		}
	}
	return m.eval(s.when)
}
