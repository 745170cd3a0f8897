package evtx

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// valueKind says which field of a value holds it.
type valueKind uint8

const (
	kindNull valueKind = iota
	kindString
	kindInt
	kindUint
	kindFloat
	kindBool
	kindTime
	kindStrings
	kindUTF16  // raw UTF-16LE, decoded as it is written
	kindHex    // u in hex, at least i digits
	kindGUID   // raw GUID
	kindSID    // raw SID
	kindBinary // raw bytes, in upper-case hex
)

// value is one typed value of an event: text, a substitution, or an
// attribute value.
type value struct {
	kind valueKind
	s    string
	i    int64
	u    uint64
	f    float64
	b    bool
	t    time.Time
	strs []string
	raw  []byte
}

// text is the value as a string, for text made of several pieces.
func (v value) text() string {
	switch v.kind {
	case kindString:
		return v.s
	case kindInt:
		return strconv.FormatInt(v.i, 10)
	case kindUint:
		return strconv.FormatUint(v.u, 10)
	case kindFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case kindBool:
		return strconv.FormatBool(v.b)
	case kindTime:
		return v.t.UTC().Format(time.RFC3339Nano)
	case kindStrings:
		return strings.Join(v.strs, ",")
	case kindUTF16:
		return utf16String(v.raw)
	case kindHex, kindGUID, kindSID, kindBinary:
		return string(v.appendText(nil))
	}
	return ""
}

// appendText appends the text of the kinds rendered from raw bytes.
func (v value) appendText(b []byte) []byte {
	switch v.kind {
	case kindHex:
		return appendHex(b, v.u, int(v.i))
	case kindGUID:
		return appendGUID(b, v.raw)
	case kindSID:
		return appendSID(b, v.raw)
	case kindBinary:
		return appendUpperHex(b, v.raw)
	}
	return b
}

func (v value) write(w *jsonWriter) {
	switch v.kind {
	case kindNull:
		w.null()
	case kindString:
		w.str(v.s)
	case kindUTF16:
		w.sep()
		w.buf = appendUTF16String(w.buf, v.raw)
	case kindHex, kindGUID, kindSID, kindBinary:
		// Their text needs no escaping.
		w.sep()
		w.buf = append(w.buf, '"')
		w.buf = v.appendText(w.buf)
		w.buf = append(w.buf, '"')
	case kindInt:
		w.int(v.i)
	case kindUint:
		w.uint(v.u)
	case kindFloat:
		w.float(v.f)
	case kindBool:
		w.boolean(v.b)
	case kindTime:
		w.time(v.t)
	case kindStrings:
		w.openArray()
		for _, s := range v.strs {
			w.str(s)
		}
		w.closeArray()
	}
}

// attr is an attribute with a value.
type attr struct {
	name string
	val  value
}

// element is an XML element of an event, with its template substitutions
// filled in.
type element struct {
	name     string
	attrs    []attr
	children []*element
	text     []value
}

// attrValue returns the value of the attribute name.
func (e *element) attrValue(name string) (value, bool) {
	for _, a := range e.attrs {
		if a.name == name {
			return a.val, true
		}
	}
	return value{}, false
}

// dataName returns the Name attribute of a Data element.
func (e *element) dataName() (string, bool) {
	v, ok := e.attrValue("Name")
	switch {
	case !ok:
		return "", false
	case v.kind == kindString:
		return v.s, true
	}
	return v.text(), true
}

// writeEvent writes elements as one JSON object in the shape evtx_dump
// writes: attributes under "#attributes", text beside them under "#text",
// and EventData's <Data Name="N">v</Data> as "N": v.
func writeEvent(w *jsonWriter, roots []*element) {
	w.openObject()
	writeMembers(w, roots)
	w.closeObject()
}

// writeElement writes the value of e: null when it is empty, its text
// when it has nothing else, an object otherwise.
func writeElement(w *jsonWriter, e *element, skipName bool) {
	attrs := len(e.attrs)
	if skipName {
		attrs--
	}
	if attrs == 0 && len(e.children) == 0 {
		writeText(w, e.text)
		return
	}
	w.openObject()
	if attrs > 0 {
		w.key("#attributes")
		w.openObject()
		for _, a := range e.attrs {
			if skipName && a.name == "Name" {
				continue
			}
			w.key(a.name)
			a.val.write(w)
		}
		w.closeObject()
	}
	writeMembers(w, e.children)
	if len(e.text) > 0 {
		w.key("#text")
		writeText(w, e.text)
	}
	w.closeObject()
}

// writeText writes one piece of text typed, several as one string.
func writeText(w *jsonWriter, text []value) {
	switch len(text) {
	case 0:
		w.null()
	case 1:
		text[0].write(w)
	default:
		var sb strings.Builder
		for _, v := range text {
			sb.WriteString(v.text())
		}
		w.str(sb.String())
	}
}

// writeMembers writes children as object members, in document order.
// <Data Name="N"> becomes "N"; unnamed Data elements are gathered in one
// "Data": {"#text": [...]}; a repeated name gets a suffix _1, _2, ...
func writeMembers(w *jsonWriter, children []*element) {
	mark := len(w.keys)
	defer func() { w.keys = w.keys[:mark] }()
	unnamedData := false
	for i, c := range children {
		if c.name == "Data" {
			if name, ok := c.dataName(); ok {
				w.key(w.uniqueKey(mark, name))
				if len(c.attrs) == 1 && len(c.children) == 0 && len(c.text) == 0 {
					w.str("") // <Data Name="N"/>: an empty value, not a missing one
					continue
				}
				writeElement(w, c, true)
				continue
			}
			if !unnamedData {
				unnamedData = true
				w.key(w.uniqueKey(mark, "Data"))
				writeUnnamedData(w, children[i:])
			}
			continue
		}
		w.key(w.uniqueKey(mark, c.name))
		writeElement(w, c, false)
	}
}

// uniqueKey returns name, or name with a suffix _1, _2, ... when the
// object whose keys are w.keys[mark:] already has it, and records it.
func (w *jsonWriter) uniqueKey(mark int, name string) string {
	key := name
	for n := 1; slices.Contains(w.keys[mark:], key); n++ {
		key = name + "_" + strconv.Itoa(n)
	}
	w.keys = append(w.keys, key)
	return key
}

// writeUnnamedData writes the Data elements without a Name attribute as
// {"#text": [...]}, each one's text in document order.
func writeUnnamedData(w *jsonWriter, children []*element) {
	w.openObject()
	w.key("#text")
	w.openArray()
	for _, c := range children {
		if c.name != "Data" {
			continue
		}
		if _, ok := c.dataName(); ok {
			continue
		}
		// A string array value adds its strings, as separate Data would.
		if len(c.text) == 1 && c.text[0].kind == kindStrings {
			for _, s := range c.text[0].strs {
				w.str(s)
			}
			continue
		}
		writeText(w, c.text)
	}
	w.closeArray()
	w.closeObject()
}
