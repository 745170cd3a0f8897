package sink

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/store"
)

// clock is a test clock that moves when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// readCSV reads a finished or active CSV file, decompressing it.
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch filepath.Ext(name) {
	case ".zst":
		d, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		r = d
	case ".gz":
		g, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = g
	}
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestRotatingByTime(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)}
	path := filepath.Join(dir, "tactics.csv")
	r, err := OpenRotating(path, CSV, attack.Default(), Rotation{Every: time.Hour, Compress: "zstd", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	write := func(ids ...string) {
		var raw [][]byte
		for _, id := range ids {
			raw = append(raw, dbEvent(id, "2026-12-07T01:00:00Z", "alice", "a", nil))
		}
		if err := r.Write(ctx, msgs(raw...)); err != nil {
			t.Fatal(err)
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write("e1", "e2")
	clk.t = clk.t.Add(30 * time.Minute)
	write("e3") // not due yet
	clk.t = clk.t.Add(31 * time.Minute)
	write("e4") // due: e1-e4 go into the finished file
	write("e5")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got := files(t, dir)
	want := []string{"tactics.20261207T010000Z-20261207T020100Z.csv.zst", "tactics.csv"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files %q, want %q", got, want)
	}
	done := readCSV(t, filepath.Join(dir, want[0]))
	active := readCSV(t, path)
	if strings.Join(done[0], ",") != store.HeaderLine || strings.Join(active[0], ",") != store.HeaderLine {
		t.Errorf("headers %q, %q", done[0], active[0])
	}
	var ids []string
	for _, rec := range done[1:] {
		ids = append(ids, rec[0])
	}
	if strings.Join(ids, ",") != "e1,e2,e3,e4" || len(active) != 2 || active[1][0] != "e5" {
		t.Errorf("finished file holds %v, active %q", ids, active)
	}
	if c := r.Counts(); c.Events != 5 {
		t.Errorf("counts %+v, want 5 events over the files", c)
	}
}

func TestRotatingBySizeKeepsEveryRow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	// Every flush rotates, many times a second: each file gets a name of its own.
	r, err := OpenRotating(path, JSONL, attack.Default(), Rotation{Size: 1, Compress: "gzip"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if err := r.Write(ctx, msgs(dbEvent(string(rune('a'+i)), "2026-12-07T01:00:00Z", "alice", "a", nil))); err != nil {
			t.Fatal(err)
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	lines := 0
	for _, name := range files(t, dir) {
		if name == "out.jsonl" {
			continue
		}
		if !strings.HasSuffix(name, ".jsonl.gz") {
			t.Errorf("finished file %s", name)
			continue
		}
		f, _ := os.Open(filepath.Join(dir, name))
		g, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(g)
		f.Close()
		lines += bytes.Count(b, []byte("\n"))
	}
	if lines != 20 {
		t.Errorf("%d events in the finished files, want 20", lines)
	}
}

func TestRotatingRetainsAndArchives(t *testing.T) {
	for _, archive := range []string{"", "cold"} {
		dir := t.TempDir()
		clk := &clock{time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)}
		old := []string{
			"tactics.20261001T000000Z-20261001T010000Z.csv.zst", // ended 67 days ago
			"tactics.20261105T000000Z-20261105T010000Z.csv.gz",  // 32 days ago
		}
		keep := []string{
			"tactics.20261120T000000Z-20261120T010000Z.csv.zst", // 17 days ago
			"tactics.csv",       // being written: never touched, however old
			"tactics-notes.txt", // not a finished file
		}
		for _, name := range append(old, keep...) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(dir, "tactics.csv"), []byte(store.HeaderLine+"\n"), 0o644)
		os.Chtimes(filepath.Join(dir, "tactics.csv"), clk.t.AddDate(-1, 0, 0), clk.t.AddDate(-1, 0, 0))
		arch := ""
		if archive != "" {
			arch = filepath.Join(dir, archive)
		}
		r, err := OpenRotating(filepath.Join(dir, "tactics.csv"), CSV, attack.Default(), Rotation{Every: time.Hour, Retain: 30 * 24 * time.Hour, Archive: arch, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		want := append([]string{}, keep...)
		if archive != "" {
			want = append(want, archive)
			if got := files(t, arch); strings.Join(got, " ") != strings.Join(old, " ") {
				t.Errorf("archive holds %q, want %q", got, old)
			}
		}
		sort.Strings(want)
		if got := files(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("archive %q: the folder holds %q, want %q", archive, got, want)
		}
	}
}
