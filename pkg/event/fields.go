package event

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a value.
type Kind uint8

// The JSON kinds.
const (
	String Kind = iota + 1
	Number
	Bool
	Null
	Object
	Array
)

// Value is one JSON value found in an event. Raw points into the event's
// bytes: for a string, its content between the quotes, still escaped.
type Value struct {
	Kind    Kind
	Raw     []byte
	escaped bool
}

// AppendText appends the value as text: a string unescaped, any other value
// as its JSON token ("true", "42", "null", or the raw object or array).
func (v Value) AppendText(dst []byte) []byte {
	if v.Kind == String && v.escaped {
		return appendUnescaped(dst, v.Raw)
	}
	return append(dst, v.Raw...)
}

// Escaped reports whether the value is a string with escapes: its text is
// not its Raw bytes.
func (v Value) Escaped() bool { return v.Kind == String && v.escaped }

// Text returns the value as text; it allocates only for escaped strings.
func (v Value) Text() string {
	if v.Kind == String && v.escaped {
		return string(appendUnescaped(nil, v.Raw))
	}
	return string(v.Raw)
}

// Float returns the value as a number: a JSON number, or a string holding one.
func (v Value) Float() (float64, bool) {
	switch v.Kind {
	case Number, String:
		f, err := strconv.ParseFloat(string(v.Raw), 64)
		return f, err == nil
	}
	return 0, false
}

// Paths is a compiled set of dotted field paths, such as "process.command_line",
// to extract from events. A path names nested object members joined by dots,
// so {"process":{"command_line":...}} and {"process.command_line":...} give the
// same path; each element of an array is a value of the array's path. A "*"
// segment stands for any member name: "Event.UserData.*.User".
type Paths struct {
	// index maps a path to its slot+1 (0: not a wanted path), with
	// descendBit set when it is a proper prefix of a wanted path.
	index map[string]uint32
	names []string
	// keys has a bit for each (length, first byte) of a member name that
	// can be part of a wanted path, to skip other members without building
	// their path and looking it up.
	keys [64]uint64
}

// NewPaths returns a set holding the given paths.
func NewPaths(paths ...string) *Paths {
	p := &Paths{index: map[string]uint32{}}
	for _, s := range paths {
		p.Add(s)
	}
	return p
}

// Add adds a path if it is new and returns its slot.
func (p *Paths) Add(path string) int {
	if e := p.index[path]; e&slotMask != 0 {
		return int(e&slotMask) - 1
	}
	s := len(p.names)
	p.index[path] = p.index[path]&(descendBit|wildBit) | uint32(s+1)
	p.names = append(p.names, path)
	// A member name may hold one segment or several joined by dots
	// ({"process.command_line": ...}): note every run of segments.
	segs := strings.Split(path, ".")
	for i := range segs {
		name := ""
		for j := i; j < len(segs); j++ {
			if j > i {
				name += "."
			}
			name += segs[j]
			if name != "" {
				p.keys[len(name)&63] |= 1 << (name[0] & 63)
			}
		}
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			p.index[path[:i]] |= descendBit
			if strings.HasPrefix(path[i+1:], "*.") || path[i+1:] == "*" {
				p.index[path[:i]] |= wildBit
			}
		}
	}
	return s
}

const (
	descendBit = 1 << 31
	wildBit    = 1 << 30 // members of this object also match "*"
	slotMask   = wildBit - 1
)

// mayHave reports whether a member name can be part of a wanted path.
func (p *Paths) mayHave(name []byte) bool {
	return len(name) > 0 && p.keys[len(name)&63]&(1<<(name[0]&63)) != 0
}

// Slot returns the slot of a path, or -1 if the set does not hold it.
func (p *Paths) Slot(path string) int {
	return int(p.index[path]&slotMask) - 1
}

// Len returns the number of paths.
func (p *Paths) Len() int { return len(p.names) }

// Name returns the path of a slot.
func (p *Paths) Name(slot int) string { return p.names[slot] }

