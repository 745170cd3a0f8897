package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// Zeek is a Zeek log: tab-separated with its "#fields" header (Zeek's
// default), or one JSON object a line (LogAscii::use_json=T).
//
// Each record becomes an object keyed by Zeek's own field names (id.orig_h,
// query, uri ...) as Zeek's JSON writer writes them: unset fields ("-") left
// out, numbers and booleans typed, sets and vectors as arrays. "_path" names
// the log (conn, dns, http ...): from the "#path" header, or from the file
// name (dns.2024-01-01.log is dns) when a JSON log lacks it. "@timestamp"
// is ts in RFC 3339, UTC.
const Zeek Format = "zeek"

func init() {
	register(spec{
		name:   Zeek,
		rank:   50,
		about:  "Zeek logs, tab-separated with #fields headers or JSON",
		detect: detectZeek,
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			if b, _ := r.Peek(1); len(b) == 1 && b[0] == '#' {
				return &zeekTSV{lineReader: newLineReader(r, opt)}, nil
			}
			return &zeekJSON{r: event.NewReader(r, opt.Name, opt.MaxRecord), path: zeekPathOf(opt.Name)}, nil
		},
	})
}

func detectZeek(head []byte, _ string) bool {
	// A TSV log opens with its header lines, "#separator" first.
	for _, l := range headLines(head, 10) {
		if bytes.HasPrefix(l, []byte("#separator ")) {
			return true
		}
		if l[0] != '#' {
			break
		}
	}
	keys, ok := firstObjectKeys(head)
	if !ok {
		return false
	}
	// conn, dns, http, ssl and notice logs name the connection; files logs
	// name the file.
	return keys["ts"] && (keys["uid"] && keys["id.orig_h"] || keys["fuid"])
}

