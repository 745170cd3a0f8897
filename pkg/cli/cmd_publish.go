package cli

import (
	"context"
	"errors"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
)

func publishCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "publish",
		Usage:     "send JSON events from files or stdin to a Kafka topic",
		ArgsUsage: "[FILE ...]",
		Description: `Reads events (JSON Lines or concatenated JSON objects) from the files or stdin and
produces each one, compact, as one message to --topic: the kcat -P of secpipe.

Each message is keyed by the first of --key-field's fields the event has
(default ` + DefaultKeyField + `): the correlations count
one source address's, or else one host's, events, which a key keeps on one
partition and in order. -K DELIM takes the key from each line instead.

The producer is idempotent (retries neither duplicate nor reorder messages), and
every delivery is checked: the command exits 1 if the broker did not acknowledge
some events, and says how many. Bad input records are reported with their file
and line and skipped (--dlq keeps them, --strict stops at the first).

Examples:
   secpipe gen --count 100000 | secpipe publish --topic events
   secpipe publish --topic events --key-field user.name events.jsonl
   secpipe publish --topic events --header origin=lab --compression zstd events.jsonl
   secpipe publish -b localhost:9092 -t events -K : -H origin=lab -p 0 keyed.txt
   secpipe publish --brokers kafka:9093 --tls --sasl-mechanism SCRAM-SHA-512 --sasl-username app --topic events`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "produce to `TOPIC`"},
			&ucli.StringFlag{Name: "key-delimiter", Aliases: []string{"K"}, Usage: "read lines of key, `DELIM` and event: the text before the first DELIM keys the message, as kcat -K does"},
			&ucli.IntFlag{Name: "partition", Aliases: []string{"p"}, Value: -1, Usage: "produce every message to partition `N` (-1: by key, the default)"},
			quietFlag(),
			&ucli.BoolFlag{Name: "no-idempotence", Usage: "turn off the idempotent producer"},
		}, produceFlags("Kafka output"), inputFlags(), kafkaFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe publish"
			if c.String("topic") == "" {
				return usageErrorf("--topic is required")
			}
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
			in.KeyDelim = c.String("key-delimiter")
			cfg, err := readKafkaConfig(c, env)
			if err != nil {
				return err
			}
			opts, err := readProduceOptions(c, cfg, c.String("topic"))
			if err != nil {
				return err
			}
			if in.KeyDelim != "" && !c.IsSet("key-field") {
				opts.KeyField = "" // the lines give the keys
			}
			opts.NoIdempotence = c.Bool("no-idempotence")
			if p := c.Int("partition"); c.IsSet("partition") && p != -1 {
				if p < 0 {
					return usageErrorf("--partition must be 0 or more, or -1 (by key)")
				}
				part := int32(p)
				opts.Partition = &part
			}
			opts.KeepGoing = true // report every event the broker rejected, at the end
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
			opts.Logs = kafka.NewLogs(env.Stderr, prog, cfg)
			opts.Tracer = tel.tracer
			opts.Refused = rejects // named by file and line, kept by --dlq
			opened, err := sink.Open(c.Context, "kafka://"+opts.Topic, sink.Options{Kafka: opts})
			if err != nil {
				src.Close()
				return err
			}
			out := opened.(*sink.Kafka)
			tel.showInputProgress(in.Specs)
			err = pipeline.Run(c.Context, moreSource{src}, nil, out, tel.policy())
			produced, acked, failed := out.Stats()
			line := fmt.Sprintf("%s: %d events → %s, %d acknowledged", prog, produced, opts.Topic, acked)
			if failed > 0 {
				line += fmt.Sprintf(", %d NOT acknowledged", failed)
			}
			if unknown := produced - acked - failed; unknown > 0 {
				line += fmt.Sprintf(", %d unconfirmed", unknown)
			}
			tel.summary(line)
			reportRejects(env, prog, rejects)
			if err == nil || errors.Is(err, pipeline.ErrInterrupted) {
				if derr := out.Err(); derr != nil {
					return derr
				}
			}
			return err
		},
	}
}

// moreSource tells the pipeline that more input is always ready, so that it
// waits for the broker's acknowledgements every few batches, or when input
// pauses for the flush interval, instead of at each read of a file. Files
// keep no read position: acknowledging sooner would gain nothing.
type moreSource struct{ pipeline.Source }

func (m moreSource) Read(ctx context.Context, b *pipeline.Batch) error {
	err := m.Source.Read(ctx, b)
	b.More = true
	return err
}
