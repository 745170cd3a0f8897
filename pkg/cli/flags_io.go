package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

// inputFlags are the flags of every command that reads events.
func inputFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "input-format", Value: string(format.Auto), Usage: "read inputs as `FORMAT`: " + strings.Join(format.Names(), ", ") + " (auto: recognised per file from its content)", Category: "Input"},
		&ucli.StringFlag{Name: "dlq", Usage: "write bad input records, raw, one a line, to `FILE` (appended)", Category: "Input"},
		&ucli.BoolFlag{Name: "strict", Usage: "stop with exit code 1 at the first bad input record instead of skipping it", Category: "Input"},
		&ucli.StringFlag{Name: "max-record-size", Value: "64MiB", Usage: "reject input records larger than `SIZE`", Category: "Input"},
	}
}

// databaseFlags are the flags of the commands that read or write databases.
func databaseFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.DurationFlag{Name: "timeout", Value: sink.DefaultTimeout, Usage: "give up on a database server unreachable for `DUR` (connections are retried until then)", Category: "Database"},
	}
}

// inputConfig says where a command reads events from.
type inputConfig struct {
	Specs     []string // files, folders, "-", kafka://...; none: stdin
	Format    format.Format
	DLQ       string
	Strict    bool
	MaxRecord int
	// Fields, when set, names the only event fields the command reads.
	Fields []string
	// Rows asks CSV inputs for rows of Fields (pipeline.Message.Row)
	// rather than JSON: the command's sink reads both.
	Rows bool
	// Parts lets a large CSV file be read in up to Parts parts at once
	// (source.Options.Parts): the command's sink takes them.
	Parts int
	// NoGroup reads topics outside any consumer group unless --group names
	// one: nothing is committed, so every run reads the whole topic.
	NoGroup bool
	// KeyDelim reads files and stdin as "KEY<KeyDelim>EVENT" lines (publish -K).
	KeyDelim string
	// Since and Until let databases read only the events of [Since, Until).
	Since, Until time.Time
}

func readInputConfig(c *ucli.Context) (inputConfig, error) {
	max, err := parseSize(c.String("max-record-size"))
	if err != nil {
		return inputConfig{}, usageErrorf("--max-record-size: %v", err)
	}
	f, err := format.Parse(c.String("input-format"))
	if err != nil {
		return inputConfig{}, usageErrorf("--input-format: %v", err)
	}
	return inputConfig{Specs: c.Args().Slice(), Format: f, DLQ: c.String("dlq"), Strict: c.Bool("strict"), MaxRecord: max}, nil
}

// openRejects sets up a command's bad-record handling: reported on stderr,
// kept in the --dlq file, or fatal with --strict. The close function
// closes the dead-letter file.
func openRejects(env *Env, prog string, in inputConfig) (*pipeline.Rejects, func() error, error) {
	rejects := &pipeline.Rejects{Log: env.Stderr, Prefix: prog, Strict: in.Strict}
	if in.DLQ == "" {
		return rejects, func() error { return nil }, nil
	}
	f, err := os.OpenFile(in.DLQ, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--dlq: %w", err)
	}
	rejects.DLQ = f
	return rejects, f.Close, nil
}

// openSource opens a command's event source from its specs (the
// arguments, or the topics of --from-topic), with bad-record handling and
// tel's tracing and metrics. The close function closes the dead-letter
// file; call it after pipeline.Run, which closes the source.
func openSource(ctx context.Context, c *ucli.Context, env *Env, prog string, in inputConfig, tel *telemetryRun) (pipeline.Source, *pipeline.Rejects, func() error, error) {
	specs := in.Specs
	if topics := c.String("from-topic"); topics != "" {
		if len(specs) > 0 {
			return nil, nil, nil, usageErrorf("--from-topic reads from Kafka: give no input files (got %s)", strings.Join(specs, " "))
		}
		specs = []string{"kafka://" + strings.Join(splitList(topics), ",")}
	}
	fromKafka := len(specs) > 0 && isKafka(specs[0])
	if c.Bool("exactly-once") && (!fromKafka || !isKafka(sinkSpec(c, "-"))) {
		return nil, nil, nil, usageErrorf("--exactly-once needs --from-topic and --to-topic")
	}
	opts := source.Options{
		Stdin: env.Stdin, Format: in.Format, MaxRecord: in.MaxRecord,
		Trace: tel.tracer != nil, Now: env.Now, Fields: in.Fields, Rows: in.Rows, Parts: in.Parts, KeyDelim: in.KeyDelim,
		Since: in.Since, Until: in.Until, Timeout: durationFlag(c, "timeout"), Log: env.Stderr,
		Skipped: func(path string, err error) {
			fmt.Fprintf(env.Stderr, "%s: passing over %v\n", prog, err)
		},
	}
	if tel.metrics != nil {
		opts.Parts = 0 // the metrics count events as messages
	}
	if fromKafka {
		var err error
		if opts.Kafka, err = kafkaSourceOptions(c, env, prog, tel); err != nil {
			return nil, nil, nil, err
		}
		if in.NoGroup && c.String("group") == "" {
			opts.Kafka.Group = ""
		}
	}
	rejects, closeDLQ, err := openRejects(env, prog, in)
	if err != nil {
		return nil, nil, nil, err
	}
	opts.Rejects = rejects
	src, err := source.Open(ctx, specs, opts)
	if err != nil {
		closeDLQ()
		return nil, nil, nil, err
	}
	tel.countBad(rejects)
	if k, ok := src.(*source.Kafka); ok {
		tel.watchSource(k)
	}
	return src, rejects, closeDLQ, nil
}

// durationFlag is the value of a duration flag, 0 when the command lacks it.
func durationFlag(c *ucli.Context, name string) time.Duration {
	for _, n := range c.FlagNames() {
		if n == name {
			return c.Duration(name)
		}
	}
	return 0
}

// sinkSpec is where a command writes: the topic of --to-topic, or else def.
func sinkSpec(c *ucli.Context, def string) string {
	if t := c.String("to-topic"); t != "" {
		return "kafka://" + t
	}
	return def
}

func isKafka(spec string) bool { return strings.HasPrefix(spec, "kafka:") }

// openSink opens a command's output from spec ("-": stdout), writing the
// events' trace context when tel traces; opts may preset the format and
// catalog of file sinks.
func openSink(ctx context.Context, c *ucli.Context, env *Env, tel *telemetryRun, spec string, opts sink.Options) (pipeline.Sink, error) {
	opts.Stdout, opts.Trace = env.Stdout, tel.tracer != nil
	opts.Timeout, opts.Log = durationFlag(c, "timeout"), env.Stderr
	if isKafka(spec) {
		var err error
		if opts.Kafka, err = kafkaSinkOptions(c, env, tel); err != nil {
			return nil, err
		}
	}
	return sink.Open(ctx, spec, opts)
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
