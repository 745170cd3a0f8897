package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreRotateKeepsEveryEvent(t *testing.T) {
	dir := t.TempDir()
	classified := classifiedRun(t, "20000", "11")
	path := filepath.Join(dir, "tactics.csv")
	code, _, stderr := runSecpipe(t, classified, "store", "--rotate", "1MB", path)
	if code != 0 || !strings.Contains(stderr, "rows to "+path+" and the files it rotated to") {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	finished, _ := filepath.Glob(filepath.Join(dir, "tactics.*-*.csv.zst"))
	if len(finished) == 0 {
		t.Fatalf("no finished file: %v", finished)
	}
	all := append(finished, path)
	_, fromFiles, _ := runSecpipe(t, "", append([]string{"stats", "--format", "json"}, all...)...)
	_, fromStdin, _ := runSecpipe(t, classified, "stats", "--format", "json")
	if withoutRows(t, fromFiles) != withoutRows(t, fromStdin) {
		t.Errorf("stats of the rotated files\n%s\nof the events\n%s", fromFiles, fromStdin)
	}
}

func TestStoreRotateUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"store", "--retain", "30d", filepath.Join(dir, "a.csv")}, "--retain needs --rotate"},
		{[]string{"store", "--rotate", "1h", "sqlite:" + filepath.Join(dir, "a.db")}, "--rotate rotates files"},
		{[]string{"store", "--rotate", "soon", filepath.Join(dir, "a.csv")}, "--rotate: want a time"},
		{[]string{"store", "--rotate", "1h", "--compress", "lz4", filepath.Join(dir, "a.csv")}, "--compress: want gzip, zstd or none"},
		{[]string{"store", "--rotate", "1h", "--archive", dir, filepath.Join(dir, "a.csv")}, "--archive needs --retain"},
	} {
		code, _, stderr := runSecpipe(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %s", c.args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.db")); err == nil {
		t.Error("a refused run created the database")
	}
}
