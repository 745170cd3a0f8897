package cli

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/rules"
	"github.com/secpipe/secpipe/pkg/sigma"
)

func rulesCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "rules",
		Usage: "list, lint and test Sigma rules; show their ATT&CK coverage",
		Description: `The rule set is the built-in pack plus --rules PATH (or, for lint, the PATHs given).

Examples:
   secpipe rules list --min-level high
   secpipe rules lint ./sigma/rules
   secpipe rules test --no-builtin --rules ./sigma/rules ./sigma/regression
   secpipe rules coverage --navigator layer.json`,
		Subcommands: []*ucli.Command{
			rulesListCommand(env),
			rulesLintCommand(env),
			rulesTestCommand(env),
			rulesCoverageCommand(env),
			rulesMappingCommand(env),
		},
	}
}

// loadRules loads the rule set of a rules subcommand and says how long it took.
func loadRules(c *ucli.Context, env *Env, prog string, extraPaths []string) (*sigma.Engine, []sigma.Problem, classify.Config, error) {
	cfg, err := readRuleConfig(c)
	if err != nil {
		return nil, nil, cfg, err
	}
	if len(extraPaths) > 0 {
		cfg.RulePaths = append(cfg.RulePaths, extraPaths...)
		cfg.NoBuiltin = true
	}
	start := time.Now()
	e, problems, err := classify.Load(cfg)
	if err != nil {
		return nil, nil, cfg, err
	}
	fmt.Fprintf(env.Stderr, "%s: %d rules loaded in %s\n", prog, len(e.Rules), time.Since(start).Round(time.Millisecond))
	return e, problems, cfg, nil
}

func rulesListCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "list",
		Usage: "list the rules in use",
		Flags: append([]ucli.Flag{formatFlag()}, ruleFlags()...),
		Action: func(c *ucli.Context) error {
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			e, problems, cfg, err := loadRules(c, env, "secpipe rules list", nil)
			if err != nil {
				return err
			}
			reportProblems(env, "secpipe rules list", problems)
			type row struct {
				ID        string   `json:"id"`
				Title     string   `json:"title"`
				Kind      string   `json:"kind"`
				Level     string   `json:"level"`
				Status    string   `json:"status"`
				Logsource string   `json:"logsource"`
				Tags      []string `json:"tags"`
				ATTACK    []string `json:"attack"` // "T1486 Data Encrypted for Impact", or tactics without a technique
				File      string   `json:"file"`
			}
			var rows []row
			for _, r := range e.Rules {
				ls := r.Logsource.String()
				if r.Correlation != nil {
					ls = "correlation " + r.Correlation.Type
				}
				rows = append(rows, row{r.ID, r.Title, r.Kind(), r.Level, r.Status, ls, r.Tags, attackNames(r.Tags, cfg.Catalog), r.File})
			}
			if format == render.JSON {
				return render.WriteJSON(env.Stdout, rows)
			}
			t := render.Table{Header: []string{"ID", "TITLE", "LEVEL", "LOGSOURCE", "ATT&CK TECHNIQUES"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{r.ID, r.Title, r.Level, r.Logsource, strings.Join(r.ATTACK, "; ")})
			}
			return render.Tables(env.Stdout, format, t)
		},
	}
}

func rulesLintCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "lint",
		Usage:     "report every rule that cannot be used, with its file and the reason",
		ArgsUsage: "[PATH ...]",
		Description: `Loads the rules (the PATHs given, or the built-in pack and --rules) and lists
each rule that does not load: invalid YAML or Sigma, or a feature the engine does
not support (named). Loading never stops at a bad rule. Also lists loaded rules
that no mapping source can feed, and deprecated ones.

Exit code 1 if fewer than --min-loaded of the rules load (default: all).`,
		Flags: append([]ucli.Flag{
			&ucli.Float64Flag{Name: "min-loaded", Value: 1, Usage: "exit 1 when the share of rules loaded is below `RATIO` (0-1)"},
			&ucli.BoolFlag{Name: "summary", Usage: "print the rules not loaded and the summary only (not the unfed and deprecated ones)"},
		}, ruleFlags()...),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe rules lint"
			e, problems, _, err := loadRules(c, env, prog, c.Args().Slice())
			if err != nil {
				return err
			}
			l := rules.LintEngine(e, problems)
			for _, p := range l.Problems {
				kind := "invalid"
				if p.Unsupported() {
					kind = "unsupported"
				}
				fmt.Fprintf(env.Stdout, "%s: %v\n", kind, p)
			}
			for _, r := range l.Unfed {
				if c.Bool("summary") {
					break
				}
				fmt.Fprintf(env.Stdout, "unfed: %s: no mapping source provides logsource %s (add one with --mapping)\n", r.Ref(), r.Logsource)
			}
			for _, r := range l.Deprecated {
				if c.Bool("summary") {
					break
				}
				fmt.Fprintf(env.Stdout, "deprecated: %s\n", r.Ref())
			}
			fmt.Fprintf(env.Stdout, "%d of %d rules load (%.2f%%)", l.Loaded, l.Total(), 100*l.Ratio())
			if len(l.Unsupported) > 0 {
				var feats []string
				for f, n := range l.Unsupported {
					feats = append(feats, fmt.Sprintf("%s (%d)", f, n))
				}
				sort.Strings(feats)
				fmt.Fprintf(env.Stdout, "; unsupported: %s", strings.Join(feats, ", "))
			}
			fmt.Fprintf(env.Stdout, "; %d unfed, %d deprecated\n", len(l.Unfed), len(l.Deprecated))
			if min := c.Float64("min-loaded"); l.Ratio() < min {
				return fmt.Errorf("%.2f%% of the rules load, below --min-loaded %.2f%%", 100*l.Ratio(), 100*min)
			}
			return nil
		},
	}
}

func rulesTestCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "test",
		Usage:     "run regression cases: events that a named rule must match",
		ArgsUsage: "CASES-DIR ...",
		Description: `Each case is a folder (SigmaHQ's regression layout) with an info.yml naming the
rule (rule_metadata: [{id: ...}]) and .json files of events, one object a line or
several concatenated. A case passes when the rule matches at least one of its
events. A case whose rule uses a feature the engine does not support is listed
with that feature and does not fail the run unless --strict.

Example:
   secpipe rules test --no-builtin --rules ./sigma/rules ./sigma/regression`,
		Flags: append([]ucli.Flag{
			&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list passing cases too"},
			&ucli.BoolFlag{Name: "strict", Usage: "count cases of unsupported features as failures"},
		}, ruleFlags()...),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe rules test"
			if c.NArg() == 0 {
				return usageErrorf("name at least one folder of cases")
			}
			var cases []rules.Case
			for _, dir := range c.Args().Slice() {
				cs, err := rules.FindCases(dir)
				if err != nil {
					return err
				}
				cases = append(cases, cs...)
			}
			if len(cases) == 0 {
				return fmt.Errorf("no cases (folders with info.yml) under %s", strings.Join(c.Args().Slice(), ", "))
			}
			e, problems, _, err := loadRules(c, env, prog, nil)
			if err != nil {
				return err
			}
			reportProblems(env, prog, problems)
			byID := rules.ProblemsByID(problems)
			m := e.NewMatcher()
			pass, fail, unsupported := 0, 0, 0
			for _, cs := range cases {
				r := rules.RunCase(e, m, byID, cs)
				switch {
				case r.Pass:
					pass++
					if c.Bool("verbose") {
						fmt.Fprintf(env.Stdout, "ok    %s (%d of %d events)\n", cs.Dir, r.Matched, r.Events)
					}
				case r.Unsupported && !c.Bool("strict"):
					unsupported++
					fmt.Fprintf(env.Stdout, "unsup %s: %s\n", cs.Dir, r.Reason)
				default:
					fail++
					fmt.Fprintf(env.Stdout, "FAIL  %s: %q: %s\n", cs.Dir, cs.Title, r.Reason)
				}
			}
			fmt.Fprintf(env.Stdout, "%d cases: %d pass, %d fail, %d unsupported\n", len(cases), pass, fail, unsupported)
			if fail > 0 {
				return fmt.Errorf("%d of %d cases failed", fail, len(cases))
			}
			return nil
		},
	}
}

func rulesCoverageCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "coverage",
		Usage: "show the ATT&CK techniques the rules can detect; write a Navigator layer",
		Flags: append([]ucli.Flag{
			formatFlag(),
			&ucli.StringFlag{Name: "navigator", Usage: "write an ATT&CK Navigator layer to `FILE`"},
		}, ruleFlags()...),
		Action: func(c *ucli.Context) error {
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			e, problems, cfg, err := loadRules(c, env, "secpipe rules coverage", nil)
			if err != nil {
				return err
			}
			reportProblems(env, "secpipe rules coverage", problems)
			cat := cfg.Catalog
			layer, perTactic := rules.Coverage(e, cat)
			if path := c.String("navigator"); path != "" {
				if err := writeJSONFile(path, layer); err != nil {
					return err
				}
				fmt.Fprintf(env.Stderr, "secpipe rules coverage: layer of %d techniques written to %s\n", len(layer.Techniques), path)
			}
			covered := map[string]map[string]bool{}
			for _, t := range layer.Techniques {
				if covered[t.Tactic] == nil {
					covered[t.Tactic] = map[string]bool{}
				}
				covered[t.Tactic][t.TechniqueID] = true
			}
			type row struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				Rules      int    `json:"rules"`
				Techniques int    `json:"techniques_covered"`
				Total      int    `json:"techniques_total"`
			}
			var rows []row
			for _, ta := range cat.Tactics() {
				total := 0
				for _, te := range cat.Techniques() {
					if containsString(te.Tactics, ta.Shortname) {
						total++
					}
				}
				rows = append(rows, row{ta.ID, ta.Name, perTactic[ta.ID], len(covered[ta.Shortname]), total})
			}
			if format == render.JSON {
				return render.WriteJSON(env.Stdout, rows)
			}
			t := render.Table{Header: []string{"ID", "TACTIC", "RULES", "TECHNIQUES COVERED", "TECHNIQUES IN TACTIC"}, Right: []int{2, 3, 4}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{r.ID, r.Name, strconv.Itoa(r.Rules), strconv.Itoa(r.Techniques), strconv.Itoa(r.Total)})
			}
			return render.Tables(env.Stdout, format, t)
		},
	}
}

func rulesMappingCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "mapping",
		Usage: "print the built-in field mapping (the format of --mapping files)",
		Action: func(c *ucli.Context) error {
			_, err := env.Stdout.Write(classify.BuiltinMappingYAML())
			return err
		},
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// attackNames names a rule's ATT&CK tags: its techniques by ID and name
// ("T1486 Data Encrypted for Impact"), or its tactics when it names no
// technique ("TA0040 Impact"). Group and software tags are left out.
func attackNames(tags []string, cat *attack.Catalog) []string {
	var techniques, tactics []string
	for _, tag := range tags {
		name, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(tag)), "attack.")
		if !ok {
			continue
		}
		if te, ok := cat.Technique(name); ok {
			techniques = append(techniques, te.ID+" "+te.Name)
		} else if techniqueTag.MatchString(name) {
			techniques = append(techniques, strings.ToUpper(name))
		} else if ta, ok := cat.Tactic(name); ok {
			tactics = append(tactics, ta.ID+" "+ta.Name)
		}
	}
	if len(techniques) == 0 {
		return tactics
	}
	return techniques
}

var techniqueTag = regexp.MustCompile(`^t[0-9]{4}(\.[0-9]{3})?$`)
