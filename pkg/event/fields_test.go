package event

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// flatten lists every leaf of a decoded JSON value by dotted path, with
// arrays giving one value per element, as Paths defines paths.
func flatten(prefix string, v any, out map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, c, out)
		}
	case []any:
		for _, c := range x {
			flatten(prefix, c, out)
		}
	case string:
		out[prefix] = append(out[prefix], x)
	case nil:
		out[prefix] = append(out[prefix], "null")
	default:
		b, _ := json.Marshal(x)
		out[prefix] = append(out[prefix], string(b))
	}
}

// checkValues compares the values extracted at path p with want, in any
// order, numbers as decoded.
func checkValues(t *testing.T, doc, p string, vals []Value, want []string) {
	t.Helper()
	var got []string
	for _, val := range vals {
		if val.Kind == Object || val.Kind == Array {
			continue // containers are recorded too, for exists tests
		}
		got = append(got, val.Text())
	}
	w := append([]string(nil), want...)
	for i := range got {
		if i < len(w) && got[i] != w[i] {
			var a, b any
			if json.Unmarshal([]byte(got[i]), &a) == nil && json.Unmarshal([]byte(w[i]), &b) == nil && fmt.Sprint(a) == fmt.Sprint(b) {
				got[i] = w[i]
			}
		}
	}
	sort.Strings(got)
	sort.Strings(w)
	if strings.Join(got, "\x00") != strings.Join(w, "\x00") {
		t.Fatalf("path %q of %s: got %q want %q", p, doc, got, w)
	}
}

func checkExtract(t *testing.T, doc string) {
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return
	}
	want := map[string][]string{}
	flatten("", v, want)
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	ps := NewPaths(paths...)
	ps.Add("not.there")
	raw := []byte(doc)
	var f Fields
	ps.Extract(raw, &f)
	for _, p := range paths {
		checkValues(t, doc, p, f.Values(ps.Slot(p)), want[p])
	}
	var into Extracting
	var x Extracted
	ps.ExtractTo(raw, &into, &x)
	var loaded Fields
	loaded.Load(&x, ps)
	checkSameFields(t, doc, ps, &f, &loaded)
	// Each path alone: every other member, containers included, is skipped.
	for _, p := range paths {
		one := NewPaths(p)
		var g Fields
		one.Extract([]byte(doc), &g)
		checkValues(t, doc, p, g.Values(0), want[p])
	}
	if len(f.Values(ps.Slot("not.there"))) != 0 {
		t.Fatalf("values for an absent path")
	}
	// Every string value, at any depth, and no key (duplicate keys too).
	var wantStrs, gotStrs []string
	dec := json.NewDecoder(strings.NewReader(doc))
	var inObject []bool // by depth: an object, whose next string is a key
	key := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		wasKey := key
		key = false
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{', '[':
				inObject = append(inObject, x == '{')
				key = x == '{'
				continue
			default:
				inObject = inObject[:len(inObject)-1]
			}
		case string:
			if wasKey {
				continue
			}
			wantStrs = append(wantStrs, x)
		}
		key = len(inObject) > 0 && inObject[len(inObject)-1]
	}
	for _, s := range f.Strings() {
		gotStrs = append(gotStrs, s.Text())
	}
	sort.Strings(wantStrs)
	sort.Strings(gotStrs)
	if strings.Join(gotStrs, "\x00") != strings.Join(wantStrs, "\x00") {
		t.Fatalf("strings of %s: got %q want %q", doc, gotStrs, wantStrs)
	}
}

