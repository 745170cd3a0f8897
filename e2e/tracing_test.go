//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	secpipe  string // the secpipe binary
	jaegerUI string // Jaeger's query API: http://127.0.0.1:PORT
	otlp     string // Jaeger's OTLP gRPC receiver: http://127.0.0.1:PORT
)

func TestMain(m *testing.M) {
	secpipe = os.Getenv("SECPIPE")
	jaeger := os.Getenv("JAEGER")
	if secpipe == "" || jaeger == "" {
		fmt.Fprintln(os.Stderr, "set SECPIPE and JAEGER to the binaries (make e2e does)")
		os.Exit(2)
	}
	config := os.Getenv("JAEGER_CONFIG")
	if config == "" {
		config = "../tools/jaeger/config.yaml"
	}
	stop, err := startJaeger(jaeger, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// freePorts returns n ports free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startJaeger runs Jaeger on free ports and waits until it is healthy.
func startJaeger(bin, config string) (func(), error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "e2e-jaeger-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(),
		"JAEGER_OTLP_GRPC="+strconv.Itoa(ports[0]),
		"JAEGER_OTLP_HTTP="+strconv.Itoa(ports[1]),
		"JAEGER_QUERY_HTTP="+strconv.Itoa(ports[2]),
		"JAEGER_QUERY_GRPC="+strconv.Itoa(ports[3]),
		"JAEGER_HEALTH_HTTP="+strconv.Itoa(ports[4]))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		log.Close()
		os.Remove(log.Name())
	}
	health := fmt.Sprintf("http://127.0.0.1:%d/status", ports[4])
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("jaeger not healthy after 60 s (log: %s)", log.Name())
		}
	}
	jaegerUI = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	otlp = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	return stop, nil
}

// startBroker runs secpipe broker on a free port for the test.
func startBroker(t *testing.T) string {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "broker.addr")
	cmd := exec.Command(secpipe, "broker", "--listen", "127.0.0.1:0", "--addr-file", addrFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatal("broker did not start")
		}
	}
}

// stage is one secpipe process of a pipeline.
type stage struct {
	args   []string
	stderr bytes.Buffer
}

// run runs the stages as one shell pipeline, each stage's stdout into the
// next one's stdin, with tracing to Jaeger, and fails the test unless
// every one exits 0. It returns their stderr.
func run(t *testing.T, env []string, stages ...[]string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, len(stages))
	errs := make([]bytes.Buffer, len(stages))
	for i, args := range stages {
		cmds[i] = exec.CommandContext(ctx, secpipe, args...)
		cmds[i].Env = append(append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp), env...)
		cmds[i].Stderr = &errs[i]
		if i > 0 {
			r, err := cmds[i-1].StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmds[i].Stdin = r
		}
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for i := len(cmds) - 1; i >= 0; i-- { // the last first: it drains the pipes
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("secpipe %s: %v\n%s", strings.Join(stages[i], " "), err, errs[i].String())
		}
	}
	for i := range errs {
		out = append(out, errs[i].String())
		t.Logf("secpipe %s:\n%s", strings.Join(stages[i], " "), errs[i].String())
	}
	return out
}

// The parts of Jaeger's /api/traces answer that the tests read.
type jaegerTrace struct {
	TraceID   string `json:"traceID"`
	Spans     []jaegerSpan
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	}
}

type jaegerSpan struct {
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		SpanID  string `json:"spanID"`
	}
	ProcessID string `json:"processID"`
	Tags      []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	}
	service string
}

func (s *jaegerSpan) tag(key string) string {
	for _, t := range s.Tags {
		if t.Key == key {
			return fmt.Sprint(t.Value)
		}
	}
	return ""
}

