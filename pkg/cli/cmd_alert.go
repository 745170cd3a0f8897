package cli

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/alert"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
)

func alertCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "alert",
		Usage:     "send alerts for classified events to webhooks, Slack, syslog or stdout, grouped and throttled",
		ArgsUsage: "[FILE ...]",
		Description: `Reads classified events (secpipe classify's output: rule.*, threat.*, and its
correlation alerts) and raises an alert for those selected: --min-level, --tactic,
--technique (a technique also selects its sub-techniques), --rule (an id or a
name), and --min-risk for threat-intelligence matches (event.risk_score, from
secpipe enrich) with or without a rule. Alerts are grouped by --group-by and
throttled per group: the first event of a group sends an alert at once (count 1,
first and last seen); when the --throttle window closes with more events, a digest
follows with their count and the first and last seen. A brute force of a thousand
attempts is two messages, not a thousand. Windows close by event time, or by the
clock when the input is quiet; the end of input and Ctrl-C send every open digest.

Alerts go to stdout as JSON Lines, or to:
  --webhook URL   a JSON POST of each alert (generic webhook: SOAR, Teams flows...)
  --slack URL     a Slack-compatible incoming webhook (Mattermost, Rocket.Chat):
                  blocks with level, rule, technique, host, user and source, and
                  a link to the event's trace with --jaeger-url
  --syslog ADDR   RFC 5424 syslog, udp://HOST:PORT or tcp://HOST:PORT, its MSG the
                  alert as JSON, or as ArcSight CEF with --cef
  --to-topic T    a Kafka topic
Several destinations may be given; each alert goes to all of them.

Webhook URLs are secrets (a Slack URL's path is its key): give them with
--webhook-file and --slack-file, or SECPIPE_WEBHOOK_URL and
SECPIPE_SLACK_WEBHOOK_URL, rather than on the command line; they never appear in
messages (only scheme and host do). SECPIPE_WEBHOOK_TOKEN (or --token-file) is
sent as "Authorization: Bearer TOKEN" to --webhook.

Deliveries that fail with a 5xx, 408 or 429 status (Retry-After honoured) or a
network error are retried with exponential backoff and jitter, up to --retry-for;
then the run stops. A 4xx refusal is permanent: the alert goes to the --dlq file
(one JSON line with the reason) and the run goes on. Input is acknowledged (a
topic's offsets committed) only once its alerts were delivered or dead-lettered.

Examples:
   secpipe gen --count 5000 --seed 7 | secpipe classify | secpipe alert --min-level high
   secpipe alert --technique T1110 --group-by source.ip --throttle 10m classified.jsonl
   secpipe alert --slack-file slack.url --min-level high --jaeger-url http://localhost:16686 classified.jsonl
   secpipe alert --webhook-file hook.url --dlq refused.jsonl --tactic TA0006 classified.jsonl
   secpipe alert --syslog tcp://127.0.0.1:6514 --cef --min-level medium classified.jsonl
   secpipe alert --min-risk 70 --group-by source.ip enriched.jsonl
   secpipe alert --from-topic classified --group alerting --min-level high`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "min-level", Usage: "alert on events of `LEVEL` or higher: " + strings.Join(ecs.Levels, ", "), Category: "Selection"},
			&ucli.StringSliceFlag{Name: "tactic", Usage: "alert on events of the tactic `ID` (TA0006; repeatable, or comma-separated)", Category: "Selection"},
			&ucli.StringSliceFlag{Name: "technique", Usage: "alert on events of the technique `ID` or its sub-techniques (T1110; repeatable)", Category: "Selection"},
			&ucli.StringSliceFlag{Name: "rule", Usage: "alert on events matched by the rule `ID` or name (repeatable)", Category: "Selection"},
			&ucli.Float64Flag{Name: "min-risk", Usage: "also alert on events whose event.risk_score is `SCORE` or more (threat intelligence, from secpipe enrich)", Category: "Selection"},
			&ucli.StringFlag{Name: "group-by", Value: strings.Join(alert.DefaultGroupBy, ","), Usage: "group alerts by the values of `FIELDS` (comma-separated)", Category: "Grouping"},
			&ucli.DurationFlag{Name: "throttle", Value: 10 * time.Minute, Usage: "one alert per group per `DURATION`, then a digest (0: an alert per event)", Category: "Grouping"},
			&ucli.StringFlag{Name: "webhook", Usage: "POST each alert as JSON to `URL` (better: --webhook-file or SECPIPE_WEBHOOK_URL)", Category: "Delivery"},
			&ucli.StringFlag{Name: "webhook-file", Usage: "read the --webhook URL from `FILE`", Category: "Delivery"},
			&ucli.StringFlag{Name: "token-file", Usage: "send the token in `FILE` as Authorization: Bearer to --webhook (else SECPIPE_WEBHOOK_TOKEN)", Category: "Delivery"},
			&ucli.StringFlag{Name: "slack", Usage: "post each alert to the Slack-compatible incoming webhook `URL` (better: --slack-file or SECPIPE_SLACK_WEBHOOK_URL)", Category: "Delivery"},
			&ucli.StringFlag{Name: "slack-file", Usage: "read the --slack URL from `FILE`", Category: "Delivery"},
			&ucli.StringFlag{Name: "jaeger-url", Usage: "link Slack alerts to their trace in the Jaeger UI at `URL` (else SECPIPE_JAEGER_URL)", Category: "Delivery"},
			&ucli.StringFlag{Name: "syslog", Usage: "send each alert as RFC 5424 syslog to `ADDR`: udp://HOST:PORT or tcp://HOST:PORT", Category: "Delivery"},
			&ucli.BoolFlag{Name: "cef", Usage: "with --syslog, write the message as ArcSight CEF instead of JSON", Category: "Delivery"},
			&ucli.DurationFlag{Name: "retry-for", Value: sink.DefaultRetry.GiveUp, Usage: "retry a failing delivery for up to `DURATION`, then stop", Category: "Delivery"},
		}, inputFlags(), kafkaFlags(), kafkaSourceFlags(), kafkaSinkFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe alert"
			cfg := alert.Config{
				MinLevel: strings.ToLower(c.String("min-level")), MinRisk: c.Float64("min-risk"),
				Tactics: splitFlag(c.StringSlice("tactic")), Techniques: splitFlag(c.StringSlice("technique")), Rules: c.StringSlice("rule"),
				GroupBy: splitList(c.String("group-by")), Throttle: c.Duration("throttle"), Now: env.Now,
			}
			if cfg.MinLevel != "" && ecs.LevelRank(cfg.MinLevel) == 0 {
				return usageErrorf("--min-level: unknown level %q (want %s)", cfg.MinLevel, strings.Join(ecs.Levels, ", "))
			}
			if cfg.Throttle < 0 {
				return usageErrorf("--throttle: want a duration of 0 or more")
			}
			if c.Bool("cef") && c.String("syslog") == "" {
				return usageErrorf("--cef formats --syslog messages: give --syslog ADDR")
			}
			dests, err := readDestinations(c, env)
			if err != nil {
				return err
			}
			if len(dests) > 0 && c.String("to-topic") != "" {
				return usageErrorf("--to-topic and --webhook, --slack or --syslog: give one kind of output")
			}
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
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
			var out pipeline.Sink
			if len(dests) == 0 {
				out, err = openSink(c.Context, c, env, tel, sinkSpec(c, "-"), sink.Options{})
			} else {
				retry := sink.DefaultRetry
				retry.GiveUp = c.Duration("retry-for")
				out, err = openDestinations(c, env, dests, prog, retry, rejects.DLQ)
			}
			if err != nil {
				src.Close()
				return err
			}
			if cfg.Throttle > 0 {
				// Windows close by the clock while the input is quiet.
				src = alert.Heartbeat(src, min(time.Second, cfg.Throttle))
			}
			stage := alert.NewStage(cfg)
			err = pipeline.Run(c.Context, src, tel.stage(stage), tel.sink(out), tel.policy())
			st := stage.Stats()
			tel.summary(fmt.Sprintf("%s: %d events, %d selected, %d alerts, %d digests", prog, st.Events, st.Selected, st.Alerts, st.Digests))
			reportRejects(env, prog, rejects)
			return err
		},
	}
}

