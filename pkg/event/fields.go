package event

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
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
	slots map[string]int // a path's slot
	names []string
	// keys has a bit for each (length, first byte) of a member name that
	// can be part of a wanted path, to skip other members without looking
	// them up.
	keys [64]uint64
	// The paths as a tree of member names, each node one path: nodes[1] is
	// the event itself, 0 no wanted path. A member is looked up by its
	// parent and name, so no path is ever built while extracting.
	nodes []pathNode
	edges []pathEdge
	table []uint32 // open-addressed by (parent, name): an edge's index+1, or 0
	seed  uint64   // random, so that names cannot be chosen to collide
}

type pathNode struct {
	slot    int32 // the slot of the path ending here, or -1
	descend bool  // a wanted path goes on below
	wild    bool  // a wanted path goes on below through "*"
}

type pathEdge struct {
	parent, child uint32
	name          string
}

const rootNode = 1

// NewPaths returns a set holding the given paths.
func NewPaths(paths ...string) *Paths {
	p := &Paths{slots: map[string]int{}, seed: rand.Uint64()}
	p.nodes = []pathNode{{slot: -1}, {slot: -1}}
	p.table = make([]uint32, 16)
	for _, s := range paths {
		p.Add(s)
	}
	return p
}

// Add adds a path if it is new and returns its slot.
func (p *Paths) Add(path string) int {
	if s, ok := p.slots[path]; ok {
		return s
	}
	s := len(p.names)
	p.slots[path] = s
	p.names = append(p.names, path)
	segs := strings.Split(path, ".")
	// A member name may hold one segment or several joined by dots
	// ({"process.command_line": ...}): note every run of segments.
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
	n := uint32(rootNode)
	for k, seg := range segs {
		p.nodes[n].descend = true
		if seg == "*" && k > 0 {
			p.nodes[n].wild = true
		}
		n = p.addChild(n, seg)
	}
	p.nodes[n].slot = int32(s)
	return s
}

// addChild returns the node of member name under parent, adding it if new.
func (p *Paths) addChild(parent uint32, name string) uint32 {
	if c := p.child(parent, []byte(name)); c != 0 {
		return c
	}
	c := uint32(len(p.nodes))
	p.nodes = append(p.nodes, pathNode{slot: -1})
	p.edges = append(p.edges, pathEdge{parent: parent, child: c, name: name})
	if 2*len(p.edges) > len(p.table) {
		p.table = make([]uint32, 2*len(p.table))
		for e := range p.edges {
			p.place(uint32(e))
		}
	} else {
		p.place(uint32(len(p.edges) - 1))
	}
	return c
}

// place puts edge e in the table.
func (p *Paths) place(e uint32) {
	ed := &p.edges[e]
	mask := uint64(len(p.table) - 1)
	for h := p.hash(ed.parent, []byte(ed.name)) & mask; ; h = (h + 1) & mask {
		if p.table[h] == 0 {
			p.table[h] = e + 1
			return
		}
	}
}

// hash mixes a member's parent and name: names are short, and all of a
// name of up to 16 bytes is read in two words.
func (p *Paths) hash(parent uint32, name []byte) uint64 {
	var a, b uint64
	switch n := len(name); {
	case n >= 8:
		a, b = binary.LittleEndian.Uint64(name), binary.LittleEndian.Uint64(name[n-8:])
	case n >= 4:
		a = uint64(binary.LittleEndian.Uint32(name)) | uint64(binary.LittleEndian.Uint32(name[n-4:]))<<32
	case n > 0:
		a = uint64(name[0]) | uint64(name[n/2])<<8 | uint64(name[n-1])<<16
	}
	h := (a ^ p.seed) * 0x9e3779b97f4a7c15
	h ^= (b ^ uint64(len(name))<<48 ^ uint64(parent)) * 0xc2b2ae3d27d4eb4f
	return h ^ h>>31
}

// child returns the node of member name under parent, or 0.
func (p *Paths) child(parent uint32, name []byte) uint32 {
	mask := uint64(len(p.table) - 1)
	for h := p.hash(parent, name) & mask; ; h = (h + 1) & mask {
		e := p.table[h]
		if e == 0 {
			return 0
		}
		if ed := &p.edges[e-1]; ed.parent == parent && ed.name == string(name) {
			return ed.child
		}
	}
}

// member returns the node of a member name, which may hold several
// segments, under parent: its exact path, or else, where the parent's
// members stand for "*", the "*" below it; 0 if no wanted path has it.
func (p *Paths) member(parent uint32, name []byte) uint32 {
	// No edge's name holds a dot: a dotted name is walked a segment at a time.
	n := p.child(parent, name)
	if n == 0 && bytes.IndexByte(name, '.') >= 0 {
		n = parent
		for rest := name; n != 0; {
			dot := bytes.IndexByte(rest, '.')
			if dot < 0 {
				n = p.child(n, rest)
				break
			}
			n, rest = p.child(n, rest[:dot]), rest[dot+1:]
		}
	}
	if n == 0 && p.nodes[parent].wild {
		return p.child(parent, []byte("*"))
	}
	return n
}

