package eval

// File-labelled scoring: real attack logs recorded by others come as files,
// each labelled with the techniques run while it was recorded (the layout of
// ../shared/realdata: a labels.csv beside an events folder). Every file also
// holds ordinary background events, so a label says "somewhere in here",
// never which event.
//
// Definitions, per labelled file:
//
//   - a technique hit: some event of the file is tagged with a technique
//     whose base id (T1234 of T1234.001) is the base id of one of the
//     file's labels;
//   - a tactic hit: some event of the file is tagged with one of the file's
//     labelled tactics;
//   - wrong techniques: the distinct base ids tagged in the file that no
//     label of the file has (the noise an analyst would read through).
//
// Files of an "unlabelled:..." group (APT chains, antivirus events) have no
// labels to hit; they are reported apart: how many had any detection, and
// how many distinct techniques per file.

import (
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/secpipe/secpipe/pkg/event"
)

// FileLabel is one row of a labels file.
type FileLabel struct {
	File       string   `json:"file"`
	Techniques []string `json:"techniques"`
	Tactics    []string `json:"tactics"`
	Group      string   `json:"group,omitempty"` // "unlabelled:..." for files without labels
}

// Unlabelled reports whether the file has no labels to score against.
func (l FileLabel) Unlabelled() bool {
	return strings.HasPrefix(l.Group, "unlabelled") || len(l.Techniques) == 0
}

// ReadLabels reads a labels file: CSV with a header naming at least the
// columns file and techniques (tactics and group are read when present;
// lists are ';'-separated). name is used in error messages.
func ReadLabels(r io.Reader, name string) ([]FileLabel, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"file", "techniques"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column (the header is %s)", name, need, strings.Join(header, ","))
		}
	}
	get := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []FileLabel
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		l := FileLabel{File: get(rec, "file"), Techniques: splitIDs(get(rec, "techniques")), Tactics: splitIDs(get(rec, "tactics")), Group: get(rec, "group")}
		if l.File == "" {
			return nil, fmt.Errorf("%s:%d: empty file name", name, line)
		}
		if prev, ok := seen[l.File]; ok {
			return nil, fmt.Errorf("%s:%d: %s is labelled twice (first on line %d)", name, line, l.File, prev)
		}
		seen[l.File] = line
		out = append(out, l)
	}
	return out, nil
}

