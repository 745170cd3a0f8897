package sigma

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadPaths reads the rules in files and folders (searched recursively for
// .yml and .yaml files). A file that cannot be read or parsed is reported as
// a problem; loading goes on with the others. The files are parsed on all
// CPUs; rules and problems come in the order of paths, then of files.
func LoadPaths(paths []string) ([]*Rule, []Problem) {
	type entry struct {
		file string
		err  error // a path that could not be searched
	}
	var entries []entry
	for _, p := range paths {
		files, err := ruleFiles(p)
		if err != nil {
			entries = append(entries, entry{err: err})
		}
		for _, f := range files {
			entries = append(entries, entry{file: f})
		}
	}
	return parseAll(len(entries), func(i int) ([]byte, string, error) {
		if entries[i].err != nil {
			return nil, "", entries[i].err
		}
		data, err := os.ReadFile(entries[i].file)
		return data, entries[i].file, err
	})
}

// LoadFS reads every rule file of a file system, such as an embedded pack.
// The files are parsed on all CPUs; rules and problems come in file order.
func LoadFS(fsys fs.FS, prefix string) ([]*Rule, []Problem) {
	var paths []string
	fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRuleFile(path) {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	return parseAll(len(paths), func(i int) ([]byte, string, error) {
		data, err := fs.ReadFile(fsys, paths[i])
		return data, prefix + paths[i], err
	})
}

// parseAll reads and parses n files on all CPUs, giving their rules and
// problems in file order; read returns file i's bytes and the name to
// report it by. Files whose rules the cache holds are not parsed.
func parseAll(n int, read func(i int) ([]byte, string, error)) ([]*Rule, []Problem) {
	type parsed struct {
		name     string
		data     []byte
		sum      [32]byte
		rules    []*Rule
		problems []Problem
		parse    bool
	}
	results := make([]parsed, n)
	caching := cacheDir != ""
	onAllCPUs(n, func(i int) {
		data, name, err := read(i)
		if err != nil {
			results[i].problems = []Problem{{Err: err}}
			return
		}
		results[i].name, results[i].data, results[i].parse = name, data, true
		if caching {
			results[i].sum = sha256.Sum256(data)
		}
	})
	var path string
	if caching {
		names := make([]string, n)
		for i, r := range results {
			names[i] = r.name
		}
		path = cachePath(names)
	}
	cache := readCache(path)
	// A cached file's rules go to one file: another with the same bytes
	// is parsed.
	claimed := map[[32]byte]bool{}
	for i := range results {
		r := &results[i]
		if rules, ok := cache.Files[r.sum]; ok && r.parse && !claimed[r.sum] {
			claimed[r.sum] = true
			for _, rule := range rules {
				rule.File = r.name
			}
			r.rules, r.parse = rules, false
		}
	}
	onAllCPUs(n, func(i int) {
		r := &results[i]
		if !r.parse {
			return
		}
		rs, errs := Parse(r.data, r.name)
		r.rules = rs
		for _, e := range errs {
			r.problems = append(r.problems, Problem{Err: e})
		}
	})
	var rules []*Rule
	var problems []Problem
	kept := &ruleCache{Files: map[[32]byte][]*Rule{}}
	changed := false
	for _, r := range results {
		rules = append(rules, r.rules...)
		problems = append(problems, r.problems...)
		if path != "" && r.data != nil && len(r.problems) == 0 && cacheable(r.rules) {
			kept.Files[r.sum] = r.rules
			changed = changed || r.parse
		}
	}
	if path != "" && (changed || len(kept.Files) != len(cache.Files)) {
		kept.write(path)
	}
	return rules, problems
}

func ruleFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isRuleFile(p) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func isRuleFile(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}
