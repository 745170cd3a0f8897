package gen

import (
	"testing"
)

// BenchmarkGenerate measures generation and encoding of the default mix in
// each format, reporting events per second of one core.
func BenchmarkGenerate(b *testing.B) {
	for _, f := range []Format{ECS, Lab} {
		b.Run(string(f), func(b *testing.B) {
			g, err := New(Config{Seed: 1, AttackShare: DefaultAttackShare, Format: f})
			if err != nil {
				b.Fatal(err)
			}
			var buf []byte
			var bytes int64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var ok bool
				buf, ok = g.Next(buf[:0])
				if !ok {
					b.Fatal("generator ended")
				}
				bytes += int64(len(buf))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/float64(b.N), "bytes/event")
		})
	}
}
