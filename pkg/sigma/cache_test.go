package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const cacheRule = `title: %s
id: 6f0c1a52-4a0e-4c36-9d3c-5c1f0e9a0b%02d
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\%s.exe'
        CommandLine|contains: [' -enc ', ' /c ']
    condition: selection
level: high
`

// cacheRuleDir returns a folder of rule files (two rules, one copy of a
// file, and one broken file) and a function that writes a file into it.
func cacheRuleDir(t *testing.T) (string, func(name, text string)) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yml", cachedRule("Encoded command", 1, "powershell"))
	write("b.yml", cachedRule("Cmd shell", 2, "cmd"))
	write("same-as-b.yml", cachedRule("Cmd shell", 2, "cmd"))
	write("broken.yml", "title: broken\ndetection: [\n")
	return dir, write
}

// cachedRule returns the text of a rule file of cacheRule's shape.
func cachedRule(title string, n int, image string) string {
	return fmt.Sprintf(cacheRule, title, n, image)
}

// TestRuleCache checks that a rule set loads the same from the cache as
// from its files, that the cache is what a second load reads, that an
// edited file is read again, and that a damaged cache costs nothing.
func TestRuleCache(t *testing.T) {
	old := cacheDir
	cacheDir = t.TempDir()
	t.Cleanup(func() { cacheDir = old })
	if buildID() == "" {
		t.Fatal("no Go build ID in the test binary: the cache would be off")
	}

	dir, write := cacheRuleDir(t)
	write("alias.yml", "title: Aliased\nlogsource: {product: windows}\ndetection:\n    one: &sel {Image|endswith: '\\a.exe'}\n    two: *sel\n    condition: one or two\n")

	load := func() ([]*Rule, string) {
		t.Helper()
		rules, problems := LoadPaths([]string{dir})
		var msgs []string
		for _, p := range problems {
			msgs = append(msgs, p.Error())
		}
		return rules, strings.Join(msgs, "\n")
	}
	// JSON writes maps in key order, so two equal rule sets encode alike
	// (gob follows a map's random order).
	encode := func(rules []*Rule) []byte {
		t.Helper()
		b, err := json.Marshal(rules)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	parsed, parsedProblems := load()
	if len(parsed) != 4 || !strings.Contains(parsedProblems, "broken.yml") {
		t.Fatalf("parsed %d rules (want 4), problems %q", len(parsed), parsedProblems)
	}
	files, _ := filepath.Glob(filepath.Join(cacheDir, "*.gob"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one", files)
	}
	cached, cachedProblems := load()
	if !bytes.Equal(encode(parsed), encode(cached)) || cachedProblems != parsedProblems {
		t.Fatalf("the cached rule set differs from the parsed one (problems %q against %q)", cachedProblems, parsedProblems)
	}
	for i, want := range []string{"a.yml", "alias.yml", "b.yml", "same-as-b.yml"} {
		if got := filepath.Base(cached[i].File); got != want {
			t.Fatalf("rule %d (%q) named as from %s, want %s", i, cached[i].Title, got, want)
		}
	}
	c := readCache(files[0])
	if len(c.Files) != 2 { // a, and b with its copy; not the broken or the aliased file
		t.Fatalf("%d files cached, want 2", len(c.Files))
	}

	// The second load reads the cache: a title changed in it shows.
	for _, rules := range c.Files {
		for _, r := range rules {
			r.Title += " (from the cache)"
		}
	}
	c.write(files[0])
	fromCache, _ := load()
	if !strings.HasSuffix(fromCache[0].Title, "(from the cache)") {
		t.Fatalf("title %q: the cache was not read", fromCache[0].Title)
	}

	// An edited file is parsed again.
	write("a.yml", cachedRule("Encoded command, edited", 1, "pwsh"))
	edited, _ := load()
	if edited[0].Title != "Encoded command, edited" {
		t.Fatalf("title %q after the file was edited", edited[0].Title)
	}

	// A damaged cache file is ignored and replaced.
	if err := os.WriteFile(files[0], []byte("not a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, againProblems := load()
	if len(again) != 4 || againProblems != parsedProblems || again[0].Title != "Encoded command, edited" {
		t.Fatalf("after a damaged cache: %d rules, problems %q", len(again), againProblems)
	}
	if len(readCache(files[0]).Files) != 2 {
		t.Fatal("the damaged cache file was not replaced")
	}
}

// TestRuleCacheStamps checks that a rule file whose stamp is the one noted
// when it was last read is not read again, that an edited file is, and
// that a file changed just now gets no stamp.
func TestRuleCacheStamps(t *testing.T) {
	oldDir, oldRead, oldClock := cacheDir, readFile, stampClock
	cacheDir = t.TempDir()
	t.Cleanup(func() { cacheDir, readFile, stampClock = oldDir, oldRead, oldClock })
	if _, _, ok := statStamp(os.Args[0]); !ok {
		t.Skip("no file stamps on this system: every rule file is read")
	}
	var mu sync.Mutex
	read := map[string]int{}
	readFile = func(name string) ([]byte, error) {
		mu.Lock()
		read[filepath.Base(name)]++
		mu.Unlock()
		return os.ReadFile(name)
	}
	dir, write := cacheRuleDir(t)
	load := func() ([]*Rule, []string) {
		t.Helper()
		clear(read)
		rules, _ := LoadPaths([]string{dir})
		var names []string
		for name := range read {
			names = append(names, name)
		}
		slices.Sort(names)
		return rules, names
	}
	stamps := func() []string {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(cacheDir, "*.gob"))
		if len(files) != 1 {
			t.Fatalf("cache files %v, want one", files)
		}
		var names []string
		for name := range readCache(files[0]).Stamps {
			names = append(names, filepath.Base(name))
		}
		slices.Sort(names)
		return names
	}

	// The files were written just now: read, and not stamped.
	parsed, got := load()
	if want := []string{"a.yml", "b.yml", "broken.yml", "same-as-b.yml"}; !slices.Equal(got, want) {
		t.Fatalf("first load read %v, want %v", got, want)
	}
	if s := stamps(); len(s) != 0 {
		t.Fatalf("files changed just now were stamped: %v", s)
	}

	// An hour later they have settled: read once more, and stamped.
	stampClock = func() time.Time { return time.Now().Add(time.Hour) }
	if _, got := load(); len(got) != 4 {
		t.Fatalf("second load read %v, want all four", got)
	}
	if s, want := stamps(), []string{"a.yml", "b.yml", "same-as-b.yml"}; !slices.Equal(s, want) {
		t.Fatalf("stamped %v, want %v (the broken file is not cached)", s, want)
	}
	// A copy's rules are its own: the cache's went to the file first met.
	cached, got := load()
	if want := []string{"broken.yml", "same-as-b.yml"}; !slices.Equal(got, want) {
		t.Fatalf("third load read %v, want %v", got, want)
	}
	if f := filepath.Base(cached[2].File); f != "same-as-b.yml" || cached[2] == cached[1] {
		t.Fatalf("the copy's rule is from %s", f)
	}
	enc := func(rules []*Rule) string {
		b, err := json.Marshal(rules)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if enc(cached) != enc(parsed) {
		t.Fatal("the rules of stamped files differ from the parsed ones")
	}

	// An edited file has another stamp: it is read again.
	write("a.yml", cachedRule("Encoded command, edited", 1, "pwsh"))
	edited, got := load()
	if want := []string{"a.yml", "broken.yml", "same-as-b.yml"}; !slices.Equal(got, want) {
		t.Fatalf("after an edit read %v, want %v", got, want)
	}
	if edited[0].Title != "Encoded command, edited" {
		t.Fatalf("title %q after the file was edited", edited[0].Title)
	}
}