// destination is one place alerts are delivered to.
type destination struct {
	kind  string // webhook, slack, syslog
	url   string // a secret for webhooks
	token string
}

// readDestinations reads --webhook, --slack and --syslog, from the flags,
// their files or the environment.
func readDestinations(c *ucli.Context, env *Env) ([]destination, error) {
	var out []destination
	secret := func(flag, file, envVar string) (string, error) {
		v := c.String(flag)
		if f := c.String(file); f != "" {
			if v != "" {
				return "", usageErrorf("--%s and --%s: give one", flag, file)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("--%s: %w", file, err)
			}
			v = strings.TrimSpace(string(b))
		}
		if v == "" {
			v = strings.TrimSpace(env.Getenv(envVar))
		}
		if v == "" {
			return "", nil
		}
		u, err := url.Parse(v)
		if err == nil {
			_, err = url.ParseQuery(u.RawQuery)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", usageErrorf("--%s: want an http:// or https:// URL (the value is not shown: it may be a secret)", flag)
		}
		return v, nil
	}
	hook, err := secret("webhook", "webhook-file", "SECPIPE_WEBHOOK_URL")
	if err != nil {
		return nil, err
	}
	if hook != "" {
		d := destination{kind: "webhook", url: hook, token: strings.TrimSpace(env.Getenv("SECPIPE_WEBHOOK_TOKEN"))}
		if f := c.String("token-file"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("--token-file: %w", err)
			}
			d.token = strings.TrimSpace(string(b))
		}
		out = append(out, d)
	}
	slack, err := secret("slack", "slack-file", "SECPIPE_SLACK_WEBHOOK_URL")
	if err != nil {
		return nil, err
	}
	if slack != "" {
		out = append(out, destination{kind: "slack", url: slack})
	}
	if addr := c.String("syslog"); addr != "" {
		network, hostPort, ok := strings.Cut(addr, "://")
		if !ok || (network != "udp" && network != "tcp") || hostPort == "" {
			return nil, usageErrorf("--syslog %q: want udp://HOST:PORT or tcp://HOST:PORT", addr)
		}
		out = append(out, destination{kind: "syslog", url: "syslog+" + network + "://" + hostPort})
	}
	return out, nil
}

