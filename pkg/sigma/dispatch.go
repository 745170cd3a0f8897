package sigma

import (
	"slices"

	"github.com/secpipe/secpipe/pkg/event"
)

// dispatch indexes a run of consecutive sources whose "when" each requires
// one field (the same slots for all) to equal one of a few values, as
// Zeek's _path, Suricata's and the lab's event_type and the event logs'
// Channel do. An event can belong only to the sources of the run that
// want a value it has, so those are the only ones tried.
type dispatch struct {
	slots   []int
	end     int                // the index after the run
	byValue map[string]*choice // lowered value -> sources of the run wanting it
}

// choice is the sources of a run that want one value, in order. When many
// of them also want a second field to have a value (the Sysmon sources of
// a Channel, by EventID), they are indexed by it too.
type choice struct {
	sources []int
	second  *secondKey // nil: none
}

// secondKey indexes a choice's sources by a second field.
type secondKey struct {
	slots   []int
	byValue map[string][]int // lowered value -> sources wanting it, in order
	rest    []int            // the choice's sources that test no such value
}

// minDispatch is the fewest sources worth an index.
const minDispatch = 3

// setDispatch gives every source in a run of at least minDispatch sources
// keyed alike the run's index.
func setDispatch(sources []*boundSource) {
	keys := make([][]keyTest, len(sources))
	for i, s := range sources {
		keys[i] = whenKeys(s.whenTree)
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
		d := &dispatch{slots: slots, end: i + bestLen, byValue: map[string]*choice{}}
		for j := i; j < d.end; j++ {
			for _, v := range keyOn(keys[j], slots).values {
				c := d.byValue[v]
				if c == nil {
					c = &choice{}
					d.byValue[v] = c
				}
				if len(c.sources) == 0 || c.sources[len(c.sources)-1] != j {
					c.sources = append(c.sources, j)
				}
			}
			sources[j].dispatch = d
		}
		for _, c := range d.byValue {
			c.second = newSecondKey(c.sources, keys, slots)
		}
		i = d.end
	}
}

// newSecondKey indexes sources (a choice's) by the field other than first
// that most of them want a value of, or returns nil.
func newSecondKey(sources []int, keys [][]keyTest, first []int) *secondKey {
	if len(sources) < minDispatch {
		return nil
	}
	var best []int
	bestCount := 0
	for _, j := range sources {
		for _, k := range keys[j] {
			if slices.Equal(k.slots, first) {
				continue
			}
			n := 0
			for _, j2 := range sources {
				if keyOn(keys[j2], k.slots).slots != nil {
					n++
				}
			}
			if n > bestCount {
				best, bestCount = k.slots, n
			}
		}
	}
	if bestCount < minDispatch {
		return nil
	}
	sk := &secondKey{slots: best, byValue: map[string][]int{}}
	for _, j := range sources {
		k := keyOn(keys[j], best)
		if k.slots == nil {
			sk.rest = append(sk.rest, j)
			continue
		}
		for _, v := range k.values {
			if l := sk.byValue[v]; len(l) == 0 || l[len(l)-1] != j {
				sk.byValue[v] = append(l, j)
			}
		}
	}
	return sk
}

// keyOn returns the key of keys on slots (none: a zero keyTest).
func keyOn(keys []keyTest, slots []int) keyTest {
	for _, k := range keys {
		if slices.Equal(k.slots, slots) {
			return k
		}
	}
	return keyTest{}
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
	m.eachValue(d.slots, func(v []byte) {
		c := d.byValue[string(v)]
		if c == nil {
			return
		}
		if c.second == nil {
			found = m.firstMeeting(c.sources, from, found)
			return
		}
		m.eachValue(c.second.slots, func(v2 []byte) {
			found = m.firstMeeting(c.second.byValue[string(v2)], from, found)
		})
		found = m.firstMeeting(c.second.rest, from, found)
	})
	return found
}

// eachValue calls f with the lowered text of each value of the event in
// slots, nulls aside.
func (m *Matcher) eachValue(slots []int, f func(low []byte)) {
	for _, slot := range slots {
		if len(m.fields.Values(slot)) == 0 {
			continue
		}
		st := m.slot(slot)
		for j, low := range st.lows {
			if st.kinds[j] != event.Null {
				f(low)
			}
		}
	}
}

// firstMeeting returns the first source of candidates (in order), from
// index from on and before found (-1: no bound), whose "when" the event
// meets; else found.
func (m *Matcher) firstMeeting(candidates []int, from, found int) int {
	for _, c := range candidates {
		if found >= 0 && c >= found {
			break
		}
		if c >= from && m.meets(m.e.sources[c]) {
			return c
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
	return m.run(&s.when, 0)
}