// Fields holds the values extracted from one event, by slot.
// Reuse one Fields across events to avoid allocations.
type Fields struct {
	cache      []lookupCache // the previous event's lookups, in order
	cacheOf    *Paths        // the set the cache was filled from
	cacheNames int           // its size then: paths added later invalidate it
	vals       [][]Value
	set        []int32 // the slots given values by this event, to clear at the next
	borrowed   bool    // vals and members point into a Snapshot (Restore)
	raw        []byte  // the event
	strs       []Value // every string value of raw, once Strings has run
	strsDone   bool
	path       []byte
	keyBuf     []byte
	members    []Member
}

// Member is one top-level member of an object: its key and where it lies.
type Member struct {
	Key        []byte // still escaped
	Start, End int    // byte range of `"key":value` within the event
}

// Values returns the values found at a slot's path.
func (f *Fields) Values(slot int) []Value {
	if slot < 0 || slot >= len(f.vals) {
		return nil
	}
	return f.vals[slot]
}

// Strings returns every string value of the event, at any depth, in the
// order they come. They are found on the first call for an event: few
// events are searched for a keyword.
func (f *Fields) Strings() []Value {
	if !f.strsDone {
		f.strs, f.strsDone = appendStrings(f.strs[:0], f.raw), true
	}
	return f.strs
}

// appendStrings appends the string values of b, valid JSON, in order.
func appendStrings(dst []Value, b []byte) []Value {
	for i := 0; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return dst
		}
		start := i + q
		end, esc := stringEnd(b, start)
		// A string followed by a colon is a member's key.
		if j := skipWS(b, end); j >= len(b) || b[j] != ':' {
			dst = append(dst, Value{Kind: String, Raw: b[start+1 : end-1], escaped: esc})
		}
		i = end
	}
}

// Members returns the event's top-level members in order.
func (f *Fields) Members() []Member { return f.members }

// Extract fills f with the values of p's paths in raw, a valid JSON object.
func (p *Paths) Extract(raw []byte, f *Fields) {
	f.reset(p)
	f.path = f.path[:0]
	if f.cacheOf != p || len(f.cache) > 0 && len(p.names) != f.cacheNames {
		f.cache, f.cacheOf, f.cacheNames = f.cache[:0], p, len(p.names)
	}
	f.raw = raw
	x := extractor{p: p, f: f, b: raw}
	x.object(skipWS(raw, 0), true)
}

// reset empties f for an event's values of p's paths.
func (f *Fields) reset(p *Paths) {
	// Only the slots the last event filled are cleared: an engine may
	// know thousands of paths, of which an event has a few dozen.
	for _, i := range f.set {
		if int(i) < len(f.vals) {
			if f.borrowed {
				f.vals[i] = nil // the Snapshot's: never append to it
			} else {
				f.vals[i] = f.vals[i][:0]
			}
		}
	}
	if f.borrowed {
		f.members, f.borrowed = nil, false
	}
	f.set = f.set[:0]
	if cap(f.vals) < len(p.names) {
		vals := make([][]Value, len(p.names))
		copy(vals, f.vals[:cap(f.vals)])
		f.vals = vals
	}
	f.vals = f.vals[:len(p.names)]
	f.strs, f.strsDone = f.strs[:0], false
	f.members = f.members[:0]
}

type extractor struct {
	p *Paths
	f *Fields
	b []byte
	n int // lookups so far in this event
}

// lookup returns the index entry of the current path. Events of a stream
// mostly share their layout, or one of a few: the n-th lookup of an event
// usually asks for a path one of the last few events asked for at their
// n-th, and comparing the path with those is cheaper than hashing it.
func (x *extractor) lookup() uint32 {
	n := x.n
	x.n++
	if n >= len(x.f.cache) {
		if n >= 256 {
			return x.p.index[string(x.f.path)]
		}
		x.f.cache = append(x.f.cache, lookupCache{})
	}
	c := &x.f.cache[n]
	for i := range c.ways {
		if w := &c.ways[i]; w.set && string(w.path) == string(x.f.path) {
			return w.entry
		}
	}
	e := x.p.index[string(x.f.path)]
	w := &c.ways[c.next]
	c.next = (c.next + 1) % uint8(len(c.ways))
	w.path, w.entry, w.set = append(w.path[:0], x.f.path...), e, true
	return e
}

