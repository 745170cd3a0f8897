package stats

import (
	"fmt"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/store"
)

// classified returns an ECS event as classify writes it, with t's threat
// fields when t is not nil.
func classified(id, ts, host, user, ip string, t *ecs.Threat) []byte {
	b := fmt.Appendf(nil, `{"@timestamp":%q,"event":{"id":%q,"action":"process_start"},"host":{"name":%q},"user":{"name":%q},"source":{"ip":%q}`, ts, id, host, user, ip)
	if t != nil {
		b = append(b, ',')
		b = t.AppendFields(b, attack.Default())
	}
	return append(b, '}')
}

// storeCSV writes events as store's CSV.
func storeCSV(events ...[]byte) []byte {
	rb := store.NewRows(attack.Default())
	out := []byte(store.HeaderLine + "\n")
	for _, e := range events {
		out, _, _ = rb.Append(out, e)
	}
	return out
}

var benchThreats = []*ecs.Threat{
	{Tactics: []string{"TA0006"}, Techniques: []string{"T1110.001"}, RuleIDs: []string{"r1"}, RuleNames: []string{"SSH brute force"}},
	{Tactics: []string{"TA0002"}, Techniques: []string{"T1059.001"}, RuleIDs: []string{"r2"}, RuleNames: []string{"Encoded PowerShell"}},
	{Tactics: []string{"TA0007"}, Techniques: []string{"T1087.002", "T1069.002"}, RuleIDs: []string{"r3"}, RuleNames: []string{"Discovery, burst"}},
	{Tactics: []string{"TA0040"}, Techniques: []string{"T1486"}, RuleIDs: []string{"r4"}, RuleNames: []string{"Mass encryption"}},
}

// benchCSV returns a store CSV of about n rows over a month, one event in
// five tagged.
func benchCSV(n int) []byte {
	var events [][]byte
	for i := 0; i < n*9/10; i++ {
		ts := fmt.Sprintf("2026-01-%02dT%02d:%02d:%02d.%03dZ", 1+i*30/n, i/3600%24, i/60%60, i%60, i%1000)
		var t *ecs.Threat
		if i%5 == 0 {
			t = benchThreats[i/5%len(benchThreats)]
		}
		events = append(events, classified(fmt.Sprintf("%08x-1b2c-4d3e-8f40-%012x", i, i), ts,
			fmt.Sprintf("ws-%03d", i%200), fmt.Sprintf("user%03d", i%500), fmt.Sprintf("10.0.%d.%d", i%16, i%250), t))
	}
	return storeCSV(events...)
}
