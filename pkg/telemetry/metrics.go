package telemetry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Metrics counts what a command does, for Prometheus (Serve) and for the
// line it prints at exit (Summary). It is the pipeline.Observer of the
// command's run; it costs two clock readings and a lock per batch, and in
// store, the parse of each event's timestamp.
//
// The metrics, each with the label command="classify" (and so on):
//
//	secpipe_events_in_total           events read
//	secpipe_events_out_total          events written
//	secpipe_events_bad_total          bad input records, skipped
//	secpipe_event_processing_seconds  time the stage and the sink took per
//	                                  event: a batch's time shared among its
//	                                  events (histogram)
//	secpipe_event_end_to_end_seconds  store: from the event's @timestamp (or
//	                                  timestamp) until store wrote it (histogram)
//	secpipe_kafka_consumer_lag        Kafka sources: messages not yet
//	                                  processed, by topic and partition
//
// and the Go runtime's and the process's standard metrics.
type Metrics struct {
	command string
	now     func() time.Time
	start   time.Time
	end     time.Time

	in, out atomic.Int64
	mu      sync.Mutex
	bad     func() int
	lag     func() []PartitionLag

	perEvent *histogram
	e2e      *histogram // nil unless MeasureEndToEnd
	ts       *event.Paths
	fields   event.Fields

	descIn, descOut, descBad, descLag *prometheus.Desc
	reg                               *prometheus.Registry
}

// NewMetrics returns the metrics of command ("classify"), with now as its
// clock.
func NewMetrics(command string, now func() time.Time) *Metrics {
	labels := prometheus.Labels{"command": command}
	desc := func(name, help string, vars ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, vars, labels)
	}
	m := &Metrics{
		command: command,
		now:     now,
		start:   now(),
		descIn:  desc("secpipe_events_in_total", "Events read from the input."),
		descOut: desc("secpipe_events_out_total", "Events written to the output."),
		descBad: desc("secpipe_events_bad_total", "Bad input records (not one JSON object, too large, a bad row), skipped."),
		descLag: desc("secpipe_kafka_consumer_lag", "Messages of a partition not yet processed (librdkafka's consumer lag, from its statistics).", "topic", "partition"),
		perEvent: newHistogram(desc("secpipe_event_processing_seconds",
			"Time the stage and the sink took per event: each batch's time shared among its events."), -7, 1),
	}
	m.reg = prometheus.NewRegistry()
	m.reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountBad makes the metrics read the count of bad records from f.
func (m *Metrics) CountBad(f func() int) {
	m.mu.Lock()
	m.bad = f
	m.mu.Unlock()
}

// PartitionLag is a consumer's lag on one partition: the messages not yet
// processed.
type PartitionLag struct {
	Topic     string
	Partition int32
	Lag       int64
}

// WatchLag makes the metrics read the consumer lag from f.
func (m *Metrics) WatchLag(f func() []PartitionLag) {
	m.mu.Lock()
	m.lag = f
	m.mu.Unlock()
}

// MeasureEndToEnd makes the metrics measure each event's time from its
// timestamp to its output: the latency of the whole pipeline, in store.
func (m *Metrics) MeasureEndToEnd() {
	m.e2e = newHistogram(prometheus.NewDesc("secpipe_event_end_to_end_seconds",
		"Time from an event's @timestamp (or timestamp) until it was written out.", nil, prometheus.Labels{"command": m.command}), -3, 8)
	m.ts = event.NewPaths(ecs.Timestamp...)
}

// Start restarts the clock of Summary's rate: call it when the run starts.
func (m *Metrics) Start() { m.start = m.now() }

// Stop stops that clock: call it when the run ends. Later calls do nothing.
func (m *Metrics) Stop() {
	if m.end.IsZero() {
		m.end = m.now()
	}
}

// Add counts events read and written outside a pipeline (stats).
func (m *Metrics) Add(in, out int) {
	m.in.Add(int64(in))
	m.out.Add(int64(out))
}

