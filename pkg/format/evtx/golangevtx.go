package evtx

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	gevtx "github.com/0xrawsec/golang-evtx/evtx"
)

// The records the native decoder leaves to golang-evtx: its parse tree
// turned into elements.

// golangEvtx decodes the record at off with golang-evtx.
func (d *chunkDecoder) golangEvtx(c *gevtx.Chunk, off int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	rd := bytes.NewReader(c.Data)
	rd.Seek(int64(off+recordHeaderSize), io.SeekStart)
	el, err := gevtx.Parse(rd, c, false)
	if err != nil && err != io.EOF {
		return err
	}
	f, ok := el.(*gevtx.Fragment)
	if !ok {
		return fmt.Errorf("record holds %T, not a BinXML fragment", el)
	}
	if err != nil {
		return fmt.Errorf("BinXML: %v", err)
	}
	roots, err := builder{}.fragment(f)
	if err != nil {
		return err
	}
	d.out.first = true
	writeEvent(&d.out, roots)
	return nil
}

// parseChunk reads a chunk's header, string table and template table.
func parseChunk(data []byte) (c gevtx.Chunk, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bad chunk header: %v", p)
		}
	}()
	c = gevtx.NewChunk()
	c.Data = data
	rd := bytes.NewReader(data)
	c.ParseChunkHeader(rd)
	if err := c.Header.Validate(); err != nil {
		return c, err
	}
	rd.Seek(chunkHeaderSize, io.SeekStart)
	c.ParseStringTable(rd)
	// Templates the table misses are decoded where a record defines them.
	c.ParseTemplateTable(rd)
	return c, nil
}

// builder turns golang-evtx's parse tree into elements.
type builder struct{}

// fragment builds the elements of a parsed BinXML fragment.
func (b builder) fragment(f *gevtx.Fragment) ([]*element, error) {
	ti, ok := f.BinXMLElement.(*gevtx.TemplateInstance)
	if !ok {
		return nil, fmt.Errorf("fragment holds %T, not a template instance", f.BinXMLElement)
	}
	return b.template(ti)
}

func (b builder) template(ti *gevtx.TemplateInstance) ([]*element, error) {
	root := ti.Root()
	out := make([]*element, 0, len(root.Child))
	for _, c := range root.Child {
		e, err := b.node(c, ti)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (b builder) node(n *gevtx.Node, ti *gevtx.TemplateInstance) (*element, error) {
	if n.Start == nil {
		return nil, fmt.Errorf("element without a start tag")
	}
	e := &element{name: n.Start.Name.String()}
	for i := range n.Start.AttributeList.Attributes {
		a := &n.Start.AttributeList.Attributes[i]
		v, nested, err := b.resolve(a.AttributeData, ti)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", a.Name.String(), err)
		}
		if nested != nil {
			return nil, fmt.Errorf("attribute %s holds XML", a.Name.String())
		}
		if v.kind != kindNull {
			e.attrs = append(e.attrs, attr{name: a.Name.String(), val: v})
		}
	}
	for _, c := range n.Child {
		ce, err := b.node(c, ti)
		if err != nil {
			return nil, err
		}
		e.children = append(e.children, ce)
	}
	for _, x := range n.Element {
		v, nested, err := b.resolve(x, ti)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", e.name, err)
		}
		if nested != nil {
			kids, err := b.template(nested)
			if err != nil {
				return nil, err
			}
			e.children = append(e.children, kids...)
			continue
		}
		if v.kind != kindNull {
			e.text = append(e.text, v)
		}
	}
	return e, nil
}

// resolve returns the value of content or attribute data x, or the
// template of an embedded BinXML fragment.
func (b builder) resolve(x gevtx.Element, ti *gevtx.TemplateInstance) (value, *gevtx.TemplateInstance, error) {
	switch x := x.(type) {
	case *gevtx.ValueText:
		return value{kind: kindString, s: x.String()}, nil, nil
	case *gevtx.NormalSubstitution:
		return b.substitute(int(x.SubID), ti)
	case *gevtx.OptionalSubstitution:
		return b.substitute(int(x.SubID), ti)
	case *gevtx.CharEntityRef:
		return value{kind: kindString, s: string(rune(uint16(x.Value)))}, nil, nil
	case *gevtx.BinXMLEntityReference:
		return value{kind: kindString, s: x.String()}, nil, nil
	}
	return value{}, nil, fmt.Errorf("unexpected %T", x)
}

