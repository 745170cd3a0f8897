package stats

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
)

// benchFile is a store CSV to measure with (scripts/bench_stats.sh makes
// one): STATS_BENCH_CSV=/tmp/tactics.csv go test -bench ReadFile ./pkg/stats
func BenchmarkReadFile(b *testing.B) {
	path := os.Getenv("STATS_BENCH_CSV")
	if path == "" {
		b.Skip("set STATS_BENCH_CSV to a store CSV")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	var rows int64
	for i := 0; i < b.N; i++ {
		a := NewAgg(attack.Default(), 0)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		err = a.Read(context.Background(), f, path, nil)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		rows += a.Report(10).Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadCSV measures reading generated CSV rows from memory.
func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV(200000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		a := NewAgg(attack.Default(), 0)
		if err := a.Read(context.Background(), bytes.NewReader(data), "bench.csv", nil); err != nil {
			b.Fatal(err)
		}
		rows += a.rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
