package cli

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/sink"
)

// genFlags holds the flags of secpipe gen as given.
type genFlags struct {
	count       int64
	rate        float64
	duration    string
	seed        uint64
	start       string
	scenarios   ucli.StringSlice
	attackShare float64
	format      string
	list        bool
}

func genCommand(env *Env) *ucli.Command {
	f := &genFlags{}
	return &ucli.Command{
		Name:      "gen",
		Usage:     "generate realistic security telemetry with labelled attack scenarios",
		UsageText: "secpipe gen [--count N] [--duration D] [--rate EPS] [--seed S] [--scenario NAME]... [--format ecs|lab]",
		Description: `Writes synthetic events of a simulated organisation as JSON Lines on stdout:
Windows Sysmon and Security logs, Linux auditd and sshd, firewall, Zeek and web
server logs. About 95% is benign background, including the near-misses a SOC
sees (an admin's whoami, SCCM PowerShell with -ExecutionPolicy Bypass,
updaters' scheduled tasks); the rest are runs of attack scenarios. Every event
ends with a "truth" object (scenario, run, ATT&CK techniques and tactics) that
classifiers must not read. Events are in timestamp order.

Event time: with --rate R, events are R per second of event time and written
at R per second of wall time, evenly spaced. With --count and --duration, the
count spans the duration (--count 1000000 --duration 30d is a month). Else
events are 10 per second of event time. Generation stops after --count events
or when the event clock passes --start plus --duration, whichever is first;
with neither, --rate runs until interrupted and otherwise --count is 1000.

--seed makes the output reproducible: the same seed and flags give the same
bytes, and the clock starts at 2026-01-01T00:00:00Z unless --start says
otherwise. Without --seed the seed is random and the run ends now: it spans the
--duration (or --count at 10 events a second) up to the current time, no event
in the future. With --rate the clock starts now and keeps pace with it.

Examples:
   secpipe gen --count 100000 --seed 7 > events.jsonl
   secpipe gen --count 1000000 --duration 30d --seed 1 | secpipe classify
   secpipe gen --rate 200 --scenario ssh_brute_force,port_scan --attack-share 0.2
   secpipe gen --scenario none --count 50000 --format lab
   secpipe gen --list-scenarios
   secpipe gen --rate 500 --to-topic events --key-field source.ip`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.Int64Flag{Name: "count", Aliases: []string{"c"}, Destination: &f.count, Usage: "stop after `N` events (default 1000 when neither --duration nor --rate is given)"},
			&ucli.StringFlag{Name: "duration", Aliases: []string{"d"}, Destination: &f.duration, Usage: "span `D` of event time to cover: a Go duration (90m, 720h) or days (30d)"},
			&ucli.Float64Flag{Name: "rate", Aliases: []string{"r"}, Destination: &f.rate, Usage: "write `EPS` events per second of wall time, evenly spaced (0: as fast as possible)"},
			&ucli.Uint64Flag{Name: "seed", Destination: &f.seed, Usage: "random seed `S`: the same seed and flags give the same bytes; with --seed, --start defaults to 2026-01-01T00:00:00Z"},
			&ucli.StringFlag{Name: "start", Destination: &f.start, Usage: "time of the first event: RFC 3339 or a date, 2026-01-15 (default: so that the run ends now; now with --rate; 2026-01-01T00:00:00Z with --seed)"},
			&ucli.StringSliceFlag{Name: "scenario", Aliases: []string{"s"}, Destination: &f.scenarios, Usage: "attack scenario `NAME` to include, repeatable or comma-separated; all or none (default: all)"},
			&ucli.Float64Flag{Name: "attack-share", Value: gen.DefaultAttackShare, Destination: &f.attackShare, Usage: "approximate fraction `F` of events that belong to attack runs, 0 to 1"},
			&ucli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "ecs", Destination: &f.format, Usage: "event format: ecs (nested Elastic Common Schema) or lab (the course lab's flat fields)"},
			&ucli.BoolFlag{Name: "list-scenarios", Destination: &f.list, Usage: "list the attack scenarios with their ATT&CK tactics and techniques, and exit"},
		}, kafkaSinkFlags(), kafkaFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			if f.list {
				return listScenarios(env)
			}
			cfg, err := f.config(c, env)
			if err != nil {
				return err
			}
			src, err := gen.NewSource(cfg)
			if err != nil {
				return usageErrorf("%v", err)
			}
			tel, err := startTelemetry(c, env, "secpipe gen")
			if err != nil {
				return err
			}
			defer tel.close()
			if tel.tracer != nil {
				src.Trace(tel.tracer)
			}
			out, err := openSink(c.Context, c, env, tel, sinkSpec(c, "-"), sink.Options{})
			if err != nil {
				src.Close()
				return err
			}
			tel.showProgress(cfg.Count, false) // 0: not known
			err = pipeline.Run(c.Context, src, nil, out, tel.policy())
			tel.summary("")
			return err
		},
	}
}

