package eval

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// ev is a classified event: its id, its truth (scenario "" for none) and
// the tactics and techniques classify gave it.
func ev(id, scenario string, run, size int, truthTac, truthTech, tac, tech string) string {
	s := `{"event":{"id":"` + id + `"}`
	if scenario != "" {
		s += fmt.Sprintf(`,"truth":{"scenario":%q,"run":%d,"events":%d,"techniques":%s,"tactics":%s}`,
			scenario, run, size, list(truthTech), list(truthTac))
	} else {
		s += `,"truth":{"scenario":"benign"}`
	}
	return s + threat(tac, tech) + "}"
}

// alert is a correlation alert set off by the event trigger.
func alert(trigger, tac, tech string) string {
	return `{"event":{"kind":"alert"},"sigma":{"correlation":{"trigger":"` + trigger + `"}}` + threat(tac, tech) + "}"
}

func threat(tac, tech string) string {
	if tac == "" {
		return ""
	}
	return `,"threat":{"tactic":{"id":` + list(tac) + `},"technique":{"id":` + list(tech) + `}}`
}

// list makes a JSON array of comma-separated values.
func list(s string) string {
	if s == "" {
		return "[]"
	}
	return `["` + strings.ReplaceAll(s, ",", `","`) + `"]`
}

func report(events ...string) Report {
	e := New()
	for _, s := range events {
		e.Add([]byte(s))
	}
	return e.Report(attack.Default())
}

// TestReportByHand checks the scores of a stream worked out by hand.
func TestReportByHand(t *testing.T) {
	r := report(
		// Run A of a brute force, 3 events: detected for TA0006 by a1 (T1110
		// is the parent of the expected T1110.001); a3 also says TA0001.
		ev("a1", "ssh_brute_force", 1, 3, "TA0006", "T1110.001", "TA0006", "T1110"),
		ev("a2", "ssh_brute_force", 1, 3, "TA0006", "T1110.001", "", ""),
		ev("a3", "ssh_brute_force", 1, 3, "TA0006", "T1110.001", "TA0006,TA0001", "T1078"),
		// Run B: the right tactic with a technique the run does not expect:
		// a true positive for precision, no detection for recall.
		ev("b1", "ssh_brute_force", 2, 2, "TA0006", "T1110.001", "TA0006", "T1059"),
		ev("b2", "ssh_brute_force", 2, 2, "TA0006", "T1110.001", "", ""),
		// Run C expects two tactics; an alert set off by c1, seen before
		// c1, detects one of them.
		alert("c1", "TA0008", "T1021.002"),
		ev("c1", "psexec_lateral", 1, 2, "TA0008,TA0002", "T1021.002,T1569.002", "", ""),
		ev("c2", "psexec_lateral", 1, 2, "TA0008,TA0002", "T1021.002,T1569.002", "", ""),
		// Run D is cut short (1 of 5 events): it counts for precision only.
		ev("d1", "ransomware", 1, 5, "TA0040", "T1486", "TA0040", "T1486"),
		// Benign events: one tagged, a false positive.
		ev("n1", "", 0, 0, "", "", "TA0006", "T1110"),
		ev("n2", "", 0, 0, "", "", "", ""),
		// An alert whose trigger is unknown has no truth: a false positive.
		alert("zzz", "TA0011", "T1071"),
	)
	want := []TacticScore{
		{ID: "TA0001", Name: "Initial Access", Precision: 0, Recall: 1, Support: 0, Detected: 0, TP: 0, FP: 1},
		{ID: "TA0002", Name: "Execution", Precision: 1, Recall: 0, Support: 1, Detected: 0, TP: 0, FP: 0},
		{ID: "TA0006", Name: "Credential Access", Precision: 0.75, Recall: 0.5, Support: 2, Detected: 1, TP: 3, FP: 1},
		{ID: "TA0008", Name: "Lateral Movement", Precision: 1, Recall: 1, Support: 1, Detected: 1, TP: 1, FP: 0},
		{ID: "TA0011", Name: "Command and Control", Precision: 0, Recall: 1, Support: 0, Detected: 0, TP: 0, FP: 1},
		{ID: "TA0040", Name: "Impact", Precision: 1, Recall: 1, Support: 0, Detected: 0, TP: 1, FP: 0},
	}
	if !reflect.DeepEqual(r.Tactics, want) {
		t.Errorf("tactics:\n got %+v\nwant %+v", r.Tactics, want)
	}
	// 5 true positives of 8 items; 2 detections of 4 expected tactics.
	if r.Overall.Precision != 0.625 || r.Overall.Recall != 0.5 {
		t.Errorf("overall precision %v, recall %v; want 0.625, 0.5", r.Overall.Precision, r.Overall.Recall)
	}
	wantScen := []ScenarioScore{
		{Scenario: "psexec_lateral", Runs: 1, Detected: 0, Partial: 1},
		{Scenario: "ssh_brute_force", Runs: 2, Detected: 1, Partial: 0},
	}
	if !reflect.DeepEqual(r.Scenarios, wantScen) {
		t.Errorf("scenarios:\n got %+v\nwant %+v", r.Scenarios, wantScen)
	}
	if r.Events != 10 || r.Benign != 2 || r.Alerts != 2 || r.Instances != 4 || r.Truncated != 1 {
		t.Errorf("events %d, benign %d, alerts %d, instances %d, truncated %d; want 10, 2, 2, 4, 1",
			r.Events, r.Benign, r.Alerts, r.Instances, r.Truncated)
	}
}