func splitIDs(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ";") {
		if f = strings.ToUpper(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// baseID returns the technique of a sub-technique: T1003 of T1003.001.
func baseID(id string) string {
	base, _, _ := strings.Cut(strings.ToUpper(id), ".")
	return base
}

// FileScorer scores classified events of labelled files.
type FileScorer struct {
	paths         *event.Paths
	fields        event.Fields
	tac, tech, sb int
	labels        []FileLabel
	files         map[string]*fileState // by base name
}

type fileState struct {
	label      FileLabel
	events     int
	techniques map[string]bool // tagged base ids
	tactics    map[string]bool
}

// NewFileScorer returns a scorer for the files of labels. Events are
// matched to a file by its base name, with or without its extension.
func NewFileScorer(labels []FileLabel) *FileScorer {
	p := event.NewPaths()
	s := &FileScorer{paths: p, tac: p.Add("threat.tactic.id"), tech: p.Add("threat.technique.id"),
		sb: p.Add("threat.technique.subtechnique.id"), labels: labels, files: map[string]*fileState{}}
	for _, l := range labels {
		st := &fileState{label: l, techniques: map[string]bool{}, tactics: map[string]bool{}}
		s.files[l.File] = st
		if ext := filepath.Ext(l.File); ext != "" {
			s.files[strings.TrimSuffix(l.File, ext)] = st
		}
	}
	return s
}

// state finds the labelled file an input path belongs to.
func (s *FileScorer) state(input string) *fileState {
	name := filepath.Base(input)
	if st := s.files[name]; st != nil {
		return st
	}
	return s.files[strings.TrimSuffix(name, filepath.Ext(name))]
}

// Add scores one classified event read from the file input. It reports
// false when input is not a labelled file.
func (s *FileScorer) Add(input string, raw []byte) bool {
	st := s.state(input)
	if st == nil {
		return false
	}
	st.events++
	s.paths.Extract(raw, &s.fields)
	for _, slot := range []int{s.tech, s.sb} {
		for _, v := range s.fields.Values(slot) {
			if v.Kind == event.String {
				st.techniques[baseID(v.Text())] = true
			}
		}
	}
	for _, v := range s.fields.Values(s.tac) {
		if v.Kind == event.String {
			st.tactics[strings.ToUpper(v.Text())] = true
		}
	}
	return true
}

// FileScore is the score of one file.
type FileScore struct {
	File          string   `json:"file"`
	Group         string   `json:"group,omitempty"`
	Labels        []string `json:"labels"`
	Events        int      `json:"events"` // events read; 0: the file was not among the inputs
	TechniqueHit  bool     `json:"technique_hit"`
	TacticHit     bool     `json:"tactic_hit"`
	Tagged        []string `json:"tagged"` // distinct base technique ids tagged
	Wrong         []string `json:"wrong"`  // of those, the ones no label has
	Unlabelled    bool     `json:"unlabelled,omitempty"`
	AnyDetections bool     `json:"any_detection"`
}

// GroupScore summarises the unlabelled files of one group.
type GroupScore struct {
	Group         string  `json:"group"`
	Files         int     `json:"files"`
	WithDetection int     `json:"files_with_detection"`
	MeanTagged    float64 `json:"mean_techniques_per_file"`
}

// FileReport is the score of a labelled set.
type FileReport struct {
	Files         int     `json:"labelled_files"`
	Read          int     `json:"files_read"` // labelled files with at least one event read
	TechniqueHits int     `json:"technique_hits"`
	TacticHits    int     `json:"tactic_hits"`
	TechniqueRate float64 `json:"technique_hit_rate"`
	TacticRate    float64 `json:"tactic_hit_rate"`
	// MeanWrong is the mean count of wrong techniques over labelled files.
	MeanWrong   float64      `json:"mean_wrong_techniques"`
	Unlabelled  []GroupScore `json:"unlabelled"`
	PerFile     []FileScore  `json:"files"`
	Events      int          `json:"events"`
	UnknownRead int          `json:"events_of_unlabelled_inputs"` // events of inputs no label names
}

// Report computes the scores. unknown is the count of events read from
// inputs that no label names (the caller counts them: Add returned false).
func (s *FileScorer) Report(unknown int) FileReport {
	var r FileReport
	r.UnknownRead = unknown
	groups := map[string]*GroupScore{}
	var groupTagged = map[string]int{}
	wrong := 0
	for _, l := range s.labels {
		st := s.files[l.File]
		fs := FileScore{File: l.File, Group: l.Group, Labels: l.Techniques, Events: st.events, Unlabelled: l.Unlabelled()}
		for t := range st.techniques {
			fs.Tagged = append(fs.Tagged, t)
		}
		sort.Strings(fs.Tagged)
		fs.AnyDetections = len(fs.Tagged) > 0 || len(st.tactics) > 0
		r.Events += st.events
		if fs.Unlabelled {
			g := groups[l.Group]
			if g == nil {
				g = &GroupScore{Group: l.Group}
				groups[l.Group] = g
			}
			g.Files++
			if fs.AnyDetections {
				g.WithDetection++
			}
			groupTagged[l.Group] += len(fs.Tagged)
			r.PerFile = append(r.PerFile, fs)
			continue
		}
		r.Files++
		if st.events > 0 {
			r.Read++
		}
		labelled := map[string]bool{}
		for _, t := range l.Techniques {
			labelled[baseID(t)] = true
		}
		for _, t := range fs.Tagged {
			if labelled[t] {
				fs.TechniqueHit = true
			} else {
				fs.Wrong = append(fs.Wrong, t)
			}
		}
		for _, t := range l.Tactics {
			if st.tactics[t] {
				fs.TacticHit = true
			}
		}
		if fs.TechniqueHit {
			r.TechniqueHits++
		}
		if fs.TacticHit {
			r.TacticHits++
		}
		wrong += len(fs.Wrong)
		r.PerFile = append(r.PerFile, fs)
	}
	if r.Files > 0 {
		r.TechniqueRate = float64(r.TechniqueHits) / float64(r.Files)
		r.TacticRate = float64(r.TacticHits) / float64(r.Files)
		r.MeanWrong = float64(wrong) / float64(r.Files)
	}
	for name, g := range groups {
		g.MeanTagged = float64(groupTagged[name]) / float64(g.Files)
		r.Unlabelled = append(r.Unlabelled, *g)
	}
	sort.Slice(r.Unlabelled, func(i, j int) bool { return r.Unlabelled[i].Group < r.Unlabelled[j].Group })
	return r
}
