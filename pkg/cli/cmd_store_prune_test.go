package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/db/dbtest"
)

// pruneEvents span four days before runSecpipe's clock (2026-01-15T08:00Z),
// and one has no timestamp.
var pruneEvents = classifiedEvent("e1", "2026-01-12T10:00:00Z", bruteForce) +
	classifiedEvent("e2", "2026-01-13T10:00:00Z", nil) +
	classifiedEvent("e3", "2026-01-14T07:00:00Z", bruteForce) +
	classifiedEvent("e4", "2026-01-14T09:00:00Z", nil) +
	classifiedEvent("e5", "2026-01-15T07:00:00Z", bruteForce) +
	`{"event":{"id":"e6"},"message":"no timestamp"}` + "\n"

func statsTotal(t *testing.T, input string) float64 {
	t.Helper()
	code, stdout, stderr := runSecpipe(t, "", "stats", input, "--format", "json")
	var rep struct{ Total float64 }
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("stats %s: exit %d: %s", input, code, stderr)
	}
	return rep.Total
}

func TestStorePrune(t *testing.T) {
	for _, c := range []struct {
		name    string
		spec    func(t *testing.T) string
		deleted float64 // of e1-e3, older than 1 day; ClickHouse drops whole days only
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "events.db") }, 3},
		{"postgres", func(t *testing.T) string { return dbtest.Postgres(t) }, 3},
		{"clickhouse", func(t *testing.T) string { return dbtest.ClickHouse(t) }, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := c.spec(t)
			if code, _, stderr := runSecpipe(t, pruneEvents, "store", spec); code != 0 {
				t.Fatal(stderr)
			}
			// An archive that cannot be written: nothing is deleted.
			code, _, stderr := runSecpipe(t, "", "store", "prune", "--older-than", "1d", "--archive", "/dev/full", spec)
			if code != 1 || !strings.Contains(stderr, "/dev/full") {
				t.Errorf("archive to /dev/full: exit %d, %s", code, stderr)
			}
			if n := statsTotal(t, spec); n != 6 {
				t.Fatalf("after a failed prune %v events, want 6", n)
			}
			archive := filepath.Join(t.TempDir(), "old.jsonl.zst")
			code, _, stderr = runSecpipe(t, "", "store", "prune", "--older-than", "1d", "--archive", archive, spec)
			if code != 0 || !strings.Contains(stderr, "older than 1d (2026-01-14T08:00:00Z)") {
				t.Fatalf("prune: exit %d, %s", code, stderr)
			}
			if n := statsTotal(t, spec); n != 6-c.deleted {
				t.Errorf("%v events left, want %v", n, 6-c.deleted)
			}
			if n := statsTotal(t, archive); n != c.deleted {
				t.Errorf("%v events archived, want %v", n, c.deleted)
			}
			// Pruning again deletes nothing more and archives nothing more.
			if code, _, stderr = runSecpipe(t, "", "store", "prune", "--older-than", "1d", spec); code != 0 || !strings.Contains(stderr, "deleted 0 events") {
				t.Errorf("second prune: exit %d, %s", code, stderr)
			}
		})
	}
}

func TestStorePruneUsage(t *testing.T) {
	for _, args := range [][]string{
		{"store", "prune", "sqlite:x.db"},
		{"store", "prune", "--older-than", "soon", "sqlite:x.db"},
		{"store", "prune", "--older-than", "30d"},
	} {
		if code, _, stderr := runSecpipe(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if code, _, stderr := runSecpipe(t, "", "store", "prune", "--older-than", "30d", "sqlite:"+missing); code != 1 || !strings.Contains(stderr, "no such database file") {
		t.Errorf("a missing database: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("prune created the database")
	}
}
