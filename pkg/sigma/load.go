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
	var names []string
	var errs []error // by entry: a path that could not be searched
	for _, p := range paths {
		files, err := ruleFiles(p)
		if err != nil {
			names, errs = append(names, ""), append(errs, err)
		}
		for _, f := range files {
			names, errs = append(names, f), append(errs, nil)
		}
	}
	return parseAll(names, func(i int) ([]byte, error) {
		if errs[i] != nil {
			return nil, errs[i]
		}
		return readFile(names[i])
	}, func(i int) (fileStamp, int64, bool) {
		if errs[i] != nil {
			return fileStamp{}, 0, false
		}
		return statStamp(names[i])
	})
}

// readFile reads a rule file; tests count the calls.
var readFile = os.ReadFile

// LoadFS reads every rule file of a file system, such as an embedded pack.
// The files are parsed on all CPUs; rules and problems come in file order.
func LoadFS(fsys fs.FS, prefix string) ([]*Rule, []Problem) {
	var paths, names []string
	fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRuleFile(path) {
			return err
		}
		paths, names = append(paths, path), append(names, prefix+path)
		return nil
	})
	return parseAll(names, func(i int) ([]byte, error) {
		return fs.ReadFile(fsys, paths[i])
	}, nil)
}

// parseAll reads and parses the files of names on all CPUs, giving their
// rules and problems in file order; read returns file i's bytes. Files
// whose rules the cache holds are not parsed, and those whose stamp (from
// stat, when not nil) is the one the cache noted are not even read.
func parseAll(names []string, read func(i int) ([]byte, error), stat func(i int) (fileStamp, int64, bool)) ([]*Rule, []Problem) {
	type parsed struct {
		data     []byte
		sum      [32]byte
		known    bool // sum is the file's: hashed, or vouched for by its stamp
		stamp    fileStamp
		settled  bool // the stamp is worth keeping
		found    bool // the file exists: its rules are wanted
		parsed   bool
		rules    []*Rule
		problems []Problem
	}
	results := make([]parsed, len(names))
	var path string
	if cacheDir != "" {
		path = cachePath(names)
	}
	cache := readCache(path)
	// A file changed just now may change again within the file system's
	// tick and keep its stamp: only older stamps are kept.
	settled := stampClock().Add(-stampSettle).UnixNano()
	load := func(i int) {
		r := &results[i]
		data, err := read(i)
		if err != nil {
			r.problems, r.found, r.settled = []Problem{{Err: err}}, false, false
			return
		}
		r.data, r.found = data, true
		if path != "" {
			r.sum, r.known = sha256.Sum256(data), true
		}
	}
	onAllCPUs(len(names), func(i int) {
		r := &results[i]
		if path != "" && stat != nil {
			if s, changed, ok := stat(i); ok {
				r.stamp, r.settled = s, changed < settled
				if old, ok := cache.Stamps[names[i]]; ok && old.Stamp == s {
					if _, ok := cache.Files[old.Sum]; ok {
						r.sum, r.known, r.found = old.Sum, true, true
						return
					}
				}
			}
		}
		load(i)
	})
	// A cached file's rules go to one file: another with the same bytes
	// is parsed.
	claimed := map[[32]byte]bool{}
	for i := range results {
		r := &results[i]
		if rules, ok := cache.Files[r.sum]; ok && r.known && !claimed[r.sum] {
			claimed[r.sum] = true
			for _, rule := range rules {
				rule.File = names[i]
			}
			r.rules = rules
		}
	}
	onAllCPUs(len(names), func(i int) {
		r := &results[i]
		if !r.found || r.rules != nil {
			return
		}
		if r.data == nil { // known by its stamp, but its rules went to a copy
			if load(i); !r.found {
				return
			}
		}
		rs, errs := Parse(r.data, names[i])
		r.rules, r.parsed = rs, true
		for _, e := range errs {
			r.problems = append(r.problems, Problem{Err: e})
		}
	})
	var rules []*Rule
	var problems []Problem
	kept := &ruleCache{Files: map[[32]byte][]*Rule{}, Stamps: map[string]stampedFile{}}
	changed := false
	for i, r := range results {
		rules = append(rules, r.rules...)
		problems = append(problems, r.problems...)
		if path != "" && r.known && len(r.problems) == 0 && cacheable(r.rules) {
			kept.Files[r.sum] = r.rules
			changed = changed || r.parsed
			if r.settled {
				kept.Stamps[names[i]] = stampedFile{Stamp: r.stamp, Sum: r.sum}
				changed = changed || cache.Stamps[names[i]] != kept.Stamps[names[i]]
			}
		}
	}
	if path != "" && (changed || len(kept.Files) != len(cache.Files) || len(kept.Stamps) != len(cache.Stamps)) {
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
