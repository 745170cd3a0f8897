package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The native decoder reads a chunk's BinXML directly: no reflection, each
// template compiled once per chunk, names decoded once per chunk. It
// renders values as golang-evtx does, so that both give the same events;
// what it does not know, it leaves to golang-evtx.

// BinXML tokens; 0x40 on a token marks "more follows" (attributes, data).
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEndElement     = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokCDATA          = 0x07
	tokCharRef        = 0x08
	tokEntityRef      = 0x09
	tokPITarget       = 0x0a
	tokPIData         = 0x0b
	tokTemplate       = 0x0c
	tokSubstitution   = 0x0d
	tokOptionalSubst  = 0x0e
	tokFragmentHeader = 0x0f
	tokMore           = 0x40
)

// errUnsupported marks BinXML the native decoder leaves to golang-evtx.
var errUnsupported = errors.New("unsupported")

// part is a piece of an attribute value or of element content: literal
// text or a substitution.
type part struct {
	text string
	raw  []byte // UTF-16LE text, when not nil
	sub  int    // substitution index, or -1 for text
}

// literal is the value of a text part.
func (p part) literal() value {
	if p.raw != nil {
		return value{kind: kindUTF16, raw: p.raw}
	}
	return value{kind: kindString, s: p.text}
}

// tattr is a template's attribute.
type tattr struct {
	name  string
	parts []part
}

// tnode is a template's element. Its content is kept in document order:
// a child element, or a part, at each step.
type tnode struct {
	name    string
	attrs   []tattr
	content []tcontent
}

type tcontent struct {
	child *tnode
	part  part
}

// native decodes the records of one chunk.
type native struct {
	data      []byte
	names     map[uint32]string
	templates map[uint32][]*tnode
	// pool, values and roots are reused from event to event.
	pool   []*element
	used   int
	values []rawValue
	roots  []*element
	// slab holds the elements of the event being decoded that are not in
	// a template.
	slab []tnode
}

func (n *native) reset(data []byte) {
	n.data = data
	if n.names == nil {
		n.names = make(map[uint32]string, 256)
		n.templates = make(map[uint32][]*tnode, 64)
	}
	clear(n.names)
	clear(n.templates)
}

// cursor reads BinXML from the chunk.
type cursor struct {
	data []byte
	pos  int
	// end bounds the reads: the end of the record or value.
	end int
	err error
}

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format+" at chunk offset 0x%x", append(args, c.pos)...)
	}
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.pos+n > c.end {
		c.fail("BinXML runs past its end")
		return false
	}
	return true
}

func (c *cursor) u8() byte {
	if !c.need(1) {
		return 0
	}
	c.pos++
	return c.data[c.pos-1]
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	c.pos += 2
	return binary.LittleEndian.Uint16(c.data[c.pos-2:])
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	c.pos += 4
	return binary.LittleEndian.Uint32(c.data[c.pos-4:])
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	c.pos += n
	return c.data[c.pos-n : c.pos]
}

func (c *cursor) peek() byte {
	if !c.need(1) {
		return 0
	}
	return c.data[c.pos]
}

// name reads a name reference: an offset in the chunk, where the name is
// unless it follows inline.
func (n *native) name(c *cursor) string {
	off := c.u32()
	if c.err != nil {
		return ""
	}
	if int(off) == c.pos {
		// Inline: next-string offset, hash, length, the characters, NUL.
		c.pos += 6
		count := int(c.u16())
		c.bytes(2*count + 2)
	}
	if s, ok := n.names[off]; ok {
		return s
	}
	if int(off)+8 > len(n.data) {
		c.fail("name offset 0x%x out of the chunk", off)
		return ""
	}
	count := int(binary.LittleEndian.Uint16(n.data[off+6:]))
	start := int(off) + 8
	if start+2*count > len(n.data) {
		c.fail("name at 0x%x runs out of the chunk", off)
		return ""
	}
	s := utf16String(n.data[start : start+2*count])
	n.names[off] = s
	return s
}

