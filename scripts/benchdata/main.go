// Command benchdata writes a store-format CSV for benchmarks: a month of
// classified events over all 14 ATT&CK tactics, written by the store's own
// row builder. With -lab, only the course lab's eight columns are written,
// TA0000/T0000 marking events without a tactic, as in classified_packets.csv.
// Usage: go run ./scripts/benchdata -rows 1000000 -o tactics.csv
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/store"
)

// detections are the threats events carry: every tactic, with techniques
// of the catalog, some with two tactics or two techniques.
var detections = []ecs.Threat{
	{Tactics: []string{"TA0043"}, Techniques: []string{"T1595.002"}, RuleNames: []string{"Vulnerability scan"}, Level: "low"},
	{Tactics: []string{"TA0042"}, Techniques: []string{"T1588.002"}, RuleNames: []string{"Tool download"}, Level: "low"},
	{Tactics: []string{"TA0001"}, Techniques: []string{"T1190"}, RuleNames: []string{"Web exploit attempt"}, Level: "high"},
	{Tactics: []string{"TA0002"}, Techniques: []string{"T1059.001"}, RuleNames: []string{"Encoded PowerShell"}, Level: "high"},
	{Tactics: []string{"TA0003"}, Techniques: []string{"T1547.001"}, RuleNames: []string{"Run key"}, Level: "medium"},
	{Tactics: []string{"TA0004", "TA0005"}, Techniques: []string{"T1548.002"}, RuleNames: []string{"UAC bypass"}, Level: "high"},
	{Tactics: []string{"TA0005"}, Techniques: []string{"T1070.001"}, RuleNames: []string{"Log clearing"}, Level: "high"},
	{Tactics: []string{"TA0006"}, Techniques: []string{"T1110.001"}, RuleNames: []string{"SSH brute force"}, Level: "medium"},
	{Tactics: []string{"TA0006"}, Techniques: []string{"T1003.001"}, RuleNames: []string{"LSASS dump"}, Level: "critical"},
	{Tactics: []string{"TA0007"}, Techniques: []string{"T1087.002", "T1069.002"}, RuleNames: []string{"Discovery burst"}, Level: "medium"},
	{Tactics: []string{"TA0008"}, Techniques: []string{"T1021.002"}, RuleNames: []string{"PsExec"}, Level: "high"},
	{Tactics: []string{"TA0009"}, Techniques: []string{"T1560.001"}, RuleNames: []string{"Archive with password"}, Level: "medium"},
	{Tactics: []string{"TA0011"}, Techniques: []string{"T1071.004"}, RuleNames: []string{"DNS tunnelling"}, Level: "high"},
	{Tactics: []string{"TA0010"}, Techniques: []string{"T1048.003"}, RuleNames: []string{"Large upload"}, Level: "high"},
	{Tactics: []string{"TA0040"}, Techniques: []string{"T1486", "T1490"}, RuleNames: []string{"Mass encryption", "Shadow copy delete"}, Level: "critical"},
}

var commands = []string{
	`C:\Windows\System32\svchost.exe -k netsvcs -p`,
	`powershell.exe -NoProfile -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`,
	`cmd.exe /c whoami /all`,
	`"C:\Program Files\7-Zip\7z.exe" a -pS3cret, out.7z C:\Users\Public\docs`,
	`/usr/sbin/sshd -D`,
	`rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full`,
}

func main() {
	rows := flag.Int("rows", 1000000, "rows to write (at least)")
	days := flag.Int("days", 30, "days of events")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", "-", "output file (- for stdout)")
	lab := flag.Bool("lab", false, "write the lab's eight columns only")
	flag.Parse()

	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	defer bw.Flush()
	if *lab {
		bw.WriteString(strings.Join(store.Columns[:8], ",") + "\n")
	} else {
		bw.WriteString(store.HeaderLine + "\n")
	}

	cat := attack.Default()
	rng := rand.New(rand.NewPCG(*seed, 7))
	rb := store.NewRows(cat)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	span := int64(*days) * 86400 * 1000
	var buf, ev []byte
	written := 0
	for i := 0; written < *rows; i++ {
		ms := start + span*int64(written)/int64(*rows) + rng.Int64N(1000)
		ev = append(ev[:0], `{"@timestamp":`...)
		ev = event.AppendString(ev, time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"))
		ev = fmt.Appendf(ev, `,"event":{"id":"%08x-%04x-4%03x-8%03x-%012x","action":"process_start","kind":"event","dataset":"windows.sysmon_operational"}`,
			rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
		ev = fmt.Appendf(ev, `,"user":{"name":"user%03d"},"host":{"name":"ws-%03d"},"source":{"ip":"10.%d.%d.%d"},"destination":{"ip":"192.0.2.%d","port":%d}`,
			rng.IntN(500), rng.IntN(200), rng.IntN(4), rng.IntN(16), rng.IntN(254)+1, rng.IntN(254)+1, []int{443, 80, 445, 22, 3389}[rng.IntN(5)])
		ev = append(ev, `,"process":{"name":"proc.exe","command_line":`...)
		ev = event.AppendString(ev, commands[rng.IntN(len(commands))])
		ev = append(ev, '}')
		if rng.IntN(5) == 0 {
			th := detections[rng.IntN(len(detections))]
			th.RuleIDs = make([]string, len(th.RuleNames))
			for k := range th.RuleIDs {
				th.RuleIDs[k] = fmt.Sprintf("%08x-0000-4000-8000-000000000000", k+len(th.RuleNames[0]))
			}
			ev = append(ev, ',')
			ev = th.AppendFields(ev, cat)
		}
		ev = append(ev, '}')
		var n int
		buf, n, _ = rb.Append(buf[:0], ev)
		if *lab {
			buf = labColumns(buf)
		}
		bw.Write(buf)
		written += n
	}
}

// labColumns keeps the first eight cells of each row (none of them quoted),
// with TA0000/T0000 in empty tactic cells.
func labColumns(rows []byte) []byte {
	var out []byte
	for len(rows) > 0 {
		nl := bytes.IndexByte(rows, '\n')
		row := rows[:nl]
		rows = rows[nl+1:]
		cut, commas := 0, 0
		for i, c := range row {
			if c == ',' {
				if commas++; commas == 8 {
					cut = i
					break
				}
			}
		}
		row = row[:cut]
		if bytes.HasSuffix(row, []byte(",,")) {
			row = append(row[:len(row)-1:len(row)-1], "TA0000,T0000"...)
		}
		out = append(out, row...)
		out = append(out, '\n')
	}
	return out
}
