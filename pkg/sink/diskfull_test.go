package sink

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// fullAfter writes to w until it has taken n bytes, then fails as a full
// disk does: a short write and ENOSPC.
type fullAfter struct {
	w io.Writer
	n int
}

func (f *fullAfter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, _ := f.w.Write(p[:f.n])
	f.n = 0
	return k, syscall.ENOSPC
}

func events(from, n int) []pipeline.Message {
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		msgs[i].Value = fmt.Appendf(nil, `{"@timestamp":"2026-01-15T07:00:00Z","event":{"id":"e%d"},"host":{"name":"web-01"},"message":"%0200d"}`, from+i, i)
	}
	return msgs
}

// A disk that fills up mid-row leaves the file at its last whole row, the
// counts at what the file holds, and the sink failing; the next run
// appends after whole rows only.
func TestDiskFullLeavesWholeRows(t *testing.T) {
	for _, f := range []Format{CSV, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out."+string(f))
			first := fillUntilFull(t, path, f, 50<<10+123)
			got := readRows(t, path, f)
			if len(got) != first.Rows {
				t.Errorf("file holds %d rows, Counts says %d", len(got), first.Rows)
			}
			if first.Events == 0 || first.Events >= 5000 {
				t.Errorf("%d events counted, want some but not all", first.Events)
			}
			// The next run, with room, appends after the whole rows.
			s, err := OpenFile(path, f, attack.Default())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Write(context.Background(), events(10000, 10)); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readRows(t, path, f); len(got) != first.Rows+10 {
				t.Errorf("after appending 10: %d rows, want %d", len(got), first.Rows+10)
			}
		})
	}
}

// fillUntilFull writes 5000 events to a file that takes only room bytes
// more and returns the sink's counts after the failure.
func fillUntilFull(t *testing.T, path string, f Format, room int) Counts {
	t.Helper()
	s, err := OpenFile(path, f, attack.Default())
	if err != nil {
		t.Fatal(err)
	}
	o := outputOf(s)
	o.w = &fullAfter{w: o.w, n: room}
	ctx := context.Background()
	for i := 0; i < 5000 && err == nil; i += 100 {
		if err = s.Write(ctx, events(i, 100)); err == nil {
			err = s.Flush(ctx)
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write: %v, want ENOSPC", err)
	}
	if err := s.Write(ctx, events(5000, 1)); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("write after failure: %v", err)
	}
	if err := s.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("close: %v", err)
	}
	return s.Counts()
}

func outputOf(s Counter) *output {
	switch s := s.(type) {
	case *CSVSink:
		return &s.output
	case *JSONLSink:
		return &s.output
	}
	panic("unknown sink")
}

// readRows returns a file's data rows, failing on a partial one.
func readRows(t *testing.T, path string, f Format) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s ends in a partial row: %q", path, data[max(0, len(data)-80):])
	}
	if f == JSONL {
		var rows [][]string
		for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\n'}) {
			if len(l) > 0 {
				rows = append(rows, []string{string(l)})
			}
		}
		return rows
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs[1:]
}
