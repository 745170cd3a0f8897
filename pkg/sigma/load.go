package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// LoadPaths reads the rules in files and folders (searched recursively for
// .yml and .yaml files). A file that cannot be read or parsed is reported as
// a problem; loading goes on with the others.
func LoadPaths(paths []string) ([]*Rule, []Problem) {
	var rules []*Rule
	var problems []Problem
	for _, p := range paths {
		files, err := ruleFiles(p)
		if err != nil {
			problems = append(problems, Problem{Err: err})
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				problems = append(problems, Problem{Err: err})
				continue
			}
			rs, errs := Parse(data, f)
			rules = append(rules, rs...)
			for _, e := range errs {
				problems = append(problems, Problem{Err: e})
			}
		}
	}
	return rules, problems
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
	type parsed struct {
		rules    []*Rule
		problems []Problem
	}
	results := make([]parsed, len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				data, err := fs.ReadFile(fsys, paths[i])
				if err != nil {
					results[i].problems = []Problem{{Err: err}}
					continue
				}
				rs, errs := Parse(data, prefix+paths[i])
				results[i].rules = rs
				for _, e := range errs {
					results[i].problems = append(results[i].problems, Problem{Err: e})
				}
			}
		}()
	}
	wg.Wait()
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
