package cli

import (
	"context"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
	"github.com/secpipe/secpipe/pkg/sink"
)

// ruleFlags select the Sigma rules of classify and the rules commands.
func ruleFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "rules", Usage: "add Sigma rules from `PATH`, a file or a folder (repeatable)", Category: "Rules"},
		&ucli.StringFlag{Name: "pack", Value: classify.DefaultPack, Usage: "the embedded rule `PACK`: " + strings.Join(classify.Packs, ", ") + " (default: secpipe's own rules and the curated SigmaHQ ones)", Category: "Rules"},
		&ucli.BoolFlag{Name: "no-builtin", Usage: "leave out the embedded rule packs", Category: "Rules"},
		&ucli.StringSliceFlag{Name: "mapping", Usage: "extend the field mapping with `FILE` (repeatable; see secpipe rules mapping)", Category: "Rules"},
		&ucli.StringFlag{Name: "min-level", Usage: "use only rules of `LEVEL` or higher (informational, low, medium, high, critical)", Category: "Rules"},
		&ucli.StringSliceFlag{Name: "status", Usage: "use only rules of these `STATUS`es (stable, test, experimental, ...)", Category: "Rules"},
		&ucli.StringSliceFlag{Name: "exclude", Usage: "leave out the rules whose id, title or tag (attack.t1053.005) `FILE` lists, one a line (repeatable)", Category: "Rules"},
		&ucli.StringSliceFlag{Name: "placeholder", Usage: "give values to a %placeholder% of the expand modifier: `NAME=V1,V2`", Category: "Rules"},
		attackDataFlag(),
	}
}

// loadDetection reads the rule and filter flags of a command that
// classifies (classify, hunt) and loads its rules: the rules that do not
// load are reported, and none usable is an error.
func loadDetection(c *ucli.Context, env *Env, prog string) (classify.Config, classify.Filter, *sigma.Engine, error) {
	cfg, filter, d, err := startDetection(c)
	if err != nil {
		return cfg, filter, nil, err
	}
	engine, err := d.wait(env, prog)
	return cfg, filter, engine, err
}

// startDetection reads the rule and filter flags, as loadDetection does,
// and loads the rules on a goroutine of their own, so that a command can
// connect to its input and output meanwhile.
func startDetection(c *ucli.Context) (classify.Config, classify.Filter, *detection, error) {
	cfg, err := readRuleConfig(c)
	if err != nil {
		return cfg, classify.Filter{}, nil, err
	}
	filter, err := readFilter(c)
	if err != nil {
		return cfg, filter, nil, err
	}
	d := &detection{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.engine, d.problems, d.err = classify.Load(cfg)
		if d.err == nil && len(d.engine.Rules) == 0 {
			d.err = fmt.Errorf("no usable rules")
		}
	}()
	return cfg, filter, d, nil
}

// detection is rules being loaded: done is closed once engine, problems
// and err are set.
type detection struct {
	done     chan struct{}
	engine   *sigma.Engine
	problems []sigma.Problem
	err      error
}

// wait waits for the rules and reports those that did not load.
func (d *detection) wait(env *Env, prog string) (*sigma.Engine, error) {
	<-d.done
	if d.engine != nil {
		reportProblems(env, prog, d.problems)
	}
	return d.engine, d.err
}

func readRuleConfig(c *ucli.Context) (classify.Config, error) {
	cfg := classify.Config{
		RulePaths:    c.StringSlice("rules"),
		NoBuiltin:    c.Bool("no-builtin"),
		Pack:         c.String("pack"),
		MappingPaths: c.StringSlice("mapping"),
		MinLevel:     strings.ToLower(c.String("min-level")),
		Statuses:     c.StringSlice("status"),
	}
	if cfg.MinLevel != "" && ecs.LevelRank(cfg.MinLevel) == 0 {
		return cfg, usageErrorf("--min-level: unknown level %q (want %s)", cfg.MinLevel, strings.Join(ecs.Levels, ", "))
	}
	if !contains(classify.Packs, cfg.Pack) {
		return cfg, usageErrorf("--pack: unknown pack %q (want %s)", cfg.Pack, strings.Join(classify.Packs, ", "))
	}
	if cfg.NoBuiltin && len(cfg.RulePaths) == 0 {
		return cfg, usageErrorf("--no-builtin leaves no rules: add some with --rules PATH")
	}
	for _, p := range c.StringSlice("placeholder") {
		name, values, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return cfg, usageErrorf("--placeholder %q: want NAME=VALUE[,VALUE...]", p)
		}
		if cfg.Placeholders == nil {
			cfg.Placeholders = map[string][]string{}
		}
		cfg.Placeholders[strings.Trim(name, "%")] = strings.Split(values, ",")
	}
	exclude, err := readExcludeFiles(c.StringSlice("exclude"))
	if err != nil {
		return cfg, err
	}
	cfg.Exclude = exclude
	cat, err := loadCatalog(c)
	if err != nil {
		return cfg, err
	}
	cfg.Catalog = cat
	return cfg, nil
}

