package render

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": Text, "text": Text, "TABLE": Text, "json": JSON, "csv": CSV, "markdown": Markdown, "md": Markdown} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), Formats) {
		t.Errorf("ParseFormat(yaml): %v", err)
	}
}

var tactics = Table{
	Title:  "Tactics",
	Header: []string{"tactic", "events"},
	Rows:   [][]string{{"Credential Access", "1200"}, {"Impact, \"big\"", "7"}},
	Right:  []int{1, 5},
}

// TestCSV: one table alone is plain CSV; several are titled and apart.
func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := Tables(&b, CSV, tactics); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "tactic" || rows[2][0] != `Impact, "big"` || rows[2][1] != "7" {
		t.Errorf("rows %q", rows)
	}
	b.Reset()
	Tables(&b, CSV, tactics, Table{Title: "Hosts", Header: []string{"host"}, Rows: [][]string{{"h1"}}})
	want := "# Tactics\ntactic,events\nCredential Access,1200\n\"Impact, \"\"big\"\"\",7\n\n# Hosts\nhost\nh1\n"
	if b.String() != want {
		t.Errorf("two tables\n got %q\nwant %q", b.String(), want)
	}
}

// TestText: a title line, then aligned columns, numbers to the right.
func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Tables(&b, Text, tactics); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if lines[0] != "Tactics" {
		t.Fatalf("first line %q, want the title; output:\n%s", lines[0], b.String())
	}
	var cells []string
	for _, l := range lines {
		if strings.Contains(l, "1200") || strings.Contains(l, "big") {
			cells = append(cells, l)
		}
	}
	if len(cells) != 2 || len(cells[0]) != len(cells[1]) {
		t.Fatalf("rows not aligned:\n%s", b.String())
	}
	// Right-aligned: the numbers end in the same column.
	if strings.Index(cells[0], "1200")+4 != strings.Index(cells[1], "7")+1 {
		t.Errorf("numbers not aligned right:\n%s", b.String())
	}
	for _, h := range tactics.Header {
		if !strings.Contains(b.String(), h) {
			t.Errorf("header %q missing (as written, not upper-cased):\n%s", h, b.String())
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Tables(&b, Markdown, tactics); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// A heading, a header row, a delimiter row aligning numbers right.
	if !strings.HasPrefix(out, "### Tactics\n\n| tactic") || !strings.Contains(out, "|:---") || !strings.Contains(out, "-:|") ||
		!strings.Contains(out, "| Credential Access |   1200 |") {
		t.Errorf("markdown:\n%s", out)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]any{"name": "A&B <x>", "n": []int{1}}); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"n\": [\n    1\n  ],\n  \"name\": \"A&B <x>\"\n}\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

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
