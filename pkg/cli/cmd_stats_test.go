package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/ecs"
)

// storedCSV writes events through secpipe store and returns the file.
func storedCSV(t *testing.T, events string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tactics.csv")
	if code, _, stderr := runSecpipe(t, events, "store", path); code != 0 {
		t.Fatalf("store: %s", stderr)
	}
	return path
}

func TestStatsJSON(t *testing.T) {
	exec := &ecs.Threat{Tactics: []string{"TA0002"}, Techniques: []string{"T1059.001"}, RuleIDs: []string{"r2"}, RuleNames: []string{"PowerShell"}}
	path := storedCSV(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce)+
		classifiedEvent("e2", "2026-01-15T07:10:00Z", exec)+
		classifiedEvent("e3", "2026-01-15T07:20:00Z", nil)+
		classifiedEvent("e4", "2026-01-15T08:00:00Z", bruteForce))
	code, stdout, stderr := runSecpipe(t, "", "stats", path, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Total        int    `json:"total"`
		Unclassified int    `json:"unclassified"`
		Bucket       string `json:"bucket"`
		Start, End   string
		Tactics      []struct {
			ID    string  `json:"id"`
			Name  string  `json:"name"`
			Count int     `json:"count"`
			Share float64 `json:"share"`
		} `json:"tactics"`
		Timeline []struct {
			Start  string         `json:"start"`
			Counts map[string]int `json:"counts"`
		} `json:"timeline"`
		Techniques []struct{ ID, Name string }
		Hosts      []struct {
			Value string
			Count int
		}
		Users, SourceIPs []any
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Total != 4 || rep.Unclassified != 1 || len(rep.Tactics) != 2 || rep.Tactics[0].ID != "TA0002" || rep.Tactics[0].Name != "Execution" ||
		rep.Tactics[1].Count != 2 || rep.Tactics[1].Share != 0.5 || rep.Bucket != "30s" || len(rep.Timeline) != 121 ||
		rep.Timeline[0].Counts["TA0006"] != 1 || rep.Hosts[0].Value != "web-01" || rep.Start != "2026-01-15T07:00:00Z" {
		t.Errorf("report:\n%s", stdout)
	}
	for _, key := range []string{`"total"`, `"tactics"`, `"timeline"`, `"techniques"`, `"hosts"`, `"users"`, `"source_ips"`, `"bucket"`, `"start"`, `"end"`} {
		if !strings.Contains(stdout, key) {
			t.Errorf("no %s key", key)
		}
	}
	if !strings.Contains(stderr, "secpipe stats: 4 events") {
		t.Errorf("summary: %s", stderr)
	}
}

func TestStatsTableChartNavigator(t *testing.T) {
	path := storedCSV(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce)+classifiedEvent("e2", "2026-01-15T07:05:00Z", nil))
	dir := t.TempDir()
	chart, layer := filepath.Join(dir, "c.svg"), filepath.Join(dir, "layer.json")
	code, stdout, stderr := runSecpipe(t, "", "stats", path, "--bucket", "1m", "--chart", chart, "--navigator", layer)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Tactics", "Credential Access", "Events per 1m and tactic", "Top techniques", "T1110.001", "Top hosts", "Top users", "Top source IPs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if svg, _ := os.ReadFile(chart); !strings.Contains(string(svg), "<svg") {
		t.Errorf("chart not written")
	}
	var l struct {
		Techniques []struct {
			TechniqueID string
			Tactic      string
			Score       *int
		}
	}
	data, _ := os.ReadFile(layer)
	if err := json.Unmarshal(data, &l); err != nil || len(l.Techniques) == 0 || l.Techniques[0].TechniqueID != "T1110" && (l.Techniques[0].TechniqueID != "T1110.001" || *l.Techniques[0].Score != 1) {
		t.Errorf("layer %v: %s", err, data)
	}
	code, stdout, _ = runSecpipe(t, "", "stats", path, "--format", "csv")
	if code != 0 || !strings.HasPrefix(stdout, "# Tactics\nID,TACTIC,EVENTS,SHARE\nTA0006,") {
		t.Errorf("csv: %q", stdout)
	}
}