func (s *jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// traces asks Jaeger for the traces of service since start until they
// pass check (spans reach Jaeger's storage a moment after they are sent),
// retrying for up to 20 seconds; then it fails the test with check's
// error.
func traces(t *testing.T, service string, since time.Time, want int, check func([]jaegerTrace) error) []jaegerTrace {
	t.Helper()
	q := url.Values{
		"service": {service},
		"limit":   {strconv.Itoa(10 * want)},
		"start":   {strconv.FormatInt(since.UnixMicro(), 10)},
	}
	var got []jaegerTrace
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		q.Set("end", strconv.FormatInt(time.Now().UnixMicro(), 10))
		resp, err := http.Get(jaegerUI + "/api/traces?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var answer struct{ Data []jaegerTrace }
		if err := json.Unmarshal(body, &answer); err != nil {
			t.Fatalf("jaeger: %v: %.300s", err, body)
		}
		got = answer.Data
		for i := range got {
			for j := range got[i].Spans {
				s := &got[i].Spans[j]
				s.service = got[i].Processes[s.ProcessID].ServiceName
			}
		}
		err = fmt.Errorf("jaeger has %d traces of %s, want %d", len(got), service, want)
		if len(got) >= want {
			if err = check(got); err == nil {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}

// link is one span expected in a trace: its service and name, each the
// child of the one before.
type link struct{ service, name string }

// chain finds in tr the spans of want, each the child of the previous,
// starting at the root; it returns them, or how the chain broke.
func chain(tr jaegerTrace, want []link) ([]*jaegerSpan, error) {
	var got []*jaegerSpan
	parent := ""
	for _, w := range want {
		var found *jaegerSpan
		for i := range tr.Spans {
			s := &tr.Spans[i]
			if s.service == w.service && s.OperationName == w.name && s.parent() == parent {
				found = s
				break
			}
		}
		if found == nil {
			return got, fmt.Errorf("trace %s: no span %s %q as the child of span %q", tr.TraceID, w.service, w.name, parent)
		}
		got = append(got, found)
		parent = found.SpanID
	}
	return got, nil
}

var topicChain = []link{
	{"secpipe-gen", "gen"},
	{"secpipe-publish", "publish events"},
	{"secpipe-classify", "process events"},
	{"secpipe-classify", "classify"},
	{"secpipe-classify", "publish classified"},
	{"secpipe-store", "process classified"},
	{"secpipe-store", "store"},
}

// TestTopicPipelineTrace: gen | publish, classify over topics, store over
// topics, four processes: each event is one trace holding gen → publish →
// process → classify → publish → process → store, each span the child of
// the one before, with the Kafka semantics on the messaging spans and the
// ATT&CK technique on the classify span of an attack event.
func TestTopicPipelineTrace(t *testing.T) {
	const n = 200
	start := time.Now()
	broker := startBroker(t)
	env := []string{"SECPIPE_BROKERS=" + broker}
	dir := t.TempDir()
	// Scenarios that start at once, so that 200 events hold detected attacks.
	run(t, env, []string{"gen", "--count", strconv.Itoa(n), "--seed", "7", "--attack-share", "0.2",
		"--scenario", "encoded_powershell,uac_bypass", "--trace"},
		[]string{"publish", "--topic", "events", "--trace"})
	run(t, env, []string{"classify", "--from-topic", "events", "--to-topic", "classified", "--exit-at-end", "--trace"})
	errs := run(t, env, []string{"store", "--from-topic", "classified", "--exit-at-end", "--trace", filepath.Join(dir, "out.csv")})
	if !strings.Contains(errs[0], "secpipe store: ") {
		t.Fatalf("store: %s", errs[0])
	}

	all := traces(t, "secpipe-gen", start, n, func(all []jaegerTrace) error {
		for _, tr := range all {
			if _, err := chain(tr, topicChain); err != nil {
				return err
			}
		}
		return nil
	})
	if len(all) != n {
		t.Errorf("%d traces, want one per event: %d", len(all), n)
	}
	attacks := 0
	for _, tr := range all {
		spans, _ := chain(tr, topicChain)
		services := map[string]bool{}
		for _, s := range spans {
			services[s.service] = true
		}
		if len(services) != 4 {
			t.Fatalf("trace %s spans %d processes, want 4", tr.TraceID, len(services))
		}
		pub, proc := spans[1], spans[2]
		if pub.tag("span.kind") != "producer" || proc.tag("span.kind") != "consumer" ||
			pub.tag("messaging.system") != "kafka" || proc.tag("messaging.destination.name") != "events" ||
			proc.tag("messaging.operation.type") != "process" || pub.tag("messaging.operation.type") != "send" ||
			pub.tag("messaging.kafka.offset") != proc.tag("messaging.kafka.offset") ||
			pub.tag("messaging.destination.partition.id") != proc.tag("messaging.destination.partition.id") {
			t.Fatalf("trace %s: messaging spans %+v and %+v", tr.TraceID, pub.Tags, proc.Tags)
		}
		if scen := spans[0].tag("secpipe.gen.scenario"); scen != "" && scen != "benign" {
			if tech := spans[3].tag("secpipe.attack.technique"); tech != "" {
				attacks++
				if spans[6].tag("secpipe.attack.technique") != tech {
					t.Errorf("trace %s: store span's techniques %s, classify's %s", tr.TraceID, spans[6].tag("secpipe.attack.technique"), tech)
				}
			}
		}
	}
	if attacks == 0 {
		t.Error("no classify span of an attack event names a technique")
	}
	t.Logf("%d traces of 7 spans across 4 processes; %d attack events with their techniques", len(all), attacks)
}

// TestPipeTrace: gen | classify | store, three processes and no Kafka:
// one trace per event, gen → classify → store, linked by the traceparent
// field of the events.
func TestPipeTrace(t *testing.T) {
	const n = 100
	start := time.Now()
	dir := t.TempDir()
	run(t, nil,
		[]string{"gen", "--count", strconv.Itoa(n), "--seed", "8", "--trace"},
		[]string{"classify", "--trace"},
		[]string{"store", "--trace", filepath.Join(dir, "out.csv")})
	pipe := []link{{"secpipe-gen", "gen"}, {"secpipe-classify", "classify"}, {"secpipe-store", "store"}}
	all := traces(t, "secpipe-gen", start, n, func(all []jaegerTrace) error {
		for _, tr := range all {
			if _, err := chain(tr, pipe); err != nil {
				return err
			}
		}
		return nil
	})
	roots := map[string]bool{}
	for _, tr := range all {
		spans, _ := chain(tr, pipe)
		roots[spans[0].SpanID] = true
	}
	if len(roots) != len(all) {
		t.Errorf("%d traces share %d gen spans", len(all), len(roots))
	}
}

// TestBrokenChainTrace: store refuses events larger than its
// --max-record-size: each trace ends in store's process span, failed with
// the reason, and has no store span.
func TestBrokenChainTrace(t *testing.T) {
	const n = 50
	start := time.Now()
	broker := startBroker(t)
	env := []string{"SECPIPE_BROKERS=" + broker}
	dir := t.TempDir()
	run(t, env, []string{"gen", "--count", strconv.Itoa(n), "--seed", "9", "--trace"},
		[]string{"publish", "--topic", "events", "--trace"})
	run(t, env, []string{"classify", "--from-topic", "events", "--to-topic", "classified", "--exit-at-end", "--trace"})
	errs := run(t, env, []string{"store", "--from-topic", "classified", "--exit-at-end", "--trace", "--max-record-size", "200", filepath.Join(dir, "out.csv")})
	if !strings.Contains(errs[0], fmt.Sprintf("skipped %d bad input record(s)", n)) {
		t.Fatalf("store did not refuse every event: %s", errs[0])
	}
	all := traces(t, "secpipe-gen", start, n, func(all []jaegerTrace) error {
		for _, tr := range all {
			if _, err := chain(tr, topicChain[:6]); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tr := range all {
		spans, _ := chain(tr, topicChain[:6])
		proc := spans[5]
		if proc.tag("error") != "true" || proc.tag("otel.status_code") != "ERROR" || !strings.Contains(proc.tag("otel.status_description"), "exceeds the size limit") {
			t.Fatalf("trace %s: store's process span is not failed with the reason: %+v", tr.TraceID, proc.Tags)
		}
		if _, err := chain(tr, topicChain); err == nil {
			t.Fatalf("trace %s has a store span after the failure", tr.TraceID)
		}
	}
}
