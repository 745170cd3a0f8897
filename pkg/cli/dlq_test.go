package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --dlq keeps bad records whole: a malformed line bigger than 1 MiB, and a
// line over --max-record-size, in JSON Lines and in a text format; the
// good events around them go on.
func TestDLQKeepsOversizedRecordsWhole(t *testing.T) {
	good := classifiedEvent("g1", "2026-01-15T07:00:00Z", nil)
	malformed := `{"message":"` + strings.Repeat("a", 3<<20) + `",}`
	oversized := `{"message":"` + strings.Repeat("b", 5<<20) + `"}`
	syslogLong := "Jan  2 03:04:05 host prog[1]: " + strings.Repeat("c", 5<<20)
	for _, tc := range []struct {
		name, input string
		bad         []string
		events      int
	}{
		{"json", good + malformed + "\n" + good + oversized + "\n" + good, []string{malformed, oversized}, 3},
		{"json without a last newline", good + oversized, []string{oversized}, 1},
		{"syslog", "Jan  2 03:04:04 host prog[1]: first\n" + syslogLong + "\nJan  2 03:04:06 host prog[1]: last\n", []string{syslogLong}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, dlq := filepath.Join(dir, "in.log"), filepath.Join(dir, "dead.txt")
			os.WriteFile(in, []byte(tc.input), 0o644)
			code, stdout, stderr := runSecpipe(t, "", "classify", "--max-record-size", "4MiB", "--dlq", dlq, in)
			if code != 0 || strings.Count(stdout, "\n") != tc.events {
				t.Errorf("exit %d, %d events, want %d\n%s", code, strings.Count(stdout, "\n"), tc.events, stderr)
			}
			got, err := os.ReadFile(dlq)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Join(tc.bad, "\n") + "\n"
			if !bytes.Equal(got, []byte(want)) {
				t.Errorf("dead-letter file: %d bytes, want %d (the bad records whole, one a line)", len(got), len(want))
			}
		})
	}
}
