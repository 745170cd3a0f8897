package classify

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/internal/gentest"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// TestScreeningChangesNothing classifies the same events with the batch
// shared out to screeners and without: the output, alerts from
// correlations included, must be the same bytes in the same order.
func TestScreeningChangesNothing(t *testing.T) {
	for _, format := range []gen.Format{gen.ECS, gen.Lab} {
		t.Run(string(format), func(t *testing.T) {
			events := gentest.Events(t, gen.Config{Seed: 5, Count: 40000, Format: format, AttackShare: gen.DefaultAttackShare})
			// Events carrying classify's own members must go through the
			// stage's matcher too, to be cut.
			events[7] = []byte(`{"@timestamp":"2026-01-15T07:00:00Z","event":{"kind":"event"},"threat":{"tactic":{"id":["TA0001"]}},"message":"reclassified"}`)
			serial, serialStats, _ := classifyAll(t, events, 1, false)
			screened, screenedStats, screenedStage := classifyAll(t, events, 4, false)
			if passed := screenedStage.screen.passed.Load(); passed < int64(len(events))/2 {
				t.Fatalf("screening passed over %d of %d events", passed, len(events))
			}
			if serialStats.Alerts == 0 || serialStats.Matched == 0 {
				t.Fatalf("the events exercise nothing: %+v", serialStats)
			}
			if !bytes.Equal(serial, screened) {
				t.Fatalf("screened output differs from serial output (%d and %d bytes)", len(serial), len(screened))
			}
			if serialStats.Events != screenedStats.Events || serialStats.Matched != screenedStats.Matched || serialStats.Alerts != screenedStats.Alerts {
				t.Fatalf("counts differ: serial %+v, screened %+v", serialStats, screenedStats)
			}
			if bytes.Contains(screened, []byte(`"TA0001"]},"message":"reclassified"`)) {
				t.Fatal("the input's own threat member went out uncut")
			}
		})
	}
}

// TestPreparedChangesNothing classifies the same events with their fields
// pulled out ahead (Prepare, as on the read-ahead goroutine) and without,
// screened ahead (Ahead) or by screeners or not at all: the output must be
// the same bytes in the same order.
func TestPreparedChangesNothing(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // Prepare works from two CPUs
	}
	for _, format := range []gen.Format{gen.ECS, gen.Lab} {
		t.Run(string(format), func(t *testing.T) {
			events := gentest.Events(t, gen.Config{Seed: 6, Count: 20000, Format: format, AttackShare: gen.DefaultAttackShare})
			events[7] = []byte(`{"@timestamp":"2026-01-15T07:00:00Z","event":{"kind":"event"},"threat":{"tactic":{"id":["TA0001"]}},"message":"reclassified"}`)
			events[20] = events[7] // screened ahead: its member must still be cut
			serial, serialStats, _ := classifyAll(t, events, 1, false)
			if serialStats.Alerts == 0 || serialStats.Matched == 0 {
				t.Fatalf("the events exercise nothing: %+v", serialStats)
			}
			for _, workers := range []int{1, 4} {
				prepared, stats, _ := classifyAll(t, events, workers, true)
				if !bytes.Equal(serial, prepared) {
					t.Fatalf("%d screeners: the output of prepared events differs (%d and %d bytes)", workers, len(serial), len(prepared))
				}
				if stats.Events != serialStats.Events || stats.Matched != serialStats.Matched || stats.Alerts != serialStats.Alerts {
					t.Fatalf("%d screeners: counts differ: %+v, prepared %+v", workers, serialStats, stats)
				}
			}
		})
	}
}

// classifyAll runs the default pack over events in batches of 4096 with
// the given number of screeners (1: none) and returns the output lines.
// Batches are shared out even on one CPU. With prepare, each batch is
// prepared first, and then its 8th and 9th messages swap what was found in
// them: fields found in one event must never stand for another's (the 8th
// of the tests' events carries a member classify owns, to be cut). Then,
// without screeners, half of it is screened ahead.
func classifyAll(t *testing.T, events [][]byte, workers int, prepare bool) ([]byte, Stats, *Stage) {
	t.Helper()
	engine, problems, err := Load(Config{})
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	stage := NewStage(engine, attack.Default(), false)
	stage.screen.workers = workers
	var all []byte
	out := &pipeline.Batch{}
	for lo := 0; lo < len(events); lo += 4096 {
		var in []pipeline.Message
		for _, e := range events[lo:min(lo+4096, len(events))] {
			in = append(in, pipeline.Message{Value: e})
		}
		if prepare {
			b := &pipeline.Batch{Msgs: in}
			stage.Prepare(b)
			for i, m := range in {
				if m.Prepared == nil {
					t.Fatalf("event %d was not prepared", lo+i)
				}
			}
			in[7].Prepared, in[8].Prepared = in[8].Prepared, in[7].Prepared
			// The stage takes the batch with about half of it screened ahead.
			for k := 0; k < len(in)/2/screenChunk && stage.Ahead(b); k++ {
			}
			if p := b.Prepared.(*preparedBatch); workers < 2 && p.screened < len(in)/2-screenChunk {
				t.Fatalf("%d events of %d screened ahead", p.screened, len(in))
			}
		}
		out.Reset()
		if err := stage.Process(context.Background(), in, out); err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Msgs {
			all = append(append(all, m.Value...), '\n')
		}
	}
	return all, stage.Stats(), stage
}
