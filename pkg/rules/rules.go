// Package rules is the Sigma rule tooling behind "secpipe rules": linting a
// rule set, running regression cases (an event file and the rule that must
// match it, in SigmaHQ's layout), and the ATT&CK coverage of a rule set.
package rules

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// Lint summarises how a rule set loads.
type Lint struct {
	Loaded      int             // rules in use (detection and correlation)
	Problems    []sigma.Problem // rules or files not loaded
	Unsupported map[string]int  // unsupported features by name, with counts
	Unfed       []*sigma.Rule   // loaded detection rules no mapping source feeds
	Deprecated  []*sigma.Rule   // loaded rules with status deprecated
}

// Total is the number of rules seen: loaded or not.
func (l *Lint) Total() int { return l.Loaded + len(l.Problems) }

// Ratio is the share of rules loaded.
func (l *Lint) Ratio() float64 {
	if l.Total() == 0 {
		return 1
	}
	return float64(l.Loaded) / float64(l.Total())
}

// LintEngine reports on a compiled rule set and the problems of its loading.
func LintEngine(e *sigma.Engine, problems []sigma.Problem) *Lint {
	l := &Lint{Loaded: len(e.Rules), Problems: problems, Unsupported: map[string]int{}}
	for _, p := range problems {
		var u *sigma.UnsupportedError
		if errors.As(p.Err, &u) {
			l.Unsupported[featureName(u.Feature)]++
		}
	}
	for i, r := range e.Rules {
		if r.Detection != nil && !e.Applicable(i) {
			l.Unfed = append(l.Unfed, r)
		}
		if r.Status == "deprecated" {
			l.Deprecated = append(l.Deprecated, r)
		}
	}
	return l
}

// featureName shortens an unsupported feature to its kind: "modifier
// \"nope\"" stays, a regular expression is named by the construct.
func featureName(f string) string {
	switch {
	case strings.HasPrefix(f, "regular expression"):
		if i := strings.LastIndex(f, "invalid or unsupported Perl syntax: "); i >= 0 {
			return "regular expression " + strings.TrimSpace(f[i+len("invalid or unsupported Perl syntax: "):])
		}
		return "regular expression"
	case strings.HasPrefix(f, "placeholder"):
		if i := strings.Index(f, " has no values"); i > 0 {
			return f[:i]
		}
	case strings.HasPrefix(f, "aggregation"):
		return "aggregation in condition"
	}
	return f
}

// Case is one regression case: events and the rule that must match them.
type Case struct {
	Dir        string
	RuleID     string
	Title      string
	MatchCount int
	Files      []string // event files: JSON objects, concatenated or one a line
}

// FindCases finds the cases under root: every folder with an info.yml that
// names a rule (rule_metadata) and holds .json event files.
func FindCases(root string) ([]Case, error) {
	var cases []Case
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "info.yml" {
			return nil
		}
		c, err := readCase(filepath.Dir(path))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		cases = append(cases, c)
		return nil
	})
	sort.Slice(cases, func(i, j int) bool { return cases[i].Dir < cases[j].Dir })
	return cases, err
}