// lookupCache holds the last paths looked up at one position of events.
type lookupCache struct {
	ways [4]struct {
		path  []byte
		entry uint32
		set   bool
	}
	next uint8 // the way to replace next
}

// want reports what to do with the value at the current path.
func (x *extractor) want() (slot int, descend bool) {
	e := x.lookup()
	return int(e&slotMask) - 1, e&descendBit != 0
}

// wild reports whether the current path's members also stand for "*".
func (x *extractor) wild() bool {
	return x.lookup()&wildBit != 0
}

// object walks an object at b[i] == '{' and returns the offset after it.
func (x *extractor) object(i int, top bool) int {
	b := x.b
	i = skipWS(b, i+1)
	if b[i] == '}' {
		return i + 1
	}
	base := len(x.f.path)
	wild := base > 0 && x.wild()
	for {
		memberStart := i
		keyEnd, esc := stringEnd(b, i)
		key := b[i+1 : keyEnd-1]
		name := key
		if esc {
			x.f.keyBuf = appendUnescaped(x.f.keyBuf[:0], key)
			name = x.f.keyBuf
		}
		if !wild && !x.p.mayHave(name) {
			// No wanted path goes through this member: skip its value.
			i = skipWS(b, keyEnd)
			i = skipValue(b, skipWS(b, i+1))
			if top {
				x.f.members = append(x.f.members, Member{Key: key, Start: memberStart, End: i})
			}
			i = skipWS(b, i)
			if b[i] == '}' {
				x.f.path = x.f.path[:base]
				return i + 1
			}
			i = skipWS(b, i+1) // ','
			continue
		}
		x.f.path = x.f.path[:base]
		if base > 0 {
			x.f.path = append(x.f.path, '.')
		}
		x.f.path = append(x.f.path, name...)
		if wild && x.lookup() == 0 {
			x.f.path = append(x.f.path[:base], ".*"...)
		}
		i = skipWS(b, keyEnd)
		i = skipWS(b, i+1) // ':'
		i = x.value(i)
		if top {
			x.f.members = append(x.f.members, Member{Key: key, Start: memberStart, End: i})
		}
		i = skipWS(b, i)
		if b[i] == '}' {
			x.f.path = x.f.path[:base]
			return i + 1
		}
		i = skipWS(b, i+1) // ','
	}
}

// value handles the value at b[i] for the current path and returns its end.
func (x *extractor) value(i int) int {
	b := x.b
	slot, descend := x.want()
	switch b[i] {
	case '{':
		if descend {
			end := x.object(i, false)
			x.record(slot, Value{Kind: Object, Raw: b[i:end]})
			return end
		}
		end := skipValue(b, i)
		x.record(slot, Value{Kind: Object, Raw: b[i:end]})
		return end
	case '[':
		if slot < 0 && !descend {
			return skipValue(b, i)
		}
		start := i
		i = skipWS(b, i+1)
		if b[i] == ']' {
			x.record(slot, Value{Kind: Array, Raw: b[start : i+1]})
			return i + 1
		}
		for {
			i = x.value(i)
			i = skipWS(b, i)
			if b[i] == ']' {
				return i + 1
			}
			i = skipWS(b, i+1)
		}
	case '"':
		end, esc := stringEnd(b, i)
		v := Value{Kind: String, Raw: b[i+1 : end-1], escaped: esc}
		x.record(slot, v)
		return end
	case 't':
		x.record(slot, Value{Kind: Bool, Raw: b[i : i+4]})
		return i + 4
	case 'f':
		x.record(slot, Value{Kind: Bool, Raw: b[i : i+5]})
		return i + 5
	case 'n':
		x.record(slot, Value{Kind: Null, Raw: b[i : i+4]})
		return i + 4
	default:
		end := numberEnd(b, i)
		x.record(slot, Value{Kind: Number, Raw: b[i:end]})
		return end
	}
}

