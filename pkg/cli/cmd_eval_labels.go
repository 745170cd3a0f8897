package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/eval"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
)

// labelFlags are eval's flags for file-labelled sets (--labels).
func labelFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "labels", Usage: "score files labelled in the CSV `FILE` (columns file, techniques, tactics, group); repeatable, one per set", Category: "Labelled files"},
		&ucli.StringSliceFlag{Name: "versus", Usage: "also score the Sigma rules at `PATH` alone (no built-in pack), side by side (repeatable)", Category: "Labelled files"},
		&ucli.BoolFlag{Name: "per-file", Usage: "also print one row per labelled file", Category: "Labelled files"},
		&ucli.StringSliceFlag{Name: "min-technique-hit", Usage: "exit with code 1 if the default rules' technique hit rate is below `RATE` (0-1), or `SET=RATE` for one set", Category: "Labelled files"},
		&ucli.Float64Flag{Name: "max-wrong", Usage: "exit with code 1 if the default rules tag more than `N` wrong techniques per labelled file on average", Category: "Labelled files"},
	}
}

// labelledSet is one labels file and the inputs it labels.
type labelledSet struct {
	name   string // the labels file's folder name
	labels []eval.FileLabel
	inputs []string
}

// labelledResult is the score of one rule set on one labelled set.
type labelledResult struct {
	Set   string          `json:"set"`
	Rules string          `json:"rules"`
	Score eval.FileReport `json:"score"`
}

// readLabelledSets reads the --labels files; with one, the arguments are
// its inputs, else each set's events folder beside it.
func readLabelledSets(c *ucli.Context) ([]labelledSet, error) {
	paths := c.StringSlice("labels")
	if len(paths) > 1 && c.NArg() > 0 {
		return nil, usageErrorf("with several --labels, give no input files: each set's events are read from the events folder beside its labels file")
	}
	var sets []labelledSet
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--labels: %w", err)
		}
		labels, err := eval.ReadLabels(f, p)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--labels: %w", err)
		}
		dir := filepath.Dir(p)
		abs, _ := filepath.Abs(dir)
		set := labelledSet{name: filepath.Base(abs), labels: labels, inputs: c.Args().Slice()}
		if len(set.inputs) == 0 {
			set.inputs = []string{filepath.Join(dir, "events")}
			if _, err := os.Stat(set.inputs[0]); err != nil {
				return nil, usageErrorf("--labels %s: no input files given and no events folder beside it (%v)", p, err)
			}
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// parseMinHit reads --min-technique-hit: RATE for every set or SET=RATE.
func parseMinHit(values []string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, v := range values {
		for _, part := range splitList(v) {
			set, rate, ok := strings.Cut(part, "=")
			if !ok {
				set, rate = "", part
			}
			f, err := strconv.ParseFloat(rate, 64)
			if err != nil || f < 0 || f > 1 {
				return nil, usageErrorf("--min-technique-hit %q: want a rate from 0 to 1, or SET=RATE", part)
			}
			out[set] = f
		}
	}
	return out, nil
}

// runLabelled is eval --labels: it classifies each set's files with the
// rule flags (and each --versus rule set alone), scores them by file and
// prints the table.
func runLabelled(c *ucli.Context, env *Env, prog string, format render.Format) error {
	sets, err := readLabelledSets(c)
	if err != nil {
		return err
	}
	minHit, err := parseMinHit(c.StringSlice("min-technique-hit"))
	if err != nil {
		return err
	}
	cfg, err := readRuleConfig(c)
	if err != nil {
		return err
	}
	in, err := readInputConfig(c)
	if err != nil {
		return err
	}
	type ruleSet struct {
		name string
		cfg  classify.Config
	}
	rules := []ruleSet{{name: ruleSetName(cfg), cfg: cfg}}
	for _, v := range c.StringSlice("versus") {
		vc := cfg
		vc.RulePaths, vc.NoBuiltin, vc.Pack = []string{v}, true, ""
		rules = append(rules, ruleSet{name: v, cfg: vc})
	}
	var results []labelledResult
	for _, set := range sets {
		for _, rs := range rules {
			engine, problems, err := classify.Load(rs.cfg)
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				fmt.Fprintf(env.Stderr, "%s: %s: %d rules not loaded (secpipe rules lint tells which)\n", prog, rs.name, len(problems))
			}
			stage := classify.NewStage(engine, rs.cfg.Catalog, true)
			scorer := eval.NewFileScorer(set.labels)
			sk := &fileScoreSink{scorer: scorer}
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			setIn := in
			setIn.Specs = set.inputs
			src, rejects, closeDLQ, err := openSource(c.Context, c, env, prog, setIn, tel)
			if err != nil {
				tel.close()
				return err
			}
			err = pipeline.Run(c.Context, src, stage, sk, tel.policy())
			closeDLQ()
			tel.close()
			if err != nil {
				return err
			}
			reportRejects(env, prog, rejects)
			results = append(results, labelledResult{Set: set.name, Rules: rs.name, Score: scorer.Report(sk.unknown)})
		}
	}
	if err := writeLabelled(env, format, results, c.Bool("per-file")); err != nil {
		return err
	}
	// The gates judge the first rule set (the flags' own), not the --versus ones.
	for _, r := range results {
		if r.Rules != rules[0].name {
			continue
		}
		min, ok := minHit[r.Set]
		if !ok {
			min, ok = minHit[""]
		}
		if ok && r.Score.TechniqueRate < min {
			return fmt.Errorf("%s: technique hit rate %s, below --min-technique-hit %g", r.Set, eval.Percent(r.Score.TechniqueRate), min)
		}
		if max := c.Float64("max-wrong"); c.IsSet("max-wrong") && r.Score.MeanWrong > max {
			return fmt.Errorf("%s: %.2f wrong techniques per file, above --max-wrong %g", r.Set, r.Score.MeanWrong, max)
		}
	}
	return nil
}