// reportProblems tells on stderr which rules were not loaded.
func reportProblems(env *Env, prog string, problems []sigma.Problem) {
	const max = 20
	for i, p := range problems {
		if i == max {
			fmt.Fprintf(env.Stderr, "%s: %d more rule problems; run secpipe rules lint for all\n", prog, len(problems)-max)
			break
		}
		fmt.Fprintf(env.Stderr, "%s: rule not loaded: %v\n", prog, p)
	}
}

func classifyCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "classify",
		Usage:     "match events against Sigma rules and tag them with MITRE ATT&CK tactics and techniques",
		ArgsUsage: "[FILE ...]",
		Description: `Reads events from the files, folders (recursively) or stdin, in any format secpipe
reads, recognised from the content (JSON Lines, Windows .evtx, Zeek, Suricata EVE,
syslog, auditd, CSV; .gz and .zst decompressed; --input-format names one), and
writes every event to stdout, with ECS threat fields added when rules match:
threat.tactic.*, threat.technique.*, threat.technique.subtechnique.*, and rule.id,
rule.name, rule.level (the highest Sigma level matched). Correlation rules (a brute
force, a port scan) are recognised over many events: when one fires, an alert
event (event.kind: alert) follows the event that set it off, and that event and
later ones in the window carry the correlation's tags.

These fields are classify's own: threat.* and rule.* members an input event
already has (nested or flattened, as "threat.tactic.id"), and the lab's
mitre_tactic and mitre_technique, are removed from every event, matched or not,
so that whoever can write a log line cannot forge a detection; threat.enrichments,
which secpipe enrich writes, is kept (rules may match on it).

The default rule pack is secpipe's own rules (for real Windows, Linux and network
logs, and every secpipe gen scenario) with a curated part of the SigmaHQ corpus
(status stable or test, level high or critical, applied to Windows event logs in their
own shapes, Linux and network logs, not to gen's ECS and lab events; --pack builtin or
sigmahq picks one);
--rules adds Sigma rules (the whole SigmaHQ corpus, your own). --dedupe, --from,
--to and --exclude cut what an analyst has to read. ECS events and the course lab's flat events both work: a
field mapping places Sigma fields in each kind of event. Parsed rules are kept in
~/.cache/secpipe/rules for the next run (an edited file is read again);
SECPIPE_CACHE=off turns that off.

Examples:
   secpipe gen | secpipe classify | secpipe store
   secpipe classify --only-matched events.jsonl
   secpipe classify Security.evtx /var/log/auth.log zeek/
   zcat conn.log.gz | secpipe classify --input-format zeek
   secpipe classify --rules ./sigma/rules --min-level high logs.jsonl
   secpipe classify --pack builtin --dedupe 1h --exclude noisy.txt Security.evtx
   secpipe classify --from 2024-05-01 --to "2024-05-02 12:00:00" --only-matched logs/
   secpipe gen --format lab | secpipe classify --no-builtin --rules my-rules/
   secpipe classify --from-topic events --group classifiers --to-topic classified
   secpipe classify --from-topic events --to-topic classified --exactly-once --instance-id a

With --from-topic the events come from Kafka (group secpipe-classify unless
--group says otherwise; instances in one group share the partitions), with
--to-topic they go to Kafka. Offsets are committed only once the output has
the events (at-least-once); --exactly-once makes it exactly once for
read_committed readers.`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.BoolFlag{Name: "only-matched", Usage: "drop events that match no rule"},
		}, ruleFlags(), filterFlags(), inputFlags(), kafkaFlags(), kafkaSourceFlags(), kafkaSinkFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe classify"
			cfg, filter, rules, err := startDetection(c)
			if err != nil {
				return err
			}
			cfg.OnlyMatched = c.Bool("only-matched")
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			defer tel.close()
			// The rules load while the input and output connect (a group
			// join, metadata): rules that do not load stop the connecting.
			opening, stopOpening := context.WithCancel(c.Context)
			defer stopOpening()
			go func() {
				<-rules.done
				if rules.err != nil {
					stopOpening()
				}
			}()
			src, rejects, closeDLQ, err := openSource(opening, c, env, prog, in, tel)
			if err != nil {
				if _, rerr := rules.wait(env, prog); rerr != nil {
					return rerr
				}
				return err
			}
			defer closeDLQ()
			out, err := openSink(opening, c, env, tel, sinkSpec(c, "-"), sink.Options{})
			if err != nil {
				src.Close()
				if _, rerr := rules.wait(env, prog); rerr != nil {
					return rerr
				}
				return err
			}
			engine, err := rules.wait(env, prog)
			if err != nil {
				out.Close()
				src.Close()
				return err
			}
			if c.String("from-topic") == "" {
				tel.showInputProgress(in.Specs)
			}
			stage := classify.NewStage(engine, cfg.Catalog, cfg.OnlyMatched)
			stage.SetFilter(filter)
			err = pipeline.Run(c.Context, src, tel.stage(stage), out, tel.policy())
			st := stage.Stats()
			line := fmt.Sprintf("%s: %d events, %d matched, %d alerts", prog, st.Events, st.Matched, st.Alerts)
			if st.Deduped > 0 || st.OutOfRange > 0 {
				line += fmt.Sprintf(" (%d repeated detections held back, %d events outside --from/--to)", st.Deduped, st.OutOfRange)
			}
			tel.summary(line)
			reportRejects(env, prog, rejects)
			return err
		},
	}
}
