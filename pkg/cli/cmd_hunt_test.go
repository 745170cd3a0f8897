package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realDataDir returns ../shared/realdata/evtx-to-mitre from the repository
// top. Without it the test is skipped, or fails when CI=true.
func realDataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "realdata", "evtx-to-mitre"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "evtx")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared real data missing: %v", err)
		}
		t.Skipf("!!! SKIPPED: shared real data not found at %s (%v) !!!", dir, err)
	}
	return dir
}

const psexecEvtx = "TA0008-Lateral_Movement__T1021.002-SMB_Windows_Admin_Shares__ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx"

type timelineRow struct {
	Time, Host, Channel, Level, Rule, Techniques, Details, File string
	EventID                                                     string `json:"event_id"`
}

func huntJSON(t *testing.T, args ...string) ([]timelineRow, string) {
	t.Helper()
	code, stdout, stderr := runSecpipe(t, "", append([]string{"hunt", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []timelineRow
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r timelineRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows, stderr
}

// TestHuntRealEvtx hunts a real PsExec recording: the timeline shows the
// PSEXESVC service installation on the target host with its techniques and
// the service's binary, and the summary counts it.
func TestHuntRealEvtx(t *testing.T) {
	path := filepath.Join(realDataDir(t), "evtx", psexecEvtx)
	rows, stderr := huntJSON(t, path)
	var service *timelineRow
	for i, r := range rows {
		if r.File != psexecEvtx || r.Time == "" || r.Host == "" {
			t.Errorf("row without its file, time or host: %+v", r)
		}
		if r.EventID == "4697" && strings.Contains(r.Rule, "PsExec Service Installed") {
			service = &rows[i]
		}
	}
	if service == nil {
		t.Fatalf("no PsExec service installation in the timeline: %+v", rows)
	}
	if service.Host != "srvdefender01.offsec.lan" || service.Channel != "Security" || service.Level != "high" ||
		!strings.Contains(service.Techniques, "T1569.002") || !strings.Contains(service.Details, `ServiceFileName: %SystemRoot%\PSEXESVC.exe`) {
		t.Errorf("service row: %+v", service)
	}
	for _, want := range []string{"Detections by level", "Top techniques", "T1021.002", "srvdefender01.offsec.lan", "Top rules", "detections"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	// --min-level high keeps high and critical rows only; --dedupe keeps
	// one row per rule and host in the hour.
	high, _ := huntJSON(t, "--min-level", "high", path)
	for _, r := range high {
		if r.Level != "high" && r.Level != "critical" {
			t.Errorf("--min-level high: a %s row", r.Level)
		}
	}
	if len(high) == 0 || len(high) >= len(rows) {
		t.Errorf("--min-level high: %d rows of %d", len(high), len(rows))
	}
	deduped, stderr := huntJSON(t, "--dedupe", "1h", path)
	seen := map[string]bool{}
	for _, r := range deduped {
		for _, rule := range strings.Split(r.Rule, "; ") {
			if seen[rule+r.Host] {
				t.Errorf("--dedupe 1h: %s twice on %s", rule, r.Host)
			}
			seen[rule+r.Host] = true
		}
	}
	if len(deduped) >= len(rows) || !strings.Contains(stderr, "held back") {
		t.Errorf("--dedupe 1h: %d rows of %d; %s", len(deduped), len(rows), stderr)
	}
}

// TestHuntFolderCSV hunts the whole folder of real .evtx files into CSV:
// one header, then rows from many files.
func TestHuntFolderCSV(t *testing.T) {
	dir := filepath.Join(realDataDir(t), "evtx")
	code, stdout, stderr := runSecpipe(t, "", "hunt", "--format", "csv", "--no-summary", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if lines[0] != "TIME,HOST,CHANNEL,EVENT ID,LEVEL,RULE,TECHNIQUES,DETAILS,FILE" {
		t.Fatalf("header: %s", lines[0])
	}
	files := map[string]bool{}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "TIME,") {
			t.Fatal("a second header in the CSV")
		}
		files[l[strings.LastIndexByte(l, ',')+1:]] = true
	}
	if len(files) < 50 || strings.Contains(stderr, "Top rules") {
		t.Errorf("%d files with detections; stderr %s", len(files), stderr)
	}
}

func TestHuntUsage(t *testing.T) {
	if code, _, stderr := runSecpipe(t, "", "hunt"); code != 2 || !strings.Contains(stderr, "give the files") {
		t.Errorf("no path: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runSecpipe(t, "", "hunt", "--dedupe", "-1h", "x"); code != 2 || !strings.Contains(stderr, "--dedupe") {
		t.Errorf("negative window: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runSecpipe(t, "", "hunt", "--from", "yesterday", "x"); code != 2 || !strings.Contains(stderr, "--from") {
		t.Errorf("bad time: exit %d, %s", code, stderr)
	}
}

// TestEvalLabels scores two real files labelled by hand: the PsExec file
// is a hit for T1021.002, the log-clearing one labelled with a technique it
// does not show is a miss with wrong techniques.
func TestEvalLabels(t *testing.T) {
	dir := realDataDir(t)
	labels := filepath.Join(t.TempDir(), "labels.csv")
	clearing := "TA0005-Defense_Evasion__T1070.001-Clear_Windows_event_logs__ID104-1102-Event_log_cleared.evtx"
	csv := "file,techniques,tactics,group\n" + psexecEvtx + ",T1021.002,TA0008,technique\n" + clearing + ",T1486,TA0040,technique\n"
	if err := os.WriteFile(labels, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runSecpipe(t, "", "eval", "--labels", labels, "--pack", "builtin", "--format", "json",
		filepath.Join(dir, "evtx", psexecEvtx), filepath.Join(dir, "evtx", clearing))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res []struct {
		Rules string
		Score struct {
			Files         int     `json:"labelled_files"`
			TechniqueHits int     `json:"technique_hits"`
			MeanWrong     float64 `json:"mean_wrong_techniques"`
			PerFile       []struct {
				File  string
				Wrong []string
			} `json:"files"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	s := res[0].Score
	if len(res) != 1 || res[0].Rules != "pack builtin" || s.Files != 2 || s.TechniqueHits != 1 || s.MeanWrong < 0.5 {
		t.Fatalf("score: %+v", res)
	}
	if w := s.PerFile[1].Wrong; len(w) == 0 || w[0] != "T1070" {
		t.Errorf("wrong techniques of the log-clearing file: %v", w)
	}
	// A gate below the reached rate passes; above it fails with exit 1.
	if code, _, stderr := runSecpipe(t, "", "eval", "--labels", labels, "--pack", "builtin", "--min-technique-hit", "0.6",
		filepath.Join(dir, "evtx", psexecEvtx), filepath.Join(dir, "evtx", clearing)); code != 1 || !strings.Contains(stderr, "below --min-technique-hit") {
		t.Errorf("gate: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runSecpipe(t, "", "eval", "--pack", "builtin"); code != 2 || !strings.Contains(stderr, "needs --labels") {
		t.Errorf("--pack without --labels: exit %d, %s", code, stderr)
	}
}
