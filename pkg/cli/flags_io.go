package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

// inputFlags are the flags of every command that reads events.
func inputFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "dlq", Usage: "write bad input records, raw, one a line, to `FILE` (appended)", Category: "Input"},
		&ucli.BoolFlag{Name: "strict", Usage: "stop with exit code 1 at the first bad input record instead of skipping it", Category: "Input"},
		&ucli.StringFlag{Name: "max-record-size", Value: "64MiB", Usage: "reject input records larger than `SIZE`", Category: "Input"},
	}
}

// inputConfig says where a command reads events from.
type inputConfig struct {
	Files     []string // none: stdin
	DLQ       string
	Strict    bool
	MaxRecord int
}

func readInputConfig(c *ucli.Context) (inputConfig, error) {
	max, err := parseSize(c.String("max-record-size"))
	if err != nil {
		return inputConfig{}, usageErrorf("--max-record-size: %v", err)
	}
	return inputConfig{Files: c.Args().Slice(), DLQ: c.String("dlq"), Strict: c.Bool("strict"), MaxRecord: max}, nil
}

// openInput opens the event source of a command, with its bad-record handling,
// taking the events' trace context out of them when tel traces. The returned
// close function closes the dead-letter file.
func openInput(ctx context.Context, env *Env, prog string, cfg inputConfig, tel *telemetryRun) (pipeline.Source, *pipeline.Rejects, func() error, error) {
	rejects := &pipeline.Rejects{Log: env.Stderr, Prefix: prog, Strict: cfg.Strict}
	closeDLQ := func() error { return nil }
	if cfg.DLQ != "" {
		f, err := os.OpenFile(cfg.DLQ, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, nil, err
		}
		rejects.DLQ = f
		closeDLQ = f.Close
	}
	for _, name := range cfg.Files {
		if name == "-" {
			continue
		}
		if _, err := os.Stat(name); err != nil {
			closeDLQ()
			return nil, nil, nil, err
		}
	}
	src := source.NewFiles(cfg.Files, env.Stdin, cfg.MaxRecord, rejects)
	if tel.tracer != nil {
		src.ExtractTrace()
	}
	tel.countBad(rejects)
	return src, rejects, closeDLQ, nil
}

// stdoutSink writes events as JSON Lines on stdout, with their trace
// context when tel traces.
func stdoutSink(env *Env, tel *telemetryRun) pipeline.Sink {
	s := sink.NewJSONL(env.Stdout, nil)
	if tel.tracer != nil {
		s.InjectTrace()
	}
	return s
}

// reportRejects prints the count of skipped records, if any, at the end of a run.
func reportRejects(env *Env, prog string, r *pipeline.Rejects) {
	if n := r.Count(); n > 0 && !r.Strict {
		fmt.Fprintf(env.Stderr, "%s: skipped %d bad input record(s)\n", prog, n)
	}
}

// parseSize reads a byte size: "1048576", "512KiB", "64MiB", "1GiB" (also KB, MB, GB, K, M, G as powers of 1024).
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q (examples: 1048576, 512KiB, 64MiB)", s)
	}
	return n * mult, nil
}

// writeJSONFile writes v as indented JSON to path.
func writeJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := render.WriteJSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
