package sigma

import "github.com/secpipe/secpipe/pkg/event"

// FieldRef is a Sigma field name (Computer, Channel, EventID, CommandLine)
// placed in every mapping source of an engine, so that a matcher can read
// it from whatever kind of event it matched.
type FieldRef struct {
	Name  string
	slots [][]int // by source index
}

// Field places a Sigma field in every source. Call it before making the
// matchers that read it (it adds event paths).
func (e *Engine) Field(name string) FieldRef {
	ref := FieldRef{Name: name, slots: make([][]int, len(e.sources))}
	for i, bs := range e.sources {
		for _, p := range e.mapping.paths(bs.src, name) {
			ref.slots[i] = append(ref.slots[i], e.paths.Add(p))
		}
	}
	return ref
}

// Text returns the first non-null value of a field in the last event
// matched, as text, or nil when the event has none or belongs to no
// source. The bytes are valid until the next Match.
func (m *Matcher) Text(f FieldRef) []byte {
	if m.src == nil || m.src.index >= len(f.slots) {
		return nil
	}
	for _, s := range f.slots[m.src.index] {
		for _, v := range m.fields.Values(s) {
			if v.Kind != event.Null && v.Kind != event.Object && v.Kind != event.Array {
				return []byte(v.Text())
			}
		}
	}
	return nil
}

// Time returns the last event's time in Unix nanoseconds, read from its
// source's timestamp fields; ok is false when it has none.
func (m *Matcher) Time() (ns int64, ok bool) {
	if m.src == nil {
		return 0, false
	}
	return m.eventTime()
}
