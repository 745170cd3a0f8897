package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

// Kafka flags come in groups that a command wires in: its Flags list gets
// kafkaFlags() (connection) and kafkaSourceFlags() and/or kafkaSinkFlags().
// --from-topic and --to-topic are spelled kafka:// specs for openSource
// and openSink, which read the other flags when a spec is a topic.

// The environment variables of the Kafka flags.
const (
	envBrokers      = "SECPIPE_BROKERS"
	envSASLPassword = "SECPIPE_SASL_PASSWORD"
)

// joinFlags concatenates flag groups.
func joinFlags(groups ...[]ucli.Flag) []ucli.Flag {
	var out []ucli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// listValue is a repeatable flag value that keeps commas: -X and --header
// values may hold them.
type listValue struct{ items []string }

// aliasCopy is what urfave/cli sets a flag's other names to after parsing
// (Serialize): all names share one listValue, so it is ignored.
const aliasCopy = "\x00alias"

func (l *listValue) Set(s string) error {
	if s != aliasCopy {
		l.items = append(l.items, s)
	}
	return nil
}
func (l *listValue) String() string    { return "" }
func (l *listValue) Serialize() string { return aliasCopy }

func listFlag(name, usage, category string, aliases ...string) ucli.Flag {
	return &ucli.GenericFlag{Name: name, Aliases: aliases, Value: &listValue{}, Usage: usage, Category: category}
}

// listOf returns the values given to a listFlag.
func listOf(c *ucli.Context, name string) []string {
	if l, ok := c.Generic(name).(*listValue); ok && l != nil {
		return l.items
	}
	return nil
}

// kafkaFlags are the connection flags of every command that talks to Kafka.
func kafkaFlags() []ucli.Flag {
	const cat = "Kafka connection"
	return []ucli.Flag{
		&ucli.StringFlag{Name: "brokers", Aliases: []string{"b"}, Value: kafka.DefaultBrokers, Usage: "bootstrap brokers, `HOST:PORT[,...]` (env " + envBrokers + ")", Category: cat},
		listFlag("X", "pass a librdkafka property through, `KEY=VALUE`, as kcat does (repeatable; applied last)", cat),
		&ucli.BoolFlag{Name: "tls", Usage: "connect with TLS", Category: cat},
		&ucli.StringFlag{Name: "tls-ca", Usage: "trust the CA certificates in `FILE` (PEM) besides the system's; implies --tls", Category: cat},
		&ucli.StringFlag{Name: "tls-cert", Usage: "client certificate `FILE` (PEM), with --tls-key; implies --tls", Category: cat},
		&ucli.StringFlag{Name: "tls-key", Usage: "client key `FILE` (PEM)", Category: cat},
		&ucli.StringFlag{Name: "sasl-mechanism", Usage: "authenticate with SASL `MECHANISM`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", Category: cat},
		&ucli.StringFlag{Name: "sasl-username", Usage: "SASL user `NAME`", Category: cat},
		&ucli.StringFlag{Name: "sasl-password-file", Usage: "read the SASL password from `FILE` (else env " + envSASLPassword + ")", Category: cat},
		&ucli.DurationFlag{Name: "connect-timeout", Value: kafka.DefaultConnectTimeout, Usage: "fail if no broker answers within `DURATION`", Category: cat},
	}
}

// kafkaSourceFlags let a command read its events from a topic.
func kafkaSourceFlags() []ucli.Flag {
	const cat = "Kafka input"
	return []ucli.Flag{
		&ucli.StringFlag{Name: "from-topic", Usage: "read events from Kafka `TOPIC` (comma-separated for several) instead of files or stdin", Category: cat},
		&ucli.StringFlag{Name: "group", Aliases: []string{"G"}, Usage: "consumer group `NAME` (default: secpipe-COMMAND); instances in one group share the partitions", Category: cat},
		&ucli.StringFlag{Name: "offset", Aliases: []string{"o"}, Value: "stored", Usage: "where to start: " + kafka.OffsetSyntax + "; other than stored, applies when a partition is first assigned", Category: cat},
		&ucli.StringFlag{Name: "instance-id", Usage: "static group member `ID`: a restarted instance takes its partitions back at once (with --exactly-once, also names its transactions)", Category: cat},
		&ucli.BoolFlag{Name: "exit-at-end", Aliases: []string{"e"}, Usage: "stop once every assigned partition reached the end it had at start", Category: cat},
	}
}

// DefaultKeyField keys produced events for the correlations: those of
// network and logon events group by the source address (source.ip), those
// of process and file events, which have none, by host (host.name);
// source_ip and host are the same in gen's lab format. A correlation's
// events then share a partition and stay in order.
const DefaultKeyField = "source.ip,host.name,source_ip,host"

// produceFlags shape the messages a command produces.
func produceFlags(cat string) []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "key-field", Value: DefaultKeyField, Usage: "key each message by the first of the event's `FIELDS` (comma-separated) that it has; \"\" keeps the key a message came with", Category: cat},
		listFlag("header", "add header `KEY=VALUE` to every message (repeatable)", cat, "H"),
		&ucli.StringFlag{Name: "compression", Aliases: []string{"z"}, Usage: "compress with `CODEC`: " + strings.Join(sink.Compressions, ", "), Category: cat},
	}
}

