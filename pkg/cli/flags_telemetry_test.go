package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// runEnv runs the CLI in-process in env and returns the exit code.
func runEnv(env *Env, args ...string) int {
	return Run(context.Background(), append([]string{"secpipe"}, args...), env)
}

func testEnv(stdin io.Reader, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{
		Stdin:  stdin,
		Stdout: &out,
		Stderr: &errb,
		Now:    time.Now,
		Getenv: func(k string) string { return vars[k] },
	}, &out, &errb
}

const threeEvents = `{"event_id":"1","user":"alice","event_type":"process_start","process_name":"powershell.exe","command_line":"powershell -EncodedCommand SQBFAFgA"}
{"event_id":"2","user":"bob","event_type":"process_start","process_name":"notepad.exe","command_line":"notepad.exe"}
{"event_id":"3","user":"carol","event_type":"user_login","logon_type":"success"}
`

// TestStatsFlag: --stats adds the metrics to the command's own summary
// line, one line, or gives gen one.
func TestStatsFlag(t *testing.T) {
	env, _, stderr := testEnv(strings.NewReader(threeEvents), nil)
	if code := runEnv(env, "classify", "--stats"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^secpipe classify: 3 events, 1 matched, 0 alerts; 3 in, 3 out, 0 bad, \d+\.\d s, .*latency p50 \S+ p99 \S+\n$`).MatchString(stderr.String()) {
		t.Errorf("stderr %q", stderr)
	}

	stamped := strings.ReplaceAll(threeEvents, `{"event_id"`, `{"timestamp":"2026-01-15T08:00:00Z","event_id"`)
	env, _, stderr = testEnv(strings.NewReader(stamped+"{bad\n"), nil)
	if code := runEnv(env, "store", "--stats", "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^secpipe store: 3 events \(3 rows, 0 matched\) → <stdout>; 3 in, 3 out, 1 bad, .*end-to-end p50`).MatchString(stderr.String()) {
		t.Errorf("stderr %q", stderr)
	}

	env, _, stderr = testEnv(nil, nil)
	if code := runEnv(env, "gen", "--count", "100", "--seed", "1", "--stats"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^secpipe gen: 100 in, 100 out, 0 bad, \d+\.\d s, .*latency p50 \S+ p99 \S+\n$`).MatchString(stderr.String()) {
		t.Errorf("stderr %q", stderr)
	}

	env, _, stderr = testEnv(strings.NewReader(threeEvents), nil)
	if code := runEnv(env, "classify"); code != 0 || stderr.String() != "secpipe classify: 3 events, 1 matched, 0 alerts\n" {
		t.Errorf("without --stats: exit %d, stderr %q", code, stderr)
	}
}

// syncBuffer is a buffer that a test reads while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMetricsEndpoint scrapes a classify run in progress, reading a pipe
// that the test writes.
func TestMetricsEndpoint(t *testing.T) {
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	env := &Env{Stdin: pr, Stdout: io.Discard, Stderr: stderr, Now: time.Now, Getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- runEnv(env, "classify", "--metrics-addr", "127.0.0.1:0") }()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no address announced: %s", stderr)
		}
		if m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
	}
	w := bufio.NewWriter(pw)
	w.WriteString("[1]\n" + threeEvents) // a bad record last would hold the batch back until more input
	w.Flush()
	want := []string{
		`secpipe_events_in_total{command="classify"} 3`,
		`secpipe_events_out_total{command="classify"} 3`,
		`secpipe_events_bad_total{command="classify"} 1`,
		`secpipe_event_processing_seconds_count{command="classify"} 3`,
	}
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(body)
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(text, w)
		}
		if !missing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics after 10 s:\n%s", text)
		}
	}
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("still serving metrics after the command ended")
	}
}

// TestProgressBar: a bar on a terminal, cleared at the end; nothing when
// stderr is not one.
func TestProgressBar(t *testing.T) {
	env, _, stderr := testEnv(nil, nil)
	if code := runEnv(env, "gen", "--count", "20000", "--seed", "1"); code != 0 || stderr.Len() != 0 {
		t.Errorf("not a terminal: exit %d, stderr %q", code, stderr)
	}
	env, _, stderr = testEnv(nil, nil)
	env.IsTerminal = func(f any) bool { return f == env.Stderr }
	if code := runEnv(env, "gen", "--count", "20000", "--seed", "1", "--stats"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := stderr.String()
	bar, summary, _ := strings.Cut(s, "secpipe gen: 20000 in")
	if !strings.Contains(bar, "secpipe gen") || !strings.Contains(bar, "events") || !strings.HasSuffix(bar, "\r") || strings.Contains(summary, "\r") {
		t.Errorf("a terminal: stderr %q", s)
	}
}

// TestTraceFlag: the trace field goes into the output with --trace, even
// for events left out (their unsampled context), and a bad sampler is a
// usage error.
func TestTraceFlag(t *testing.T) {
	env, stdout, stderr := testEnv(nil, map[string]string{"OTEL_TRACES_SAMPLER": "always_off"})
	if code := runEnv(env, "gen", "--count", "5", "--seed", "1", "--trace"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := len(regexp.MustCompile(`(?m)^\{"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-00","@timestamp"`).FindAllString(stdout.String(), -1)); n != 5 {
		t.Errorf("%d events with an unsampled traceparent first, want 5:\n%s", n, stdout)
	}
	// classify takes the field out and writes its own.
	env2, stdout2, stderr2 := testEnv(strings.NewReader(stdout.String()), map[string]string{"OTEL_TRACES_SAMPLER": "always_off"})
	if code := runEnv(env2, "classify", "--trace"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr2)
	}
	if strings.Count(stdout2.String(), "traceparent") != 5 || stdout2.String() != stdout.String() {
		t.Errorf("classify changed the unsampled contexts, or doubled the field:\n%s", stdout2)
	}
	// Without --trace the field is data, passed on as it is.
	env3, stdout3, _ := testEnv(strings.NewReader(stdout.String()), nil)
	runEnv(env3, "classify")
	if stdout3.String() != stdout.String() {
		t.Errorf("classify without --trace changed the events")
	}

	env, _, stderr = testEnv(nil, map[string]string{"OTEL_TRACES_SAMPLER": "xray"})
	if code := runEnv(env, "gen", "--count", "1", "--trace"); code != ExitUsage || !strings.Contains(stderr.String(), "OTEL_TRACES_SAMPLER") {
		t.Errorf("bad sampler: exit %d, stderr %q", code, stderr)
	}
	env, _, stderr = testEnv(nil, nil)
	if code := runEnv(env, "gen", "--count", "1", "--metrics-addr", "nowhere"); code != ExitUsage {
		t.Errorf("bad --metrics-addr: exit %d, stderr %q", code, stderr)
	}
}

// TestTraceNoCollector: with --trace and no collector listening, the
// command says so once at start and exits without waiting to export.
func TestTraceNoCollector(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: refused
	env, stdout, stderr := testEnv(nil, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
	start := time.Now()
	code := runEnv(env, "gen", "--count", "3", "--seed", "1", "--trace")
	if took := time.Since(start); code != ExitOK || took > 3*time.Second {
		t.Fatalf("exit %d after %v; stderr:\n%s", code, took, stderr)
	}
	want := "secpipe gen: tracing: no OpenTelemetry collector at " + endpoint + " (connect: connection refused): spans are not sent\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if n := strings.Count(stdout.String(), `{"traceparent":"00-`); n != 3 {
		t.Errorf("%d events carry their trace context, want 3:\n%s", n, stdout)
	}
}
