package sigma

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/internal/gentest"
	"github.com/secpipe/secpipe/pkg/shareddata"
)

// The source an event gets, through the needed fields and the dispatch
// indexes, is the first source, in the mapping's order, whose "when" the
// event meets, as evaluating every source's "when" finds: on the built-in mapping, for gen's events,
// real Windows event logs in their recorded shapes, and Zeek and Suricata
// lines with values in other cases, in arrays and null.
func TestDispatchFindsTheFirstSource(t *testing.T) {
	doc, err := os.ReadFile("../classify/data/mapping.yml")
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := ParseMapping(doc, "mapping.yml")
	if err != nil {
		t.Fatal(err)
	}
	e, problems := NewEngine(nil, mapping, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	events := [][]byte{
		[]byte(`{"_path":"dns","query":"a.example"}`),
		[]byte(`{"_path":"DNS","query":"a.example"}`),
		[]byte(`{"_path":["x509","ssl"]}`),
		[]byte(`{"_path":null}`),
		[]byte(`{"_path":"conn\u0000"}`),
		[]byte(`{"event_type":"flow","src_ip":"10.0.0.1"}`),
		[]byte(`{"event_type":"Alert","src_ip":"10.0.0.1"}`),
		[]byte(`{"event_type":"alert"}`),
		[]byte(`{"event_type":"network_connection","log_source":"zeek.connection"}`),
		[]byte(`{"event_type":"process_start","host_os":"linux"}`),
		[]byte(`{"event_type":"user_login","logon_type":"FAILURE"}`),
		[]byte(`{"appname":"sshd","message":"Failed password for root"}`),
		[]byte(`{"ident":"sshd","message":"Accepted publickey"}`),
		[]byte(`{"appname":"CRON","message":"(root) CMD (true)"}`),
	}
	for _, f := range []gen.Format{gen.ECS, gen.Lab} {
		events = append(events, gentest.Events(t, gen.Config{Seed: 3, Count: 3000, Format: f, AttackShare: 0.5})...)
	}
	for _, set := range []string{"evtx-to-mitre", "otrf-mordor-atomic"} {
		files, _ := filepath.Glob(filepath.Join(shareddata.Dir(t, "realdata", set, "events"), "*.jsonl"))
		for _, path := range files {
			events = append(events, firstLines(t, path, 40)...)
		}
	}

	m := e.NewScreener()
	dispatched := 0
	for _, ev := range events {
		got := m.Match(ev).Source
		want := ""
		for _, s := range e.sources {
			if m.run(&s.when, 0) {
				want = s.src.Name
				if s.dispatch != nil {
					dispatched++
				}
				break
			}
		}
		if got != want {
			t.Errorf("%s: source %q, want %q", ev, got, want)
		}
	}
	if dispatched < len(events)/4 {
		t.Fatalf("only %d of %d events went to a source with a dispatch index", dispatched, len(events))
	}
	t.Logf("%d events, %d of them to a source with a dispatch index", len(events), dispatched)
}

func firstLines(t *testing.T, path string, n int) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for len(lines) < n && sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
