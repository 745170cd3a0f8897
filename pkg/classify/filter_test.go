package classify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// clearing is a Security 1102 event (log cleared) of host at minute m.
func clearing(host string, m int) string {
	return fmt.Sprintf(`{"Event":{"System":{"Channel":"Security","EventID":1102,"Computer":%q,"TimeCreated":{"#attributes":{"SystemTime":"2024-05-01T10:%02d:00Z"}}}}}`, host, m)
}

func runFiltered(t *testing.T, f Filter, events ...string) (tagged []string, st Stats) {
	t.Helper()
	engine, _, err := Load(Config{Pack: PackBuiltin})
	if err != nil {
		t.Fatal(err)
	}
	stage := NewStage(engine, attack.Default(), false)
	stage.SetFilter(f)
	var in []pipeline.Message
	for _, e := range events {
		in = append(in, pipeline.Message{Value: []byte(e)})
	}
	out := &pipeline.Batch{}
	if err := stage.Process(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Msgs {
		c := decode(t, string(m.Value))
		tagged = append(tagged, strings.Join(c.Rule.Name, ","))
	}
	return tagged, stage.Stats()
}

// TestDedupe: a rule's repeats on one host within the window are let
// through untagged; another host, or the window's end, tags again.
func TestDedupe(t *testing.T) {
	events := []string{clearing("a", 0), clearing("a", 10), clearing("b", 20), clearing("a", 59), clearing("a", 1)}
	got, st := runFiltered(t, Filter{Dedupe: time.Hour}, events...)
	want := []string{"Windows Event Log Cleared (1102, 104)", "", "Windows Event Log Cleared (1102, 104)", "", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") || st.Deduped != 3 {
		t.Errorf("got %q (%d held back), want %q", got, st.Deduped, want)
	}
	got, _ = runFiltered(t, Filter{Dedupe: 15 * time.Minute}, clearing("a", 0), clearing("a", 10), clearing("a", 20))
	if got[0] == "" || got[1] != "" || got[2] == "" {
		t.Errorf("15m window: %q", got)
	}
	// Without dedupe every event is tagged.
	got, _ = runFiltered(t, Filter{}, events...)
	for i, g := range got {
		if g == "" {
			t.Errorf("event %d untagged without --dedupe", i)
		}
	}
}

// TestTimeRange: events outside From..To are left out, events without a
// time kept.
func TestTimeRange(t *testing.T) {
	from := time.Date(2024, 5, 1, 10, 10, 0, 0, time.UTC)
	to := time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC)
	noTime := `{"Event":{"System":{"Channel":"Security","EventID":1102,"Computer":"a"}}}`
	got, st := runFiltered(t, Filter{From: from, To: to}, clearing("a", 5), clearing("a", 10), clearing("a", 29), clearing("a", 30), noTime)
	if len(got) != 3 || st.OutOfRange != 2 {
		t.Errorf("kept %d events (%q), %d out of range; want 3 and 2", len(got), got, st.OutOfRange)
	}
}

// TestExclude: rules named by id, title or tag are not loaded.
func TestExclude(t *testing.T) {
	base, _, err := Load(Config{Pack: PackBuiltin})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []string{"8aa9f3f1-a4da-4900-957e-21383e0fe284", "Windows Event Log Cleared (1102, 104)", "attack.t1070.001"} {
		e, _, err := Load(Config{Pack: PackBuiltin, Exclude: []string{x}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range e.Rules {
			if r.ID == "8aa9f3f1-a4da-4900-957e-21383e0fe284" {
				t.Errorf("exclude %q: the rule is still loaded", x)
			}
		}
		if len(e.Rules) >= len(base.Rules) {
			t.Errorf("exclude %q: %d rules, %d without", x, len(e.Rules), len(base.Rules))
		}
	}
}

// TestSigmaHQPackShapes: the sigmahq part of the default pack applies to
// Windows event logs in their own shape, not to gen's lab and ECS events,
// which secpipe's own rules judge alone.
func TestSigmaHQPackShapes(t *testing.T) {
	evtx := `{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"ws1"},"EventData":{"Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","CommandLine":"powershell -EncodedCommand SQBFAFgA","ParentImage":"C:\\Windows\\explorer.exe"}}}`
	rules := func(pack, line string) []string {
		return decode(t, run(t, Config{Pack: pack}, line)[0]).Rule.Name
	}
	own := rules(PackBuiltin, evtx)
	all := rules(PackDefault, evtx)
	if len(own) == 0 || len(all) <= len(own) {
		t.Errorf("Sysmon event: builtin %q, default %q: want SigmaHQ's rules beside secpipe's", own, all)
	}
	if lab, def := rules(PackBuiltin, labPowershell), rules(PackDefault, labPowershell); strings.Join(lab, ",") != strings.Join(def, ",") {
		t.Errorf("lab event: builtin %q, default %q: want the same", lab, def)
	}
}
