package cli

import (
	"context"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/hunt"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
)

func huntCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "hunt",
		Usage:     "scan event logs with the detection rules and print a timeline of what they found",
		ArgsUsage: "PATH ...",
		Description: `Reads the files and folders (recursively) in any format secpipe reads - Windows
.evtx, JSON Lines (evtx_dump's, Winlogbeat's, ECS), Zeek, Suricata EVE, syslog,
auditd, CSV; .gz and .zst decompressed - classifies them with the default rule
pack (plus --rules), and writes one row per detection: time (UTC), host, channel,
event id, level, the rules that matched, their ATT&CK techniques, the fields that
explain it (command line, target object, service, account...) and the file.

The timeline goes to stdout as a table (blocks of 500 rows), CSV, JSON Lines
(--format json) or Markdown; a summary - detections per level, the top
techniques, hosts and rules - follows on stderr. Rows are written as they are
found, so memory does not grow with the input.

Examples:
   secpipe hunt ../shared/realdata/evtx-to-mitre/evtx
   secpipe hunt --format csv --dedupe 1h C:/Windows/System32/winevt/Logs > timeline.csv
   secpipe hunt --min-level high --from 2024-05-01 logs/ Security.evtx
   secpipe hunt --rules ./sigma/rules --pack builtin --format json case42/ | jq .rule
   secpipe hunt --exclude known-noise.txt --top 20 collected/`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "timeline format: table, csv, json (JSON Lines), markdown"},
			&ucli.IntFlag{Name: "top", Value: 10, Usage: "show the `N` most frequent techniques, hosts and rules in the summary"},
			&ucli.BoolFlag{Name: "no-summary", Usage: "print the timeline only"},
		}, ruleFlags(), filterFlags(), inputFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe hunt"
			if c.NArg() == 0 {
				return usageErrorf("give the files or folders to hunt through (- for stdin)")
			}
			fname := strings.ToLower(c.String("format"))
			if fname == "jsonl" || fname == "ndjson" {
				fname = "json"
			}
			format, err := render.ParseFormat(fname)
			if err != nil {
				return usageErrorf("--format: %v", err)
			}
			cfg, filter, engine, err := loadDetection(c, env, prog)
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
			tel.showInputProgress(in.Specs)
			out := render.NewStream(env.Stdout, format, hunt.Header, hunt.Keys)
			timeline := hunt.NewTimeline(out, format == render.Text || format == render.Markdown)
			stage := classify.NewStage(engine, cfg.Catalog, true)
			stage.SetFilter(filter)
			var writeErr error
			stage.OnDetection(func(d *classify.Detection) {
				if writeErr == nil {
					writeErr = timeline.Add(d)
				}
			})
			err = pipeline.Run(c.Context, src, stage, discard{}, tel.policy())
			tel.done()
			if err == nil {
				err = writeErr
			}
			if err == nil {
				err = out.Flush()
			}
			if err != nil {
				return err
			}
			reportRejects(env, prog, rejects)
			st := stage.Stats()
			line := fmt.Sprintf("%s: %d events, %d detections", prog, st.Events, timeline.Sum.Detections)
			if st.Deduped > 0 || st.OutOfRange > 0 {
				line += fmt.Sprintf(" (%d repeats held back by --dedupe, %d events outside --from/--to)", st.Deduped, st.OutOfRange)
			}
			if !c.Bool("no-summary") && timeline.Sum.Detections > 0 {
				fmt.Fprintln(env.Stderr)
				sumFormat := render.Text
				if format == render.Markdown {
					sumFormat = render.Markdown
				}
				if err := render.Tables(env.Stderr, sumFormat, timeline.Sum.Tables(c.Int("top"))...); err != nil {
					return err
				}
			}
			tel.summary(line)
			return nil
		},
	}
}

// discard is the end of hunt's pipeline: the timeline has the detections.
type discard struct{}

func (discard) Write(context.Context, []pipeline.Message) error { return nil }
func (discard) Flush(context.Context) error                     { return nil }
func (discard) Close() error                                    { return nil }