// openDestinations opens a sink for each destination, as one.
func openDestinations(c *ucli.Context, env *Env, dests []destination, prog string, retry sink.Retry, dlq io.Writer) (pipeline.Sink, error) {
	jaeger := c.String("jaeger-url")
	if jaeger == "" {
		jaeger = env.Getenv("SECPIPE_JAEGER_URL")
	}
	var sinks []pipeline.Sink
	for _, d := range dests {
		opt := sink.DeliveryOptions{Retry: retry, Log: env.Stderr, Prefix: prog}
		if dlq != nil {
			opt.DLQ = dlq
		}
		switch d.kind {
		case "slack":
			opt.Render = func(v []byte) ([]byte, error) { return alert.Slack(v, jaeger) }
		case "webhook":
			if d.token != "" {
				opt.Header = map[string]string{"Authorization": "Bearer " + d.token}
			}
		case "syslog":
			opt.Severity = alert.Severity
			if c.Bool("cef") {
				opt.Render = func(v []byte) ([]byte, error) { return alert.CEF(v, Version) }
			}
		}
		s, err := sink.Open(c.Context, d.url, sink.Options{Delivery: opt})
		if err != nil {
			for _, s := range sinks {
				s.Close()
			}
			return nil, err
		}
		sinks = append(sinks, s)
	}
	return sink.Tee(sinks...), nil
}

// splitFlag splits comma-separated values of a repeatable flag.
func splitFlag(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, splitList(v)...)
	}
	return out
}