// utf16String decodes UTF-16LE, ASCII without a detour, and drops
// trailing NULs as golang-evtx does.
func utf16String(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	b = b[:2*n]
	ascii := true
	for i := 0; i < len(b); i += 2 {
		if b[i+1] != 0 || b[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		out := make([]byte, n)
		for i := range out {
			out[i] = b[2*i]
		}
		return string(out)
	}
	units := make([]uint16, n)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}

// unicodeText reads a length-prefixed UTF-16 string.
func unicodeText(c *cursor) string {
	return utf16String(unicodeRaw(c))
}

// unicodeRaw reads a length-prefixed UTF-16 string, undecoded.
func unicodeRaw(c *cursor) []byte {
	count := int(c.u16())
	b := c.bytes(2 * count)
	if b == nil {
		return []byte{}
	}
	return b
}

// fragment is a decoded BinXML fragment: elements and the values their
// substitutions take.
type fragment struct {
	roots  []*tnode
	values []rawValue
}

// rawValue is a substitution value, not yet converted.
type rawValue struct {
	typ  byte
	data []byte
	// at is the chunk offset of data, for embedded BinXML.
	at int
}

// fragment reads a BinXML fragment: a header, then a template instance
// or elements, up to EOF.
func (n *native) fragment(c *cursor) fragment {
	var f fragment
	if c.peek() == tokFragmentHeader {
		c.bytes(4)
	}
	switch c.peek() {
	case tokTemplate:
		f.roots, f.values = n.templateInstance(c)
	case tokOpenStart, tokOpenStart | tokMore:
		for c.err == nil && c.peek()&^tokMore == tokOpenStart {
			f.roots = append(f.roots, n.element(c, false))
		}
	default:
		c.fail("fragment starts with token 0x%02x", c.peek())
	}
	return f
}

// templateInstance reads a template reference (compiling the template
// the first time) and the instance's values.
func (n *native) templateInstance(c *cursor) ([]*tnode, []rawValue) {
	c.u8()  // token
	c.u8()  // unknown, 1
	c.u32() // template id
	defOff := c.u32()
	if c.err != nil {
		return nil, nil
	}
	roots, ok := n.templates[defOff]
	if !ok {
		roots = n.compile(int(defOff), c)
		if c.err != nil {
			return nil, nil
		}
		n.templates[defOff] = roots
	}
	if int(defOff) == c.pos {
		// The definition is inline: skip it.
		c.bytes(20)
		size := int(c.u32())
		c.bytes(size)
	}
	count := int(c.u32())
	if c.err == nil && count*4 > c.end-c.pos {
		c.fail("%d template values do not fit", count)
	}
	if c.err != nil {
		return nil, nil
	}
	// Values of all fragments of the event share one reused buffer.
	first := len(n.values)
	for range count {
		n.values = append(n.values, rawValue{})
	}
	values := n.values[first:len(n.values):len(n.values)]
	descs := c.bytes(4 * count)
	for i := range values {
		size := int(binary.LittleEndian.Uint16(descs[4*i:]))
		values[i].typ = descs[4*i+2]
		values[i].at = c.pos
		values[i].data = c.bytes(size)
	}
	return roots, values
}

// compile reads the template definition at off.
func (n *native) compile(off int, outer *cursor) []*tnode {
	if off+24 > len(n.data) {
		outer.fail("template offset 0x%x out of the chunk", off)
		return nil
	}
	size := int(binary.LittleEndian.Uint32(n.data[off+20:]))
	c := &cursor{data: n.data, pos: off + 24, end: min(off+24+size, len(n.data))}
	if c.u8() != tokFragmentHeader {
		outer.fail("template at 0x%x has no fragment header", off)
		return nil
	}
	c.bytes(3)
	var roots []*tnode
	for c.err == nil {
		t := c.peek()
		if t == tokEOF {
			break
		}
		if t&^tokMore != tokOpenStart {
			c.fail("template holds token 0x%02x", t)
			break
		}
		roots = append(roots, n.element(c, true))
	}
	if c.err != nil {
		outer.err = c.err
		return nil
	}
	return roots
}

// element reads an element and its content. Inside a template, an
// element start carries a dependency id.
func (n *native) element(c *cursor, inTemplate bool) *tnode {
	tok := c.u8()
	if inTemplate {
		c.u16()
	}
	c.u32() // size
	e := n.newNode(inTemplate)
	e.name = n.name(c)
	if tok&tokMore != 0 {
		c.u32() // attribute list size
		for c.err == nil {
			at := c.peek()
			if at&^tokMore != tokAttribute {
				break
			}
			c.u8()
			a := tattr{name: n.name(c)}
			a.parts = n.parts(c, a.parts, true)
			e.attrs = append(e.attrs, a)
			if at&tokMore == 0 {
				break
			}
		}
	}
	switch c.u8() {
	case tokCloseEmpty:
		return e
	case tokCloseStart:
	default:
		c.fail("element %s: bad close of its start tag", e.name)
		return e
	}
	for c.err == nil {
		switch t := c.peek(); t &^ tokMore {
		case tokEndElement:
			c.u8()
			return e
		case tokOpenStart:
			e.content = append(e.content, tcontent{child: n.element(c, inTemplate)})
		case tokValue, tokSubstitution, tokOptionalSubst, tokCharRef, tokEntityRef, tokCDATA:
			for _, p := range n.parts(c, nil, false) {
				e.content = append(e.content, tcontent{part: p})
			}
		case tokPITarget:
			c.u8()
			c.u32()
		case tokPIData:
			c.u8()
			unicodeText(c)
		default:
			c.fail("element %s holds token 0x%02x", e.name, t)
		}
	}
	return e
}

// parts reads the text and substitution tokens that follow. Attribute
// text is decoded now (Data's Name is looked at); content text is kept
// raw and decoded as it is written.
func (n *native) parts(c *cursor, ps []part, decode bool) []part {
	for c.err == nil {
		switch c.peek() &^ tokMore {
		case tokValue:
			c.u8()
			if typ := c.u8(); typ != 0x01 {
				c.fail("value text of type 0x%02x", typ)
				return ps
			}
			if decode {
				ps = append(ps, part{text: unicodeText(c), sub: -1})
			} else {
				ps = append(ps, part{raw: unicodeRaw(c), sub: -1})
			}
		case tokSubstitution, tokOptionalSubst:
			c.u8()
			id := int(c.u16())
			c.u8() // type
			ps = append(ps, part{sub: id})
		case tokCharRef:
			c.u8()
			ps = append(ps, part{text: string(rune(c.u16())), sub: -1})
		case tokEntityRef:
			c.u8()
			ps = append(ps, part{text: entity(n.name(c)), sub: -1})
		case tokCDATA:
			c.u8()
			ps = append(ps, part{raw: unicodeRaw(c), sub: -1})
		default:
			return ps
		}
	}
	return ps
}

func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return ""
}

