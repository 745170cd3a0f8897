package sink

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db/dbtest"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// BenchmarkStoreBackends stores the same 100,000 classified events into a
// CSV file, SQLite, PostgreSQL and ClickHouse (SECPIPE_TEST_POSTGRES,
// SECPIPE_TEST_CLICKHOUSE; skipped without them), in the pipeline's batches (4096 events, a flush every 4 batches),
// from opening the sink to closing it: events/s side by side.
func BenchmarkStoreBackends(b *testing.B) {
	msgs := benchEvents(100000)
	run := func(b *testing.B, open func() pipeline.Sink) {
		ctx := context.Background()
		var took time.Duration
		for i := 0; i < b.N; i++ {
			s := open()
			start := time.Now()
			for j, k := 0, 0; j < len(msgs); j, k = j+4096, k+1 {
				if err := s.Write(ctx, msgs[j:min(j+4096, len(msgs))]); err != nil {
					b.Fatal(err)
				}
				if k%4 == 3 {
					if err := s.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			took += time.Since(start)
		}
		b.ReportMetric(float64(b.N*len(msgs))/took.Seconds(), "events/s")
	}
	dir := b.TempDir()
	b.Run("csv", func(b *testing.B) {
		run(b, func() pipeline.Sink {
			path := filepath.Join(dir, "tactics.csv")
			os.Remove(path)
			s, err := OpenFile(path, CSV, attack.Default())
			if err != nil {
				b.Fatal(err)
			}
			return s
		})
	})
	b.Run("sqlite", func(b *testing.B) {
		n := 0
		run(b, func() pipeline.Sink {
			n++
			s, err := OpenSQLite(context.Background(), filepath.Join(dir, "events"+string(rune('a'+n))+".db"), attack.Default())
			if err != nil {
				b.Fatal(err)
			}
			return s
		})
	})
	b.Run("postgres", func(b *testing.B) {
		run(b, func() pipeline.Sink {
			spec := dbtest.Postgres(b) // a fresh database each time
			s, err := OpenPostgres(context.Background(), spec, attack.Default(), 30*time.Second, nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		})
	})
	b.Run("clickhouse", func(b *testing.B) {
		run(b, func() pipeline.Sink {
			s, err := OpenClickHouse(context.Background(), dbtest.ClickHouse(b), attack.Default(), 30*time.Second, nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		})
	})
}
