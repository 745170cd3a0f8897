package render

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// Event values in a report reach a spreadsheet as text, not formulas, and
// stay in their Markdown cell.
func TestCellsFromEvents(t *testing.T) {
	tbl := Table{Title: "Hosts", Header: []string{"HOST", "EVENTS", "SHARE"}, Rows: [][]string{
		{`=cmd|' /C calc'!A0`, "3", "-0.5"},
		{"a|b\nc", "1", "+2"},
		{"@SUM(A1)", "2", "0.25"},
	}}
	var b bytes.Buffer
	if err := Tables(&b, CSV, tbl); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	want := [][]string{{"HOST", "EVENTS", "SHARE"}, {`'=cmd|' /C calc'!A0`, "3", "-0.5"}, {"a|b\nc", "1", "+2"}, {"'@SUM(A1)", "2", "0.25"}}
	if len(rows) != len(want) {
		t.Fatalf("csv rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("csv row %d: %q, want %q", i, rows[i], want[i])
		}
	}

	b.Reset()
	if err := Tables(&b, Markdown, tbl); err != nil {
		t.Fatal(err)
	}
	var body []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasPrefix(l, "|") {
			body = append(body, l)
		}
	}
	if len(body) != 5 {
		t.Fatalf("markdown: %d table lines, want 5:\n%s", len(body), b.String())
	}
	for _, l := range body {
		// Each line has 4 unescaped pipes: 3 columns.
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 4 {
			t.Errorf("markdown line with %d cell borders: %s", n, l)
		}
	}
	if !strings.Contains(b.String(), `a\|b c`) || !strings.Contains(b.String(), `=cmd\|' /C calc'!A0`) {
		t.Errorf("markdown:\n%s", b.String())
	}
}
