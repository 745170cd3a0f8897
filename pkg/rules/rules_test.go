package rules

import (
	"os"
	"path/filepath"
	"testing"

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
