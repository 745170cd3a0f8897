package evtx

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/shareddata"
)

// realData returns the directory of the shared evtx-to-mitre data set.
func realData(t testing.TB) string {
	t.Helper()
	shareddata.Dir(t, "realdata", "evtx-to-mitre", "evtx") // the .evtx files must be there
	return shareddata.Dir(t, "realdata", "evtx-to-mitre")
}

// readAll reads every event of an .evtx stream, and the bad records.
func readAll(t testing.TB, r io.Reader, name string) (events []map[string]any, bad []*event.BadRecordError, rd *Reader) {
	t.Helper()
	rd, err := NewReader(r, name)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return events, bad, rd
		}
		var b *event.BadRecordError
		if errors.As(err, &b) {
			bad = append(bad, b)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, decode(t, rec.Raw))
	}
}

func decode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("event is not a JSON object: %v\n%s", err, raw)
	}
	return m
}

// asText renders a JSON value with every leaf as a string, so a number
// compares equal to the same number written as a string.
func asText(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = asText(x)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + asText(v[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprintf("%v", v)
}

// path returns the value at a path of keys, "" when missing.
func path(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// eventID returns System.EventID, which is {"#text": id} when it has
// Qualifiers.
func eventID(m map[string]any) string {
	id := path(m, "Event", "System", "EventID")
	if o, ok := id.(map[string]any); ok {
		id = o["#text"]
	}
	return asText(id)
}

// velocidexMade lists the reference files converted with velocidex
// rather than golang-evtx (labels.csv, column parser). Velocidex keeps
// times as float64 seconds, a few microseconds off, and drops UserData.
var velocidexMade = map[string]bool{
	"TA0006-Credential_Access__T1552.004-Unsecured_Credentials-Private_Keys__ID70-CAPI-Private_key_accessed_Mimikatz": true,
}

// sameTime reports whether two RFC 3339 times are within 5µs.
func sameTime(a, b any) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, asText(a))
	tb, err2 := time.Parse(time.RFC3339Nano, asText(b))
	d := ta.Sub(tb)
	return err1 == nil && err2 == nil && d < 5*time.Microsecond && d > -5*time.Microsecond
}

// compareEvents lists how got differs from want (the reference JSON);
// velocidex says the reference was made by velocidex.
func compareEvents(got, want map[string]any, velocidex bool) []string {
	var diffs []string
	check := func(what string, g, w any) {
		if gs, ws := asText(g), asText(w); gs != ws {
			diffs = append(diffs, fmt.Sprintf("%s: got %.200q, want %.200q", what, gs, ws))
		}
	}
	if g, w := eventID(got), eventID(want); g != w {
		diffs = append(diffs, fmt.Sprintf("EventID: got %s, want %s", g, w))
	}
	check("Channel", path(got, "Event", "System", "Channel"), path(want, "Event", "System", "Channel"))
	check("EventRecordID", path(got, "Event", "System", "EventRecordID"), path(want, "Event", "System", "EventRecordID"))
	gt := path(got, "Event", "System", "TimeCreated", "#attributes", "SystemTime")
	wt := path(want, "Event", "System", "TimeCreated", "#attributes", "SystemTime")
	if !velocidex || !sameTime(gt, wt) {
		check("SystemTime", gt, wt)
	}
	for _, section := range []string{"EventData", "UserData"} {
		g, _ := path(got, "Event", section).(map[string]any)
		w, _ := path(want, "Event", section).(map[string]any)
		if velocidex && w == nil {
			continue
		}
		g = flattenAttributes(g)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing, want %.200q", section, k, asText(wv)))
				continue
			}
			if gs, ok := gv.(string); ok && isBase64Of(asText(wv), gs) {
				continue
			}
			check(section+"."+k, gv, wv)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in the reference", section, k))
			}
		}
	}
	return diffs
}

// flattenAttributes moves the members of "#attributes" up into m, as the
// reference JSON has the attributes of EventData (<EventData Name="...">).
func flattenAttributes(m map[string]any) map[string]any {
	attrs, ok := m["#attributes"].(map[string]any)
	if !ok {
		return m
	}
	out := make(map[string]any, len(m)+len(attrs))
	for k, v := range m {
		if k != "#attributes" {
			out[k] = v
		}
	}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// isBase64Of reports whether want is s in base64: golang-evtx gives an
// ANSI string as bytes, which the reference's JSON encoder wrote so.
func isBase64Of(want, s string) bool {
	b, err := base64.StdEncoding.DecodeString(want)
	return err == nil && len(s) > 0 && string(b) == s
}

func readReference(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		out = append(out, decode(t, sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRealFilesMatchReference reads each .evtx file of the shared data set
// and checks its events against the JSON converted from it by golang-evtx.
func TestRealFilesMatchReference(t *testing.T) {
	data := realData(t)
	files, err := filepath.Glob(filepath.Join(data, "evtx", "*.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .evtx files in %s", data)
	}
	identical := 0
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".evtx")
		t.Run(base, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, bad, rd := readAll(t, f, file)
			for _, b := range bad {
				t.Errorf("bad record: %v", b)
			}
			want := readReference(t, filepath.Join(data, "events", base+".jsonl"))
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			failed := 0
			for i := range want {
				diffs := compareEvents(got[i], want[i], velocidexMade[base])
				if len(diffs) > 0 && failed < 3 {
					t.Errorf("event %d:\n  %s", i+1, strings.Join(diffs, "\n  "))
				}
				if len(diffs) > 0 {
					failed++
				}
			}
			if g, v := rd.dec.viaGolangEvtx, rd.dec.viaVelocidex; g+v > 0 {
				t.Logf("of %d records, %d read by golang-evtx, %d by velocidex", len(got), g, v)
			}
			if failed == 0 {
				identical++
			}
		})
	}
	t.Logf("%d of %d files read to the same events as the reference", identical, len(files))
}

// TestGolangEvtxAgreesWithNative reads each shared file with golang-evtx
// alone and checks that the native decoder wrote the same bytes, and that
// the file golang-evtx cannot read went to velocidex, as its reference did.
func TestGolangEvtxAgreesWithNative(t *testing.T) {
	if testing.Short() {
		t.Skip("golang-evtx is slow")
	}
	data := realData(t)
	files, err := filepath.Glob(filepath.Join(data, "evtx", "*.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".evtx")
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		native := rawEvents(t, raw, false)
		golang := rawEvents(t, raw, true)
		if len(golang) != len(native) {
			t.Errorf("%s: golang-evtx read %d events, native %d", base, len(golang), len(native))
			continue
		}
		if velocidexMade[base] {
			// golang-evtx cannot read it: velocidex did, as for the reference.
			want := readReference(t, filepath.Join(data, "events", base+".jsonl"))
			for i := range want {
				if diffs := compareEvents(decode(t, []byte(golang[i])), want[i], false); len(diffs) > 0 {
					t.Errorf("%s: event %d by velocidex:\n  %s", base, i+1, strings.Join(diffs, "\n  "))
				}
			}
			continue
		}
		for i := range native {
			if native[i] != golang[i] {
				t.Errorf("%s: event %d:\nnative     %s\ngolang-evtx %s", base, i+1, native[i], golang[i])
				break
			}
		}
	}
}

// rawEvents reads the events of an .evtx image as JSON text, with
// golang-evtx alone when noNative is set.
func rawEvents(t *testing.T, data []byte, noNative bool) []string {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data), "in.evtx")
	if err != nil {
		t.Fatal(err)
	}
	rd.dec.noNative = noNative
	var out []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(rec.Raw))
	}
}
