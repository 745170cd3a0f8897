package sigma

import (
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
// report it by.
func parseAll(n int, read func(i int) ([]byte, string, error)) ([]*Rule, []Problem) {
	type parsed struct {
		rules    []*Rule
		problems []Problem
	}
	results := make([]parsed, n)
	onAllCPUs(n, func(i int) {
		data, name, err := read(i)
		if err != nil {
			results[i].problems = []Problem{{Err: err}}
			return
		}
		rs, errs := Parse(data, name)
		results[i].rules = rs
		for _, e := range errs {
			results[i].problems = append(results[i].problems, Problem{Err: e})
		}
	})
	var rules []*Rule
	var problems []Problem
	for _, r := range results {
		rules = append(rules, r.rules...)
		problems = append(problems, r.problems...)
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
