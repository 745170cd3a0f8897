package source

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Events of several files come in order; a regular file fills whole batches
// and says more is ready; the end is io.EOF, asked for again or not.
func TestFilesSource(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	var lines []string
	for i := 0; i < 10; i++ {
		lines = append(lines, `{"n":`+strings.Repeat("1", i+1)+`}`)
	}
	os.WriteFile(a, []byte(strings.Join(lines[:6], "\n")+"\n"), 0o644)
	os.WriteFile(b, []byte(strings.Join(lines[6:], "\n")), 0o644)
	rejects := &pipeline.Rejects{}
	src := NewFiles([]string{a, b}, nil, format.Auto, 0, rejects)
	var got []string
	batch := &pipeline.Batch{Limit: 4}
	for i := 0; i < 10; i++ {
		batch.Reset()
		err := src.Read(context.Background(), batch)
		for _, m := range batch.Msgs {
			got = append(got, string(m.Value))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(batch.Msgs) == 4 && !batch.More {
			t.Errorf("a full batch from a regular file must say more is ready")
		}
	}
	if strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Errorf("events:\n%q\nwant\n%q", got, lines)
	}
	batch.Reset()
	if err := src.Read(context.Background(), batch); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
}

// A bad record on a pipe whose writer then pauses does not hold back the
// good events read before it.
func TestFilesBadRecordOnIdlePipe(t *testing.T) {
	pr, pw := io.Pipe()
	src := NewFiles(nil, pr, format.Auto, 0, &pipeline.Rejects{})
	go pw.Write([]byte("{\"a\":1}\n{\"a\":2}\nnot json\n")) // then the writer pauses
	done := make(chan []string, 1)
	go func() {
		var got []string
		b := &pipeline.Batch{Limit: 100}
		for len(got) < 2 {
			b.Reset()
			if err := src.Read(context.Background(), b); err != nil {
				break
			}
			for _, m := range b.Msgs {
				got = append(got, string(m.Value))
			}
		}
		done <- got
	}()
	select {
	case got := <-done:
		if strings.Join(got, ",") != `{"a":1},{"a":2}` {
			t.Errorf("events: %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("good events held back behind a bad record on an idle pipe")
	}
	pw.Close()
}

// Only a named CSV file, the last input, is offered in parts: not stdin,
// even when it is a regular file, nor a file followed by another.
func TestFilesOfferParts(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "a.csv")
	body := "id,user\n"
	for i := range 100 {
		body += "e" + strings.Repeat("1", i%7+1) + ",alice\n"
	}
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(csv)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	cases := []struct {
		name  string
		specs []string
		parts int // messages offered in parts
		rows  int // messages that came as rows
	}{
		{"the last file", []string{csv}, 1, 0},
		{"stdin, a regular file", nil, 0, 100},
		{"a file followed by another", []string{csv, csv}, 1, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := Open(context.Background(), c.specs, Options{Stdin: stdin, Fields: []string{"id", "user"}, Rows: true, Parts: 2, MinPart: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			parts, rows := 0, 0
			for {
				b := &pipeline.Batch{Limit: 1000}
				err := src.Read(context.Background(), b)
				for _, m := range b.Msgs {
					if m.Parts != nil {
						parts++
					}
					if m.Row != nil {
						rows++
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if parts != c.parts || rows != c.rows {
				t.Errorf("%d inputs in parts and %d rows, want %d and %d", parts, rows, c.parts, c.rows)
			}
		})
	}
}
