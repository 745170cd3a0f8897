package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeKcatTable checks the README's table of kcat flags against the
// command line: every short flag it gives secpipe is that long flag.
func TestReadmeKcatTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "| kcat | secpipe | same meaning |")
	if !ok {
		t.Fatal("README: no table of kcat flags")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	env, _, _ := testEnv(strings.NewReader(""), nil)
	long := map[string]string{} // short → long, across the Kafka commands
	for _, cmd := range NewApp(env).Commands {
		for _, f := range cmd.Flags {
			for _, n := range f.Names()[1:] {
				if len(n) == 1 {
					long[n] = f.Names()[0]
				}
			}
		}
	}
	pair := regexp.MustCompile("`-([A-Za-z])`, `--([a-z-]+)`")
	rows := 0
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 4 {
			continue
		}
		for _, m := range pair.FindAllStringSubmatch(cells[2], -1) {
			rows++
			if long[m[1]] != m[2] {
				t.Errorf("README says -%s is --%s; the command line has --%s", m[1], m[2], long[m[1]])
			}
		}
	}
	if rows < 10 {
		t.Errorf("README's kcat table names %d short flags, want the kcat ones", rows)
	}
}