func (x *extractor) record(slot int, v Value) {
	if slot >= 0 {
		if len(x.f.vals[slot]) == 0 {
			x.f.set = append(x.f.set, int32(slot))
		}
		x.f.vals[slot] = append(x.f.vals[slot], v)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && class[b[i]] == clsSpace {
		i++
	}
	return i
}

// stringEnd returns the offset after the string starting at b[i] == '"' and
// whether it holds escapes. b is valid JSON: a backslash always escapes the
// byte after it.
func stringEnd(b []byte, i int) (int, bool) {
	i++
	esc := false
	for {
		// Eight bytes at a time to the next quote or backslash.
		for ; i+8 <= len(b); i += 8 {
			w := binary.LittleEndian.Uint64(b[i:])
			if found := bytesOf(w, '"') | bytesOf(w, '\\'); found != 0 {
				i += firstFlagged(found)
				break
			}
		}
		for b[i] != '"' && b[i] != '\\' {
			i++
		}
		if b[i] == '"' {
			return i + 1, esc
		}
		esc = true
		i += 2
	}
}

func numberEnd(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the offset after the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for {
			i = skipPlain(b, i)
			switch b[i] {
			case '"':
				i, _ = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	return numberEnd(b, i)
}

// skipPlain skips, eight bytes at a time, the bytes of a container between
// its strings that open or close nothing: it stops at a quote or a bracket,
// or where fewer than eight bytes are left.
func skipPlain(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// '[' and ']' are '{' and '}' with the 0x20 bit clear; outside
		// strings, no byte of valid JSON is a quote without it.
		v := w | 0x20*wordOnes
		if found := bytesOf(v, '"') | bytesOf(v, '{') | bytesOf(v, '}'); found != 0 {
			return i + firstFlagged(found)
		}
	}
	return i
}

// appendUnescaped appends the JSON string content s (without quotes), unescaped.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(s[i+1:]))
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(s[i+3:]))); r2 != utf8.RuneError {
						r = r2
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, s[i])
		}
	}
	return dst
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b[:4] {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c - 'a' + 10)
		default:
			n |= int(c - 'A' + 10)
		}
	}
	return n
}

// Snapshot holds what Extract found in one event, so that another Fields
// can take it up (Restore) without reading the event again. Its values
// point into the event's bytes, which must stay as they were.
type Snapshot struct {
	slots   []int32 // the slots given values
	ends    []int32 // by slot given: the end of its values in vals
	vals    []Value
	raw     []byte
	members []Member
}

// Save copies the values f holds into s, reusing s's room.
func (f *Fields) Save(s *Snapshot) {
	s.slots, s.ends, s.vals = s.slots[:0], s.ends[:0], s.vals[:0]
	for _, slot := range f.set {
		if v := f.vals[slot]; len(v) > 0 {
			s.slots = append(s.slots, slot)
			s.vals = append(s.vals, v...)
			s.ends = append(s.ends, int32(len(s.vals)))
		}
	}
	s.raw = f.raw
	s.members = append(s.members[:0], f.members...)
}

// Restore makes f hold the values saved in s, as if p had extracted them
// from the event again. p must be the set the values were extracted with.
// f reads them in place: s must not change until f is reset for another
// event (Extract or Restore).
func (f *Fields) Restore(s *Snapshot, p *Paths) {
	f.reset(p)
	f.borrowed = true
	start := int32(0)
	for k, slot := range s.slots {
		end := s.ends[k]
		f.vals[slot] = s.vals[start:end:end]
		f.set = append(f.set, slot)
		start = end
	}
	f.raw = s.raw
	f.members = s.members[:len(s.members):len(s.members)]
}