// TestReportNothingTagged: with no item and no attack, nothing is wrong.
func TestReportNothingTagged(t *testing.T) {
	r := report(ev("n1", "", 0, 0, "", "", "", ""))
	if len(r.Tactics) != 0 || r.Overall.Precision != 1 || r.Overall.Recall != 1 || r.Events != 1 || r.Benign != 1 {
		t.Errorf("report %+v", r)
	}
	// An attack run nothing tagged: recall 0, precision 1 (no item).
	r = report(ev("a1", "port_scan", 1, 1, "TA0007", "T1046", "", ""))
	if len(r.Tactics) != 1 || r.Tactics[0].Recall != 0 || r.Tactics[0].Precision != 1 || r.Overall.Recall != 0 {
		t.Errorf("report %+v", r)
	}
}

// TestBuiltinPackOnGen scores the built-in pack on gen's events through
// the eval sink: every tactic of the catalog is found with at least 0.95
// precision and recall (gen's truth is what the attacker did, and its
// benign traffic is not shaped around the rules, so a rule may fire on
// ordinary administration).
func TestBuiltinPackOnGen(t *testing.T) {
	src, err := gen.NewSource(gen.Config{Seed: 11, Count: 30000, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	engine, problems, err := classify.Load(classify.Config{Pack: classify.PackBuiltin})
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	e := New()
	if err := pipeline.Run(context.Background(), src, classify.NewStage(engine, attack.Default(), false), Sink{E: e}, pipeline.Policy{}); err != nil {
		t.Fatal(err)
	}
	r := e.Report(attack.Default())
	if r.Events != 30000 || r.Instances == 0 || len(r.Tactics) < 5 {
		t.Fatalf("%d events, %d attack runs, %d tactics", r.Events, r.Instances, len(r.Tactics))
	}
	for _, ts := range r.Tactics {
		if ts.OutsideCatalog {
			continue
		}
		if ts.Precision < 0.95 || ts.Recall < 0.95 {
			t.Errorf("%s %s: precision %s, recall %s (%d runs)", ts.ID, ts.Name, Percent(ts.Precision), Percent(ts.Recall), ts.Support)
		}
	}
}

func TestPercent(t *testing.T) {
	for f, want := range map[float64]string{1: "100.00%", 0.625: "62.50%", 0: "0.00%", 2.0 / 3: "66.67%"} {
		if got := Percent(f); got != want {
			t.Errorf("Percent(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestTacticOutsideCatalog: a tactic the catalog does not know is shown,
// but counts neither in the overall figures nor as a tactic to gate on.
func TestTacticOutsideCatalog(t *testing.T) {
	r := report(
		ev("1", "s", 1, 1, "TA0002", "T1059", "TA0002,stealth", "T1059"),
		ev("2", "", 0, 0, "", "", "stealth", "T1197"),
	)
	if r.Overall.Items != 1 || r.Overall.Precision != 1 {
		t.Errorf("overall: %+v", r.Overall)
	}
	var found bool
	for _, ts := range r.Tactics {
		if ts.ID == "stealth" {
			found = true
			if !ts.OutsideCatalog || ts.FP != 2 {
				t.Errorf("stealth: %+v", ts)
			}
		}
	}
	if !found {
		t.Error("the stealth tactic is not reported")
	}
}