// firstObjectKeys returns the top-level keys of the JSON object on head's
// first non-blank line.
func firstObjectKeys(head []byte) (map[string]bool, bool) {
	ls := headLines(head, 1)
	if len(ls) == 0 || !bytes.HasPrefix(bytes.TrimSpace(ls[0]), []byte("{")) {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(ls[0], &obj) != nil {
		return nil, false
	}
	keys := make(map[string]bool, len(obj))
	for k := range obj {
		keys[k] = true
	}
	return keys, true
}

// zeekPathOf returns the log name a Zeek file name tells (conn for
// conn.log, dns for dns.2024-01-01-00-00-00.log.gz), or "" when the name is
// not a Zeek log's.
func zeekPathOf(name string) string {
	base := filepath.Base(name)
	if !strings.Contains(base, ".log") {
		return ""
	}
	path, _, _ := strings.Cut(base, ".")
	return path
}

// zeekTSV reads Zeek's tab-separated logs. Header lines ("#fields" ...) may
// come again inside the input, as when rotated logs are concatenated.
type zeekTSV struct {
	*lineReader
	sep, setSep  string
	empty, unset string
	path         string
	fields       []string
	types        []string
	obj          jsonObject
}

// Buffered reports whether a line is already in memory.
func (z *zeekTSV) Buffered() bool { return z.buffered() }

// Next returns the next log entry.
func (z *zeekTSV) Next() (event.Record, error) {
	for {
		line, err := z.next()
		if err != nil {
			return event.Record{}, err
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			z.header(string(line))
			continue
		}
		raw, reason := z.entry(string(line))
		if reason != "" {
			return event.Record{}, z.bad(reason, line)
		}
		return event.Record{Raw: raw, Input: z.name, Line: z.line}, nil
	}
}

// header reads one "#name value" header line.
func (z *zeekTSV) header(line string) {
	if v, ok := strings.CutPrefix(line, "#separator "); ok {
		z.sep = zeekUnescape(v)
		return
	}
	sep := z.sep
	if sep == "" {
		sep = "\t"
	}
	name, v, _ := strings.Cut(line[1:], sep)
	switch name {
	case "set_separator":
		z.setSep = zeekUnescape(v)
	case "empty_field":
		z.empty = v
	case "unset_field":
		z.unset = v
	case "path":
		z.path = v
	case "fields":
		z.fields, z.types = strings.Split(v, sep), nil
	case "types":
		z.types = strings.Split(v, sep)
	}
}

// entry turns one data line into JSON; reason says what is wrong with it.
func (z *zeekTSV) entry(line string) (raw []byte, reason string) {
	if len(z.fields) == 0 {
		return nil, "Zeek log entry before any #fields header"
	}
	sep, setSep, empty, unset := z.sep, z.setSep, z.empty, z.unset
	if sep == "" {
		sep = "\t"
	}
	if setSep == "" {
		setSep = ","
	}
	if empty == "" {
		empty = "(empty)"
	}
	if unset == "" {
		unset = "-"
	}
	values := strings.Split(line, sep)
	if len(values) != len(z.fields) {
		return nil, fmt.Sprintf("%d fields, the #fields header names %d", len(values), len(z.fields))
	}
	z.obj.reset()
	if z.path != "" {
		z.obj.str("_path", z.path)
	}
	var ts string
	for i, name := range z.fields {
		v := values[i]
		if v == unset {
			continue
		}
		typ := "string"
		if i < len(z.types) {
			typ = z.types[i]
		}
		if elem, ok := zeekContainer(typ); ok {
			var items []string
			if v != empty {
				items = strings.Split(v, setSep)
			}
			z.obj.key(name)
			z.obj.b = append(z.obj.b, '[')
			for j, item := range items {
				if j > 0 {
					z.obj.b = append(z.obj.b, ',')
				}
				var ok bool
				if z.obj.b, ok = appendZeekValue(z.obj.b, elem, zeekUnescape(item)); !ok {
					return nil, fmt.Sprintf("field %s: %q is not a %s", name, item, elem)
				}
			}
			z.obj.b = append(z.obj.b, ']')
			continue
		}
		if v == empty {
			v = ""
		}
		z.obj.key(name)
		var ok bool
		if z.obj.b, ok = appendZeekValue(z.obj.b, typ, zeekUnescape(v)); !ok {
			return nil, fmt.Sprintf("field %s: %q is not a %s", name, v, typ)
		}
		if name == "ts" {
			ts = v
		}
	}
	if t, ok := epochTime(ts); ok {
		z.obj.str("@timestamp", t.Format(time.RFC3339Nano))
	}
	return z.obj.done(), ""
}

// zeekContainer returns the element type of a set[T] or vector[T] type.
func zeekContainer(typ string) (elem string, ok bool) {
	for _, p := range []string{"set[", "vector["} {
		if e, ok := strings.CutPrefix(typ, p); ok {
			return strings.TrimSuffix(e, "]"), true
		}
	}
	return "", false
}

// appendZeekValue appends v, a value of Zeek type typ, as Zeek's JSON
// writer writes it; ok is false when v is not of that type.
func appendZeekValue(dst []byte, typ, v string) ([]byte, bool) {
	switch typ {
	case "time", "interval", "double", "count", "int", "port":
		if !isJSONNumber(v) {
			return dst, false
		}
		return append(dst, v...), true
	case "bool":
		switch v {
		case "T":
			return append(dst, "true"...), true
		case "F":
			return append(dst, "false"...), true
		}
		return dst, false
	}
	return event.AppendString(dst, v), true
}

// zeekUnescape decodes the \xHH escapes Zeek writes for separators and
// unprintable bytes.
func zeekUnescape(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// epochTime reads seconds since 1970 with a decimal fraction, exactly.
func epochTime(s string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 9 {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		f, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err != nil || f < 0 {
			return time.Time{}, false
		}
		ns = f
	}
	if n < 0 {
		ns = -ns
	}
	return time.Unix(n, ns).UTC(), true
}

// zeekJSON reads Zeek's JSON logs, adding "_path" (from the file name) and
// "@timestamp" (from ts) when missing.
type zeekJSON struct {
	r    *event.Reader
	path string
	buf  []byte
}

// Buffered reports whether an entry is already in memory.
func (z *zeekJSON) Buffered() bool { return z.r.Buffered() }

// Next returns the next log entry.
func (z *zeekJSON) Next() (event.Record, error) {
	rec, err := z.r.Next()
	if err != nil {
		return rec, err
	}
	var known struct {
		Path      *string         `json:"_path"`
		TS        json.RawMessage `json:"ts"`
		Timestamp json.RawMessage `json:"@timestamp"`
	}
	if json.Unmarshal(rec.Raw, &known) != nil {
		return rec, nil
	}
	add := known.Path == nil && z.path != ""
	var ts time.Time
	if known.Timestamp == nil {
		ts = zeekJSONTime(known.TS)
	}
	if !add && ts.IsZero() {
		return rec, nil
	}
	z.buf = append(z.buf[:0], rec.Raw[:len(rec.Raw)-1]...)
	o := jsonObject{b: z.buf}
	if add {
		o.str("_path", z.path)
	}
	if !ts.IsZero() {
		o.str("@timestamp", ts.Format(time.RFC3339Nano))
	}
	z.buf = o.done()
	rec.Raw = z.buf
	return rec, nil
}

// zeekJSONTime reads ts as Zeek writes it: epoch seconds, or ISO 8601 with
// LogAscii::json_timestamps=JSON::TS_ISO8601.
func zeekJSONTime(raw json.RawMessage) time.Time {
	if len(raw) == 0 {
		return time.Time{}
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.UTC()
			}
		}
		return time.Time{}
	}
	t, _ := epochTime(string(raw))
	return t
}
