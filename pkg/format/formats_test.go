package format

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// read is what a user sees of an input: its events, decoded, with their
// lines, and the bad records reported.
type read struct {
	events []map[string]any
	lines  []int
	bad    []*event.BadRecordError
}

// readAll reads input in format f (Auto: detected, and the detected format
// checked against want).
func readAll(t *testing.T, input, name string, f Format, opt Options) read {
	t.Helper()
	opt.Name = name
	r, got, err := Open(strings.NewReader(input), f, opt)
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	if f != Auto && got != f {
		t.Fatalf("%s: opened as %s, want %s", name, got, f)
	}
	var out read
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		var bad *event.BadRecordError
		if errors.As(err, &bad) {
			if bad.Input != name {
				t.Errorf("bad record names input %q, want %q", bad.Input, name)
			}
			out.bad = append(out.bad, bad)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Input != name {
			t.Errorf("record names input %q, want %q", rec.Input, name)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Raw, &m); err != nil {
			t.Fatalf("%s:%d: not a JSON object: %v: %s", name, rec.Line, err, rec.Raw)
		}
		out.events = append(out.events, m)
		out.lines = append(out.lines, rec.Line)
	}
}

func readFile(t *testing.T, path string, f Format, opt Options) read {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, string(b), path, f, opt)
}

// badLines returns the lines of the bad records.
func (r read) badLines() []int {
	var out []int
	for _, b := range r.bad {
		out = append(out, b.Line)
	}
	return out
}

// field returns event i's field as JSON, for comparing values of any type.
func (r read) field(t *testing.T, i int, name string) string {
	t.Helper()
	if i >= len(r.events) {
		t.Fatalf("event %d of %d asked", i, len(r.events))
	}
	v, ok := r.events[i][name]
	if !ok {
		return "<missing>"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

type want struct {
	event       int
	field, json string
}

func check(t *testing.T, r read, wants []want) {
	t.Helper()
	for _, w := range wants {
		if got := r.field(t, w.event, w.field); got != w.json {
			t.Errorf("event %d: %s = %s, want %s", w.event, w.field, got, w.json)
		}
	}
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fixedNow(s string) func() time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// Every sample is recognised as its format, from its content and name.
func TestDetect(t *testing.T) {
	cases := []struct {
		file string
		want Format
	}{
		{"zeek_conn.log", Zeek},
		{"zeek_dns.log", Zeek},
		{"zeekjson/http.log", Zeek},
		{"zeekjson/files.log", Zeek},
		{"eve.json", Suricata},
		{"auth.log", Syslog},
		{"syslog_rfc5424.log", Syslog},
		{"syslog_iso.log", Syslog},
		{"audit.log", Auditd},
		{"export.csv", CSV},
		{"../../../examples/lab/classified_packets.csv", CSV},
		{"../../../examples/lab/events.jsonl", JSON},
	}
	for _, tc := range cases {
		head, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := Detect(head[:min(len(head), HeadSize)], tc.file); got != tc.want {
			t.Errorf("%s: detected %q, want %q", tc.file, got, tc.want)
		}
	}
	// Content alone.
	for _, tc := range []struct {
		head string
		want Format
	}{
		{"a,b,c\n1,2,3\n4,5,6\n", CSV},
		{`{"uid":"C1","id.orig_h":"10.0.0.1","ts":1}` + "\n", Zeek},
		{`{"event_type":"flow","src_ip":"10.0.0.1"}` + "\n", Suricata},
		{`{"type":"EXECVE","msg":"audit(1.2:3):"}` + "\n", JSON},
		{"<13>Jan  2 03:04:05 host prog: hi\n", Syslog},
		{"hello world\n", ""},
	} {
		if got, _ := Detect([]byte(tc.head), "<stdin>"); got != tc.want {
			t.Errorf("%q: detected %q, want %q", tc.head, got, tc.want)
		}
	}
}

// A line over the record limit is one bad record in every line format; the
// lines around it are read.
func TestOversizedLine(t *testing.T) {
	long := strings.Repeat("x", 300)
	cases := []struct {
		f     Format
		input string
	}{
		{Syslog, "Jan  2 03:04:05 h a: one\nJan  2 03:04:05 h a: " + long + "\nJan  2 03:04:06 h a: three\n"},
		{Auditd, "type=CWD msg=audit(1.1:1): cwd=\"/\"\ntype=CWD msg=audit(1.1:2): cwd=\"" + long + "\"\ntype=CWD msg=audit(1.1:3): cwd=\"/\"\n"},
		{CSV, "k,v\na,1\nb," + long + "\nc,3\n"},
		{Zeek, "#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\n1.0\tC1\n2.0\t" + long + "\n3.0\tC3\n"},
	}
	for _, tc := range cases {
		r := readAll(t, tc.input, "in", tc.f, Options{MaxRecord: 200})
		lines := strings.Count(tc.input, "\n")
		if !sameInts(r.badLines(), []int{lines - 1}) || len(r.events) != 2 || r.lines[1] != lines {
			t.Errorf("%s: bad %v, good %v; want the long line %d bad and the last read", tc.f, r.badLines(), r.lines, lines-1)
		}
	}
}

// Buffered tells whether more is in memory, for readers of pipes.
func TestBuffered(t *testing.T) {
	for _, f := range []Format{Syslog, Auditd, CSV, Zeek} {
		input := map[Format]string{
			Syslog: "Jan  2 03:04:05 h a: one\nJan  2 03:04:05 h a: two\n",
			Auditd: "type=CWD msg=audit(1.1:1): cwd=\"/\"\ntype=CWD msg=audit(1.1:2): cwd=\"/\"\n",
			CSV:    "k,v\na,1\nb,2\n",
			Zeek:   "#separator \\x09\n#fields\tts\n#types\ttime\n1.0\n2.0\n",
		}[f]
		r, _, err := Open(strings.NewReader(input), f, Options{Name: "in"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if !r.Buffered() {
			t.Errorf("%s: a line left, Buffered is false", f)
		}
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if r.Buffered() {
			t.Errorf("%s: all read, Buffered is true", f)
		}
	}
}