func (b builder) substitute(id int, ti *gevtx.TemplateInstance) (value, *gevtx.TemplateInstance, error) {
	if id < 0 || id >= len(ti.Data.Values) {
		return value{}, nil, fmt.Errorf("substitution %d of %d", id, len(ti.Data.Values))
	}
	switch x := ti.Data.Values[id].(type) {
	case *gevtx.Fragment:
		nested, ok := x.BinXMLElement.(*gevtx.TemplateInstance)
		if !ok {
			return value{}, nil, fmt.Errorf("embedded fragment holds %T", x.BinXMLElement)
		}
		return value{}, nested, nil
	case *gevtx.TemplateInstance:
		return value{}, x, nil
	case nil:
		return value{}, nil, nil
	default:
		v, err := typed(x)
		return v, nil, err
	}
}

// typed converts a golang-evtx value, keeping numbers and times typed and
// rendering the rest as golang-evtx does.
func typed(x gevtx.Element) (value, error) {
	switch x := x.(type) {
	case *gevtx.ValueNull:
		return value{}, nil
	case *gevtx.ValueString:
		return value{kind: kindString, s: x.String()}, nil
	case *gevtx.AnsiString:
		return value{kind: kindString, s: strings.TrimRight(x.String(), "\x00")}, nil
	case *gevtx.ValueInt8:
		return value{kind: kindInt, i: int64(x.Value().(int8))}, nil
	case *gevtx.ValueUInt8:
		return value{kind: kindUint, u: uint64(x.Value().(uint8))}, nil
	case *gevtx.ValueInt16:
		return value{kind: kindInt, i: int64(x.Value().(int16))}, nil
	case *gevtx.ValueUInt16:
		return value{kind: kindUint, u: uint64(x.Value().(uint16))}, nil
	case *gevtx.ValueInt32:
		return value{kind: kindInt, i: int64(x.Value().(int32))}, nil
	case *gevtx.ValueUInt32:
		return value{kind: kindUint, u: uint64(x.Value().(uint32))}, nil
	case *gevtx.ValueInt64:
		return value{kind: kindInt, i: x.Value().(int64)}, nil
	case *gevtx.ValueUInt64:
		return value{kind: kindUint, u: x.Value().(uint64)}, nil
	case *gevtx.ValueReal32:
		return value{kind: kindFloat, f: float64(x.Value().(float32))}, nil
	case *gevtx.ValueReal64:
		return value{kind: kindFloat, f: x.Value().(float64)}, nil
	case *gevtx.ValueBool:
		return value{kind: kindBool, b: x.Value().(bool)}, nil
	case *gevtx.ValueFileTime:
		return value{kind: kindTime, t: time.Time(x.Repr().(gevtx.UTCTime))}, nil
	case *gevtx.ValueSysTime:
		return value{kind: kindTime, t: time.Time(x.Time())}, nil
	case *gevtx.ValueStringTable:
		strs, _ := x.Repr().([]string)
		return value{kind: kindStrings, strs: strs}, nil
	case *gevtx.ValueHexInt32, *gevtx.ValueHexInt64, *gevtx.ValueGUID, *gevtx.ValueSID, *gevtx.ValueBinary,
		*gevtx.ValueArrayUInt16, *gevtx.ValueArrayUInt64:
		return value{kind: kindString, s: x.(fmt.Stringer).String()}, nil
	case *gevtx.UnkVal:
		return value{}, fmt.Errorf("value of unknown type 0x%02x", uint8(x.Desc.ValType))
	}
	return value{}, fmt.Errorf("unexpected value %T", x)
}