// Batch implements pipeline.Observer.
func (m *Metrics) Batch(in, out []pipeline.Message, d time.Duration) {
	m.in.Add(int64(len(in)))
	m.out.Add(int64(len(out)))
	if n := len(in); n > 0 {
		m.perEvent.observe(d/time.Duration(n), n)
	}
	if m.e2e != nil && len(out) > 0 {
		now := m.now().UnixNano()
		m.e2e.mu.Lock()
		for i := range out {
			if t, ok := m.timestamp(out[i].Value); ok {
				m.e2e.add(max(float64(now-t)/1e9, 0), 1)
			}
		}
		m.e2e.mu.Unlock()
	}
}

// timestamp returns the time of an event in Unix nanoseconds.
func (m *Metrics) timestamp(raw []byte) (int64, bool) {
	m.ts.Extract(raw, &m.fields)
	for slot := 0; slot < m.ts.Len(); slot++ {
		for _, v := range m.fields.Values(slot) {
			if v.Kind == event.String {
				return event.ParseTime(v.Raw)
			}
		}
	}
	return 0, false
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.descIn
	ch <- m.descOut
	ch <- m.descBad
	ch <- m.descLag
	ch <- m.perEvent.desc
	if m.e2e != nil {
		ch <- m.e2e.desc
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(m.descIn, prometheus.CounterValue, float64(m.in.Load()))
	ch <- prometheus.MustNewConstMetric(m.descOut, prometheus.CounterValue, float64(m.out.Load()))
	ch <- prometheus.MustNewConstMetric(m.descBad, prometheus.CounterValue, float64(m.badCount()))
	ch <- m.perEvent.metric()
	if m.e2e != nil {
		ch <- m.e2e.metric()
	}
	m.mu.Lock()
	lag := m.lag
	m.mu.Unlock()
	if lag != nil {
		for _, p := range lag() {
			ch <- prometheus.MustNewConstMetric(m.descLag, prometheus.GaugeValue, float64(p.Lag), p.Topic, strconv.Itoa(int(p.Partition)))
		}
	}
}

func (m *Metrics) badCount() int {
	m.mu.Lock()
	f := m.bad
	m.mu.Unlock()
	if f == nil {
		return 0
	}
	return f()
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Serve serves the metrics on http://addr/metrics in the background. It
// returns the address listened on (addr may have port 0) and the function
// that stops serving.
func (m *Metrics) Serve(addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) // returns at Shutdown
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}
	return ln.Addr().String(), stop, nil
}

// Summary sums the run up in one line: "1000000 in, 1000445 out, 0 bad,
// 2.3 s, 434k events/s, latency p50 1.9µs p99 12µs", with the end-to-end
// latency when measured.
func (m *Metrics) Summary() string {
	end := m.end
	if end.IsZero() {
		end = m.now()
	}
	elapsed := end.Sub(m.start)
	in := m.in.Load()
	s := fmt.Sprintf("%d in, %d out, %d bad, %.1f s", in, m.out.Load(), m.badCount(), elapsed.Seconds())
	if elapsed > 0 && in > 0 {
		s += ", " + humanRate(float64(in)/elapsed.Seconds()) + " events/s"
	}
	if m.perEvent.count() > 0 {
		s += fmt.Sprintf(", latency p50 %s p99 %s", human(m.perEvent.quantile(0.5)), human(m.perEvent.quantile(0.99)))
	}
	if m.e2e != nil && m.e2e.count() > 0 {
		s += fmt.Sprintf(", end-to-end p50 %s p99 %s", human(m.e2e.quantile(0.5)), human(m.e2e.quantile(0.99)))
	}
	return s
}

// humanRate writes a rate with two or three significant digits: 434k, 1.2M.
func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M"
	case r >= 1e4:
		return strconv.FormatFloat(r/1e3, 'f', 0, 64) + "k"
	case r >= 1e3:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

// human writes a duration with two significant digits, 1.934µs as 1.9µs,
// and long ones in hours or days: 7777h46m40s as 324d.
func human(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.FormatFloat(d.Hours()/24, 'f', 0, 64) + "d"
	case d >= time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + "h"
	}
	return round2(d).String()
}

// round2 rounds d to two significant digits: 1.934µs is 1.9µs.
func round2(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for d/unit >= 100 {
		unit *= 10
	}
	return d.Round(unit)
}
