package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// runGen runs secpipe with args in-process and returns stdout, stderr and
// the exit code.
func runGen(ctx context.Context, args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Now:    func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC) },
		Getenv: func(string) string { return "" },
	}
	code := Run(ctx, append([]string{"secpipe"}, args...), env)
	return stdout.String(), stderr.String(), code
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestGenSeedIsReproducible(t *testing.T) {
	a, _, code := runGen(context.Background(), "gen", "--count", "500", "--seed", "9")
	b, _, _ := runGen(context.Background(), "gen", "--count", "500", "--seed", "9")
	c, _, _ := runGen(context.Background(), "gen", "--count", "500", "--seed", "10")
	if code != ExitOK || a != b || a == c {
		t.Fatalf("exit %d; same seed equal: %v; other seed equal: %v", code, a == b, a == c)
	}
	l := lines(a)
	if len(l) != 500 || !strings.HasPrefix(l[0], `{"@timestamp":"2026-01-01T00:00:00.`) {
		t.Fatalf("%d lines, first %.60s", len(l), l[0])
	}
	for _, line := range l {
		if !json.Valid([]byte(line)) {
			t.Fatalf("invalid JSON: %s", line)
		}
	}
}

func TestGenDefaults(t *testing.T) {
	out, stderr, code := runGen(context.Background(), "gen")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	l := lines(out)
	if len(l) != 1000 {
		t.Fatalf("%d events by default, want 1000", len(l))
	}
	// Without --seed the run ends now: 1000 events at 10 a second are the
	// last 100 s, none in the future (the last event falls by chance in the
	// last seconds of it).
	now := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	first, last := eventTime(t, l[0]), eventTime(t, l[len(l)-1])
	if last.After(now) || now.Sub(last) > 50*time.Second || first.Before(now.Add(-100*time.Second)) {
		t.Fatalf("events from %v to %v, want the 100 s up to %v", first, last, now)
	}
	out, _, _ = runGen(context.Background(), "gen", "--count", "100", "--duration", "2h")
	l = lines(out)
	if first, last := eventTime(t, l[0]), eventTime(t, l[len(l)-1]); last.After(now) || first.Before(now.Add(-2*time.Hour)) || now.Sub(first) < time.Hour {
		t.Fatalf("--duration 2h: events from %v to %v, want the 2 h up to %v", first, last, now)
	}
}

func eventTime(t *testing.T, line string) time.Time {
	t.Helper()
	var e struct {
		Timestamp time.Time `json:"@timestamp"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	return e.Timestamp
}

func TestGenFlags(t *testing.T) {
	out, _, code := runGen(context.Background(), "gen", "--seed", "1", "--format", "lab", "--count", "50",
		"--start", "2026-01-15", "--scenario", "none")
	l := lines(out)
	if code != ExitOK || len(l) != 50 {
		t.Fatalf("exit %d, %d lines", code, len(l))
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(l[0]), &e); err != nil {
		t.Fatal(err)
	}
	if e["event_id"] == nil || !strings.HasPrefix(e["timestamp"].(string), "2026-01-15T00:00:00.") {
		t.Fatalf("first lab event %s", l[0])
	}
	for _, line := range l {
		if !strings.HasSuffix(line, `"truth":{"scenario":"benign"}}`) {
			t.Fatalf("--scenario none gave %s", line)
		}
	}

	// --count with --duration spreads the events over the duration.
	out, _, code = runGen(context.Background(), "gen", "--seed", "1", "--count", "2000", "--duration", "2d")
	l = lines(out)
	if code != ExitOK || len(l) != 2000 || !strings.HasPrefix(l[len(l)-1], `{"@timestamp":"2026-01-02T2`) {
		t.Fatalf("exit %d, %d lines, last %.40s", code, len(l), l[len(l)-1])
	}
	// --duration alone stops when the event clock passes it.
	out, _, _ = runGen(context.Background(), "gen", "--seed", "1", "--duration", "1m")
	l = lines(out)
	if len(l) < 450 || len(l) > 750 || !strings.HasPrefix(l[len(l)-1], `{"@timestamp":"2026-01-01T00:00:`) {
		t.Fatalf("one minute at 10 events/s: %d lines, last %.40s", len(l), l[len(l)-1])
	}
	// Attack runs can be selected alone.
	out, _, _ = runGen(context.Background(), "gen", "--seed", "1", "--count", "3000", "--scenario", "port_scan", "--attack-share", "0.5")
	if !strings.Contains(out, `"truth":{"scenario":"port_scan","run":1,`) || strings.Contains(out, `"scenario":"ssh_brute_force"`) {
		t.Fatal("--scenario port_scan did not give port scans only")
	}
}

func TestGenRate(t *testing.T) {
	start := time.Now()
	out, _, code := runGen(context.Background(), "gen", "--count", "20", "--rate", "200")
	if d := time.Since(start); code != ExitOK || len(lines(out)) != 20 || d < 80*time.Millisecond {
		t.Fatalf("exit %d, %d lines in %s: want 20 lines taking about 0.1s", code, len(lines(out)), d)
	}
}

func TestGenInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out, _, code := runGen(ctx, "gen", "--rate", "100")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d", code, ExitInterrupted)
	}
	l := lines(out)
	if len(l) < 5 || len(l) > 40 {
		t.Fatalf("%d events in 0.2s at 100/s", len(l))
	}
	for _, line := range l {
		if !json.Valid([]byte(line)) {
			t.Fatalf("invalid JSON after interrupt: %s", line)
		}
	}
}

func TestGenUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--count", "-5"}, "--count"},
		{[]string{"--count", "many"}, "count"},
		{[]string{"--rate", "-1"}, "--rate"},
		{[]string{"--attack-share", "1.5"}, "--attack-share"},
		{[]string{"--duration", "soon"}, "--duration"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--start", "yesterday"}, "--start"},
		{[]string{"--scenario", "ssh_brute_force,nope"}, `unknown scenario "nope"`},
		{[]string{"--seed", "-1"}, "seed"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		out, stderr, code := runGen(context.Background(), append([]string{"gen"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, %d bytes out; want exit 2 and %q", c.args, code, stderr, len(out), c.want)
		}
	}
}

func TestGenListScenarios(t *testing.T) {
	out, _, code := runGen(context.Background(), "gen", "--list-scenarios")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"ssh_brute_force", "ransomware", "T1110.001", "TA0040", "DESCRIPTION"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list-scenarios lacks %s", want)
		}
	}
}