func TestStatsLabCSVFromStdin(t *testing.T) {
	lab := "event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique\n" +
		"a,2026-01-15T07:00:01.537457+00:00,charlie,win-01,10.0.0.11,user_login,TA0006,T1110\n" +
		"b,2026-01-15T07:00:05.143829+00:00,alice,win-02,10.0.0.11,process_start,TA0002,T1059.001\n" +
		"c,2026-01-15T07:00:09.000000+00:00,bob,win-02,10.0.0.12,other,TA0000,T0000\n"
	code, stdout, stderr := runSecpipe(t, lab, "stats", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"total": 3`) || !strings.Contains(stdout, `"unclassified": 1`) {
		t.Errorf("exit %d: %s %s", code, stdout, stderr)
	}
}

func TestStatsErrors(t *testing.T) {
	code, _, stderr := runSecpipe(t, "", "stats", "/no/such/tactics.csv")
	if code != ExitFailure || !strings.Contains(stderr, "/no/such/tactics.csv") {
		t.Errorf("missing file: exit %d, %s", code, stderr)
	}
	path := storedCSV(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce))
	for _, args := range [][]string{{"--chart", "x.gif"}, {"--bucket", "soon"}, {"--top", "0"}, {"--format", "xml"}} {
		code, _, stderr := runSecpipe(t, "", append([]string{"stats", path}, args...)...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	data, _ := os.ReadFile(path)
	bad := string(data) + "e2,not-a-time,u,h,ip,x,,,,,,,,,,,,,,,\n"
	os.WriteFile(path, []byte(bad), 0o644)
	// An unparsable timestamp is named, and its event counted without one.
	code, _, stderr = runSecpipe(t, "", "stats", path)
	if code != 0 || !strings.Contains(stderr, path+`:3: unparsable timestamp "not-a-time" (counted without timestamp)`) ||
		!strings.Contains(stderr, "2 events") || !strings.Contains(stderr, "1 without timestamp") {
		t.Errorf("bad timestamp: exit %d, %s", code, stderr)
	}
	// A malformed row is skipped, or stops the run with --strict.
	os.WriteFile(path, []byte(string(data)+"e3,2026-01-15T07:00:00Z,u\n"), 0o644)
	code, _, stderr = runSecpipe(t, "", "stats", path)
	if code != 0 || !strings.Contains(stderr, path+":3: 3 cells, the header has 21 (skipped)") {
		t.Errorf("bad row: exit %d, %s", code, stderr)
	}
	code, _, stderr = runSecpipe(t, "", "stats", "--strict", path)
	if code != ExitFailure || !strings.Contains(stderr, path+":3:") {
		t.Errorf("strict: exit %d, %s", code, stderr)
	}
}

// Unclassified events: stats says classify comes first, and the chart keeps
// its time axis.
func TestStatsUnclassified(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.jsonl")
	os.WriteFile(raw, []byte(classifiedEvent("e1", "2026-01-15T07:00:00Z", nil)+classifiedEvent("e2", "2026-01-15T07:10:00Z", nil)), 0o644)
	chart := filepath.Join(dir, "c.svg")
	code, _, stderr := runSecpipe(t, "", "stats", raw, "--chart", chart)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "no event carries threat fields") || !strings.Contains(stderr, "secpipe classify") {
		t.Errorf("stderr does not say to classify first:\n%s", stderr)
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "07:00") || !strings.Contains(string(svg), "07:10") {
		t.Errorf("the chart has no time axis")
	}
}

// --table gives one table alone, as data: plain CSV, numbers as numbers; the
// timeline's columns name their tactics.
func TestStatsTable(t *testing.T) {
	exec := &ecs.Threat{Tactics: []string{"TA0002"}, Techniques: []string{"T1059.001"}, RuleIDs: []string{"r2"}, RuleNames: []string{"PowerShell"}}
	path := storedCSV(t, classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce)+
		classifiedEvent("e2", "2026-01-15T07:10:00Z", exec)+
		classifiedEvent("e3", "2026-01-15T07:20:00Z", nil))
	for _, name := range []string{"tactics", "timeline", "techniques", "hosts", "users", "sources"} {
		code, stdout, stderr := runSecpipe(t, "", "stats", path, "--table", name, "--format", "csv")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("%s: not one CSV table: %v\n%s", name, err, stdout)
		}
		for _, rec := range recs[1:] {
			for i, cell := range rec {
				head := recs[0][i]
				if head == "EVENTS" || head == "SHARE" || strings.HasPrefix(head, "TA0") {
					if _, err := strconv.ParseFloat(cell, 64); err != nil {
						t.Errorf("%s: %s %q is not a number", name, head, cell)
					}
				}
			}
		}
		switch name {
		case "tactics":
			if strings.Join(recs[1], ",") != "TA0002,Execution,1,0.333333" || len(recs) != 4 {
				t.Errorf("tactics: %q", recs)
			}
		case "timeline":
			if strings.Join(recs[0], ",") != "START (UTC),TA0002 Execution,TA0006 Credential Access,unclassified" {
				t.Errorf("timeline header: %q", recs[0])
			}
		}
	}
	code, _, stderr := runSecpipe(t, "", "stats", path, "--table", "tactic")
	if code != ExitUsage || !strings.Contains(stderr, "did you mean tactics?") {
		t.Errorf("--table tactic: exit %d, %s", code, stderr)
	}
}

// A stray quote in one row of a lab CSV costs that row only: the rows
// after it are counted, and the row is named.
func TestStatsLabCSVStrayQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique\n")
	for i := 1; i <= 2000; i++ {
		user := "alice"
		if i == 11 {
			user = `"charlie`
		}
		fmt.Fprintf(&b, "e%d,2026-01-15T07:%02d:%02d+00:00,%s,win-01,10.0.0.11,user_login,TA0006,T1110\n", i, i/60%60, i%60, user)
	}
	path := filepath.Join(t.TempDir(), "lab.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runSecpipe(t, "", "stats", path, "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"total": 1999`) || !strings.Contains(stderr, "secpipe stats: 1999 events") ||
		!strings.Contains(stderr, path+":12: a quoted cell never closes") {
		t.Errorf("exit %d\n%s\n%.300s", code, stderr, stdout)
	}
}

// A host named like a formula reaches a spreadsheet as text, and a '|'
// stays inside its Markdown cell.
func TestStatsReportCellsEscaped(t *testing.T) {
	ev := strings.Replace(classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce), `"web-01"`, `"=cmd|' /C calc'!A0"`, 1)
	code, stdout, stderr := runSecpipe(t, ev, "stats", "--format", "csv")
	if code != 0 || !strings.Contains(stdout, "\n'=cmd|' /C calc'!A0,1") {
		t.Errorf("csv: exit %d %s\n%s", code, stderr, stdout)
	}
	code, stdout, _ = runSecpipe(t, ev, "stats", "--format", "markdown")
	if code != 0 || !strings.Contains(stdout, `| =cmd\|' /C calc'!A0 `) {
		t.Errorf("markdown:\n%s", stdout)
	}
}
