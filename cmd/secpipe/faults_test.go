package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/kafka"
)

// summaryLine is a command's closing summary on stderr.
var summaryLine = regexp.MustCompile(`^secpipe (classify|stats): \d+ events`)

// A downstream that stops reading (| head -1) ends the command quietly:
// no error message, exit 0 or death by SIGPIPE as any Unix filter, and no
// partial file left behind (a chart and layer are whole or absent).
func TestDownstreamClosed(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	if out, err := exec.Command("sh", "-c", "secpipe gen --seed 1 --count 30000 >"+events+" && secpipe classify "+events+" | secpipe store "+filepath.Join(dir, "tactics.csv")).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	chart, layer := filepath.Join(dir, "c.png"), filepath.Join(dir, "layer.json")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"classify", []string{"classify", events}},
		{"classify with a dlq", []string{"classify", "--dlq", filepath.Join(dir, "dead.jsonl"), events}},
		{"stats with chart and layer", []string{"stats", filepath.Join(dir, "tactics.csv"), "--chart", chart, "--navigator", layer}},
		{"stats csv", []string{"stats", filepath.Join(dir, "tactics.csv"), "--format", "csv"}},
	} {
		args := tc.args
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "secpipe", args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || line == "" {
				t.Fatalf("first line: %q %v", line, err)
			}
			out.Close() // head -1 exits
			err = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("still running %v after its reader left", 60*time.Second)
			}
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGPIPE:
			default:
				t.Errorf("exit: %v, want 0 or SIGPIPE\n%s", err, stderr.String())
			}
			// Quiet: no error. The summary line may come, when the whole
			// output was in the pipe before the reader left.
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if line != "" && !summaryLine.MatchString(line) {
					t.Errorf("not quiet: %s", stderr.String())
					break
				}
			}
			if data, err := os.ReadFile(chart); err == nil && !bytes.HasSuffix(data, []byte("IEND\xaeB`\x82")) {
				t.Errorf("a partial chart: %d bytes", len(data))
			}
			if data, err := os.ReadFile(layer); err == nil && !json.Valid(data) {
				t.Errorf("a partial layer: %d bytes", len(data))
			}
		})
	}
}

// freeAddr returns a local address free to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// lockedBuffer is a bytes.Buffer safe for a process to write while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBroker runs secpipe broker on addr and waits until it serves.
func startBroker(t *testing.T, addr string) *exec.Cmd {
	t.Helper()
	file := filepath.Join(t.TempDir(), "addr")
	b := exec.Command("secpipe", "broker", "--listen", addr, "--addr-file", file, "--topics", "events")
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broker", 20*time.Second, func() bool { _, err := os.Stat(file); return err == nil })
	return b
}

// publish writes events {"seq":i} for i in [from, to) to the topic.
func publish(t *testing.T, addr string, from, to int) {
	t.Helper()
	var in strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&in, `{"seq":%d,"host":"h%d"}`+"\n", i, i%7)
	}
	cmd := exec.Command("secpipe", "publish", "--brokers", addr, "--topic", "events")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
}

// A broker that dies and comes back empty under a running classify
// --from-topic: the stage fails loudly, or resumes and classifies what is
// published after the restart; it never hangs, nor exits 0.
func TestBrokerRestartUnderClassify(t *testing.T) {
	addr := freeAddr(t)
	broker := startBroker(t, addr)
	defer func() { broker.Process.Kill(); broker.Wait() }()
	publish(t, addr, 0, 1000)

	var stdout, stderr lockedBuffer
	cls := exec.Command("secpipe", "classify", "--brokers", addr, "--from-topic", "events", "--group", "restart")
	cls.Stdout, cls.Stderr = &stdout, &stderr
	if err := cls.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cls.Wait() }()
	defer func() {
		select {
		case <-exited:
		default:
			cls.Process.Kill()
			<-exited
		}
	}()
	waitFor(t, "the first events", 30*time.Second, func() bool { return strings.Count(stdout.String(), "\n") >= 1000 })

	broker.Process.Kill()
	broker.Wait()
	broker = startBroker(t, addr)
	publish(t, addr, 1000, 1100)

	deadline := time.After(90 * time.Second)
	for {
		select {
		case err := <-exited:
			var ee *exec.ExitError
			if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "secpipe classify:") {
				t.Fatalf("exit %v after the broker restarted, want 1 and a message\n%s", err, stderr.String())
			}
			t.Logf("failed loudly: %s", lastLine(stderr.String()))
			return
		case <-deadline:
			t.Fatalf("neither failed nor resumed in 90s (%d events out)\n%s", strings.Count(stdout.String(), "\n"), stderr.String())
		case <-time.After(100 * time.Millisecond):
			if strings.Contains(stdout.String(), `"seq":1099`) {
				t.Logf("resumed: %d events out", strings.Count(stdout.String(), "\n"))
				return
			}
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// store --from-topic onto a full device fails and commits no offset past
// what it wrote: the group's lag still counts every event.
func TestStoreFromTopicDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs /dev/full")
		}
		t.Skip("SKIPPED: this test needs /dev/full (CI=true makes this a failure)")
	}
	addr, stopBroker, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stopBroker()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	publishSeq(t, cfg, "events", 0, 3000)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "secpipe", "store", "--brokers", addr, "--from-topic", "events", "--group", "full", "--exit-at-end", "--format", "csv", "/dev/full").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "no space left on device") || !strings.Contains(string(out), "0 events") || !strings.Contains(string(out), "wrote 0 rows") {
		t.Fatalf("exit %v, want 1 with the error and no rows claimed\n%s", err, out)
	}
	lag, err := kafka.Lag(context.Background(), cfg, "full", []string{"events"})
	if err != nil || lag.Total != 3000 {
		t.Fatalf("lag after the failure: %+v %v, want 3000: an offset was committed past what was written", lag, err)
	}
}