// ruleSetName names the rule flags' rule set in the table.
func ruleSetName(cfg classify.Config) string {
	var parts []string
	if !cfg.NoBuiltin {
		p := cfg.Pack
		if p == "" {
			p = classify.DefaultPack
		}
		parts = append(parts, "pack "+p)
	}
	parts = append(parts, cfg.RulePaths...)
	return strings.Join(parts, " + ")
}

// fileScoreSink feeds a file scorer; it implements pipeline.Sink.
type fileScoreSink struct {
	scorer  *eval.FileScorer
	unknown int
}

func (s *fileScoreSink) Write(_ context.Context, msgs []pipeline.Message) error {
	for i := range msgs {
		if !s.scorer.Add(msgs[i].Origin.Input, msgs[i].Value) {
			s.unknown++
		}
	}
	return nil
}

func (s *fileScoreSink) Flush(context.Context) error { return nil }
func (s *fileScoreSink) Close() error                { return nil }

func writeLabelled(env *Env, format render.Format, results []labelledResult, perFile bool) error {
	if format == render.JSON {
		return render.WriteJSON(env.Stdout, results)
	}
	main := render.Table{Title: "Labelled files", Header: []string{"SET", "RULES", "FILES", "TECHNIQUE HIT", "TACTIC HIT", "WRONG TECHNIQUES / FILE"}, Right: []int{2, 3, 4, 5}}
	unl := render.Table{Title: "Unlabelled files", Header: []string{"SET", "RULES", "GROUP", "FILES", "WITH A DETECTION", "TECHNIQUES / FILE"}, Right: []int{3, 4, 5}}
	files := render.Table{Title: "Per file", Header: []string{"SET", "RULES", "FILE", "LABELS", "HIT", "TAGGED", "WRONG"}}
	for _, r := range results {
		s := r.Score
		main.Rows = append(main.Rows, []string{r.Set, r.Rules, strconv.Itoa(s.Files),
			fmt.Sprintf("%d (%s)", s.TechniqueHits, eval.Percent(s.TechniqueRate)),
			fmt.Sprintf("%d (%s)", s.TacticHits, eval.Percent(s.TacticRate)),
			strconv.FormatFloat(s.MeanWrong, 'f', 2, 64)})
		for _, g := range s.Unlabelled {
			unl.Rows = append(unl.Rows, []string{r.Set, r.Rules, g.Group, strconv.Itoa(g.Files), strconv.Itoa(g.WithDetection), strconv.FormatFloat(g.MeanTagged, 'f', 2, 64)})
		}
		for _, f := range s.PerFile {
			if f.Unlabelled {
				continue
			}
			hit := "no"
			if f.TechniqueHit {
				hit = "yes"
			}
			files.Rows = append(files.Rows, []string{r.Set, r.Rules, f.File, strings.Join(f.Labels, " "), hit, strings.Join(f.Tagged, " "), strings.Join(f.Wrong, " ")})
		}
	}
	tables := []render.Table{main}
	if len(unl.Rows) > 0 {
		tables = append(tables, unl)
	}
	if perFile {
		tables = append(tables, files)
	}
	return render.Tables(env.Stdout, format, tables...)
}
