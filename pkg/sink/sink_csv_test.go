package sink

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// classified returns an event as classify writes it: base, a JSON object,
// with t's threat fields spliced in (none when t is nil).
func classified(base string, t *ecs.Threat) []byte {
	if t == nil {
		return []byte(base)
	}
	b := []byte(strings.TrimSuffix(base, "}"))
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = t.AppendFields(b, attack.Default())
	return append(b, '}')
}

// writeCSV runs events through a CSV sink and returns the parsed records.
func writeCSV(t *testing.T, events ...[]byte) ([][]string, Counts) {
	t.Helper()
	var out bytes.Buffer
	s := NewCSVSink(&out, nil, attack.Default(), true)
	var msgs []pipeline.Message
	for _, e := range events {
		msgs = append(msgs, pipeline.Message{Value: e})
	}
	if err := s.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&out)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v\n%s", err, out.String())
	}
	return recs, s.Counts()
}

// col returns the cell of a record by column name.
func col(rec []string, name string) string {
	for i, c := range store.Columns {
		if c == name {
			return rec[i]
		}
	}
	panic("no column " + name)
}

const ecsBrute = `{"@timestamp":"2026-01-15T07:00:03.123Z","event":{"id":"e1","action":"logon-failed","kind":"event","dataset":"system.auth"},"user":{"name":"alice"},"host":{"name":"web-01","os":{"type":"linux"}},"source":{"ip":"203.0.113.7"},"destination":{"ip":"10.0.0.5","port":22}}`

func TestHeaderExact(t *testing.T) {
	recs, _ := writeCSV(t)
	want := "event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique,tactic_name,technique_name,rule_name,rule_id,level,event_kind,destination_ip,destination_port,process_name,command_line,dataset,source_country,threat_indicator"
	if got := strings.Join(recs[0], ","); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	if store.HeaderLine != want {
		t.Fatalf("store.HeaderLine = %s", store.HeaderLine)
	}
}

func TestRowPerPair(t *testing.T) {
	th := &ecs.Threat{
		Tactics:    []string{"TA0006", "TA0001"},
		Techniques: []string{"T1110.001", "T1078"},
		RuleIDs:    []string{"r-1", "r-2"},
		RuleNames:  []string{"SSH brute force", "Valid account after failures"},
		Level:      "high",
	}
	recs, counts := writeCSV(t, classified(ecsBrute, th))
	if len(recs) != 3 {
		t.Fatalf("want header + 2 rows, got %d: %q", len(recs), recs)
	}
	got := map[string]bool{}
	for _, r := range recs[1:] {
		got[col(r, "mitre_tactic")+" "+col(r, "mitre_technique")] = true
		if col(r, "event_id") != "e1" || col(r, "user") != "alice" || col(r, "host") != "web-01" ||
			col(r, "source_ip") != "203.0.113.7" || col(r, "event_type") != "logon-failed" ||
			col(r, "destination_port") != "22" || col(r, "dataset") != "system.auth" || col(r, "level") != "high" {
			t.Errorf("row cells: %q", r)
		}
		if col(r, "rule_name") != "SSH brute force;Valid account after failures" || col(r, "rule_id") != "r-1;r-2" {
			t.Errorf("rules joined: %q %q", col(r, "rule_name"), col(r, "rule_id"))
		}
	}
	if !got["TA0006 T1110.001"] || !got["TA0001 T1078"] {
		t.Errorf("pairs: %v", got)
	}
	for _, r := range recs[1:] {
		if col(r, "mitre_technique") == "T1110.001" && (col(r, "tactic_name") != "Credential Access" || col(r, "technique_name") != "Password Guessing") {
			t.Errorf("names: %q", r)
		}
	}
	if counts != (Counts{Events: 1, Rows: 2, Matched: 1}) {
		t.Errorf("counts %+v", counts)
	}
}

