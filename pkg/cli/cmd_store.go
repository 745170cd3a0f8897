package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/stats"
)

// storeConfig is what secpipe store was asked to do.
type storeConfig struct {
	Spec     string // a file, "-" for stdout, or another sink (see package sink)
	Format   sink.Format
	Input    inputConfig
	Rotation *sink.Rotation // nil: one file
}

// readRotation reads --rotate, --compress, --retain and --archive.
func readRotation(c *ucli.Context, spec string, now func() time.Time) (*sink.Rotation, error) {
	rotate := c.String("rotate")
	if rotate == "" {
		for _, f := range []string{"retain", "archive"} {
			if c.IsSet(f) {
				return nil, usageErrorf("--%s needs --rotate", f)
			}
		}
		return nil, nil
	}
	if spec == "-" || strings.Contains(spec, ":") {
		return nil, usageErrorf("--rotate rotates files: %s is not one", db.Redact(spec))
	}
	rot := &sink.Rotation{Now: now, Archive: c.String("archive")}
	// A size ends in B (100MB, 1GiB): 100M would be 100 minutes.
	if n, err := parseSize(rotate); err == nil && strings.HasSuffix(strings.ToUpper(rotate), "B") {
		rot.Size = int64(n)
	} else if d, err := stats.ParseBucket(rotate); err == nil {
		rot.Every = d
	} else {
		return nil, usageErrorf("--rotate: want a time (1h, 1d) or a size (100MB), got %q", rotate)
	}
	switch c.String("compress") {
	case "gzip", "zstd":
		rot.Compress = c.String("compress")
	case "none":
	default:
		return nil, usageErrorf("--compress: want gzip, zstd or none, got %q", c.String("compress"))
	}
	if r := c.String("retain"); r != "" {
		d, err := stats.ParseBucket(r)
		if err != nil {
			return nil, usageErrorf("--retain: invalid age %q (examples: 7d, 30d, 12h)", r)
		}
		rot.Retain = d
	} else if rot.Archive != "" {
		return nil, usageErrorf("--archive needs --retain: the age at which files move")
	}
	return rot, nil
}

func readStoreConfig(c *ucli.Context, now func() time.Time) (storeConfig, error) {
	if c.NArg() > 1 {
		return storeConfig{}, usageErrorf("one output at most (events come from stdin), got %d arguments", c.NArg())
	}
	cfg := storeConfig{Spec: "tactics.csv"}
	if c.NArg() == 1 {
		cfg.Spec = c.Args().First()
	}
	var err error
	switch {
	case c.String("format") != "":
		cfg.Format, err = sink.ParseFormat(c.String("format"))
		if err != nil {
			return cfg, usageErrorf("--format: %v", err)
		}
	case cfg.Spec == "-":
		cfg.Format = sink.CSV
	case !strings.Contains(cfg.Spec, ":"):
		if cfg.Format, err = sink.FormatOf(cfg.Spec); err != nil {
			return cfg, usageErrorf("%v", err)
		}
	}
	if cfg.Rotation, err = readRotation(c, cfg.Spec, now); err != nil {
		return cfg, err
	}
	if cfg.Input, err = readInputConfig(c); err != nil {
		return cfg, err
	}
	cfg.Input.Specs = nil // the argument is the output: input is stdin
	return cfg, nil
}

func storeCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "store",
		Usage:     "write classified events to a CSV table (one row per tactic and technique), JSON Lines or a database (SQLite, PostgreSQL, ClickHouse)",
		ArgsUsage: "[FILE|SPEC]",
		Description: `Reads classified events on stdin (or from Kafka with --from-topic) and appends
them to FILE (default tactics.csv;
- for stdout). The format follows the extension: .csv, or .jsonl/.ndjson/.json for
JSON Lines with the events as they are; --format overrides it.

SPEC may name a database instead: sqlite:FILE (an embedded SQLite file, created
when missing) or postgres://USER@HOST[:PORT]/DB[?sslmode=...] (PostgreSQL; the
password comes from PGPASSWORD or the passfile, ~/.pgpass or PGPASSFILE, as for
psql; one in the URL is never printed) or clickhouse://HOST:PORT/DB (ClickHouse's
native protocol, 18.16 or later; the database is created when missing; password
from CLICKHOUSE_PASSWORD). The schema is created on first use: a table events (one row per
event, keyed by event_id: an event delivered again is not stored twice; the lab's
columns first, then the ECS fields a SOC filters on and the event's JSON) and a
table event_pairs (one row per event, tactic/technique pair and rule); see the
README's "Databases". Events are written in transactions of at most 10,000, and
input is acknowledged (Kafka offsets committed) only once its transaction has
committed. The summary says how many events were new and how many already stored.
secpipe store prune deletes old events from a database (see store prune --help).

--rotate 1h (or 1d, or a size: 100MB) makes FILE the file being written, and at the
first flush after it has been open that long (or grown that big) closes it,
renames it by the time range it was written in (tactics.20261207T010000Z-
20261207T020000Z.csv), compresses it (--compress zstd, the default, gzip or none) and
starts a new FILE. --retain 30d removes finished files whose range ended longer ago,
at start and at each rotation; --archive DIR moves them there instead. The file
being written is never compressed, moved or removed.
PostgreSQL gets each transaction by COPY into a staging table, then INSERT ...
ON CONFLICT (event_id) DO NOTHING; a lost connection is made again, with backoff,
and the transaction sent again, until --timeout: then store fails (exit 1) with
the events not stored left unacknowledged. ClickHouse, which has no unique keys,
gets the events whose ids it does not hold yet, and keeps them in ReplacingMergeTree
tables partitioned by day (stats reads them with FINAL).

The CSV has one row per event and (tactic, technique) pair, or one row with empty
tactic cells for an event that matched nothing. Its first columns are the course
lab's (event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique),
so the lab's notebook reads it; then tactic_name, technique_name, rule_name, rule_id,
level, event_kind, destination_ip, destination_port, process_name, command_line,
dataset. Several rules are joined with ";". Cells that a spreadsheet would run as a
formula (starting with = + - @, tab or CR, except plain numbers) get a leading '.

--format lab writes the course lab's classified_packets.csv instead: its 8 columns
only, one row per event with the event's first tactic and technique (TA0000,T0000
when it matched nothing), so that a notebook counting rows counts events as stats
does. Use it to feed the lab's notebook; use the default for analysis (every tactic
and technique of an event, rule names, levels).

An existing file is appended to without a second header (the summary on stderr
says "appended N rows to FILE", or "wrote N rows to new FILE"); a CSV whose header
is not store's is refused. Rows reach the file whole, so an interrupted run (Ctrl-C
drains, then exits 130) leaves no partial row.

Examples:
   secpipe gen | secpipe classify | secpipe store
   secpipe classify events.jsonl | secpipe store alerts.csv
   secpipe classify events.jsonl | secpipe store --format jsonl classified.log
   secpipe classify events.jsonl | secpipe store --format lab classified_packets.csv
   secpipe classify events.jsonl | secpipe store - | head
   secpipe store --from-topic classified --group storage tactics.csv
   secpipe gen | secpipe classify | secpipe store sqlite:events.db
   secpipe classify --from-topic events --group c | secpipe store postgres://secpipe@127.0.0.1/soc
   secpipe store --from-topic classified --group ch clickhouse://127.0.0.1:9000/soc
   secpipe store prune --older-than 30d --archive old.jsonl.zst sqlite:events.db
   secpipe store --from-topic classified --group storage --rotate 1h --retain 30d --archive cold/ tactics.csv`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output format: csv (store's columns, a row per tactic and technique), lab (the lab's 8 columns, a row per event) or jsonl (default: from the file's extension)"},
			attackDataFlag(),
			&ucli.StringFlag{Name: "rotate", Usage: "start a new file every `DUR` (1h, 1d) or SIZE (100MB); the finished one is named by its time range and compressed", Category: "Rotation"},
			&ucli.StringFlag{Name: "compress", Value: "zstd", Usage: "compress finished files with `ALGO`: zstd, gzip or none", Category: "Rotation"},
			&ucli.StringFlag{Name: "retain", Usage: "remove finished files older than `AGE` (30d), or move them to --archive", Category: "Rotation"},
			&ucli.StringFlag{Name: "archive", Usage: "move finished files older than --retain into `DIR` instead of removing them", Category: "Rotation"},
		}, inputFlags(), databaseFlags(), kafkaSourceFlags(), kafkaFlags(), telemetryFlags()),
		Subcommands: []*ucli.Command{storePruneCommand(env)},
		Action: func(c *ucli.Context) error {
			const prog = "secpipe store"
			cfg, err := readStoreConfig(c, env.Now)
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
			shown := db.Redact(cfg.Spec)
			if cfg.Spec == "-" {
				shown = "<stdout>"
			}
			// Whether the file held rows before, read as the sink will: to say
			// that rows were appended rather than written anew.
			isFile := cfg.Spec != "-" && !strings.Contains(cfg.Spec, ":")
			existed := false
			if st, err := os.Stat(cfg.Spec); isFile && err == nil && st.Mode().IsRegular() && st.Size() > 0 {
				existed = true
			}
			// A stored JSON Lines event keeps its trace context: it leads to its trace.
			out, err := openSink(c.Context, c, env, tel, cfg.Spec, sink.Options{Format: cfg.Format, Catalog: cat, CountMatched: true, Rotation: cfg.Rotation})
			if err != nil {
				return err
			}
			src, rejects, closeDLQ, err := openSource(c.Context, c, env, prog, cfg.Input, tel)
			if err != nil {
				out.Close()
				return err
			}
			defer closeDLQ()
			if tel.metrics != nil {
				tel.metrics.MeasureEndToEnd()
			}
			tel.showProgress(-1, false)
			err = pipeline.Run(c.Context, src, nil, tel.sink(out), tel.policy())
			if d, ok := out.(interface{ Duplicates() int }); ok {
				n := out.(sink.Counter).Counts()
				tel.summary(fmt.Sprintf("%s: %d events (%d matched) → %s: %d new, %d already stored", prog, n.Events, n.Matched, shown, n.Rows, d.Duplicates()))
			} else if counter, ok := out.(sink.Counter); ok {
				n := counter.Counts()
				switch {
				case cfg.Rotation != nil:
					tel.summary(fmt.Sprintf("%s: %d events (%d matched): wrote %d rows to %s and the files it rotated to", prog, n.Events, n.Matched, n.Rows, shown))
				case !isFile:
					tel.summary(fmt.Sprintf("%s: %d events (%d rows, %d matched) → %s", prog, n.Events, n.Rows, n.Matched, shown))
				case existed:
					tel.summary(fmt.Sprintf("%s: %d events (%d matched): appended %d rows to %s", prog, n.Events, n.Matched, n.Rows, shown))
				default:
					tel.summary(fmt.Sprintf("%s: %d events (%d matched): wrote %d rows to new %s", prog, n.Events, n.Matched, n.Rows, shown))
				}
			} else if k, ok := out.(*sink.Kafka); ok {
				produced, acked, _ := k.Stats()
				tel.summary(fmt.Sprintf("%s: %d events → %s, %d acknowledged", prog, produced, shown, acked))
			}
			reportRejects(env, prog, rejects)
			return err
		},
	}
}