func TestExtract(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,"b":"x","c":{"d":true,"e":null,"f":[1,2,{"g":"h"}]}}`,
		`{"process.command_line":"cmd \"quoted\" \\\\ back","process":{"pid":4}}`,
		`{"@timestamp":"2026-01-15T07:00:00Z","event":{"category":["process","start"]},"k\u00e9y":"\u00e9\ud83d\ude00"}`,
		`{"path":"C:\\Windows\\System32\\cmd.exe","esc":"a\\\"b","e":"\"","bs":"\\"}`,
		`{}`,
		`{"a" : "b:" , "c":["d", {"e" :"f"}], "g":{"h":"\":"}}`,
	} {
		checkExtract(t, doc)
	}
}

func TestExtractMembers(t *testing.T) {
	doc := `{"a":1,"threat":{"x":[1]},"b":"s"}`
	ps := NewPaths("a")
	var f Fields
	ps.Extract([]byte(doc), &f)
	var got []string
	for _, m := range f.Members() {
		got = append(got, string(m.Key)+"="+doc[m.Start:m.End])
	}
	if strings.Join(got, " ") != `a="a":1 threat="threat":{"x":[1]} b="b":"s"` {
		t.Errorf("members: %q", got)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(`{"a":{"b":[1,"x\\"y",{"c":null}]},"d.e":2.5e3}`)
	f.Fuzz(func(t *testing.T, doc string) {
		// Empty keys make dotted paths ambiguous; they are left out.
		if !json.Valid([]byte(doc)) || !strings.HasPrefix(strings.TrimSpace(doc), "{") || strings.Contains(doc, `""`) {
			return
		}
		// Extract takes compact objects, as the reader gives them.
		rd := NewReader(strings.NewReader(doc), "fuzz", 0)
		rec, err := rd.Next()
		if err != nil {
			return
		}
		checkExtract(t, string(rec.Raw))
	})
}

// checkSameFields fails unless b holds the very values and members a does.
func checkSameFields(t *testing.T, doc string, ps *Paths, a, b *Fields) {
	t.Helper()
	same := func(x, y []byte) bool {
		return len(x) == len(y) && cap(x) == cap(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	for slot := 0; slot < ps.Len(); slot++ {
		va, vb := a.Values(slot), b.Values(slot)
		if len(va) != len(vb) {
			t.Fatalf("%s in %s: %d values loaded, %d extracted", ps.Name(slot), doc, len(vb), len(va))
		}
		for i := range va {
			if va[i].Kind != vb[i].Kind || va[i].escaped != vb[i].escaped || !same(va[i].Raw, vb[i].Raw) {
				t.Fatalf("%s in %s: value %d loaded as %+v, extracted as %+v", ps.Name(slot), doc, i, vb[i], va[i])
			}
		}
	}
	ma, mb := a.Members(), b.Members()
	if len(ma) != len(mb) {
		t.Fatalf("%s: %d members loaded, %d extracted", doc, len(mb), len(ma))
	}
	for i := range ma {
		if ma[i].Start != mb[i].Start || ma[i].End != mb[i].End || !same(ma[i].Key, mb[i].Key) {
			t.Fatalf("%s: member %d loaded as %+v, extracted as %+v", doc, i, mb[i], ma[i])
		}
	}
}

// What ExtractTo finds, loaded into a Fields reused over events, is what
// Extract finds: the same values of every path and the same members.
func TestExtractToLoad(t *testing.T) {
	docs := []string{
		`{"a":1,"b":{"c":"x","d":2},"e":"y"}`,
		`{"b":{"d":3,"c":"z"},"a":4}`,
		`{"e":"w","a":{"x":1},"b.c":"flat"}`,
		`{"a\u0062":"escaped key","b":{"c":"a \"quoted\" \\ value"},"e":[true,false,null,-1.5e3]}`,
		`{"Event":{"UserData":{"Op":{"User":"u"}},"EventData":{"User":"v"}},"e":{}}`,
		`{"b":[{"c":1},{"c":[2,3]},{"d":[]}],"a":[[1],[2]]}`,
		`{"e":"o"}`,
		`{"b":{"c":1},"e":2,"b.c":3,"a":[4],"b.c":[5,6]}`, // b.c met in three runs
		`{}`,
	}
	ps := NewPaths("a", "b", "b.c", "b.d", "e", "ab", "Event.UserData.*.User", "Event.EventData.User")
	// One run's events all stay readable until the run is reset.
	var into Extracting
	var loaded Fields
	for round := 0; round < 2; round++ {
		into.Reset()
		found := make([]Extracted, len(docs))
		var raws [][]byte
		for i, d := range docs {
			raw := []byte(d)
			raws = append(raws, raw)
			ps.ExtractTo(raw, &into, &found[i])
		}
		for i, d := range docs {
			raw := raws[i]
			x := &found[i]
			var f Fields
			ps.Extract(raw, &f)
			if !x.Of(raw) || x.Of([]byte(d)) {
				t.Fatalf("%s: Of(the event) %v, Of(a copy) %v", d, x.Of(raw), x.Of([]byte(d)))
			}
			loaded.Load(x, ps)
			checkSameFields(t, d, ps, &f, &loaded)
		}
	}
}

func TestExtractWildcard(t *testing.T) {
	doc := `{"Event":{"UserData":{"Operation_ClientFailure":{"Operation":"x::cleareventlog","User":"u"}},"EventData":{"User":"v"}}}`
	ps := NewPaths("Event.UserData.*.Operation", "Event.EventData.User", "Event.UserData.*.User")
	var f Fields
	ps.Extract([]byte(doc), &f)
	if v := f.Values(ps.Slot("Event.UserData.*.Operation")); len(v) != 1 || v[0].Text() != "x::cleareventlog" {
		t.Errorf("wildcard member: %v", v)
	}
	if v := f.Values(ps.Slot("Event.EventData.User")); len(v) != 1 || v[0].Text() != "v" {
		t.Errorf("plain path beside a wildcard: %v", v)
	}
	if v := f.Values(ps.Slot("Event.UserData.*.User")); len(v) != 1 || v[0].Text() != "u" {
		t.Errorf("second wildcard path: %v", v)
	}
}

// One Fields reused over events of different layouts gives what a fresh
// one gives: the lookup cache never answers for another path.
func TestExtractReuse(t *testing.T) {
	docs := []string{
		`{"a":1,"b":{"c":"x","d":2},"e":"y"}`,
		`{"b":{"d":3,"c":"z"},"a":4}`,
		`{"e":"w","a":{"x":1},"b.c":"flat"}`,
		`{"a":1,"b":{"c":"x","d":2},"e":"y"}`,
		// More layouts than a position remembers.
		`{"e":"v","b.d":5,"a":6}`,
		`{"b":{"c":"u"},"e":"t","a":[7,8]}`,
		`{"a":"s","e":{"z":1},"b":{"d":9}}`,
		`{"x":1,"y":2,"a":"r","b":{"c":"q","d":10},"e":"p"}`,
		`{"e":"o"}`,
	}
	ps := NewPaths("a", "b.c", "b.d", "e")
	var reused Fields
	for round := 0; round < 3; round++ {
		for _, d := range docs {
			var fresh Fields
			ps.Extract([]byte(d), &reused)
			ps.Extract([]byte(d), &fresh)
			for slot := 0; slot < ps.Len(); slot++ {
				var a, b []string
				for _, v := range reused.Values(slot) {
					a = append(a, v.Text())
				}
				for _, v := range fresh.Values(slot) {
					b = append(b, v.Text())
				}
				if strings.Join(a, ",") != strings.Join(b, ",") {
					t.Fatalf("%s path %s: reused %q, fresh %q", d, ps.Name(slot), a, b)
				}
			}
		}
		ps.Add("b") // a new path invalidates what was cached
	}
}

// checkSkip checks that skipValue finds the end of the valid JSON value v
// at every place of an eight-byte word, with more JSON after it.
func checkSkip(t *testing.T, v string) {
	t.Helper()
	for pad := 0; pad < 8; pad++ {
		b := []byte(strings.Repeat(" ", pad) + v + `,"}]",{"a":[1]}]`)
		if end := skipValue(b, pad); end != pad+len(v) {
			t.Fatalf("skipValue(%q) at %d = %d, want %d", v, pad, end-pad, len(v))
		}
	}
}

func TestSkipValue(t *testing.T) {
	for _, v := range []string{
		`{}`, `[]`, `[[]]`, `{"a":{}}`, `"x"`, `-1.5e3`, `true`, `null`,
		`{"a":"}"}`, `["]","[",{"b":"{"}]`,
		`{"a":"\"}"}`, `{"a":"\\"}`, `{"a":"\\\"}"}`, `["\\\\"]`,
		`{"path":"C:\\Windows\\System32\\cmd.exe","q":"\"}\"","n":[1,{"m":"\u007d"}]}`,
		`{"threat":{"tactic":{"id":["TA0002","TA0005"],"name":["Execution","Defense Evasion"]}},"rule":{"level":"high"}}`,
		`{"é":"ü}","k":[ "a" , { "b" : [ ] } ]}`,
	} {
		checkSkip(t, v)
	}
	// A backslash at each place of a word, before and after a bracket.
	for n := 0; n < 20; n++ {
		pre := strings.Repeat("x", n)
		checkSkip(t, `{"a":"`+pre+`\"]}","b":[1]}`)
		checkSkip(t, `["`+pre+`\\","}"]`)
	}
}

func FuzzSkipValue(f *testing.F) {
	f.Add(`{"a":["\"}]",{"b":"\\"}]}`)
	f.Fuzz(func(t *testing.T, v string) {
		if !json.Valid([]byte(v)) {
			return
		}
		checkSkip(t, strings.TrimSpace(v))
	})
}

// BenchmarkExtractKey extracts the Kafka sink's default key fields from an
// event classify wrote: its threat and rule objects are skipped.
func BenchmarkExtractKey(b *testing.B) {
	raw := []byte(`{"event_id":"4cbd87ad-5c90-4958-b403-e430ec66a787","timestamp":"2026-01-15T07:00:18.697688+00:00","user":"bob","host":"win-01","source_ip":"10.0.0.12","event_type":"process_start","process_name":"powershell.exe","command_line":"powershell -EncodedCommand SQBFAFgA","parent_process":"explorer.exe","threat":{"framework":"MITRE ATT&CK","tactic":{"id":["TA0002","TA0005"],"name":["Execution","Defense Evasion"],"reference":["https://attack.mitre.org/tactics/TA0002","https://attack.mitre.org/tactics/TA0005"]},"technique":{"id":["T1027","T1059"],"name":["Obfuscated Files or Information","Command and Scripting Interpreter"],"reference":["https://attack.mitre.org/techniques/T1027","https://attack.mitre.org/techniques/T1059"],"subtechnique":{"id":["T1059.001"],"name":["PowerShell"],"reference":["https://attack.mitre.org/techniques/T1059/001"]}}},"rule":{"id":["7655e697-c093-4216-9b61-480905b5bc16"],"name":["Encoded PowerShell Command Line"],"ruleset":"sigma","level":"high"}}`)
	ps := NewPaths("source.ip", "host.name", "source_ip", "host")
	var f Fields
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		ps.Extract(raw, &f)
	}
	if len(f.Values(ps.Slot("source_ip"))) != 1 {
		b.Fatal("no source_ip")
	}
}

// The tree of member names: dotted names walk it a segment at a time, an
// exact member wins over "*", a top-level "*" is only a member named so,
// and long names that differ only in their middle stay apart.
func TestExtractTree(t *testing.T) {
	ps := NewPaths("a.b.c", "w.x.*.v", "w.x.k.v", "*.top",
		"Event.ParentProcessCommandLineA", "Event.ParentProcessCommandLineB")
	doc := `{"a.b":{"c":1},"a":{"b.c":2},"w":{"x":{"k":{"v":"exact"},"q.r":{"v":"star"}}},` +
		`"z":{"top":"no"},"*":{"top":"yes"},"Event":{"ParentProcessCommandLineB":"b","ParentProcessCommandLineA":"a"}}`
	var f Fields
	ps.Extract([]byte(doc), &f)
	for path, want := range map[string][]string{
		"a.b.c":                           {"1", "2"},
		"w.x.k.v":                         {"exact"},
		"w.x.*.v":                         {"star"},
		"*.top":                           {"yes"},
		"Event.ParentProcessCommandLineA": {"a"},
		"Event.ParentProcessCommandLineB": {"b"},
	} {
		checkValues(t, doc, path, f.Values(ps.Slot(path)), want)
	}
}
