package enrich

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSuffix(s.b.String(), "\n"), "\n")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReloadMidStream changes an indicator file while events flow through
// a pipeline: every event comes out once, those before the change without
// the new indicator's match and those after with it.
func TestReloadMidStream(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "iocs.txt")
	if err := os.WriteFile(file, []byte("evil.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	e, err := New(Config{Intel: []string{dir}, Reload: 10 * time.Millisecond, Log: &log, Prefix: "enrich"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pr, pw := io.Pipe()
	src, err := source.Open(context.Background(), nil, source.Options{Stdin: pr})
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	snk, err := sink.Open(context.Background(), "-", sink.Options{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pipeline.Run(context.Background(), src, e.NewStage(), snk, pipeline.DefaultPolicy) }()
	const n = 200
	write := func(from, to int) {
		for i := from; i < to; i++ {
			fmt.Fprintf(pw, `{"seq":%d,"source":{"ip":"185.220.101.9"}}`+"\n", i)
		}
	}
	write(0, n/2)
	waitFor(t, "the first half to come out", func() bool { return len(out.lines()) == n/2 })
	if err := os.WriteFile(file, []byte("evil.example\n185.220.101.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", func() bool { return e.Reloads() == 1 })
	write(n/2, n)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := out.lines()
	if len(lines) != n {
		t.Fatalf("%d events out, want %d", len(lines), n)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, fmt.Sprintf(`{"seq":%d,`, i)) {
			t.Fatalf("event %d out of order, lost or repeated: %s", i, l)
		}
		matched := strings.Contains(l, `"threat":{"enrichments"`)
		if matched != (i >= n/2) {
			t.Errorf("event %d: matched %v: %s", i, matched, l)
		}
	}
	if !strings.Contains(strings.Join(log.lines(), "\n"), "enrich: reloaded 2 indicators from 1 files") {
		t.Errorf("no reload notice: %q", log.lines())
	}
}

// TestReloadKeepsIndicatorsOnFailure: a file that cannot be read any more
// leaves the indicators loaded before in use.
func TestReloadKeepsIndicatorsOnFailure(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "feeds")
	writeFiles(t, dir, map[string]string{"feeds/a.txt": "185.220.101.4\n"})
	var log syncBuffer
	e, err := New(Config{Intel: []string{sub}, Reload: 10 * time.Millisecond, Log: &log, Prefix: "enrich"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed reload's notice", func() bool {
		return strings.Contains(strings.Join(log.lines(), "\n"), "reload failed, keeping the indicators loaded before")
	})
	if e.Indicators() != 1 {
		t.Errorf("%d indicators after a failed reload, want the 1 loaded before", e.Indicators())
	}
}
