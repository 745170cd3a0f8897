package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
)

// runSecpipe runs the CLI in-process with stdin and returns the exit code,
// stdout and stderr.
func runSecpipe(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Now:    func() time.Time { return time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC) },
		Getenv: func(string) string { return "" },
	}
	code := Run(context.Background(), append([]string{"secpipe"}, args...), env)
	return code, out.String(), errb.String()
}

// classifiedEvent is an ECS event as classify writes it.
func classifiedEvent(id, ts string, t *ecs.Threat) string {
	b := []byte(`{"@timestamp":"` + ts + `","event":{"id":"` + id + `","action":"logon-failed"},"host":{"name":"web-01"},"user":{"name":"alice"},"source":{"ip":"203.0.113.7"}`)
	if t != nil {
		b = append(b, ',')
		b = t.AppendFields(b, attack.Default())
	}
	return string(append(b, '}')) + "\n"
}

var bruteForce = &ecs.Threat{Tactics: []string{"TA0006"}, Techniques: []string{"T1110.001"}, RuleIDs: []string{"r1"}, RuleNames: []string{"SSH brute force"}, Level: "high"}

func TestStoreCSVAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tactics.csv")
	in := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) + classifiedEvent("e2", "2026-01-15T07:00:01Z", nil)
	for run := 0; run < 2; run++ {
		code, stdout, stderr := runSecpipe(t, in, "store", path)
		if code != 0 || stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		want := "secpipe store: 2 events (1 matched): wrote 2 rows to new " + path + "\n"
		if run == 1 {
			want = "secpipe store: 2 events (1 matched): appended 2 rows to " + path + "\n"
		}
		if stderr != want {
			t.Errorf("stderr %q, want %q", stderr, want)
		}
	}
	data, _ := os.ReadFile(path)
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || strings.Join(recs[0][:8], ",") != "event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique" {
		t.Fatalf("records: %q", recs)
	}
	if recs[1][6] != "TA0006" || recs[1][7] != "T1110.001" || recs[2][6] != "" || recs[3][0] != "e1" {
		t.Errorf("rows %q", recs[1:])
	}
}

func TestStoreBadLineKeepsNeighbours(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	in := classifiedEvent("e1", "2026-01-15T07:00:00Z", nil) + "{not json\n" + classifiedEvent("e3", "2026-01-15T07:00:02Z", bruteForce)
	code, _, stderr := runSecpipe(t, in, "store", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "<stdin>:2:") || !strings.Contains(stderr, "skipped 1 bad input record") {
		t.Errorf("stderr: %s", stderr)
	}
	data, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"e1"`) || !strings.Contains(lines[1], `"e3"`) {
		t.Errorf("stored: %s", data)
	}
	code, _, stderr = runSecpipe(t, in, "store", "--strict", filepath.Join(t.TempDir(), "x.csv"))
	if code != ExitFailure || !strings.Contains(stderr, "<stdin>:2:") {
		t.Errorf("strict: exit %d, %s", code, stderr)
	}
}

func TestStoreUsageAndErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runSecpipe(t, "", "store", filepath.Join(dir, "out.xlsx"))
	if code != ExitUsage || !strings.Contains(stderr, ".csv, .jsonl, .ndjson or .json") {
		t.Errorf("xlsx: exit %d, %s", code, stderr)
	}
	lab := filepath.Join(dir, "classified_packets.csv")
	os.WriteFile(lab, []byte("event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique\n"), 0o644)
	code, _, stderr = runSecpipe(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", nil), "store", lab)
	if code != ExitFailure || !strings.Contains(stderr, "other columns") {
		t.Errorf("foreign header: exit %d, %s", code, stderr)
	}
	code, stdout, _ := runSecpipe(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce), "store", "-")
	if code != 0 || !strings.HasPrefix(stdout, "event_id,timestamp,") || !strings.Contains(stdout, "TA0006,T1110.001") {
		t.Errorf("stdout: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runSecpipe(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", nil), "store", "--format", "jsonl", "-")
	if code != 0 || !strings.HasPrefix(stdout, `{"@timestamp"`) {
		t.Errorf("jsonl stdout: exit %d, %q", code, stdout)
	}
	code, _, _ = runSecpipe(t, "", "store", "a.csv", "b.csv")
	if code != ExitUsage {
		t.Errorf("two files: exit %d", code)
	}
}

// --format lab writes the lab's classified_packets.csv: its 8 columns, one
// row per event, so that counting rows per tactic (as the lab's notebook
// does) gives what stats gives.
func TestStoreLabLayout(t *testing.T) {
	two := &ecs.Threat{Tactics: []string{"TA0002", "TA0005"}, Techniques: []string{"T1059.001", "T1027"}, RuleIDs: []string{"r2"}, RuleNames: []string{"Encoded PowerShell"}}
	events := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) +
		classifiedEvent("e2", "2026-01-15T07:00:01Z", two) +
		classifiedEvent("e3", "2026-01-15T07:00:02Z", nil)
	dir := t.TempDir()
	lab, full := filepath.Join(dir, "classified_packets.csv"), filepath.Join(dir, "tactics.csv")
	if code, _, stderr := runSecpipe(t, events, "store", "--format", "lab", lab); code != 0 {
		t.Fatalf("store --format lab: %s", stderr)
	}
	if code, _, stderr := runSecpipe(t, events, "store", full); code != 0 {
		t.Fatalf("store: %s", stderr)
	}
	data, _ := os.ReadFile(lab)
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	want := [][]string{
		{"event_id", "timestamp", "user", "host", "source_ip", "event_type", "mitre_tactic", "mitre_technique"},
		{"e1", "2026-01-15T07:00:00Z", "alice", "web-01", "203.0.113.7", "logon-failed", "TA0006", "T1110.001"},
		{"e2", "2026-01-15T07:00:01Z", "alice", "web-01", "203.0.113.7", "logon-failed", "TA0002", "T1059.001"},
		{"e3", "2026-01-15T07:00:02Z", "alice", "web-01", "203.0.113.7", "logon-failed", "TA0000", "T0000"},
	}
	if len(recs) != len(want) {
		t.Fatalf("lab CSV:\n%s", data)
	}
	for i := range want {
		if strings.Join(recs[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d: %q, want %q", i, recs[i], want[i])
		}
	}
	// Appending keeps one header; a file of store's columns is refused.
	if code, _, stderr := runSecpipe(t, events, "store", "--format", "lab", lab); code != 0 || !strings.Contains(stderr, "appended 3 rows") {
		t.Errorf("append: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runSecpipe(t, events, "store", "--format", "lab", full); code == 0 || !strings.Contains(stderr, "other columns") {
		t.Errorf("lab onto store's CSV: exit %d, %s", code, stderr)
	}
	// stats reads both layouts alike: 3 events each.
	for _, f := range []string{full} {
		if code, stdout, _ := runSecpipe(t, "", "stats", f, "--format", "json"); code != 0 || !strings.Contains(stdout, `"total": 3`) {
			t.Errorf("stats %s: %s", f, stdout)
		}
	}
}