// config validates the flags and returns the generator's configuration.
func (f *genFlags) config(c *ucli.Context, env *Env) (gen.Config, error) {
	cfg := gen.Config{
		Count:       f.count,
		Rate:        f.rate,
		Seed:        f.seed,
		Scenarios:   f.scenarios.Value(),
		AttackShare: f.attackShare,
	}
	if c.NArg() > 0 {
		return cfg, usageErrorf("unexpected argument %q", c.Args().First())
	}
	format, err := gen.ParseFormat(f.format)
	if err != nil {
		return cfg, usageErrorf("--format: %v", err)
	}
	cfg.Format = format
	if f.count < 0 {
		return cfg, usageErrorf("--count: must not be negative")
	}
	if !(f.rate >= 0) || f.rate > 1e9 {
		return cfg, usageErrorf("--rate: want events per second from 0 to 1e9, got %v", f.rate)
	}
	if !(f.attackShare >= 0 && f.attackShare <= 1) {
		return cfg, usageErrorf("--attack-share: want a fraction from 0 to 1, got %v", f.attackShare)
	}
	if f.duration != "" {
		d, err := parseSpan(f.duration)
		if err != nil {
			return cfg, usageErrorf("--duration: %v", err)
		}
		cfg.Duration = d
	}
	if _, err := gen.SelectScenarios(cfg.Scenarios); err != nil {
		return cfg, usageErrorf("--scenario: %v%s", err, scenarioHint(cfg.Scenarios))
	}
	if !c.IsSet("count") && cfg.Duration == 0 && f.rate == 0 {
		cfg.Count = 1000
	}
	if !c.IsSet("seed") {
		cfg.Seed = rand.Uint64()
	}
	switch {
	case f.start != "":
		t, err := parseStart(f.start)
		if err != nil {
			return cfg, usageErrorf("--start: %v", err)
		}
		cfg.Start = t
	case c.IsSet("seed"):
		cfg.Start = gen.DefaultStart
	case f.rate > 0:
		// Live events: the clock starts now and keeps pace with it.
		cfg.Start = env.Now().UTC().Truncate(time.Millisecond)
	default:
		// The run ends now: its span (--duration, or --count at the event
		// density) lies before it, and bounds it.
		if cfg.Duration == 0 {
			cfg.Duration = time.Duration(float64(cfg.Count) / cfg.EventDensity() * float64(time.Second)).Round(time.Millisecond)
		}
		cfg.Start = env.Now().UTC().Truncate(time.Millisecond).Add(-cfg.Duration)
	}
	return cfg, nil
}

// parseSpan reads a Go duration ("90m", "720h") or a number of days with
// an optional rest ("30d", "1.5d", "2d12h").
func parseSpan(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	var d time.Duration
	if i := strings.IndexByte(t, 'd'); i > 0 {
		days, err := strconv.ParseFloat(t[:i], 64)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q (examples: 90m, 720h, 30d)", s)
		}
		d = time.Duration(days * float64(24*time.Hour))
		t = t[i+1:]
	}
	if t != "" {
		rest, err := time.ParseDuration(t)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (examples: 90m, 720h, 30d)", s)
		}
		d += rest
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration must be positive, got %q", s)
	}
	return d, nil
}

// parseStart reads an RFC 3339 time, or a date or date and time in UTC.
func parseStart(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q (examples: 2026-01-15, 2026-01-15T07:00:00Z)", s)
}

// listScenarios writes the scenario catalog as a table.
func listScenarios(env *Env) error {
	t := render.Table{Header: []string{"SCENARIO", "TACTICS", "TECHNIQUES", "DESCRIPTION"}}
	for _, s := range gen.Scenarios() {
		t.Rows = append(t.Rows, []string{s.Name, strings.Join(s.Tactics, " "), strings.Join(s.Techniques, " "), s.Description})
	}
	return render.Tables(env.Stdout, render.Text, t)
}

// scenarioHint suggests the scenario nearest the first unknown name.
func scenarioHint(given []string) string {
	names := []string{"all", "none"}
	for _, s := range gen.Scenarios() {
		names = append(names, s.Name)
	}
	for _, g := range given {
		for _, n := range strings.Split(g, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(names, n) {
				return didYouMean(n, names)
			}
		}
	}
	return ""
}
