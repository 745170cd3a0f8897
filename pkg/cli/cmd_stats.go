package cli

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/stats"
)

// statsConfig is what secpipe stats was asked to do.
type statsConfig struct {
	Format      render.Format
	Top         int
	Bucket      time.Duration // 0: automatic
	Chart       string
	ChartFormat string
	Navigator   string
	Table       string    // one of stats.TableNames, or "" for all
	From, To    time.Time // the events kept: [From, To); zero: unbounded
	Input       inputConfig
}

func readStatsConfig(c *ucli.Context, now func() time.Time) (statsConfig, error) {
	var cfg statsConfig
	var err error
	if cfg.Format, err = readFormat(c); err != nil {
		return cfg, err
	}
	if cfg.Top = c.Int("top"); cfg.Top < 1 {
		return cfg, usageErrorf("--top: want a positive number, got %d", cfg.Top)
	}
	if b := c.String("bucket"); b != "" && b != "auto" {
		if cfg.Bucket, err = stats.ParseBucket(b); err != nil {
			return cfg, usageErrorf("--bucket: %v", err)
		}
	}
	if cfg.Chart = c.String("chart"); cfg.Chart != "" {
		if cfg.ChartFormat, err = stats.ChartFormat(cfg.Chart); err != nil {
			return cfg, usageErrorf("--chart: %v", err)
		}
	}
	cfg.Navigator = c.String("navigator")
	if cfg.Table = c.String("table"); cfg.Table != "" && !slices.Contains(stats.TableNames, cfg.Table) {
		return cfg, usageErrorf("--table: unknown table %q%s (want %s)", cfg.Table, didYouMean(cfg.Table, stats.TableNames), strings.Join(stats.TableNames, ", "))
	}
	for _, b := range []struct {
		flag string
		t    *time.Time
	}{{"from", &cfg.From}, {"to", &cfg.To}} {
		if v := c.String(b.flag); v != "" {
			if *b.t, err = stats.ParseBound(v, now()); err != nil {
				return cfg, usageErrorf("--%s: %v", b.flag, err)
			}
		}
	}
	if !cfg.From.IsZero() && !cfg.To.IsZero() && !cfg.From.Before(cfg.To) {
		return cfg, usageErrorf("--from %s is not before --to %s", cfg.From.Format(time.RFC3339), cfg.To.Format(time.RFC3339))
	}
	if cfg.Input, err = readInputConfig(c); err != nil {
		return cfg, err
	}
	cfg.Input.NoGroup = true // a report reads the whole topic every time
	cfg.Input.Fields, cfg.Input.Rows, cfg.Input.Parts = stats.Fields(), true, runtime.GOMAXPROCS(0)
	cfg.Input.Since, cfg.Input.Until = cfg.From, cfg.To
	return cfg, nil
}

func statsCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "stats",
		Usage:     "count classified events per ATT&CK tactic and over time; draw the chart, write a Navigator layer",
		ArgsUsage: "[FILE ...]",
		Description: `Reads classified events from the files, folders or stdin: store's CSV, the course
lab's classified_packets.csv (any CSV with a header; columns are found by name), or
classified JSON Lines, or any other input secpipe reads (see classify --help), a
topic (kafka://TOPIC), or a database store wrote (sqlite:events.db,
postgres://USER@HOST/DB, clickhouse://HOST:PORT/DB). Prints:
events per tactic in kill-chain order, events per time bucket and tactic, and the top
techniques, hosts, users and source IPs. Rows of one event (store writes one per
tactic/technique pair) count once. TA0000/T0000, the lab's "unclassified", and
empty cells count as no tactic. The last input, when a large regular CSV file, is
counted in parallel parts, one per core (GOMAXPROCS=1: one pass), with the same report.

The bucket size is chosen from the data's time span (at most about 150 buckets,
rounded up to 1s, 5s, 10s, 30s, 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d or
7d) unless --bucket sets it. Text tables show the first and last 5 buckets of a long
timeline; csv, markdown and json give them all. The timeline's columns are headed
by tactic ID and name.

--table NAME prints one table alone (tactics, timeline, techniques, hosts, users or
sources): with --format csv, plain CSV that pandas.read_csv loads, shares as
fractions (0.004, not 0.4%). Without --table, csv gives the six tables, each after a
"# title" line.

--chart draws the course lab's figure, a stacked bar chart of tactics over time
(18x8 inches), as PNG or SVG (from the extension); events without a tactic are left
out, and a timeline of more than 600 buckets is drawn with buckets merged to fit.
The legend reads top down as the bars stack; a tactic's count in a bucket, however
small, is drawn at least 1/250 of the axis tall, so that a single event shows.
--navigator writes an ATT&CK Navigator layer (format 4.5) scoring each technique
by its number of events.

--from and --to keep the events of a time range, [from, to): a timestamp
(2026-01-15T07:00:00Z, 2026-01-15 in UTC) or a duration before now (-24h, -7d).
Events without a timestamp are left out then. A database selects the range itself.

Bad rows (wrong cell count, a stray quote) are reported with their file and line
and skipped; --strict stops at the first with exit code 1. An event whose timestamp
does not parse is named and counted, without timestamp.

Examples:
   secpipe stats tactics.csv
   secpipe stats tactics.csv --bucket 1h --format markdown
   secpipe stats tactics.csv --table timeline --format csv > timeline.csv
   secpipe stats classified_packets.csv --chart tactics.png
   secpipe stats tactics.csv --navigator layer.json --format json > stats.json
   secpipe gen | secpipe classify | secpipe stats --top 5
   secpipe stats --from-topic classified --exit-at-end
   secpipe stats sqlite:events.db --chart tactics.png
   secpipe stats sqlite:events.db --from 2026-01-01T00:00:30Z --to 2026-01-01T00:01:00Z`,
		Flags: joinFlags([]ucli.Flag{
			formatFlag(),
			&ucli.IntFlag{Name: "top", Aliases: []string{"n"}, Value: 10, Usage: "list the `N` most frequent techniques, hosts, users and source IPs"},
			&ucli.StringFlag{Name: "bucket", Usage: "time bucket size `DUR` (30s, 1m, 15m, 1h, 1d, 7d; default: from the time span)"},
			&ucli.StringFlag{Name: "chart", Usage: "draw the stacked bar chart of tactics over time to `FILE` (.png or .svg)"},
			&ucli.StringFlag{Name: "navigator", Usage: "write an ATT&CK Navigator layer (JSON) to `FILE`"},
			&ucli.StringFlag{Name: "table", Usage: "print only table `NAME`: " + strings.Join(stats.TableNames, ", ")},
			&ucli.StringFlag{Name: "from", Usage: "count only events at or after `TIME` (2026-01-15T07:00:00Z, 2026-01-15, or a duration ago: -24h, -7d)"},
			&ucli.StringFlag{Name: "to", Usage: "count only events before `TIME` (as --from)"},
			attackDataFlag(),
		}, inputFlags(), databaseFlags(), kafkaSourceFlags(), kafkaFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe stats"
			cfg, err := readStatsConfig(c, env.Now)
			if err != nil {
				return err
			}
			cat, err := loadCatalog(c)
			if err != nil {
				return err
			}
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			defer tel.close()
			tel.startSpan(c.Context)
			src, rejects, closeDLQ, err := openSource(c.Context, c, env, prog, cfg.Input, tel)
			if err != nil {
				return err
			}
			defer closeDLQ()
			tel.showInputProgress(cfg.Input.Specs)
			agg := stats.NewAgg(cat, int64(cfg.Bucket/time.Second))
			out := stats.NewSink(agg, rejects)
			if !cfg.From.IsZero() || !cfg.To.IsZero() {
				var since, until int64
				if !cfg.From.IsZero() {
					since = cfg.From.UnixNano()
				} else {
					since = math.MinInt64
				}
				if !cfg.To.IsZero() {
					until = cfg.To.UnixNano()
				}
				out.SetRange(since, until)
			}
			if err = pipeline.Run(c.Context, src, nil, out, tel.policy()); err != nil {
				tel.fail(err)
				return err
			}
			rep := agg.Report(cfg.Top)
			tel.count(int(rep.Total), int(rep.Rows))
			tel.done()
			reportRejects(env, prog, rejects)
			if rep.Total > 0 && len(rep.Tactics) == 0 {
				fmt.Fprintf(env.Stderr, "%s: no event carries threat fields (a tactic): run secpipe classify first, as in: secpipe classify FILE | secpipe stats\n", prog)
			}
			if cfg.Chart != "" {
				if err := writeReportFile(cfg.Chart, func(f *os.File) error { return rep.Chart(f, cfg.ChartFormat) }); err != nil {
					return fmt.Errorf("--chart: %w", err)
				}
			}
			if cfg.Navigator != "" {
				if err := writeReportFile(cfg.Navigator, func(f *os.File) error { return render.WriteJSON(f, rep.Navigator(cat)) }); err != nil {
					return fmt.Errorf("--navigator: %w", err)
				}
			}
			// The files come before stdout, which a reader such as head may close.
			tables := rep.Tables(stats.TableOptions{Elide: cfg.Format == render.Text, Numeric: cfg.Format == render.CSV})
			switch {
			case cfg.Format == render.JSON && cfg.Table != "":
				err = render.WriteJSON(env.Stdout, rep.Part(cfg.Table))
			case cfg.Format == render.JSON:
				err = render.WriteJSON(env.Stdout, rep)
			case cfg.Table != "":
				err = render.Tables(env.Stdout, cfg.Format, tables[slices.Index(stats.TableNames, cfg.Table)])
			default:
				var shown []render.Table
				for i, t := range tables {
					if len(t.Rows) > 0 || !stats.Enrichment(stats.TableNames[i]) {
						shown = append(shown, t)
					}
				}
				err = render.Tables(env.Stdout, cfg.Format, shown...)
			}
			if err != nil {
				return err
			}
			summary := fmt.Sprintf("%s: %d events (%d rows, %d without tactic)", prog, rep.Total, rep.Rows, rep.Unclassified)
			if rep.Start != nil {
				summary += fmt.Sprintf(", %s to %s in buckets of %s", rep.Start.Format(time.RFC3339), rep.End.Format(time.RFC3339), rep.Bucket)
			}
			if rep.Undated > 0 {
				summary += fmt.Sprintf(", %d without timestamp", rep.Undated)
			}
			tel.summary(summary)
			return nil
		},
	}
}

// writeReportFile creates path and writes it with write, closing it either way.
func writeReportFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