// event decodes the record whose BinXML spans [start, end) into elements,
// valid until the next call.
func (n *native) event(start, end int) ([]*element, error) {
	n.used = 0
	n.slab = n.slab[:0]
	n.values = n.values[:0]
	n.roots = n.roots[:0]
	c := &cursor{data: n.data, pos: start, end: end}
	f := n.fragment(c)
	if c.err != nil {
		return nil, c.err
	}
	var err error
	n.roots, err = n.instantiate(n.roots, f.roots, f.values, 0)
	return n.roots, err
}

// newNode returns a template node: a new one for a template, which the
// chunk keeps, else one from a slab reused from event to event.
func (n *native) newNode(inTemplate bool) *tnode {
	if inTemplate {
		return &tnode{}
	}
	if len(n.slab) < cap(n.slab) {
		n.slab = n.slab[:len(n.slab)+1]
		t := &n.slab[len(n.slab)-1]
		t.attrs, t.content = t.attrs[:0], t.content[:0]
		return t
	}
	n.slab = append(n.slab, tnode{})
	return &n.slab[len(n.slab)-1]
}

// newElement returns a cleared element from the pool the decoder reuses
// from event to event.
func (n *native) newElement(name string) *element {
	if n.used == len(n.pool) {
		n.pool = append(n.pool, &element{})
	}
	e := n.pool[n.used]
	n.used++
	e.name = name
	e.attrs = e.attrs[:0]
	e.children = e.children[:0]
	e.text = e.text[:0]
	return e
}