// kafkaSinkFlags let a command write its events to a topic.
func kafkaSinkFlags() []ucli.Flag {
	const cat = "Kafka output"
	return append([]ucli.Flag{
		&ucli.StringFlag{Name: "to-topic", Usage: "write events to Kafka `TOPIC` instead of stdout", Category: cat},
		&ucli.BoolFlag{Name: "exactly-once", Usage: "with --from-topic and --to-topic: commit output and input offsets in one transaction, so read_committed readers see each event once", Category: cat},
	}, produceFlags(cat)...)
}

// readKafkaConfig reads the connection flags.
func readKafkaConfig(c *ucli.Context, env *Env) (kafka.Config, error) {
	cfg := kafka.Config{
		Brokers:        c.String("brokers"),
		TLS:            c.Bool("tls"),
		CAFile:         c.String("tls-ca"),
		CertFile:       c.String("tls-cert"),
		KeyFile:        c.String("tls-key"),
		SASLMechanism:  c.String("sasl-mechanism"),
		SASLUsername:   c.String("sasl-username"),
		ConnectTimeout: c.Duration("connect-timeout"),
	}
	if !c.IsSet("brokers") {
		if v := env.Getenv(envBrokers); v != "" {
			cfg.Brokers = v
		}
	}
	if cfg.CAFile != "" || cfg.CertFile != "" {
		cfg.TLS = true
	}
	for _, x := range listOf(c, "X") {
		p, err := kafka.ParseProp(x)
		if err != nil {
			return cfg, usageErrorf("%v", err)
		}
		cfg.Props = append(cfg.Props, p)
	}
	if path := c.String("sasl-password-file"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, usageErrorf("--sasl-password-file: %v", err)
		}
		cfg.SASLPassword = strings.TrimRight(string(b), "\r\n")
	} else {
		cfg.SASLPassword = env.Getenv(envSASLPassword)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErrorf("%v", err)
	}
	if cfg.SASLMechanism != "" && cfg.SASLPassword == "" {
		if _, ok := cfg.Prop("sasl.password"); !ok {
			return cfg, usageErrorf("SASL needs a password: set %s or --sasl-password-file", envSASLPassword)
		}
	}
	return cfg, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// defaultGroup is a command's consumer group: "secpipe classify" → "secpipe-classify".
func defaultGroup(prog string) string { return strings.ReplaceAll(prog, " ", "-") }

func groupOf(c *ucli.Context, prog string) string {
	if g := c.String("group"); g != "" {
		return g
	}
	return defaultGroup(prog)
}

// kafkaSourceOptions reads the consumer settings of a kafka:// source;
// the spec gives the topics.
func kafkaSourceOptions(c *ucli.Context, env *Env, prog string, tel *telemetryRun) (source.KafkaOptions, error) {
	cfg, err := readKafkaConfig(c, env)
	if err != nil {
		return source.KafkaOptions{}, err
	}
	offset, err := kafka.ParseOffset(c.String("offset"), env.Now())
	if err != nil {
		return source.KafkaOptions{}, usageErrorf("--offset: %v", err)
	}
	return source.KafkaOptions{
		Config:        cfg,
		Group:         groupOf(c, prog),
		InstanceID:    c.String("instance-id"),
		Offset:        offset,
		ExitAtEnd:     c.Bool("exit-at-end"),
		ExactlyOnce:   c.Bool("exactly-once"),
		Logs:          kafka.NewLogs(env.Stderr, prog, cfg),
		Tracer:        tel.tracer,
		StatsInterval: tel.statsInterval(),
	}, nil
}

// kafkaSinkOptions reads the producer settings of a kafka:// sink; the
// spec gives the topic.
func kafkaSinkOptions(c *ucli.Context, env *Env, tel *telemetryRun) (sink.KafkaOptions, error) {
	prog := "secpipe " + c.Command.Name
	cfg, err := readKafkaConfig(c, env)
	if err != nil {
		return sink.KafkaOptions{}, err
	}
	opts, err := readProduceOptions(c, cfg, "")
	if err != nil {
		return opts, err
	}
	if c.Bool("exactly-once") {
		opts.TransactionalID = transactionalID(c, prog)
	}
	opts.Logs = kafka.NewLogs(env.Stderr, prog, cfg)
	opts.Tracer = tel.tracer
	return opts, nil
}

// readProduceOptions reads --key-field, --header and --compression.
func readProduceOptions(c *ucli.Context, cfg kafka.Config, topic string) (sink.KafkaOptions, error) {
	opts := sink.KafkaOptions{Config: cfg, Topic: topic, KeyField: c.String("key-field"), Compression: strings.ToLower(c.String("compression"))}
	if opts.Compression != "" && !contains(sink.Compressions, opts.Compression) {
		return opts, usageErrorf("--compression: unknown codec %q (want %s)", opts.Compression, strings.Join(sink.Compressions, ", "))
	}
	for _, h := range listOf(c, "header") {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return opts, usageErrorf("--header %q: want KEY=VALUE", h)
		}
		opts.Headers = append(opts.Headers, pipeline.Header{Key: k, Value: []byte(v)})
	}
	return opts, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// transactionalID names an --exactly-once producer: stable with
// --instance-id, so that a restarted instance fences its predecessor and
// aborts its open transaction at once; else unique to this process.
func transactionalID(c *ucli.Context, prog string) string {
	group := groupOf(c, prog)
	if id := c.String("instance-id"); id != "" {
		return group + "-" + id
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%s-%d-%s", group, host, os.Getpid(), strconv.FormatInt(time.Now().UnixNano()%1e6, 36))
}