func readCase(dir string) (Case, error) {
	data, err := os.ReadFile(filepath.Join(dir, "info.yml"))
	if err != nil {
		return Case{}, err
	}
	var info struct {
		RuleMetadata []struct {
			ID    string `yaml:"id"`
			Title string `yaml:"title"`
		} `yaml:"rule_metadata"`
		Tests []struct {
			MatchCount int `yaml:"match_count"`
		} `yaml:"regression_tests_info"`
	}
	if err := yaml.Unmarshal(data, &info); err != nil {
		return Case{}, err
	}
	if len(info.RuleMetadata) == 0 {
		return Case{}, errors.New("no rule_metadata")
	}
	c := Case{Dir: dir, RuleID: info.RuleMetadata[0].ID, Title: info.RuleMetadata[0].Title}
	for _, t := range info.Tests {
		c.MatchCount += t.MatchCount
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	c.Files = files
	return c, nil
}

// CaseResult is the outcome of a case.
type CaseResult struct {
	Case
	Events  int
	Matched int    // events the rule matched
	Pass    bool   // the rule matched at least one event
	Sources string // the mapping sources of the events
	// Reason explains a failure; Unsupported tells that it comes from a
	// feature the engine lacks, named in Reason.
	Reason      string
	Unsupported bool
}

// RunCase classifies a case's events and checks that its rule matches.
func RunCase(e *sigma.Engine, m *sigma.Matcher, problems map[string]sigma.Problem, c Case) CaseResult {
	res := CaseResult{Case: c}
	index := -1
	for i, r := range e.Rules {
		if r.ID == c.RuleID {
			index = i
			break
		}
	}
	if index < 0 {
		res.Reason = "rule " + c.RuleID + " is not loaded"
		if p, ok := problems[c.RuleID]; ok {
			res.Reason += ": " + p.Err.Error()
			var u *sigma.UnsupportedError
			res.Unsupported = errors.As(p.Err, &u)
		}
		return res
	}
	sources := map[string]bool{}
	for _, f := range c.Files {
		file, err := os.Open(f)
		if err != nil {
			res.Reason = err.Error()
			return res
		}
		rd := event.NewReader(file, f, 0)
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				res.Reason = err.Error()
				file.Close()
				return res
			}
			res.Events++
			r := m.Match(rec.Raw)
			sources[r.Source] = true
			for _, d := range r.Detections {
				if d == index {
					res.Matched++
					break
				}
			}
		}
		file.Close()
	}
	var names []string
	for s := range sources {
		if s == "" {
			s = "(no mapping source)"
		}
		names = append(names, s)
	}
	sort.Strings(names)
	res.Sources = strings.Join(names, ",")
	res.Pass = res.Matched > 0
	switch {
	case res.Events == 0:
		res.Pass, res.Reason = false, "no events in the case"
	case !res.Pass && !e.Applicable(index):
		res.Reason = fmt.Sprintf("no mapping source provides the rule's logsource (%s); the events went to %s", e.Rules[index].Logsource, res.Sources)
	case !res.Pass:
		res.Reason = fmt.Sprintf("the rule matched none of the %d events (mapping source: %s)", res.Events, res.Sources)
	}
	return res
}

// ProblemsByID indexes load problems by the id of their rule.
func ProblemsByID(problems []sigma.Problem) map[string]sigma.Problem {
	out := map[string]sigma.Problem{}
	for _, p := range problems {
		if p.Rule != nil && p.Rule.ID != "" {
			out[p.Rule.ID] = p
		}
	}
	return out
}

// Coverage returns an ATT&CK Navigator layer scoring each technique by the
// number of loaded rules tagged with it, and the rules per tactic.
func Coverage(e *sigma.Engine, cat *attack.Catalog) (attack.Layer, map[string]int) {
	scores := map[string]int{}
	comments := map[string][]string{}
	tacticsOf := map[string][]string{}
	perTactic := map[string]int{}
	for _, r := range e.Rules {
		var techs, tactics []string
		for _, tag := range r.Tags {
			name := strings.ToLower(strings.TrimPrefix(strings.ToLower(tag), "attack."))
			if len(name) > 1 && name[0] == 't' && name[1] >= '0' && name[1] <= '9' {
				techs = append(techs, strings.ToUpper(name))
			} else if ta, ok := cat.Tactic(name); ok {
				tactics = append(tactics, ta.Shortname)
				perTactic[ta.ID]++
			}
		}
		for _, t := range techs {
			scores[t]++
			if len(comments[t]) < 5 {
				comments[t] = append(comments[t], r.Title)
			}
			if te, ok := cat.Technique(t); ok {
				for _, s := range te.Tactics {
					for _, rt := range tactics {
						if rt == s && !contains(tacticsOf[t], s) {
							tacticsOf[t] = append(tacticsOf[t], s)
						}
					}
				}
			}
		}
	}
	var list []attack.LayerScore
	for t, n := range scores {
		comment := strings.Join(comments[t], "; ")
		if n > len(comments[t]) {
			comment += fmt.Sprintf("; and %d more", n-len(comments[t]))
		}
		shorts := tacticsOf[t]
		if len(shorts) == 0 {
			if te, ok := cat.Technique(t); ok {
				shorts = te.Tactics
			}
		}
		if len(shorts) == 0 {
			shorts = []string{""}
		}
		for _, s := range shorts {
			list = append(list, attack.LayerScore{Technique: t, Tactic: s, Score: int64(n), Comment: comment})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Technique != list[j].Technique {
			return list[i].Technique < list[j].Technique
		}
		return list[i].Tactic < list[j].Tactic
	})
	layer := attack.NewLayer("secpipe rule coverage", fmt.Sprintf("Techniques the %d loaded Sigma rules can detect, scored by the number of rules, coloured on a log scale.", len(e.Rules)), "rule", list)
	return layer, perTactic
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
