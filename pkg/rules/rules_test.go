package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/classify"
)

const failedLogon = `title: Failed logon
id: 22222222-2222-2222-2222-222222222222
name: failed_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
tags:
  - attack.credential-access
  - attack.t1110
`

func correlation(name, ref string) string {
	return `title: ` + name + `
name: ` + name + `
correlation:
  type: event_count
  rules:
    - ` + ref + `
  group-by:
    - TargetUserName
  timespan: 1m
  condition:
    gte: 5
`
}

// lint loads the YAML documents given, as files in a folder, without the
// built-in pack.
func lint(t *testing.T, docs ...string) *Lint {
	t.Helper()
	dir := t.TempDir()
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, "r"+string(rune('a'+i))+".yml"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, problems, err := classify.Load(classify.Config{RulePaths: []string{dir}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	return LintEngine(e, problems)
}

// TestLintCountsRules: each rule counts once, loaded or not, and a
// correlation that cannot be evaluated is not loaded.
func TestLintCountsRules(t *testing.T) {
	cases := []struct {
		name          string
		docs          []string
		loaded, total int
	}{
		{"one detection rule", []string{failedLogon}, 1, 1},
		{"a correlation of a loaded rule", []string{failedLogon, correlation("brute", "failed_logon")}, 2, 2},
		{"a correlation of a missing rule", []string{correlation("brute", "no_such_rule")}, 0, 1},
		{"a correlation of itself", []string{failedLogon, correlation("loop", "loop")}, 1, 2},
		{"two correlations of each other", []string{failedLogon, correlation("ping", "pong"), correlation("pong", "ping")}, 1, 3},
		{"a correlation of a correlation of a missing rule", []string{failedLogon, correlation("outer", "inner"), correlation("inner", "no_such_rule")}, 1, 3},
		{"several documents in one file", []string{failedLogon + "---\n" + correlation("loop", "loop")}, 1, 2},
		{"a rule that does not parse", []string{failedLogon, "title: [unclosed\n"}, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := lint(t, tc.docs...)
			if l.Loaded != tc.loaded || l.Total() != tc.total {
				t.Errorf("%d of %d rules load, want %d of %d; problems: %v", l.Loaded, l.Total(), tc.loaded, tc.total, l.Problems)
			}
			if want := float64(tc.loaded) / float64(tc.total); l.Ratio() != want {
				t.Errorf("ratio %v, want %v", l.Ratio(), want)
			}
		})
	}
}

// writeCase writes a regression case for rule id: info.yml and events.
func writeCase(t *testing.T, root, name, id string, events ...string) {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	info := "rule_metadata:\n  - id: " + id + "\n    title: " + name + "\nregression_tests_info:\n  - match_count: 1\n"
	os.WriteFile(filepath.Join(dir, "info.yml"), []byte(info), 0o644)
	for i, e := range events {
		os.WriteFile(filepath.Join(dir, "e"+string(rune('0'+i))+".json"), []byte(e), 0o644)
	}
}

// TestCases runs regression cases: one its rule matches, one it does not,
// one whose rule is missing, one whose rule did not load, one without events.
func TestCases(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "a.yml"), []byte(failedLogon), 0o644)
	bad := "title: Bad\nid: 44444444-4444-4444-4444-444444444444\nlogsource: {product: windows, service: security}\n" +
		"detection:\n  sel:\n    EventID|nope: 1\n  condition: sel\n"
	os.WriteFile(filepath.Join(rules, "b.yml"), []byte(bad), 0o644)
	const id = "22222222-2222-2222-2222-222222222222"
	failed := `{"Event":{"System":{"EventID":4625,"Channel":"Security"}}}`
	other := `{"Event":{"System":{"EventID":4624,"Channel":"Security"}}}`
	root := filepath.Join(dir, "regression")
	writeCase(t, root, "match", id, failed, other)
	writeCase(t, root, "nomatch", id, other)
	writeCase(t, root, "missing", "55555555-5555-5555-5555-555555555555", failed)
	writeCase(t, root, "unsupported", "44444444-4444-4444-4444-444444444444", failed)
	writeCase(t, root, "empty", id)

	cases, err := FindCases(root)
	if err != nil {
		t.Fatal(err)
	}
	e, problems, err := classify.Load(classify.Config{RulePaths: []string{rules}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	byID := ProblemsByID(problems)
	if _, ok := byID["44444444-4444-4444-4444-444444444444"]; !ok || len(byID) != 1 {
		t.Fatalf("problems by id: %v", byID)
	}
	m := e.NewMatcher()
	got := map[string]CaseResult{}
	for _, c := range cases {
		got[filepath.Base(c.Dir)] = RunCase(e, m, byID, c)
	}
	if len(got) != 5 {
		t.Fatalf("found cases %v", cases)
	}
	if r := got["match"]; !r.Pass || r.Events != 2 || r.Matched != 1 || r.MatchCount != 1 || r.Title != "match" {
		t.Errorf("match: %+v", r)
	}
	if r := got["nomatch"]; r.Pass || !strings.Contains(r.Reason, "matched none of the 1 events") {
		t.Errorf("nomatch: %+v", r)
	}
	if r := got["missing"]; r.Pass || r.Reason != "rule 55555555-5555-5555-5555-555555555555 is not loaded" || r.Unsupported {
		t.Errorf("missing: %+v", r)
	}
	if r := got["unsupported"]; r.Pass || !r.Unsupported || !strings.Contains(r.Reason, `modifier "nope"`) {
		t.Errorf("unsupported: %+v", r)
	}
	if r := got["empty"]; r.Pass || r.Reason != "no events in the case" {
		t.Errorf("empty: %+v", r)
	}
	l := LintEngine(e, problems)
	if l.Unsupported[`modifier "nope"`] != 1 {
		t.Errorf("unsupported features %v", l.Unsupported)
	}
}

// TestCoverage scores techniques by the rules tagged with them, under the
// tactics the rules give, and counts rules per tactic.
func TestCoverage(t *testing.T) {
	ps := `title: Encoded PowerShell
id: 66666666-6666-6666-6666-666666666666
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: ' -enc '
  condition: sel
tags: [attack.t1059.001]
`
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte(failedLogon), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yml"), []byte(ps), 0o644)
	os.WriteFile(filepath.Join(dir, "c.yml"), []byte(correlation("brute", "failed_logon")+"tags: [attack.credential-access, attack.t1110.001]\n"), 0o644)
	e, problems, err := classify.Load(classify.Config{RulePaths: []string{dir}, NoBuiltin: true})
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	layer, perTactic := Coverage(e, attack.Default())
	var got []string
	for _, te := range layer.Techniques {
		s := te.TechniqueID + "/" + te.Tactic
		if te.Score != nil {
			s += fmt.Sprintf("=%d", *te.Score)
		}
		got = append(got, s)
	}
	// T1059 is shown, without score, to expand its sub-technique.
	want := "T1059.001/execution=1 T1110/credential-access=1 T1110.001/credential-access=1 T1059/execution"
	if strings.Join(got, " ") != want {
		t.Errorf("layer techniques\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if len(perTactic) != 1 || perTactic["TA0006"] != 2 {
		t.Errorf("rules per tactic %v, want TA0006: 2", perTactic)
	}
}

func TestFeatureName(t *testing.T) {
	for in, want := range map[string]string{
		`modifier "nope"`: `modifier "nope"`,
		"regular expression `(?<=a)b`: error parsing regexp: invalid or unsupported Perl syntax: `(?<`": "regular expression `(?<`",
		"regular expression x":                              "regular expression",
		"placeholder %known% has no values (define it ...)": "placeholder %known%",
		"aggregation count() > 5":                           "aggregation in condition",
	} {
		if got := featureName(in); got != want {
			t.Errorf("featureName(%q) = %q, want %q", in, got, want)
		}
	}
}
