package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

func consumeCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "consume",
		Usage: "write the events of a Kafka topic to stdout as JSON Lines",
		Description: `Reads --topic and writes each message's event on stdout, one a line: the kcat -C of
secpipe. Without --group every partition is read from --offset (default: the
beginning) and nothing is committed; with --group the partitions are shared with
the group's other members and offsets are committed once the events are written
(default --offset stored: where the group left off, else the beginning).

--with-meta wraps each event with where it came from:
   {"topic":"events","partition":0,"offset":42,"key":"10.0.0.7",
    "headers":{"origin":"lab"},"timestamp":"2026-11-25T10:00:00.000Z","value":{...}}
key is null for a message without one; header values and the key are strings
(invalid UTF-8 becomes U+FFFD); a repeated header name keeps its last value;
timestamp is the message's (create or log-append time, UTC) or null.

--json (-J) prints kcat -J's envelope instead, member for member:
   {"topic":"events","partition":0,"offset":42,"tstype":"create","ts":1795900000000,
    "broker":0,"headers":["origin","lab"],"key":"10.0.0.7","payload":"{\"a\":1}"}
(headers left out when there are none). --key-delimiter (-K) prints KEY DELIM EVENT.

Messages whose value is not one JSON object are reported as topic[partition]@offset
and skipped (--dlq keeps them, --strict stops at the first).

Examples:
   secpipe consume --topic classified --exit-at-end | secpipe store tactics.csv
   secpipe consume --topic events --offset @-1h --count 10 --with-meta
   secpipe consume --topic events --group audit --offset end
   secpipe consume -b localhost:9092 -t events -p 0 -o -10 -e -J -q`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "read `TOPIC` (comma-separated for several)"},
			&ucli.StringFlag{Name: "group", Aliases: []string{"G"}, Usage: "consume as a member of group `NAME`, committing offsets"},
			&ucli.StringSliceFlag{Name: "offset", Aliases: []string{"o"}, Usage: "where to start, `OFFSET`: " + kafka.OffsetSyntax + " (default: beginning, or stored with --group); e@MS: stop before the first message at or after MS (repeat -o for both)"},
			&ucli.StringFlag{Name: "instance-id", Usage: "static group member `ID`"},
			&ucli.BoolFlag{Name: "exit-at-end", Aliases: []string{"e"}, Usage: "stop once every assigned partition reached the end it had at start"},
			&ucli.Int64Flag{Name: "count", Aliases: []string{"c"}, Usage: "stop after `N` events"},
			&ucli.BoolFlag{Name: "with-meta", Usage: "wrap each event with its topic, partition, offset, key, headers and timestamp"},
			&ucli.BoolFlag{Name: "json", Aliases: []string{"J"}, Usage: "wrap each message in kcat -J's JSON envelope"},
			&ucli.StringFlag{Name: "key-delimiter", Aliases: []string{"K"}, Usage: "print each message as its key, `DELIM` and event, as kcat -K does"},
			&ucli.IntSliceFlag{Name: "partition", Aliases: []string{"p"}, Usage: "read only partition `N` (repeatable; not with --group)"},
			quietFlag(),
		}, inputFlags(), kafkaFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe consume"
			if c.String("topic") == "" {
				return usageErrorf("--topic is required")
			}
			if c.NArg() > 0 {
				return usageErrorf("consume takes no arguments (got %s): name the topic with --topic", strings.Join(c.Args().Slice(), " "))
			}
			if c.Int64("count") < 0 {
				return usageErrorf("--count must be positive")
			}
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
			cfg, err := readKafkaConfig(c, env)
			if err != nil {
				return err
			}
			offset, stop, err := kafka.ParseOffsets(c.StringSlice("offset"), env.Now())
			if err != nil {
				return usageErrorf("--offset: %v", err)
			}
			var parts []int32
			for _, p := range c.IntSlice("partition") {
				if p < 0 {
					return usageErrorf("--partition must be 0 or more")
				}
				parts = append(parts, int32(p))
			}
			if len(parts) > 0 && c.String("group") != "" {
				return usageErrorf("--partition reads partitions outside any group: leave out --group")
			}
			if n := countTrue(c.Bool("json"), c.Bool("with-meta"), c.String("key-delimiter") != ""); n > 1 {
				return usageErrorf("give one of --json, --with-meta and --key-delimiter")
			}
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			defer tel.close()
			rejects, closeDLQ, err := openRejects(env, prog, in)
			if err != nil {
				return err
			}
			defer closeDLQ()
			topics := splitList(c.String("topic"))
			opened, err := source.Open(c.Context, []string{"kafka://" + strings.Join(topics, ",")}, source.Options{Rejects: rejects, MaxRecord: in.MaxRecord, Kafka: source.KafkaOptions{
				Config:        cfg,
				Group:         c.String("group"),
				InstanceID:    c.String("instance-id"),
				Offset:        offset,
				ExitAtEnd:     c.Bool("exit-at-end"),
				Count:         c.Int64("count"),
				WithMeta:      c.Bool("with-meta"),
				KcatJSON:      c.Bool("json"),
				KeyDelim:      c.String("key-delimiter"),
				Partitions:    parts,
				StopAt:        stop,
				Logs:          kafka.NewLogs(env.Stderr, prog, cfg),
				Tracer:        tel.tracer,
				StatsInterval: tel.statsInterval(),
			}})
			if err != nil {
				return err
			}
			src := opened.(*source.Kafka)
			tel.countBad(rejects)
			tel.watchSource(src)
			tel.showProgress(c.Int64("count"), false)
			out, err := openSink(c.Context, c, env, tel, "-", sink.Options{})
			if err != nil {
				src.Close()
				return err
			}
			err = pipeline.Run(c.Context, src, nil, out, tel.policy())
			tel.summary(fmt.Sprintf("%s: %d events from %s", prog, src.Count(), strings.Join(topics, ",")))
			reportRejects(env, prog, rejects)
			return err
		},
	}
}

// countTrue counts the true values.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
