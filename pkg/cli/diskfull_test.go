package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// manyEvents returns n classified events, one a line.
func manyEvents(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(classifiedEvent(fmt.Sprintf("e%d", i), "2026-01-15T07:00:00Z", bruteForce))
	}
	return b.String()
}

var storeSummary = regexp.MustCompile(`secpipe store: (\d+) events \(\d+ matched\): (?:wrote|appended) (\d+) rows`)

// Storing onto a full device fails the run and claims no rows.
func TestStoreDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		needs(t, "/dev/full")
	}
	code, _, stderr := runSecpipe(t, manyEvents(100), "store", "--format", "csv", "/dev/full")
	if code != ExitFailure || !strings.Contains(stderr, "no space left on device") || !storeSummary.MatchString(stderr) || storeSummary.FindStringSubmatch(stderr)[2] != "0" {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// A store that fills a small file system fails, leaves the CSV at its
// last whole row, reports the rows the file holds, and the next append
// after freeing room gives a valid CSV.
func TestStoreFullFileSystem(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		needs(t, fmt.Sprintf("a tmpfs mount (root): %v %s", err, bytes.TrimSpace(out)))
	}
	defer exec.Command("umount", dir).Run()
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 600<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tactics.csv")
	code, _, stderr := runSecpipe(t, manyEvents(30000), "store", path)
	m := storeSummary.FindStringSubmatch(stderr)
	if code != ExitFailure || !strings.Contains(stderr, "no space left on device") || m == nil {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rows := csvRows(t, path)
	if strconv.Itoa(rows) != m[2] || rows == 0 {
		t.Errorf("file holds %d rows, the summary says %s", rows, m[2])
	}
	// With room again, the next run appends after the whole rows.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runSecpipe(t, manyEvents(10), "store", path); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := csvRows(t, path); got != rows+10 {
		t.Errorf("after appending 10 rows: %d rows, want %d", got, rows+10)
	}
}

// csvRows returns the number of data rows of a CSV file that ends in a
// whole row.
func csvRows(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s ends in a partial row: %q", path, data[max(0, len(data)-60):])
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return len(recs) - 1
}

// needs fails the test under CI=true and skips it loudly otherwise: what
// it needs is missing from the machine.
func needs(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("this test needs %s", what)
	}
	t.Skipf("SKIPPED: this test needs %s (CI=true makes this a failure)", what)
}
