package cli

import (
	"context"
	"fmt"
	"net"
	"time"

	ucli "github.com/urfave/cli/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/source"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// Telemetry flags are one group that every stage command wires in:
//
//	Flags: joinFlags(ownFlags, ..., telemetryFlags()),
//	...
//	tel, err := startTelemetry(c, env, prog)
//	defer tel.close()
//	src, ... := openSource(c.Context, c, env, prog, in, tel)
//	out, err := openSink(c.Context, c, env, tel)
//	err = pipeline.Run(c.Context, src, tel.stage(stage), out, tel.policy())
//	tel.summary(line)
//
// openSource and openSink set their sources and sinks up to extract and
// inject trace context; tel.stage wraps the stage with a span per traced
// event (tel.sink does the same for a sink at the end of the pipeline);
// tel.policy counts batches for the metrics and the progress bar.

func telemetryFlags() []ucli.Flag {
	const cat = "Telemetry"
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "trace", Usage: "send a span per event (stats: per run) to an OpenTelemetry collector such as Jaeger, as the OTEL_* variables say: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4317), OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER[_ARG] (see docs/tracing.md)", Category: cat},
		&ucli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus metrics on http://`HOST:PORT`/metrics while running", Category: cat},
		&ucli.BoolFlag{Name: "stats", Usage: "add events in, out and bad, the rate and the latency per event to the summary line at exit", Category: cat},
	}
}

// quietFlag is kcat's -q: no summary line on stderr (errors still show).
func quietFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no summary line on stderr (errors still show)"}
}

// telemetryRun is the tracing, metrics and progress bar of one run of a
// command. Its methods are no-ops for what is off.
type telemetryRun struct {
	env  *Env
	prog string // "secpipe classify"
	name string // "classify"

	tracer   *telemetry.Tracer // nil: tracing off
	shutdown func() error
	metrics  *telemetry.Metrics // nil without --metrics-addr and --stats
	stats    bool
	stopHTTP func()
	progress *progress
	span     trace.Span // the run's own span (stats)
	closed   bool
	quiet    bool // -q: no summary line
}

// startTelemetry sets up what the telemetry flags ask for.
func startTelemetry(c *ucli.Context, env *Env, prog string) (*telemetryRun, error) {
	t := &telemetryRun{env: env, prog: prog, name: c.Command.Name, stats: c.Bool("stats"), quiet: c.Bool("quiet")}
	addr := c.String("metrics-addr")
	if addr != "" || t.stats {
		t.metrics = telemetry.NewMetrics(t.name, env.Now)
	}
	if addr != "" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, usageErrorf("--metrics-addr %q: want HOST:PORT (port 0: a free one)", addr)
		}
		bound, stop, err := t.metrics.Serve(addr)
		if err != nil {
			return nil, err
		}
		t.stopHTTP = stop
		fmt.Fprintf(env.Stderr, "%s: metrics on http://%s/metrics\n", prog, bound)
	}
	if c.Bool("trace") {
		tracer, shutdown, err := telemetry.Setup(c.Context, telemetry.Options{
			Service: defaultGroup(prog),
			Version: Version,
			Getenv:  env.Getenv,
			Errors:  env.Stderr,
			Prefix:  prog,
		})
		if err != nil {
			t.close()
			return nil, usageErrorf("--trace: %v", err)
		}
		t.tracer, t.shutdown = tracer, shutdown
	}
	return t, nil
}

// showProgress shows a progress bar for a run of total events (bytes with
// bytes set; total <= 0: not known), when stderr is a terminal.
func (t *telemetryRun) showProgress(total int64, bytes bool) {
	t.progress = newProgress(t.env, t.prog, total, bytes)
}

// showInputProgress shows a progress bar for reading files: by bytes
// when their size is known, else by events.
func (t *telemetryRun) showInputProgress(files []string) {
	size := inputSize(files)
	t.showProgress(size, size > 0)
}

// countBad makes the metrics count the bad records of r.
func (t *telemetryRun) countBad(r *pipeline.Rejects) {
	if t.metrics != nil && r != nil {
		t.metrics.CountBad(r.Count)
	}
}

// statsInterval is how often a Kafka source reports its statistics, for
// the consumer lag: every second with metrics, never without.
func (t *telemetryRun) statsInterval() time.Duration {
	if t.metrics == nil {
		return 0
	}
	return time.Second
}

