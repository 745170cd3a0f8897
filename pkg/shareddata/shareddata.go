// Package shareddata finds the project's shared data for tests: the
// folder shared/ beside the repository (ATT&CK, the SigmaHQ corpus, real
// labelled event logs), as the developers' machines and CI lay it out.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns shared/ELEM... beside the repository that holds the calling
// test. When it is missing, the test fails under CI (CI=true), where the
// data is always laid out, and is skipped loudly elsewhere.
func Dir(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	data := filepath.Join(append([]string{dir, "..", "shared"}, elem...)...)
	if _, err := os.Stat(data); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing: %v", err)
		}
		t.Skipf("!!! SKIPPED: shared data not found at %s (%v); lay out ../shared to run this test !!!", data, err)
	}
	return data
}