// instantiate appends to out the templates roots filled with values.
func (n *native) instantiate(out []*element, roots []*tnode, values []rawValue, depth int) ([]*element, error) {
	if depth > 8 {
		return out, fmt.Errorf("BinXML nested too deep")
	}
	for _, t := range roots {
		e, err := n.fill(t, values, depth)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (n *native) fill(t *tnode, values []rawValue, depth int) (*element, error) {
	e := n.newElement(t.name)
	for _, a := range t.attrs {
		v, err := n.join(a.parts, values)
		if err != nil {
			return nil, err
		}
		if v.kind != kindNull {
			e.attrs = append(e.attrs, attr{name: a.name, val: v})
		}
	}
	for _, c := range t.content {
		if c.child != nil {
			ce, err := n.fill(c.child, values, depth)
			if err != nil {
				return nil, err
			}
			e.children = append(e.children, ce)
			continue
		}
		p := c.part
		if p.sub < 0 {
			e.text = append(e.text, p.literal())
			continue
		}
		if p.sub >= len(values) {
			return nil, fmt.Errorf("substitution %d of %d", p.sub, len(values))
		}
		if values[p.sub].typ == 0x21 {
			var err error
			if e.children, err = n.embedded(e.children, values[p.sub], depth); err != nil {
				return nil, err
			}
			continue
		}
		v, err := convert(values[p.sub])
		if err != nil {
			return nil, err
		}
		if v.kind != kindNull {
			e.text = append(e.text, v)
		}
	}
	return e, nil
}

// embedded appends to out the elements of a BinXML value: a fragment of
// its own.
func (n *native) embedded(out []*element, v rawValue, depth int) ([]*element, error) {
	c := &cursor{data: n.data, pos: v.at, end: v.at + len(v.data)}
	f := n.fragment(c)
	if c.err != nil {
		return out, c.err
	}
	return n.instantiate(out, f.roots, f.values, depth+1)
}

// join returns the value of parts: one part keeps its type; several make
// a string.
func (n *native) join(parts []part, values []rawValue) (value, error) {
	if len(parts) == 1 {
		p := parts[0]
		if p.sub < 0 {
			return p.literal(), nil
		}
		if p.sub >= len(values) {
			return value{}, fmt.Errorf("substitution %d of %d", p.sub, len(values))
		}
		return convert(values[p.sub])
	}
	var s []byte
	for _, p := range parts {
		if p.sub < 0 {
			s = append(s, p.literal().text()...)
			continue
		}
		if p.sub >= len(values) {
			return value{}, fmt.Errorf("substitution %d of %d", p.sub, len(values))
		}
		v, err := convert(values[p.sub])
		if err != nil {
			return value{}, err
		}
		s = append(s, v.text()...)
	}
	return value{kind: kindString, s: string(s)}, nil
}

// filetimeEpoch is 1970-01-01 in FILETIME, 100 ns units since 1601.
const filetimeEpoch = 116444736000000000

// convert turns a substitution value into a typed value, rendered as
// golang-evtx renders it.
func convert(v rawValue) (value, error) {
	d := v.data
	fixed := func(n int) bool { return len(d) >= n }
	le := binary.LittleEndian
	switch v.typ {
	case 0x00:
		return value{}, nil
	case 0x01:
		return value{kind: kindUTF16, raw: d}, nil
	case 0x02:
		end := len(d)
		for end > 0 && d[end-1] == 0 {
			end--
		}
		return value{kind: kindString, s: string(d[:end])}, nil
	case 0x03:
		if fixed(1) {
			return value{kind: kindInt, i: int64(int8(d[0]))}, nil
		}
	case 0x04:
		if fixed(1) {
			return value{kind: kindUint, u: uint64(d[0])}, nil
		}
	case 0x05:
		if fixed(2) {
			return value{kind: kindInt, i: int64(int16(le.Uint16(d)))}, nil
		}
	case 0x06:
		if fixed(2) {
			return value{kind: kindUint, u: uint64(le.Uint16(d))}, nil
		}
	case 0x07:
		if fixed(4) {
			return value{kind: kindInt, i: int64(int32(le.Uint32(d)))}, nil
		}
	case 0x08:
		if fixed(4) {
			return value{kind: kindUint, u: uint64(le.Uint32(d))}, nil
		}
	case 0x09:
		if fixed(8) {
			return value{kind: kindInt, i: int64(le.Uint64(d))}, nil
		}
	case 0x0a:
		if fixed(8) {
			return value{kind: kindUint, u: le.Uint64(d)}, nil
		}
	case 0x0b:
		if fixed(4) {
			return value{kind: kindFloat, f: float64(math.Float32frombits(le.Uint32(d)))}, nil
		}
	case 0x0c:
		if fixed(8) {
			return value{kind: kindFloat, f: math.Float64frombits(le.Uint64(d))}, nil
		}
	case 0x0d:
		if fixed(4) {
			return value{kind: kindBool, b: le.Uint32(d) == 1}, nil
		}
	case 0x0e:
		return value{kind: kindBinary, raw: d}, nil
	case 0x0f:
		if fixed(16) {
			return value{kind: kindGUID, raw: d}, nil
		}
	case 0x11:
		if fixed(8) {
			ft := int64(le.Uint64(d)) - filetimeEpoch
			return value{kind: kindTime, t: time.Unix(ft/1e7, ft%1e7*100).UTC()}, nil
		}
	case 0x13:
		if len(d) >= 8 && len(d) >= 8+4*int(d[1]) {
			return value{kind: kindSID, raw: d}, nil
		}
	case 0x14:
		if fixed(4) {
			return value{kind: kindHex, u: uint64(le.Uint32(d)), i: 4}, nil
		}
	case 0x15:
		if fixed(8) {
			return value{kind: kindHex, u: le.Uint64(d), i: 8}, nil
		}
	case 0x81:
		return value{kind: kindStrings, strs: stringArray(d)}, nil
	}
	return value{}, fmt.Errorf("value type 0x%02x (%d bytes): %w", v.typ, len(d), errUnsupported)
}

// appendHex appends "0x" and u in lower-case hex, at least width digits.
func appendHex(b []byte, u uint64, width int) []byte {
	b = append(b, '0', 'x')
	for i := 16 - bits.LeadingZeros64(u|1)/4; i < width; i++ {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, u, 16)
}

const upperDigits = "0123456789ABCDEF"

func appendUpperHex(b, d []byte) []byte {
	for _, c := range d {
		b = append(b, upperDigits[c>>4], upperDigits[c&0xf])
	}
	return b
}

// appendGUID appends a GUID as golang-evtx renders it: upper case, no
// braces.
func appendGUID(b, g []byte) []byte {
	b = appendUpperHex(b, []byte{g[3], g[2], g[1], g[0]})
	b = append(b, '-')
	b = appendUpperHex(b, []byte{g[5], g[4]})
	b = append(b, '-')
	b = appendUpperHex(b, []byte{g[7], g[6]})
	b = append(b, '-')
	b = appendUpperHex(b, g[8:10])
	b = append(b, '-')
	return appendUpperHex(b, g[10:16])
}

// appendSID appends a security identifier, S-1-5-21-...; convert checked
// its length.
func appendSID(b, d []byte) []byte {
	var auth uint64
	for _, c := range d[2:8] {
		auth = auth<<8 | uint64(c)
	}
	b = append(b, 'S', '-')
	b = strconv.AppendUint(b, uint64(d[0]), 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, auth, 10)
	for i := range int(d[1]) {
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(binary.LittleEndian.Uint32(d[8+4*i:])), 10)
	}
	return b
}

// stringArray splits NUL-separated UTF-16 strings, dropping empty ones.
func stringArray(d []byte) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(d); i += 2 {
		if d[i] == 0 && d[i+1] == 0 {
			if i > start {
				out = append(out, utf16String(d[start:i]))
			}
			start = i + 2
		}
	}
	if start < len(d)-1 {
		out = append(out, utf16String(d[start:len(d)&^1]))
	}
	return out
}
