package cli

import (
	"fmt"
	"strconv"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/eval"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
)

func evalCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "eval",
		Usage:     "score classified events against the ground truth secpipe gen wrote into them",
		ArgsUsage: "[FILE ...]",
		Description: `Reads classified events that carry gen's ground truth (the "truth" field) and prints
per-tactic precision, recall and support.

Precision counts items: events tagged with a tactic, and correlation alerts (an
alert is judged by the truth of the event that set it off). A tagged benign
event is a false positive. Recall counts attack instances (one run of a
scenario): a run expecting a tactic is detected when any of its events, or an
alert it set off, carries that tactic with one of the run's expected techniques.
Support is the number of runs expecting the tactic. A ratio of nothing (no item
tagged, no run expected) shows as "-". Input where no event carries the truth, or
where every event is benign and none is tagged, has nothing to score: exit code 1.

Examples:
   secpipe gen --count 100000 --seed 7 | secpipe classify | secpipe eval
   secpipe eval classified.jsonl --format json
   secpipe eval classified.jsonl --min-precision 0.99 --min-recall 0.99   # exit 1 below
   secpipe eval --from-topic classified --exit-at-end`,
		Flags: joinFlags([]ucli.Flag{
			formatFlag(),
			&ucli.Float64Flag{Name: "min-precision", Usage: "exit with code 1 if a tactic's precision is below `P` (0-1)"},
			&ucli.Float64Flag{Name: "min-recall", Usage: "exit with code 1 if a tactic's recall is below `R` (0-1)"},
		}, labelFlags(), ruleFlags(), inputFlags(), kafkaFlags(), kafkaSourceFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe eval"
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			if len(c.StringSlice("labels")) > 0 {
				return runLabelled(c, env, prog, format)
			}
			for _, name := range []string{"rules", "no-builtin", "pack", "versus", "per-file", "min-technique-hit", "max-wrong"} {
				if c.IsSet(name) {
					return usageErrorf("--%s scores file-labelled sets: it needs --labels FILE", name)
				}
			}
			cat, err := loadCatalog(c)
			if err != nil {
				return err
			}
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			defer tel.close()
			src, rejects, closeDLQ, err := openSource(c.Context, c, env, prog, in, tel)
			if err != nil {
				return err
			}
			defer closeDLQ()
			if c.String("from-topic") == "" {
				tel.showInputProgress(in.Specs)
			}
			ev := eval.New()
			err = pipeline.Run(c.Context, src, nil, tel.sink(eval.Sink{E: ev}), tel.policy())
			tel.done()
			if err != nil {
				tel.summary("")
				return err
			}
			reportRejects(env, prog, rejects)
			rep := ev.Report(cat)
			if why := rep.Nothing(); why != "" {
				tel.summary("")
				return errorf("%s", why)
			}
			if rep.Instances == 0 {
				fmt.Fprintf(env.Stderr, "%s: all %d events are benign in gen's ground truth: every tagged one is a false positive, and there is no recall to measure\n", prog, rep.Events)
			} else if rep.WithoutTruth > 0 {
				fmt.Fprintf(env.Stderr, "%s: %d of %d events carry no ground truth (truth.scenario) and count as benign\n", prog, rep.WithoutTruth, rep.Events)
			}
			// A ratio of nothing (no item tagged, no run expected) is shown as "-".
			pct := func(f float64, of int) string {
				if of == 0 {
					return "-"
				}
				return eval.Percent(f)
			}
			line := ""
			if format == render.JSON {
				if err := render.WriteJSON(env.Stdout, rep); err != nil {
					return err
				}
			} else {
				tactics := render.Table{Title: "Per tactic", Header: []string{"ID", "TACTIC", "PRECISION", "RECALL", "SUPPORT", "DETECTED", "TP", "FP"}, Right: []int{2, 3, 4, 5, 6, 7}}
				for _, t := range rep.Tactics {
					if t.OutsideCatalog {
						t.Name = "(not in the ATT&CK catalog: not scored)"
					}
					tactics.Rows = append(tactics.Rows, []string{t.ID, t.Name, pct(t.Precision, t.TP+t.FP), pct(t.Recall, t.Support),
						strconv.Itoa(t.Support), strconv.Itoa(t.Detected), strconv.Itoa(t.TP), strconv.Itoa(t.FP)})
				}
				tactics.Rows = append(tactics.Rows, []string{"", "overall", pct(rep.Overall.Precision, rep.Overall.Items), pct(rep.Overall.Recall, rep.Overall.Support), "", "", "", ""})
				scen := render.Table{Title: "Per scenario", Header: []string{"SCENARIO", "RUNS", "FULLY DETECTED", "PARTLY", "MISSED"}, Right: []int{1, 2, 3, 4}}
				for _, s := range rep.Scenarios {
					scen.Rows = append(scen.Rows, []string{s.Scenario, strconv.Itoa(s.Runs), strconv.Itoa(s.Detected), strconv.Itoa(s.Partial), strconv.Itoa(s.Runs - s.Detected - s.Partial)})
				}
				if err := render.Tables(env.Stdout, format, tactics, scen); err != nil {
					return err
				}
				line = fmt.Sprintf("%s: %d events (%d benign), %d alerts, %d attack runs (%d cut short by the end of the output, left out of recall)", prog, rep.Events, rep.Benign, rep.Alerts, rep.Instances, rep.Truncated)
			}
			tel.summary(line)
			minP, minR := c.Float64("min-precision"), c.Float64("min-recall")
			for _, t := range rep.Tactics {
				if t.OutsideCatalog {
					continue
				}
				if t.Precision < minP || t.Recall < minR {
					return fmt.Errorf("%s %s: precision %s, recall %s, below --min-precision %g / --min-recall %g", t.ID, t.Name, eval.Percent(t.Precision), eval.Percent(t.Recall), minP, minR)
				}
			}
			return nil
		},
	}
}