// watchSource makes the metrics count the bad records of a source, and
// watch the consumer lag of a Kafka source.
func (t *telemetryRun) watchSource(src *source.Kafka) {
	if t.metrics != nil {
		t.metrics.WatchLag(func() []telemetry.PartitionLag {
			var lag []telemetry.PartitionLag
			for _, p := range src.Lag() {
				lag = append(lag, telemetry.PartitionLag{Topic: p.Topic, Partition: p.Partition, Lag: p.Lag})
			}
			return lag
		})
	}
}

// stage returns inner (nil: none) with a span per traced event, named
// after the command.
func (t *telemetryRun) stage(inner pipeline.Stage) pipeline.Stage {
	if t.tracer == nil {
		return inner
	}
	return t.tracer.Stage(t.name, inner)
}

// sink returns a sink at the end of the pipeline with a span per traced
// event, named after the command.
func (t *telemetryRun) sink(inner pipeline.Sink) pipeline.Sink {
	if t.tracer == nil {
		return inner
	}
	return t.tracer.Sink(t.name, inner)
}

// start starts the clock of the rate: the run starts now.
func (t *telemetryRun) start() {
	if t.metrics != nil {
		t.metrics.Start()
	}
}

// policy returns the pipeline's policy with the metrics and the progress
// bar watching it, and starts the clock: call it as the run starts.
func (t *telemetryRun) policy() pipeline.Policy {
	t.start()
	p := pipeline.DefaultPolicy
	var obs observers
	if t.metrics != nil {
		obs = append(obs, t.metrics)
	}
	if t.progress != nil {
		obs = append(obs, t.progress)
	}
	switch len(obs) {
	case 0:
	case 1:
		p.Observer = obs[0]
	default:
		p.Observer = obs
	}
	return p
}

// observers is several observers in one.
type observers []pipeline.Observer

func (o observers) Batch(in, out []pipeline.Message, d time.Duration) {
	for _, x := range o {
		x.Batch(in, out, d)
	}
}

// startSpan starts the span of the whole run, for a command that does not
// trace events one by one (stats); close ends it.
func (t *telemetryRun) startSpan(ctx context.Context) {
	if t.tracer != nil {
		_, t.span, _ = t.tracer.Begin(ctx, trace.SpanContext{}, t.name, trace.SpanKindInternal)
	}
}

// count puts the events and rows of a run traced as one span (stats) on
// the span, at its end.
func (t *telemetryRun) count(in int, rows int) {
	if t.span != nil {
		t.span.SetAttributes(attribute.Int("secpipe.events.in", in), attribute.Int("secpipe.rows.in", rows))
	}
}

// fail marks the run's span as failed.
func (t *telemetryRun) fail(err error) {
	if t.span != nil {
		telemetry.Fail(t.span, err)
	}
}

// summary prints the command's summary line, line ("secpipe classify: 3
// events, 1 matched, 0 alerts"), with --stats the metrics' summary after
// it; an empty line leaves only the metrics' ("secpipe gen: 1000 in, ...").
func (t *telemetryRun) summary(line string) {
	t.done()
	if t.stats {
		if line == "" {
			line = t.prog + ": " + t.metrics.Summary()
		} else {
			line += "; " + t.metrics.Summary()
		}
	}
	if line != "" && !t.quiet {
		fmt.Fprintln(t.env.Stderr, line)
	}
}

// done marks the end of the run: the clock of the rate stops and the
// progress bar is cleared, before other lines go to stderr. summary calls
// it.
func (t *telemetryRun) done() {
	if t.metrics != nil {
		t.metrics.Stop()
	}
	if t.progress != nil {
		t.progress.finish()
		t.progress = nil
	}
}

// close ends the run's telemetry: the progress bar is cleared, the last
// spans exported (within telemetry.ShutdownTimeout), the metrics no longer
// served. It may be called more than once.
func (t *telemetryRun) close() {
	if t == nil || t.closed {
		return
	}
	t.closed = true
	if t.progress != nil {
		t.progress.finish()
		t.progress = nil
	}
	if t.span != nil {
		t.span.End()
	}
	if t.shutdown != nil {
		if err := t.shutdown(); err != nil {
			fmt.Fprintf(t.env.Stderr, "%s: %v\n", t.prog, err)
		}
	}
	if t.stopHTTP != nil {
		t.stopHTTP()
	}
}