// mayHave reports whether a member name can be part of a wanted path.
func (p *Paths) mayHave(name []byte) bool {
	return len(name) > 0 && p.keys[len(name)&63]&(1<<(name[0]&63)) != 0
}

// Slot returns the slot of a path, or -1 if the set does not hold it.
func (p *Paths) Slot(path string) int {
	if s, ok := p.slots[path]; ok {
		return s
	}
	return -1
}

// Len returns the number of paths.
func (p *Paths) Len() int { return len(p.names) }

// Name returns the path of a slot.
func (p *Paths) Name(slot int) string { return p.names[slot] }

// Fields holds the values extracted from one event, by slot.
// Reuse one Fields across events to avoid allocations.
type Fields struct {
	vals     [][]Value
	set      []int32 // the slots given values by this event, to clear at the next
	borrowed bool    // vals and members point into a Snapshot (Restore) or loaded (Load)
	raw      []byte  // the event
	strs     []Value // every string value of raw, once Strings has run
	strsDone bool
	keyBuf   []byte
	members  []Member
	// What Load found, which vals and members then point into.
	loaded        []Value
	loadedMembers []Member
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
	f.raw = raw
	x := extractor{p: p, f: f, b: raw, keyBuf: f.keyBuf}
	x.object(skipWS(raw, 0), rootNode)
	f.keyBuf = x.keyBuf
}

// Extracted is what Extract found in one event, kept as offsets into the
// event rather than as values pointing into it: the garbage collector
// need not scan it, and Fields.Load takes it up on another goroutine.
type Extracted struct {
	raw     []byte
	vals    []extractedValue // in the order found
	members []extractedMember
}

type extractedValue struct {
	slot, start, end int32
	kind             Kind
	escaped          bool
}

type extractedMember struct {
	keyStart, keyEnd, start, end int32
}

// Extracting holds what ExtractTo finds in a run of events, one event's
// after the other's: another CPU that reads them reads memory in order,
// which it fetches ahead.
type Extracting struct {
	vals    []extractedValue
	members []extractedMember
	keyBuf  []byte
}

// Reset empties x for another run of events, keeping its memory: what
// ExtractTo found before must be read no more.
func (x *Extracting) Reset() { x.vals, x.members = x.vals[:0], x.members[:0] }

// ExtractTo is Extract into e, which holds what it finds in into.
func (p *Paths) ExtractTo(raw []byte, into *Extracting, e *Extracted) {
	vals, members := len(into.vals), len(into.members)
	x := extractor{p: p, out: into, b: raw, keyBuf: into.keyBuf}
	x.object(skipWS(raw, 0), rootNode)
	into.keyBuf = x.keyBuf
	e.raw = raw
	e.vals = into.vals[vals:len(into.vals):len(into.vals)]
	e.members = into.members[members:len(into.members):len(into.members)]
}

// Of reports whether e holds what was found in raw: the very bytes, not
// only equal ones.
func (e *Extracted) Of(raw []byte) bool {
	return len(raw) > 0 && len(e.raw) == len(raw) && &e.raw[0] == &raw[0]
}

