package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// classified returns an event as classify writes it for a brute force.
func classified(ts time.Time, ip, level, rule, technique string) string {
	sub := ""
	if strings.Contains(technique, ".") {
		sub = fmt.Sprintf(`,"subtechnique":{"id":[%q],"name":["Password Guessing"]}`, technique)
	}
	return fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event"},"source":{"ip":%q},"host":{"name":"web-01"},"user":{"name":"root"},`+
		`"threat":{"framework":"MITRE ATT&CK","tactic":{"id":["TA0006"],"name":["Credential Access"]},"technique":{"id":[%q],"name":["Brute Force"]%s}},`+
		`"rule":{"id":[%q],"name":["SSH Brute Force"],"ruleset":"sigma","level":%q}}`,
		ts.UTC().Format(time.RFC3339Nano), ip, strings.Split(technique, ".")[0], sub, rule, level)
}

type doc struct {
	Alert struct {
		Kind      string
		ID        string
		Count     int64
		FirstSeen string `json:"first_seen"`
		LastSeen  string `json:"last_seen"`
		Group     map[string]string
	}
	Source struct{ IP string }
	Event  struct{ Original string }
}

func runStage(t *testing.T, cfg Config, batches ...[]string) []doc {
	t.Helper()
	s := NewStage(cfg)
	var docs []doc
	collect := func(out *pipeline.Batch) {
		for _, m := range out.Msgs {
			var d doc
			if err := json.Unmarshal(m.Value, &d); err != nil {
				t.Fatalf("alert is not JSON: %v\n%s", err, m.Value)
			}
			docs = append(docs, d)
		}
	}
	for _, b := range batches {
		var in []pipeline.Message
		for _, e := range b {
			in = append(in, pipeline.Message{Value: []byte(e)})
		}
		out := &pipeline.Batch{}
		if err := s.Process(context.Background(), in, out); err != nil {
			t.Fatal(err)
		}
		collect(out)
	}
	out := &pipeline.Batch{}
	if err := s.Finish(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	collect(out)
	return docs
}

// TestThrottleBruteForce: a thousand attempts in a window are one alert at
// the first and one digest counting all thousand, with first and last seen;
// the next window opens a new alert.
func TestThrottleBruteForce(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var events []string
	for i := 0; i < 1000; i++ {
		events = append(events, classified(start.Add(time.Duration(i)*300*time.Millisecond), "203.0.113.7", "high", "r-ssh", "T1110.001"))
	}
	// Another attacker, and the first one again after the window.
	events = append(events, classified(start.Add(time.Minute), "198.51.100.9", "high", "r-ssh", "T1110.001"))
	later := classified(start.Add(11*time.Minute), "203.0.113.7", "high", "r-ssh", "T1110.001")
	fixed := func() time.Time { return start } // the wall clock does not move
	docs := runStage(t, Config{Throttle: 10 * time.Minute, Now: fixed}, events[:600], events[600:], []string{later})
	var got []string
	for _, d := range docs {
		got = append(got, fmt.Sprintf("%s %s %d %s..%s", d.Alert.Kind, d.Source.IP, d.Alert.Count, d.Alert.FirstSeen, d.Alert.LastSeen))
	}
	want := []string{
		"alert 203.0.113.7 1 2026-01-01T08:00:00.000Z..2026-01-01T08:00:00.000Z",
		"alert 198.51.100.9 1 2026-01-01T08:01:00.000Z..2026-01-01T08:01:00.000Z",
		"digest 203.0.113.7 1000 2026-01-01T08:00:00.000Z..2026-01-01T08:04:59.700Z",
		"alert 203.0.113.7 1 2026-01-01T08:11:00.000Z..2026-01-01T08:11:00.000Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if g := docs[0].Alert.Group; g["rule.id"] != "r-ssh" || g["source.ip"] != "203.0.113.7" {
		t.Errorf("group %v", g)
	}
	if !strings.HasPrefix(docs[0].Event.Original, `{"@timestamp":"2026-01-01T08:00:00Z"`) {
		t.Errorf("event.original %q", docs[0].Event.Original)
	}
	ids := map[string]bool{}
	for _, d := range docs {
		if ids[d.Alert.ID] {
			t.Errorf("alert id %s twice", d.Alert.ID)
		}
		ids[d.Alert.ID] = true
	}
}

// TestThrottleByClock: a window closes by the clock when events stop
// coming, at the next batch.
func TestThrottleByClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	s := NewStage(Config{Throttle: time.Minute, Now: clock})
	ev := func(sec int) pipeline.Message {
		return pipeline.Message{Value: []byte(classified(start.Add(time.Duration(sec)*time.Second), "203.0.113.7", "high", "r", "T1110"))}
	}
	out := &pipeline.Batch{}
	s.Process(context.Background(), []pipeline.Message{ev(0), ev(1), ev(2)}, out)
	if len(out.Msgs) != 1 {
		t.Fatalf("%d alerts for the first batch, want 1", len(out.Msgs))
	}
	now = start.Add(61 * time.Second)
	out.Reset()
	// An unselected event arrives: the window has passed on the clock.
	s.Process(context.Background(), []pipeline.Message{{Value: []byte(`{"message":"quiet"}`)}}, out)
	if len(out.Msgs) != 1 || !strings.Contains(string(out.Msgs[0].Value), `"kind":"digest"`) || !strings.Contains(string(out.Msgs[0].Value), `"count":3`) {
		t.Fatalf("want the digest of 3 by the clock, got %d messages", len(out.Msgs))
	}
}

