package hunt

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/sigma"
)

func detection(host string, at time.Time, level string, rules []*sigma.Rule, techs ...string) *classify.Detection {
	return &classify.Detection{Input: "/logs/" + host + ".evtx", Time: at.UnixNano(), HasTime: true, Host: host,
		Channel: "Security", EventID: "4698", Level: level, Rules: rules, Techniques: techs,
		Details: []classify.Field{{Name: "TaskName", Value: `\evil`}, {Name: "CommandLine", Value: strings.Repeat("x", 200)}}}
}

// TestTimeline writes two detections as CSV and checks the rows a user
// reads, then the summary's counts.
func TestTimeline(t *testing.T) {
	task := &sigma.Rule{Title: "Scheduled Task Created", Level: "medium"}
	dump := &sigma.Rule{Title: "LSASS Access", Level: "high"}
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	tl := NewTimeline(render.NewStream(&out, render.CSV, Header, Keys), false)
	for _, d := range []*classify.Detection{
		detection("ws1", at, "medium", []*sigma.Rule{task}, "T1053.005"),
		detection("ws1", at.Add(time.Minute), "high", []*sigma.Rule{task, dump}, "T1003.001", "T1053.005"),
		detection("dc1", at.Add(2*time.Minute), "medium", []*sigma.Rule{task}, "T1053.005"),
	} {
		if err := tl.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[0] != strings.Join(Header, ",") {
		t.Fatalf("csv:\n%s", out.String())
	}
	want := `2024-05-01T10:01:00.000Z,ws1,Security,4698,high,Scheduled Task Created; LSASS Access,T1003.001 T1053.005,TaskName: \evil | CommandLine: ` + strings.Repeat("x", 200) + `,ws1.evtx`
	if lines[2] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[2], want)
	}
	s := tl.Sum
	if s.Detections != 3 || s.Hosts["ws1"] != 2 || s.Levels["medium"] != 2 || s.Techniques["T1053.005"] != 3 || s.Rules["Scheduled Task Created\x00medium"] != 3 {
		t.Errorf("summary: %+v", s)
	}
	tables := s.Tables(1)
	if len(tables) != 4 || tables[0].Rows[0][0] != "high" || len(tables[1].Rows) != 1 || tables[1].Rows[0][0] != "T1053.005" || tables[2].Rows[0][0] != "ws1" {
		t.Errorf("tables: %+v", tables)
	}
}

// TestTimelineTableCuts: a text table cuts long details; a stream of text
// rows is written in blocks.
func TestTimelineTableCuts(t *testing.T) {
	var out bytes.Buffer
	st := render.NewStream(&out, render.Text, Header, Keys)
	tl := NewTimeline(st, true)
	rule := &sigma.Rule{Title: "Scheduled Task Created", Level: "medium"}
	for i := 0; i < render.StreamChunk+1; i++ {
		if err := tl.Add(detection("ws1", time.Unix(int64(i), 0), "medium", []*sigma.Rule{rule}, "T1053.005")); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, strings.Repeat("x", MaxCell+1)) || !strings.Contains(text, strings.Repeat("x", MaxCell)+"...") {
		t.Error("details not cut to MaxCell")
	}
	if n := strings.Count(text, "│ TIME "); n != 2 {
		t.Errorf("%d table blocks for %d rows, want 2", n, render.StreamChunk+1)
	}
}