// Load makes f hold what p's ExtractTo found in an event, as if Extract
// had found it. e must not change until f is reset for another event.
func (f *Fields) Load(e *Extracted, p *Paths) {
	f.reset(p)
	raw := e.raw
	f.raw = raw
	loaded := f.loaded[:0]
	for _, v := range e.vals {
		loaded = append(loaded, Value{Kind: v.kind, Raw: raw[v.start:v.end], escaped: v.escaped})
	}
	f.loaded = loaded
	// A slot's values are one run of e's, but for a path met again further
	// on ({"a":{"b":1},"a.b":2}): each run is a slice of loaded, and a
	// later run of the slot is appended to a copy.
	f.borrowed = true
	for i := 0; i < len(e.vals); {
		slot := e.vals[i].slot
		j := i + 1
		for j < len(e.vals) && e.vals[j].slot == slot {
			j++
		}
		if len(f.vals[slot]) == 0 {
			f.set = append(f.set, slot)
			f.vals[slot] = loaded[i:j:j]
		} else {
			f.vals[slot] = append(f.vals[slot], loaded[i:j]...)
		}
		i = j
	}
	members := f.loadedMembers[:0]
	for _, m := range e.members {
		members = append(members, Member{Key: raw[m.keyStart:m.keyEnd], Start: int(m.start), End: int(m.end)})
	}
	f.loadedMembers, f.members = members, members
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

// extractor walks an event for Extract, into f, or for ExtractTo, into out.
type extractor struct {
	p      *Paths
	f      *Fields
	out    *Extracting
	b      []byte
	keyBuf []byte // a key unescaped
}

// object walks an object at b[i] == '{', whose path is node's, and returns
// the offset after it. The event itself is the root node's.
func (x *extractor) object(i int, node uint32) int {
	b := x.b
	i = skipWS(b, i+1)
	if b[i] == '}' {
		return i + 1
	}
	top := node == rootNode
	wild := x.p.nodes[node].wild
	for {
		memberStart := i
		keyEnd, esc := stringEnd(b, i)
		key := b[i+1 : keyEnd-1]
		name := key
		if esc {
			x.keyBuf = appendUnescaped(x.keyBuf[:0], key)
			name = x.keyBuf
		}
		i = skipWS(b, keyEnd)
		i = skipWS(b, i+1) // ':'
		if !wild && !x.p.mayHave(name) {
			// No wanted path goes through this member: skip its value.
			i = skipValue(b, i)
		} else {
			i = x.value(i, x.p.member(node, name))
		}
		if top {
			x.member(key, memberStart, i)
		}
		i = skipWS(b, i)
		if b[i] == '}' {
			return i + 1
		}
		i = skipWS(b, i+1) // ','
	}
}

// value handles the value at b[i], whose path is node's (0: no wanted
// path), and returns its end.
func (x *extractor) value(i int, node uint32) int {
	b := x.b
	n := &x.p.nodes[node]
	slot, descend := int(n.slot), n.descend
	switch b[i] {
	case '{':
		if descend {
			end := x.object(i, node)
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
			i = x.value(i, node)
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
	if slot < 0 {
		return
	}
	if x.out == nil {
		x.f.record(slot, v)
		return
	}
	// Every value is a slice of the event to its end: its capacity tells
	// where it starts.
	start := cap(x.b) - cap(v.Raw)
	x.out.vals = append(x.out.vals, extractedValue{slot: int32(slot), start: int32(start), end: int32(start + len(v.Raw)), kind: v.Kind, escaped: v.escaped})
}

// member notes a top-level member: its key, still escaped, lies in the
// member's bytes from start to end.
func (x *extractor) member(key []byte, start, end int) {
	if x.out == nil {
		x.f.members = append(x.f.members, Member{Key: key, Start: start, End: end})
		return
	}
	keyStart := cap(x.b) - cap(key)
	x.out.members = append(x.out.members, extractedMember{keyStart: int32(keyStart), keyEnd: int32(keyStart + len(key)), start: int32(start), end: int32(end)})
}

func (f *Fields) record(slot int, v Value) {
	if len(f.vals[slot]) == 0 {
		f.set = append(f.set, int32(slot))
	}
	f.vals[slot] = append(f.vals[slot], v)
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
		return skipContainer(b, i)
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	return numberEnd(b, i)
}

// skipContainer returns the offset after the valid JSON object or array at
// b[i], eight bytes at a time whatever its tokens: it knows, for each byte
// of a word, whether it lies in a string from the parity of the quotes
// before it, and counts the brackets outside strings. A word holding a
// backslash, and the last few bytes, go a byte at a time.
func skipContainer(b []byte, i int) int {
	depth := 0
	var inString uint64 // every flag set while a string is open at i
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		if bytesOf(w, '\\') != 0 {
			var end int
			if i, depth, inString, end = skipEscapes(b, i, depth, inString); end > 0 {
				return end
			}
			continue
		}
		// At each byte, the parity of the quotes up to it: set inside a
		// string and at its opening quote, clear at its closing one.
		strs := exactBytesOf(w, '"')
		strs ^= strs << 8
		strs ^= strs << 16
		strs ^= strs << 32
		odd := -(strs >> 63) & wordHighs // an odd count flips the next word's state
		strs ^= inString
		inString ^= odd
		// '[' and ']' are '{' and '}' with the 0x20 bit clear.
		v := w | 0x20*wordOnes
		opens := exactBytesOf(v, '{') &^ strs
		closes := exactBytesOf(v, '}') &^ strs
		switch n := bits.OnesCount64(closes); {
		case opens|closes == 0:
		case n < depth: // the word cannot close the container
			depth += bits.OnesCount64(opens) - n
		default:
			for all := opens | closes; all != 0; all &= all - 1 {
				at := all & -all
				if opens&at != 0 {
					depth++
				} else if depth--; depth == 0 {
					return i + bits.TrailingZeros64(at)/8 + 1
				}
			}
		}
		i += 8
	}
	_, _, _, end := skipEscapes(b, i, depth, inString)
	return end
}

// skipEscapes goes on with skipContainer a byte at a time over the word at
// i (and the byte a backslash at its end escapes), or over the rest of b
// when fewer than eight bytes are left. It returns where to go on and in
// what state, or else the container's end.
func skipEscapes(b []byte, i, depth int, inString uint64) (next, nextDepth int, nextInString uint64, end int) {
	stop := len(b)
	if i+8 <= len(b) {
		stop = i + 8
	}
	in := inString != 0
	for ; i < stop; i++ {
		switch c := b[i]; {
		case in:
			if c == '\\' {
				i++ // the escaped byte, which may be the next word's first
			} else if c == '"' {
				in = false
			}
		case c == '"':
			in = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				return 0, 0, 0, i + 1
			}
		}
	}
	if stop == len(b) {
		return 0, 0, 0, len(b) // not valid JSON: no end before b's
	}
	if in {
		inString = wordHighs
	} else {
		inString = 0
	}
	return i, depth, inString, 0
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
