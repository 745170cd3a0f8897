package ecs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
)

// TestAppendFields: the ECS layout, parents apart from sub-techniques,
// names and references from the catalog, a tactic it lacks kept by name.
func TestAppendFields(t *testing.T) {
	th := Threat{
		Tactics:    []string{"TA0002", "stealth"},
		Techniques: []string{"T1059.001", "T1059", "T1027", "T9999"},
		RuleIDs:    []string{"r1", "r2"},
		RuleNames:  []string{"Rule \"one\"", "Rule two"},
		Level:      "high",
	}
	out := th.AppendFields(nil, attack.Default())
	var got map[string]any
	if err := json.Unmarshal(append(append([]byte("{"), out...), '}'), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{
		"threat": map[string]any{
			"framework": "MITRE ATT&CK",
			"tactic": map[string]any{
				"id":        []any{"TA0002", "stealth"},
				"name":      []any{"Execution", "stealth"},
				"reference": []any{"https://attack.mitre.org/tactics/TA0002", ""},
			},
			"technique": map[string]any{
				"id":   []any{"T1059", "T1027", "T9999"},
				"name": []any{"Command and Scripting Interpreter", "Obfuscated Files or Information", ""},
				"reference": []any{"https://attack.mitre.org/techniques/T1059", "https://attack.mitre.org/techniques/T1027",
					"https://attack.mitre.org/techniques/T9999"},
				"subtechnique": map[string]any{
					"id":        []any{"T1059.001"},
					"name":      []any{"PowerShell"},
					"reference": []any{"https://attack.mitre.org/techniques/T1059/001"},
				},
			},
		},
		"rule": map[string]any{"id": []any{"r1", "r2"}, "name": []any{"Rule \"one\"", "Rule two"}, "ruleset": "sigma", "level": "high"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %s\nwant %v", out, want)
	}
	if th.Empty() || !(&Threat{}).Empty() {
		t.Error("Empty")
	}
	// Rules without ATT&CK tags: the threat object holds the framework only.
	bare := (&Threat{RuleIDs: []string{"r"}, RuleNames: []string{"n"}}).AppendFields(nil, attack.Default())
	if string(bare) != `"threat":{"framework":"MITRE ATT&CK"},"rule":{"id":["r"],"name":["n"],"ruleset":"sigma"}` {
		t.Errorf("bare: %s", bare)
	}
}

// TestPairs: one row per (tactic, technique) of an event, as store writes them.
func TestPairs(t *testing.T) {
	cat := attack.Default()
	kept := Pair{Tactic: "TA0001"}
	if got := AppendPairs([]Pair{kept}, []string{"TA0006"}, []string{"T1110"}, cat); len(got) != 2 || got[0] != kept {
		t.Errorf("AppendPairs to one pair = %v, want it and one more", got)
	}
	cases := []struct {
		tactics, techniques []string
		want                string
	}{
		{nil, nil, "[]"},
		{[]string{"TA0006"}, nil, "[TA0006/]"},
		{nil, []string{"T1110"}, "[/T1110]"},
		// The sub-technique stands for its parent.
		{[]string{"TA0006"}, []string{"T1110", "T1110.001"}, "[TA0006/T1110.001]"},
		// Each technique goes with the tactics the catalog gives it.
		{[]string{"TA0002", "TA0005"}, []string{"T1059.001", "T1027"}, "[TA0002/T1059.001 TA0005/T1027]"},
		// T1078 (Valid Accounts) is under four tactics; the event has two.
		{[]string{"TA0001", "TA0003"}, []string{"T1078"}, "[TA0001/T1078 TA0003/T1078]"},
		// A technique the catalog does not tie to the event's tactics takes
		// the one no other technique took.
		{[]string{"TA0002", "TA0040"}, []string{"T1059", "T9999"}, "[TA0002/T1059 TA0040/T9999]"},
		// ... or the first tactic when all are taken.
		{[]string{"TA0002"}, []string{"T1059", "T9999"}, "[TA0002/T1059 TA0002/T9999]"},
		// A tactic left without technique is a pair of its own.
		{[]string{"TA0002", "TA0007"}, []string{"T1059"}, "[TA0002/T1059 TA0007/]"},
		// One tactic and one technique are one pair, whether the catalog
		// links them, does not, or lacks either.
		{[]string{"TA0006"}, []string{"T1110.001"}, "[TA0006/T1110.001]"},
		{[]string{"TA0040"}, []string{"T1059"}, "[TA0040/T1059]"},
		{[]string{"TA9999"}, []string{"T9999"}, "[TA9999/T9999]"},
	}
	for _, tc := range cases {
		var got []string
		for _, p := range Pairs(tc.tactics, tc.techniques, cat) {
			got = append(got, p.Tactic+"/"+p.Technique)
		}
		if s := fmt.Sprint(got); s != tc.want && !(s == "[]" && tc.want == "[]") {
			t.Errorf("Pairs(%v, %v) = %s, want %s", tc.tactics, tc.techniques, s, tc.want)
		}
	}
}

func TestLevelRank(t *testing.T) {
	for level, want := range map[string]int{"": 0, "unknown": 0, "informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5} {
		if got := LevelRank(level); got != want {
			t.Errorf("LevelRank(%q) = %d, want %d", level, got, want)
		}
	}
}
