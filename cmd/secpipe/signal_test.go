package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestInterruptAtAnyMoment sends SIGINT to gen, classify (reading a file)
// and store at random moments once they are running: each exits 130
// within 5 s, and its output holds only whole events.
func TestInterruptAtAnyMoment(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 4
	}
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	gen := exec.Command("secpipe", "gen", "--count", "100000", "--seed", "3")
	f, err := os.Create(events)
	if err != nil {
		t.Fatal(err)
	}
	gen.Stdout = f
	if err := gen.Run(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sample, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	sample = sample[:bytes.IndexByte(sample[1<<20:], '\n')+1<<20+1] // about 1 MiB of whole lines

	t.Run("gen", func(t *testing.T) {
		for i := 0; i < runs; i++ {
			interruptJSONL(t, exec.Command("secpipe", "gen", "--count", "100000000"))
		}
	})
	t.Run("classify", func(t *testing.T) {
		for i := 0; i < runs; i++ {
			interruptJSONL(t, exec.Command("secpipe", "classify", events))
		}
	})
	t.Run("store", func(t *testing.T) {
		for i := 0; i < runs; i++ {
			out := filepath.Join(t.TempDir(), "tactics.csv")
			cmd := exec.Command("secpipe", "store", out)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			// Input without end: it stops when store does.
			started := make(chan struct{})
			go func() {
				defer stdin.Close()
				for n := 0; ; n++ {
					if _, err := stdin.Write(sample); err != nil {
						return
					}
					if n == 0 {
						close(started) // store is reading: its signal handler is set
					}
				}
			}()
			interrupt(t, cmd, started)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) == 0 || data[len(data)-1] != '\n' {
				t.Fatalf("store: %s does not end with a whole row", out)
			}
			if _, err := csv.NewReader(bytes.NewReader(data)).ReadAll(); err != nil {
				t.Fatalf("store: %s: %v", out, err)
			}
		}
	})
}

// interruptJSONL runs cmd, interrupts it once its output has begun, and
// checks that every line of its output is a whole JSON object.
func interruptJSONL(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	// A pipe of our own: cmd.Wait would close the one of StdoutPipe before
	// all was read.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd.Stdout = w
	started := make(chan struct{})
	bad := make(chan string, 1)
	read := make(chan int)
	go func() {
		r := bufio.NewReaderSize(stdout, 1<<20)
		n := 0
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && (err != nil || !json.Valid(line) || line[0] != '{') {
				bad <- string(line[:min(len(line), 200)])
				io.Copy(io.Discard, r)
				break
			}
			if err != nil {
				break
			}
			if n++; n == 1 {
				close(started)
			}
		}
		read <- n
	}()
	interrupt(t, cmd, started)
	w.Close()
	if n := <-read; n == 0 {
		t.Fatalf("%v: no output", cmd.Args)
	}
	select {
	case line := <-bad:
		t.Fatalf("%v: output ends with a partial event: %q", cmd.Args, line)
	default:
	}
}

// interrupt starts cmd, sends SIGINT at a random moment after started is
// closed, and checks that it exits 130 within 5 s.
func interrupt(t *testing.T, cmd *exec.Cmd, started <-chan struct{}) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-started:
	case <-exited:
		t.Fatalf("%v exited before it was interrupted: %v\n%s", cmd.Args, cmd.ProcessState, stderr.String())
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("%v did not start within 10 s", cmd.Args)
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // a random moment, not a wait for a condition
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump on stderr
		<-exited
		t.Fatalf("%v still running 5 s after SIGINT:\n%s", cmd.Args, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("%v: exit code %d after SIGINT, want 130:\n%s", cmd.Args, code, stderr.String())
	}
}
