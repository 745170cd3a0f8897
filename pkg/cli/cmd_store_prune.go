package cli

import (
	"fmt"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/stats"
)

// pruneConfig is what secpipe store prune was asked to do.
type pruneConfig struct {
	Spec    string
	Cutoff  time.Time
	Older   string // --older-than as given
	Archive string
	Timeout time.Duration
}

func readPruneConfig(c *ucli.Context, now func() time.Time) (pruneConfig, error) {
	cfg := pruneConfig{Archive: c.String("archive"), Timeout: c.Duration("timeout"), Older: c.String("older-than")}
	if c.NArg() != 1 {
		return cfg, usageErrorf("want one database (sqlite:FILE, postgres://..., clickhouse://...), got %d arguments", c.NArg())
	}
	cfg.Spec = c.Args().First()
	if cfg.Older == "" {
		return cfg, usageErrorf("--older-than is required (as in --older-than 30d)")
	}
	d, err := stats.ParseBucket(cfg.Older)
	if err != nil {
		return cfg, usageErrorf("--older-than: invalid age %q (examples: 12h, 30d, 8w)", cfg.Older)
	}
	cfg.Cutoff = now().Add(-d)
	return cfg, nil
}

func storePruneCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "prune",
		Usage:     "delete the events older than an age from a database, archiving them first",
		ArgsUsage: "DATABASE",
		Description: `Deletes from DATABASE (sqlite:FILE, postgres://..., clickhouse://...) the events
whose time is older than --older-than, with their tactic/technique pairs. Events
without a timestamp are kept. ClickHouse drops whole days: the partitions whose
newest event is older.

--archive FILE writes the events to FILE first, as JSON Lines (zstd-compressed for
.zst, gzip for .gz; appended to), and the deletion is committed only once the
archive is complete and on disk: a failure anywhere deletes nothing. secpipe reads
the archive back as it reads any input (secpipe stats FILE.jsonl.zst).

Examples:
   secpipe store prune --older-than 30d sqlite:events.db
   secpipe store prune --older-than 30d --archive 2026-11.jsonl.zst postgres://secpipe@127.0.0.1/soc`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "older-than", Usage: "delete events older than `AGE` (12h, 30d, 8w)"},
			&ucli.StringFlag{Name: "archive", Usage: "first write the deleted events to `FILE` (.jsonl, .jsonl.zst, .jsonl.gz)"},
			databaseFlags()[0],
		},
		Action: func(c *ucli.Context) error {
			const prog = "secpipe store prune"
			cfg, err := readPruneConfig(c, env.Now)
			if err != nil {
				return err
			}
			var archive *db.Archive
			if cfg.Archive != "" {
				if archive, err = db.CreateArchive(cfg.Archive); err != nil {
					return fmt.Errorf("--archive: %w", err)
				}
			}
			n, err := db.Prune(c.Context, cfg.Spec, cfg.Cutoff, archive, cfg.Timeout, env.Stderr)
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("%s: deleted %d events older than %s (%s) from %s", prog, n, cfg.Older, cfg.Cutoff.UTC().Format(time.RFC3339), db.Redact(cfg.Spec))
			if archive != nil {
				msg += ", archived to " + cfg.Archive
			}
			if strings.HasPrefix(cfg.Spec, "clickhouse:") {
				msg += " (whole days)"
			}
			fmt.Fprintln(env.Stderr, msg)
			return nil
		},
	}
}