func TestUnmatchedEventOneRow(t *testing.T) {
	recs, counts := writeCSV(t, classified(ecsBrute, nil))
	if len(recs) != 2 {
		t.Fatalf("rows: %q", recs)
	}
	r := recs[1]
	for _, c := range []string{"mitre_tactic", "mitre_technique", "tactic_name", "technique_name", "rule_name", "rule_id", "level"} {
		if col(r, c) != "" {
			t.Errorf("%s = %q, want empty", c, col(r, c))
		}
	}
	if col(r, "timestamp") != "2026-01-15T07:00:03.123Z" || col(r, "host") != "web-01" {
		t.Errorf("row %q", r)
	}
	if counts != (Counts{Events: 1, Rows: 1}) {
		t.Errorf("counts %+v", counts)
	}
}

func TestLabEventsAndAlerts(t *testing.T) {
	lab := `{"event_id":"L1","timestamp":"2026-01-15T07:00:03.123456+00:00","user":"bob","host":"win-01","source_ip":"10.0.0.11","event_type":"process_start","process_name":"powershell.exe","command_line":"powershell -EncodedCommand SQBFAFgA","mitre_tactic":"TA0002","mitre_technique":"T1059.001"}`
	labNone := `{"event_id":"L2","timestamp":"2026-01-15T07:00:04+00:00","user":"bob","host":"win-01","source_ip":"10.0.0.11","event_type":"user_login","logon_type":"success","mitre_tactic":"TA0000","mitre_technique":"T0000"}`
	alert := classified(`{"@timestamp":"2026-01-15T07:01:00.000Z","event":{"id":"a1","kind":"alert"},"source":{"ip":"203.0.113.7"}}`,
		&ecs.Threat{Tactics: []string{"TA0006"}, Techniques: []string{"T1110"}, RuleIDs: []string{"c1"}, RuleNames: []string{"Brute force"}})
	recs, counts := writeCSV(t, []byte(lab), []byte(labNone), alert)
	if len(recs) != 4 {
		t.Fatalf("rows %q", recs)
	}
	if r := recs[1]; col(r, "mitre_tactic") != "TA0002" || col(r, "mitre_technique") != "T1059.001" || col(r, "tactic_name") != "Execution" || col(r, "process_name") != "powershell.exe" {
		t.Errorf("lab row %q", r)
	}
	if r := recs[2]; col(r, "mitre_tactic") != "" || col(r, "event_type") != "user_login" {
		t.Errorf("lab unclassified row %q", r)
	}
	if r := recs[3]; col(r, "event_type") != "alert" || col(r, "event_kind") != "alert" || col(r, "mitre_technique") != "T1110" {
		t.Errorf("alert row %q", r)
	}
	if counts.Matched != 2 {
		t.Errorf("matched %d", counts.Matched)
	}
}

func TestCellsQuotedAndNeutralised(t *testing.T) {
	e := `{"event":{"id":"q1","action":"process_start"},"user":{"name":"@admin"},"host":{"name":"+host"},"process":{"name":"-x","command_line":"=cmd|' /C calc'!A0"},"destination":{"port":-5},"source":{"ip":"a,\"b\"\r\nc"},"@timestamp":" 2026-01-15T07:00:00Z","event.dataset":"\tx"}`
	recs, _ := writeCSV(t, []byte(e))
	r := recs[1]
	want := map[string]string{
		"command_line": "'=cmd|' /C calc'!A0", "user": "'@admin", "host": "'+host", "process_name": "'-x",
		"destination_port": "-5", "source_ip": "a,\"b\"\nc", // encoding/csv reads a quoted CRLF as LF
		"timestamp": " 2026-01-15T07:00:00Z", "dataset": "'\tx",
	}
	for c, w := range want {
		if got := col(r, c); got != w {
			t.Errorf("%s = %q, want %q", c, got, w)
		}
	}
	for _, c := range []struct{ in, out string }{
		{"plain", "plain"}, {"-5", "-5"}, {"+3.25", "+3.25"}, {"-1e5", "-1e5"}, {"-", "'-"}, {"-5a", "'-5a"},
		{"=1+1", "'=1+1"}, {"\rx", "\"'\rx\""}, {"a\"b", `"a""b"`}, {"a,b", `"a,b"`},
	} {
		if got := string(store.AppendCell(nil, []byte(c.in))); got != c.out {
			t.Errorf("store.AppendCell(%q) = %q, want %q", c.in, got, c.out)
		}
	}
}

func TestAppendOneHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tactics.csv")
	for i := 0; i < 2; i++ {
		s, err := OpenFile(path, CSV, attack.Default())
		if err != nil {
			t.Fatal(err)
		}
		s.Write(context.Background(), []pipeline.Message{{Value: classified(ecsBrute, nil)}})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "event_id,timestamp"); n != 1 {
		t.Fatalf("%d headers:\n%s", n, data)
	}
	if recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll(); err != nil || len(recs) != 3 {
		t.Fatalf("records %d, err %v", len(recs), err)
	}
}

func TestAppendRefusesOtherHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classified_packets.csv")
	os.WriteFile(path, []byte("event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique\n"), 0o644)
	_, err := OpenFile(path, CSV, attack.Default())
	if err == nil || !strings.Contains(err.Error(), "other columns") {
		t.Fatalf("err = %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	s, err := OpenFile(empty, CSV, attack.Default())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if data, _ := os.ReadFile(empty); string(data) != store.HeaderLine+"\n" {
		t.Fatalf("empty file got %q", data)
	}
}

func TestFormatOf(t *testing.T) {
	for p, f := range map[string]Format{"a.csv": CSV, "a.CSV": CSV, "a.jsonl": JSONL, "a.ndjson": JSONL, "a.json": JSONL} {
		if got, err := FormatOf(p); err != nil || got != f {
			t.Errorf("FormatOf(%s) = %v, %v", p, got, err)
		}
	}
	if _, err := FormatOf("a.xlsx"); err == nil || !strings.Contains(err.Error(), ".csv") {
		t.Errorf("xlsx: %v", err)
	}
}

// A short writer fails after some bytes; the file must hold whole rows only.
func TestWholeRowsPerWrite(t *testing.T) {
	var writes [][]byte
	w := writerFunc(func(p []byte) (int, error) {
		writes = append(writes, append([]byte(nil), p...))
		return len(p), nil
	})
	s := NewCSVSink(w, nil, attack.Default(), true)
	ev := classified(ecsBrute, &ecs.Threat{Tactics: []string{"TA0006"}, Techniques: []string{"T1110.001"}, RuleIDs: []string{"x"}, RuleNames: []string{"y"}})
	msgs := make([]pipeline.Message, 5000)
	for i := range msgs {
		msgs[i].Value = ev
	}
	s.Write(context.Background(), msgs)
	s.Flush(context.Background())
	if len(writes) < 2 {
		t.Fatalf("expected several writes, got %d", len(writes))
	}
	for i, p := range writes {
		if p[len(p)-1] != '\n' {
			t.Fatalf("write %d does not end with a whole row", i)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Rows built by helper goroutines come out in the order of the events.
func TestParallelRowsInOrder(t *testing.T) {
	msgs := benchEvents(5000)
	var one, many bytes.Buffer
	s1 := NewCSVSink(&one, nil, attack.Default(), true)
	s1.helpers = nil
	s2 := NewCSVSink(&many, nil, attack.Default(), true)
	s2.helpers = []*csvPart{{rows: store.NewRows(attack.Default())}, {rows: store.NewRows(attack.Default())}, {rows: store.NewRows(attack.Default())}}
	for _, s := range []*CSVSink{s1, s2} {
		for i := 0; i < len(msgs); i += 4096 {
			if err := s.Write(context.Background(), msgs[i:min(i+4096, len(msgs))]); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
	}
	if one.String() != many.String() || s1.Counts() != s2.Counts() {
		t.Fatalf("parallel rows differ: %d vs %d bytes, %+v vs %+v", one.Len(), many.Len(), s1.Counts(), s2.Counts())
	}
}
