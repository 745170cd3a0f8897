package evtx

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/Velocidex/ordereddict"
	vevtx "www.velocidex.com/golang/evtx"
)

// velocidex decodes, with www.velocidex.com/golang/evtx, the records of a
// chunk that neither the native decoder nor golang-evtx can decode. The
// chunk is decoded at the first such record, and once.
type velocidex struct {
	chunk   []byte
	decoded bool
	events  map[uint64]any
	err     error
}

func (f *velocidex) reset(chunk []byte) {
	f.chunk, f.decoded, f.err = chunk, false, nil
	clear(f.events)
}

// record writes the event of record id to w.
func (f *velocidex) record(w *jsonWriter, id uint64) error {
	if !f.decoded {
		f.decoded = true
		f.err = f.decode()
	}
	ev, ok := f.events[id]
	if !ok {
		if f.err != nil {
			return f.err
		}
		return fmt.Errorf("velocidex did not find it")
	}
	root, ok := ev.(*ordereddict.Dict)
	if !ok {
		return fmt.Errorf("velocidex gave %T", ev)
	}
	roots := fromDict(root, "", ctxPlain).children
	if len(roots) != 1 || roots[0].name != "Event" || len(roots[0].children) == 0 || roots[0].children[0].name != "System" {
		return fmt.Errorf("velocidex found no Event/System")
	}
	// velocidex drops the namespace, which is the same in every event.
	if _, ok := roots[0].attrValue("xmlns"); !ok {
		roots[0].attrs = append(roots[0].attrs, attr{name: "xmlns", val: value{kind: kindString, s: eventNamespace}})
	}
	w.first = true
	writeEvent(w, roots)
	return nil
}

func (f *velocidex) decode() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("velocidex: %v", p)
		}
	}()
	if f.events == nil {
		f.events = make(map[uint64]any)
	}
	c, err := vevtx.NewChunk(bytes.NewReader(f.chunk), 0)
	if err != nil {
		return err
	}
	records, err := c.Parse(0)
	for _, r := range records {
		f.events[r.Header.RecordID] = r.Event
	}
	return err
}

// eventNamespace is the XML namespace of <Event>.
const eventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event"

// dictContext says how the leaves of a velocidex dictionary map to XML:
// velocidex does not tell attributes from child elements.
type dictContext uint8

const (
	ctxPlain     dictContext = iota // leaves are child elements
	ctxSystem                       // System: leaves are elements, dictionaries hold attributes
	ctxAttrs                        // a System element: leaves are attributes
	ctxEventData                    // EventData: leaves are <Data Name=...>
)

// fromDict rebuilds the element name from a velocidex dictionary.
func fromDict(d *ordereddict.Dict, name string, ctx dictContext) *element {
	e := &element{name: name}
	for _, k := range d.Keys() {
		v, _ := d.Get(k)
		if k == "Value" {
			e.text = append(e.text, leafValue(k, v))
			continue
		}
		switch v := v.(type) {
		case *ordereddict.Dict:
			e.children = append(e.children, fromDict(v, k, childContext(ctx, k)))
			continue
		case []any:
			for _, x := range v {
				if xd, ok := x.(*ordereddict.Dict); ok {
					e.children = append(e.children, fromDict(xd, k, childContext(ctx, k)))
				} else {
					e.children = append(e.children, &element{name: k, text: []value{leafValue(k, x)}})
				}
			}
			continue
		}
		val := leafValue(k, v)
		switch ctx {
		case ctxAttrs:
			e.attrs = append(e.attrs, attr{name: k, val: val})
		case ctxEventData:
			e.children = append(e.children, &element{name: "Data", attrs: []attr{{name: "Name", val: value{kind: kindString, s: k}}}, text: []value{val}})
		default:
			e.children = append(e.children, &element{name: k, text: []value{val}})
		}
	}
	return e
}

func childContext(parent dictContext, name string) dictContext {
	switch {
	case name == "System":
		return ctxSystem
	case name == "EventData":
		return ctxEventData
	case parent == ctxSystem:
		return ctxAttrs
	}
	return ctxPlain
}

// leafValue converts a velocidex value, undoing the two it changes:
// Keywords (a number, in XML a hex string) and times (float seconds).
func leafValue(key string, v any) value {
	switch v := v.(type) {
	case nil:
		return value{}
	case string:
		return value{kind: kindString, s: v}
	case bool:
		return value{kind: kindBool, b: v}
	case float64:
		if key == "SystemTime" {
			// Whole microseconds: the float holds no more. The small
			// bias keeps x.640984 from flooring to x.640983.
			sec, frac := math.Modf(v)
			usec := math.Floor(frac*1e6 + 1e-3)
			return value{kind: kindTime, t: time.Unix(int64(sec), int64(usec)*1000)}
		}
		return value{kind: kindFloat, f: v}
	case uint64:
		if key == "Keywords" {
			return value{kind: kindString, s: fmt.Sprintf("0x%x", v)}
		}
		return value{kind: kindUint, u: v}
	case uint32:
		return value{kind: kindUint, u: uint64(v)}
	case uint16:
		return value{kind: kindUint, u: uint64(v)}
	case uint8:
		return value{kind: kindUint, u: uint64(v)}
	case int64:
		return value{kind: kindInt, i: v}
	case int32:
		return value{kind: kindInt, i: int64(v)}
	case int:
		return value{kind: kindInt, i: int64(v)}
	case []byte:
		return value{kind: kindString, s: fmt.Sprintf("%X", v)}
	}
	return value{kind: kindString, s: fmt.Sprint(v)}
}
