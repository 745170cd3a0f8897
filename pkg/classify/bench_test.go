package classify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/internal/cputime"
	"github.com/secpipe/secpipe/pkg/internal/gentest"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/shareddata"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// BenchmarkClassifyGen measures the stage alone on gen's ECS and lab events.
func BenchmarkClassifyGen(b *testing.B) {
	for _, format := range []gen.Format{gen.ECS, gen.Lab} {
		b.Run(string(format), func(b *testing.B) {
			benchStage(b, gentest.Events(b, gen.Config{Seed: 1, Count: 100000, Format: format}))
		})
	}
}

// BenchmarkClassifyLab measures the stage alone on lab-format events
// (set SECPIPE_BENCH_LAB to a JSONL file, e.g. from lab_gen.py).
func BenchmarkClassifyLab(b *testing.B) {
	path := os.Getenv("SECPIPE_BENCH_LAB")
	if path == "" {
		b.Skip("SECPIPE_BENCH_LAB not set")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(lines) < 200000 {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	benchStage(b, lines)
}

// benchStage runs a stage over lines, 1024 at a time.
func benchStage(b *testing.B, lines [][]byte) {
	engine, problems, err := Load(Config{})
	if err != nil || len(problems) > 0 {
		b.Fatal(err, problems)
	}
	benchStageOf(b, engine, lines)
}

// benchStageOf runs a stage of engine over lines, 1024 at a time.
func benchStageOf(b *testing.B, engine *sigma.Engine, lines [][]byte) {
	stage := NewStage(engine, attack.Default(), false)
	in := make([]pipeline.Message, 0, 1024)
	out := &pipeline.Batch{}
	b.ResetTimer()
	cpu0, cpuOK := cputime.Self()
	n := 0
	for i := 0; i < b.N; i++ {
		in = in[:0]
		for k := 0; k < 1024; k++ {
			in = append(in, pipeline.Message{Value: lines[n%len(lines)]})
			n++
		}
		out.Reset()
		stage.Process(context.Background(), in, out)
	}
	b.ReportMetric(float64(b.N*1024)/b.Elapsed().Seconds(), "events/s")
	// The CPU time per event: wall time on a shared machine also counts
	// the time others held the core.
	if cpu1, _ := cputime.Self(); cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N*1024), "cpu-ns/event")
	}
}

// BenchmarkExtract measures reading the default pack's fields out of gen's
// events, which every event costs before any rule is tried.
func BenchmarkExtract(b *testing.B) {
	engine, _, err := Load(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []gen.Format{gen.ECS, gen.Lab} {
		b.Run(string(format), func(b *testing.B) {
			events := gentest.Events(b, gen.Config{Seed: 1, Count: 20000, Format: format})
			size := 0
			for _, e := range events {
				size += len(e)
			}
			var f event.Fields
			b.SetBytes(int64(size / len(events)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				engine.Paths().Extract(events[i%len(events)], &f)
			}
		})
	}
}

// BenchmarkClassifyCorpus measures the stage alone with the whole SigmaHQ
// corpus on the events of its regression cases, replayed (nearly every
// event matches several rules), and on gen's Windows events: issue 15's
// rows, loading aside. The uncached runs scan every value afresh: the
// replay repeats 122 events, which flatters the value caches.
func BenchmarkClassifyCorpus(b *testing.B) {
	for _, uncached := range []bool{false, true} {
		engine, corpus := corpusEngine(b, uncached)
		suffix := ""
		if uncached {
			suffix = "-uncached"
		}
		b.Run("replay"+suffix, func(b *testing.B) {
			benchStageOf(b, engine, regressionEvents(b, filepath.Join(corpus, "regression")))
		})
		b.Run("gen-windows"+suffix, func(b *testing.B) {
			benchStageOf(b, engine, genWindowsEvents(b, 40000))
		})
	}
}

// corpusEngine loads the whole SigmaHQ corpus, as scripts/bench.sh does,
// and returns it with the corpus's folder.
func corpusEngine(tb testing.TB, noValueCache bool) (*sigma.Engine, string) {
	corpus := shareddata.Dir(tb, "sigma")
	cfg := Config{NoBuiltin: true, NoValueCache: noValueCache, RulePaths: []string{
		filepath.Join(corpus, "rules"),
		filepath.Join(corpus, "rules-emerging-threats"),
		filepath.Join(corpus, "rules-threat-hunting"),
	}}
	engine, _, err := Load(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return engine, corpus
}

// genWindowsEvents returns the Windows events among count of gen's ECS events.
func genWindowsEvents(tb testing.TB, count int64) [][]byte {
	var win [][]byte
	for _, e := range gentest.Events(tb, gen.Config{Seed: 9, Count: count, Format: gen.ECS}) {
		if bytes.Contains(e, []byte(`"os":{"type":"windows"`)) {
			win = append(win, e)
		}
	}
	return win
}

// regressionEvents returns the events of the regression cases under dir,
// each compacted to one line, as scripts/bench.sh replays them.
func regressionEvents(tb testing.TB, dir string) [][]byte {
	var events [][]byte
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := json.NewDecoder(f)
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil // the end, or a file that is not events
			}
			var line bytes.Buffer
			if json.Compact(&line, raw) == nil && len(raw) > 0 && raw[0] == '{' {
				events = append(events, line.Bytes())
			}
		}
	})
	if err != nil || len(events) == 0 {
		tb.Fatalf("regression events under %s: %d, %v", dir, len(events), err)
	}
	return events
}