func TestSelection(t *testing.T) {
	ts := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	events := []string{
		classified(ts, "1.1.1.1", "high", "r-ssh", "T1110.001"),
		classified(ts, "1.1.1.2", "medium", "r-scan", "T1046"),
		classified(ts, "1.1.1.3", "critical", "r-mimi", "T1003.001"),
		`{"@timestamp":"2026-01-01T08:00:00Z","source":{"ip":"1.1.1.4"},"event":{"risk_score":75}}`,
		`{"@timestamp":"2026-01-01T08:00:00Z","source":{"ip":"1.1.1.5"},"message":"nothing found"}`,
	}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "1.1.1.1 1.1.1.2 1.1.1.3"},
		{Config{MinLevel: "high"}, "1.1.1.1 1.1.1.3"},
		{Config{Techniques: []string{"T1110"}}, "1.1.1.1"},
		{Config{Techniques: []string{"t1003.001"}}, "1.1.1.3"},
		{Config{Tactics: []string{"TA0006"}, MinLevel: "critical"}, "1.1.1.3"},
		{Config{Rules: []string{"r-scan"}}, "1.1.1.2"},
		{Config{Rules: []string{"SSH Brute Force"}, MinLevel: "high"}, "1.1.1.1 1.1.1.3"},
		{Config{MinRisk: 70}, "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4"},
		{Config{MinRisk: 70, MinLevel: "critical"}, "1.1.1.3 1.1.1.4"},
	}
	for _, c := range cases {
		var got []string
		for _, d := range runStage(t, c.cfg, events) {
			got = append(got, d.Source.IP)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%+v: alerts for %q, want %q", c.cfg, got, c.want)
		}
	}
}

// TestCorrelationAlertsGrouped: classify's correlation alerts carry their
// group (IpAddress) instead of source.ip; two attackers are two alerts.
func TestCorrelationAlertsGrouped(t *testing.T) {
	corr := func(ip, ts string) string {
		return `{"@timestamp":"` + ts + `","event":{"kind":"alert"},"message":"Password Guessing: 10 events with IpAddress=` + ip + `",` +
			`"sigma":{"correlation":{"type":"event_count","group_by":{"IpAddress":"` + ip + `"}}},"winlog":{"event_data":{"IpAddress":"` + ip + `"}},` +
			`"threat":{"tactic":{"id":["TA0006"]},"technique":{"id":["T1110"]}},"rule":{"id":["r-guess"],"name":["Password Guessing"],"level":"high"}}`
	}
	docs := runStage(t, Config{Throttle: 10 * time.Minute},
		[]string{corr("31.254.141.223", "2026-01-01T08:00:00Z"), corr("87.8.93.191", "2026-01-01T08:00:10Z"), corr("31.254.141.223", "2026-01-01T08:01:00Z")})
	var got []string
	for _, d := range docs {
		got = append(got, fmt.Sprintf("%s %d", d.Alert.Kind, d.Alert.Count))
	}
	if strings.Join(got, ",") != "alert 1,alert 1,digest 2" {
		t.Errorf("alerts %v, want one per attacker and a digest of the first's two", got)
	}
}
