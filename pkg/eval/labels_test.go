package eval

import (
	"reflect"
	"strings"
	"testing"
)

const labelsCSV = `file,techniques,tactics,events,group
a.jsonl,T1003.001,TA0006,3,technique
b.jsonl,T1021.002;T1569.002,TA0008;TA0002,2,technique
c.jsonl,T1218,TA0005,1,technique
apt.jsonl,,,4,unlabelled:APT
`

func TestReadLabels(t *testing.T) {
	ls, err := ReadLabels(strings.NewReader(labelsCSV), "labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 4 || !reflect.DeepEqual(ls[1].Techniques, []string{"T1021.002", "T1569.002"}) || !ls[3].Unlabelled() || ls[0].Unlabelled() {
		t.Fatalf("labels: %+v", ls)
	}
	for in, want := range map[string]string{
		"name,techniques\nx,T1\n":             `no "file" column`,
		"file,techniques\nx,T1\ny,T2\nx,T3\n": "labels.csv:4: x is labelled twice (first on line 2)",
		"file,techniques\n,T1\n":              "labels.csv:2: empty file name",
		"file,techniques,tactics\n\"x,T1\n":   "labels.csv",
	} {
		if _, err := ReadLabels(strings.NewReader(in), "labels.csv"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func tagged(tac, tech, sub string) []byte {
	s := `{"x":1`
	if tac != "" {
		s += `,"threat":{"tactic":{"id":` + list(tac) + `},"technique":{"id":` + list(tech) + `,"subtechnique":{"id":` + list(sub) + `}}}`
	}
	return []byte(s + "}")
}

// TestFileScorer scores a hand-made set: a hit by sub-technique against a
// parent-level tag, a miss with noise, a file never read, and an unlabelled
// group reported apart.
func TestFileScorer(t *testing.T) {
	ls, err := ReadLabels(strings.NewReader(labelsCSV), "labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := NewFileScorer(ls)
	// a: T1003 (parent of the label T1003.001) hits; T1059 is wrong, counted once.
	s.Add("/data/events/a.jsonl", tagged("", "", ""))
	s.Add("/data/events/a.jsonl", tagged("TA0006", "T1003", ""))
	s.Add("/data/events/a.jsonl", tagged("TA0002", "T1059", "T1059.001"))
	s.Add("/data/events/a.jsonl", tagged("TA0002", "T1059", ""))
	// b: a right tactic (TA0002) but wrong techniques T1078 and T1087.
	s.Add("b.evtx", tagged("TA0002,TA0001", "T1078,T1087", "T1087.002"))
	// c is not read. apt: two techniques.
	s.Add("apt.jsonl", tagged("TA0006", "T1003", "T1003.001"))
	s.Add("apt.jsonl", tagged("TA0008", "T1021", ""))
	if s.Add("other.jsonl", tagged("TA0008", "T1021", "")) {
		t.Error("an input no label names was scored")
	}
	r := s.Report(1)
	if r.Files != 3 || r.Read != 2 || r.TechniqueHits != 1 || r.TacticHits != 2 {
		t.Fatalf("report: %+v", r)
	}
	if r.TechniqueRate != 1.0/3 || r.TacticRate != 2.0/3 {
		t.Errorf("rates: %v %v", r.TechniqueRate, r.TacticRate)
	}
	// Wrong: a has T1059, b has T1078 and T1087, c none: 3 over 3 files.
	if r.MeanWrong != 1 {
		t.Errorf("mean wrong %v, want 1", r.MeanWrong)
	}
	if !reflect.DeepEqual(r.PerFile[0].Wrong, []string{"T1059"}) || !reflect.DeepEqual(r.PerFile[1].Wrong, []string{"T1078", "T1087"}) || r.PerFile[2].Events != 0 {
		t.Errorf("per file: %+v", r.PerFile)
	}
	want := []GroupScore{{Group: "unlabelled:APT", Files: 1, WithDetection: 1, MeanTagged: 2}}
	if !reflect.DeepEqual(r.Unlabelled, want) {
		t.Errorf("unlabelled: %+v, want %+v", r.Unlabelled, want)
	}
	if r.Events != 7 || r.UnknownRead != 1 {
		t.Errorf("events %d, unknown %d", r.Events, r.UnknownRead)
	}
}
