package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocs checks what a first reader of the README follows: the set-up block
// and make demo say how to get secpipe on PATH, every relative link leads to a
// file, and every example folder is listed in examples/README.md.
func TestDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const export = `export PATH="$PWD/bin:$PATH"`
	readme := read("README.md")
	setup := readme[strings.Index(readme, "## Set up"):strings.Index(readme, "## The commands")]
	for _, want := range []string{export, "bin/secpipe", "librdkafka", "minutes"} {
		if !strings.Contains(setup, want) {
			t.Errorf("README's set-up section does not say %q", want)
		}
	}
	if !strings.Contains(read("Makefile"), `export PATH="$$PWD/bin:$$PATH"`) {
		t.Errorf("make demo does not print %s", export)
	}

	docs, _ := filepath.Glob(filepath.Join(root, "examples", "*", "README.md"))
	docs = append(docs, filepath.Join(root, "README.md"), filepath.Join(root, "examples", "README.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Text for the README") {
			t.Errorf("%s: a draft heading is left in", doc)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), m[1])); err != nil {
				t.Errorf("%s: link %s: %v", doc, m[1], err)
			}
		}
	}

	index := read("examples/README.md")
	dirs, _ := filepath.Glob(filepath.Join(root, "examples", "*", "run.sh"))
	if len(dirs) == 0 {
		t.Fatal("no examples found")
	}
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		if !strings.Contains(index, "`cd examples/"+name+" && ./run.sh`") {
			t.Errorf("examples/README.md does not say how to run %s", name)
		}
	}
}
