package sink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// benchEvents returns n classified ECS events, one in ten matched, as
// classify writes them.
func benchEvents(n int) []pipeline.Message {
	threats := []*ecs.Threat{
		{Tactics: []string{"TA0006"}, Techniques: []string{"T1110.001"}, RuleIDs: []string{"5f7c4e61-8c3a-4a55-9f0b-2a0a5b1b7e11"}, RuleNames: []string{"SSH brute force"}, Level: "high"},
		{Tactics: []string{"TA0002"}, Techniques: []string{"T1059.001"}, RuleIDs: []string{"0c1b8a2e-51f5-4c8e-a2a6-2b8f5b3f2b11"}, RuleNames: []string{"Encoded PowerShell"}, Level: "medium"},
		{Tactics: []string{"TA0005", "TA0004"}, Techniques: []string{"T1548.002"}, RuleIDs: []string{"9a1b"}, RuleNames: []string{"UAC bypass"}, Level: "high"},
	}
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		base := fmt.Sprintf(`{"@timestamp":"2026-01-15T07:%02d:%02d.123Z","event":{"id":"%08x-1b2c-4d3e-8f40-%012x","action":"process_start","kind":"event","category":["process"],"dataset":"windows.sysmon_operational"},"user":{"name":"user%d","domain":"CORP"},"host":{"name":"win-%02d","os":{"type":"windows"}},"source":{"ip":"10.0.%d.%d"},"process":{"pid":%d,"name":"powershell.exe","executable":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","command_line":"powershell.exe -NoProfile -Command Get-Process"}}`,
			i/60%60, i%60, i, i, i%50, i%20, i%4, i%250, 1000+i%30000)
		var th *ecs.Threat
		if i%10 == 0 {
			th = threats[i/10%len(threats)]
		}
		msgs[i].Value = classified(base, th)
	}
	return msgs
}

func BenchmarkCSVSink(b *testing.B) {
	msgs := benchEvents(4096)
	size := 0
	for _, m := range msgs {
		size += len(m.Value)
	}
	s := NewCSVSink(io.Discard, nil, attack.Default(), false)
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Write(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	s.Flush(ctx)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(s.Counts().Events)/sec, "events/s")
	b.ReportMetric(float64(s.Counts().Rows)/sec, "rows/s")
}

func BenchmarkJSONLSink(b *testing.B) {
	msgs := benchEvents(4096)
	size := 0
	for _, m := range msgs {
		size += len(m.Value)
	}
	s := NewJSONLSink(io.Discard, nil)
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Write(ctx, msgs)
	}
	b.ReportMetric(float64(s.Counts().Events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCSVSinkFile measures the sink on classified events from a file
// (secpipe gen | secpipe classify > f.jsonl; STORE_BENCH_JSONL=f.jsonl).
func BenchmarkCSVSinkFile(b *testing.B) {
	path := os.Getenv("STORE_BENCH_JSONL")
	if path == "" {
		b.Skip("set STORE_BENCH_JSONL to classified JSON Lines")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var msgs []pipeline.Message
	size := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for len(msgs) < 200000 && sc.Scan() {
		msgs = append(msgs, pipeline.Message{Value: append([]byte(nil), sc.Bytes()...)})
		size += len(sc.Bytes())
	}
	s := NewCSVSink(io.Discard, nil, attack.Default(), false)
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < len(msgs); j += 4096 {
			s.Write(ctx, msgs[j:min(j+4096, len(msgs))])
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(s.Counts().Events)/sec, "events/s")
	b.ReportMetric(float64(s.Counts().Rows)/sec, "rows/s")
}

// BenchmarkCSVSinkHelpers measures row building split across goroutines,
// as on machines with cores to spare.
func BenchmarkCSVSinkHelpers(b *testing.B) {
	msgs := benchEvents(4096)
	size := 0
	for _, m := range msgs {
		size += len(m.Value)
	}
	for _, helpers := range []int{0, 1, 3} {
		b.Run(fmt.Sprintf("helpers=%d", helpers), func(b *testing.B) {
			s := NewCSVSink(io.Discard, nil, attack.Default(), false)
			s.helpers = nil
			for i := 0; i < helpers; i++ {
				s.helpers = append(s.helpers, &csvPart{rows: store.NewRows(attack.Default())})
			}
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				s.Write(context.Background(), msgs)
			}
			b.ReportMetric(float64(s.Counts().Events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
