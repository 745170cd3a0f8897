package telemetry

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

func TestHistogramQuantiles(t *testing.T) {
	h := newHistogram(nil, -7, 1)
	h.observe(2*time.Microsecond, 980) // a batch of 980 events at 2µs each
	h.observe(40*time.Microsecond, 20) // a slow one
	if p50 := h.quantile(0.5); p50 < 1600*time.Nanosecond || p50 > 2000*time.Nanosecond {
		t.Errorf("p50 %v, want within the bucket of 2µs", p50)
	}
	if p99 := h.quantile(0.99); p99 < 31500*time.Nanosecond || p99 > 40000*time.Nanosecond {
		t.Errorf("p99 %v, want within the bucket of 40µs", p99)
	}
	if h.count() != 1000 {
		t.Errorf("count %d", h.count())
	}
}

// TestEventTimestamp checks the timestamps the end-to-end latency reads.
func TestEventTimestamp(t *testing.T) {
	for _, s := range []string{"2026-01-01T00:00:00.042Z", "2026-01-01T00:00:00Z", "2026-01-01T01:30:00.042+01:30", "2025-12-31T19:00:00.042-05:00", "2026-01-01 00:00:00.042000Z"} {
		got, ok := event.ParseTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1))
		if !ok || err != nil || got != want.UnixNano() {
			t.Errorf("%s: %v %v, want %v", s, time.Unix(0, got).UTC(), ok, want.UTC())
		}
	}
	for _, s := range []string{"", "2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "yesterday"} {
		if _, ok := event.ParseTime([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

// TestMetricsServed scrapes the endpoint of a run in progress.
func TestMetricsServed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	m := NewMetrics("store", func() time.Time { return now })
	m.MeasureEndToEnd()
	m.CountBad(func() int { return 2 })
	m.WatchLag(func() []PartitionLag {
		return []PartitionLag{{Topic: "classified", Partition: 1, Lag: 42}}
	})
	addr, stop, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	in := []pipeline.Message{
		{Value: []byte(`{"@timestamp":"2026-01-01T00:00:09.000Z","a":1}`)},
		{Value: []byte(`{"timestamp":"2026-01-01T00:00:08Z"}`)},
		{Value: []byte(`{"no":"time"}`)},
	}
	m.Batch(in, in, 3*time.Millisecond)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`secpipe_events_in_total{command="store"} 3`,
		`secpipe_events_out_total{command="store"} 3`,
		`secpipe_events_bad_total{command="store"} 2`,
		`secpipe_event_processing_seconds_count{command="store"} 3`,
		`secpipe_event_processing_seconds_bucket{command="store",le="0.001"} 3`,
		`secpipe_event_end_to_end_seconds_count{command="store"} 2`,
		`secpipe_event_end_to_end_seconds_sum{command="store"} 3`,
		`secpipe_kafka_consumer_lag{command="store",partition="1",topic="classified"} 42`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	m.Stop()
	sum := m.Summary()
	if !regexp.MustCompile(`^3 in, 3 out, 2 bad, 0\.0 s, latency p50 \S+ p99 \S+, end-to-end p50 1s p99 2s$`).MatchString(sum) {
		t.Errorf("summary %q", sum)
	}
}

func TestHumanRate(t *testing.T) {
	for r, want := range map[float64]string{12: "12", 1234: "1.2k", 434_000: "434k", 1_234_567: "1.2M"} {
		if got := humanRate(r); got != want {
			t.Errorf("%v: %s, want %s", r, got, want)
		}
	}
	for d, want := range map[time.Duration]string{1934 * time.Nanosecond: "1.9µs", 12345 * time.Microsecond: "12ms", 90 * time.Second: "1m30s", 150 * time.Minute: "2.5h", 7777 * time.Hour: "324d"} {
		if got := human(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
