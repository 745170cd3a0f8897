package sigma

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"debug/elf"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// The rules parsed from a set of rule files are kept between runs, in the
// user's cache directory: parsing YAML is most of loading (SigmaHQ's 3,754
// files take 0.6 s of one core to parse, and a tenth of that to decode from
// the cache). A file is found by the SHA-256 of its bytes, so an edited
// file is parsed again; one whose stamp is the one noted when it was last
// read is not read (reading SigmaHQ's files costs 10 system calls each,
// a stamp one). A file that does not parse cleanly, or uses YAML
// aliases, is never kept. Entries are tied to the executable's Go build
// ID: another build never reads them. SECPIPE_CACHE=off turns the cache
// off; it is off in tests unless a test sets cacheDir.

// cacheDir is where the parsed rule sets are kept; "" turns the cache off.
var cacheDir = defaultCacheDir()

// cacheKeep is how many rule sets' cache files are kept.
const cacheKeep = 8

func defaultCacheDir() string {
	if testing.Testing() || strings.EqualFold(os.Getenv("SECPIPE_CACHE"), "off") {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "secpipe", "rules")
}

// buildID is the executable's Go build ID, which changes with every change
// of the code; "" when it cannot be read (not an ELF file).
var buildID = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	data, err := s.Data()
	if err != nil || len(data) == 0 {
		return ""
	}
	return string(data)
})

// ruleCache is the cache file of one rule set: its files' rules by the
// SHA-256 of their bytes, and the stamps of the files last read.
type ruleCache struct {
	Build  string
	Files  map[[32]byte][]*Rule
	Stamps map[string]stampedFile // by file name
}

// fileStamp is what the file system says of a file: its size, when it was
// modified and changed, and which file it is. A file whose stamp is the
// one noted holds the bytes it held then, so it is not read again: git's
// index trusts the same. Editing a file, or replacing it, changes its
// change time at least.
type fileStamp struct {
	Size, Mod, Change int64
	Dev, Ino          uint64
}

// stampedFile is a file's stamp and the SHA-256 of its bytes.
type stampedFile struct {
	Stamp fileStamp
	Sum   [32]byte
}

// A stamp is noted only once the file has not changed for stampSettle by
// stampClock: a file changed within a coarse file system's tick of being
// read could change again and keep its stamp.
var stampClock = time.Now

const stampSettle = 2 * time.Second

// cachePath returns the cache file of the rule set of these file names, or
// "" when there is no cache.
func cachePath(names []string) string {
	if cacheDir == "" || buildID() == "" {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(buildID()))
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	return filepath.Join(cacheDir, hex.EncodeToString(h.Sum(nil)[:12])+".gob")
}

// readCache returns the cached rules of a rule set; an empty cache when
// there is none or it cannot be read.
func readCache(path string) *ruleCache {
	c := &ruleCache{}
	if path != "" {
		if data, err := os.ReadFile(path); err == nil {
			if gob.NewDecoder(bytes.NewReader(data)).Decode(c) != nil || c.Build != buildID() {
				c = &ruleCache{}
			}
		}
	}
	if c.Files == nil {
		c.Files = map[[32]byte][]*Rule{}
	}
	if c.Stamps == nil {
		c.Stamps = map[string]stampedFile{}
	}
	return c
}

// write replaces the cache file at path, whole or not at all, and removes
// the oldest files beyond cacheKeep. Failing to is no error: the rules are
// parsed again next time.
func (c *ruleCache) write(path string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	c.Build = buildID()
	err = gob.NewEncoder(tmp).Encode(c)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	type file struct {
		name string
		mod  int64
	}
	var files []file
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".gob") {
			files = append(files, file{e.Name(), info.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(files, func(a, b file) int { return cmp.Compare(b.mod, a.mod) })
	for _, f := range files[min(len(files), cacheKeep):] {
		os.Remove(filepath.Join(filepath.Dir(path), f.name))
	}
}

// cacheable reports whether a file's rules may be kept: gob writes a YAML
// alias's target out again at every alias, and would not end on a cycle.
func cacheable(rules []*Rule) bool {
	var aliased func(n *yaml.Node) bool
	aliased = func(n *yaml.Node) bool {
		if n == nil {
			return false
		}
		if n.Kind == yaml.AliasNode || n.Alias != nil {
			return true
		}
		return slices.ContainsFunc(n.Content, aliased)
	}
	searches := func(d *Detection) bool {
		if d == nil {
			return false
		}
		for _, n := range d.Searches {
			if aliased(n) {
				return true
			}
		}
		return false
	}
	for _, r := range rules {
		if searches(r.Detection) || r.Filter != nil && searches(r.Filter.Detection) {
			return false
		}
	}
	return true
}
