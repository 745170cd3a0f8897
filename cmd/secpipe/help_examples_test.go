package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/cli"
)

// TestHelpExamplesRun checks that every example in the help of the
// commands below, and in the README's section on them, is run, as
// written, by a script in testdata/script.
func TestHelpExamplesRun(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/script/*.txtar")
	var all strings.Builder
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## The SOC pipeline: secpipe enrich and alert")
	section, _, _ = strings.Cut(section, "\n## ")
	if !ok {
		t.Fatal("README: no section on the SOC pipeline")
	}
	n := 0
	for _, block := range strings.Split(section, "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			n++
			if !strings.Contains(all.String(), line) {
				t.Errorf("README: no script runs the example %q", line)
			}
		}
	}
	if n < 5 {
		t.Errorf("README's SOC section: %d examples found", n)
	}
	for _, cmd := range []string{"enrich", "alert"} {
		var out bytes.Buffer
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, Now: time.Now}
		if code := cli.Run(t.Context(), []string{"secpipe", cmd, "--help"}, env); code != 0 {
			t.Fatalf("secpipe %s --help: exit %d\n%s", cmd, code, out.String())
		}
		_, examples, ok := strings.Cut(out.String(), "Examples:\n")
		if !ok {
			t.Errorf("secpipe %s --help has no examples", cmd)
			continue
		}
		n := 0
		for _, line := range strings.Split(examples, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "secpipe ") {
				if n > 0 {
					break
				}
				continue
			}
			n++
			if !strings.Contains(all.String(), line) {
				t.Errorf("secpipe %s --help: no script runs the example %q", cmd, line)
			}
		}
		if n == 0 {
			t.Errorf("secpipe %s --help: no examples found", cmd)
		}
	}
}
