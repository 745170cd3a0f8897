package format

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/event"
)

func TestCSV(t *testing.T) {
	r := readFile(t, "testdata/export.csv", Auto, Options{})
	if len(r.events) != 3 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 3 events", len(r.events), r.bad)
	}
	if !sameInts(r.lines, []int{2, 3, 4}) {
		t.Errorf("lines %v, want [2 3 4]", r.lines)
	}
	check(t, r, []want{
		{0, "event_id", `"1027c4d1-c386-4bc4-8d61-3e30d8f16adf"`},
		{0, "source_ip", `"10.0.0.11"`},
		{0, "mitre_technique", `"T1110"`},
		{1, "mitre_tactic", `<missing>`}, // empty cells left out
		{2, "user", `"Smith, Bob"`},
		{2, "mitre_technique", `"T1059\nT1059.001"`}, // a quoted cell over two lines
	})

	// The lab's store output, every row read, keyed by its header.
	lab, err := os.ReadFile("../../examples/lab/classified_packets.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(strings.TrimSpace(string(lab)), "\n")
	labRead := readAll(t, string(lab), "classified_packets.csv", Auto, Options{})
	if len(labRead.events) != rows || len(labRead.bad) != 0 {
		t.Errorf("lab CSV: %d events, %d bad; want %d events", len(labRead.events), len(labRead.bad), rows)
	}
	check(t, labRead, []want{{0, "event_type", `"user_login"`}})

	// With Fields set, only the named columns are kept, quoted or not.
	only := readFile(t, "testdata/export.csv", Auto, Options{Fields: []string{"user", "mitre_technique"}})
	check(t, only, []want{
		{0, "event_id", `<missing>`},
		{0, "mitre_technique", `"T1110"`},
		{2, "user", `"Smith, Bob"`},
		{2, "source_ip", `<missing>`},
	})

	// A byte order mark is no part of the first name; repeated and empty
	// names get names of their own.
	bom := readAll(t, "\uFEFFa,a,\n1,2,3\n", "x.csv", CSV, Options{})
	check(t, bom, []want{{0, "a", `"1"`}, {0, "a_2", `"2"`}, {0, "column3", `"3"`}})
}

func TestCSVBadInput(t *testing.T) {
	in := strings.Join([]string{
		"name,value",
		"a,1",
		`b,"never closed`, // stray quote: costs only its line
		"c,3",
		"d,4,extra", // wrong count
		"e",         // truncated
		`f,x"y`,     // a quote inside an unquoted cell
		`"g"h,7`,    // text after a quoted cell
		"\x00\x01,\x02",
		"i,9",
	}, "\n") + "\n"
	r := readAll(t, in, "export.csv", CSV, Options{})
	if !sameInts(r.badLines(), []int{3, 5, 6, 7, 8}) {
		t.Errorf("bad lines %v, want [3 5 6 7 8]", r.badLines())
	}
	if !sameInts(r.lines, []int{2, 4, 9, 10}) {
		t.Errorf("good lines %v, want [2 4 9 10]", r.lines)
	}
	check(t, r, []want{{1, "name", `"c"`}, {3, "value", `"9"`}})

	// A stray quote whose cell runs on over good rows and closes on a
	// later stray quote: both lines are reported, the rows between kept.
	two := readAll(t, "k,v\na,\"1\nb,2\nc,3\"x\nd,4\n", "x.csv", CSV, Options{})
	if !sameInts(two.badLines(), []int{2, 4}) || !sameInts(two.lines, []int{3, 5}) {
		t.Errorf("bad %v good %v, want [2 4] and [3 5]", two.badLines(), two.lines)
	}

	// A quote is given up once its cell would run over the record limit;
	// the rows it ran over are read as rows.
	var b strings.Builder
	b.WriteString("k,v\na,\"1\n")
	for i := 0; i < 30; i++ {
		b.WriteString("b,2\n")
	}
	b.WriteString("c,3\"\nd,4\n")
	long := readAll(t, b.String(), "x.csv", CSV, Options{MaxRecord: 100})
	if !sameInts(long.badLines(), []int{2, 33}) || len(long.events) != 31 || long.lines[30] != 34 {
		t.Errorf("bad %v, %d good ending at line %d; want [2 33], 31 and 34", long.badLines(), len(long.events), long.lines[len(long.lines)-1])
	}
}

// rowsAndJSON reads input twice, as rows of fields (NextRow) and as JSON
// (Next), and fails where a row's cells are not the strings its JSON
// object holds at those fields, or where the two disagree on lines and
// bad records.
func rowsAndJSON(t *testing.T, input string, fields []string) {
	t.Helper()
	opt := Options{Name: "in.csv", Fields: fields}
	jr, _, err := Open(strings.NewReader(input), CSV, opt)
	if err != nil {
		t.Fatal(err)
	}
	rr, _, err := Open(strings.NewReader(input), CSV, opt)
	if err != nil {
		t.Fatal(err)
	}
	rows, ok := rr.(RowReader)
	if !ok {
		t.Fatal("the CSV reader gives no rows")
	}
	paths := event.NewPaths(fields...)
	var f event.Fields
	for n := 0; ; n++ {
		rec, jerr := jr.Next()
		row, rerr := rows.NextRow()
		if (jerr == nil) != (rerr == nil) || jerr != nil && jerr.Error() != rerr.Error() {
			t.Fatalf("record %d: JSON path %v, rows %v", n, jerr, rerr)
		}
		if jerr == io.EOF {
			return
		}
		if jerr != nil {
			continue
		}
		if rec.Line != row.Line || rec.Input != row.Input {
			t.Errorf("record %d: JSON at %s:%d, row at %s:%d", n, rec.Input, rec.Line, row.Input, row.Line)
		}
		if len(row.Cells) != len(fields) {
			t.Fatalf("record %d: %d cells for %d fields", n, len(row.Cells), len(fields))
		}
		paths.Extract(rec.Raw, &f)
		for i, name := range fields {
			var want []byte
			if vs := f.Values(paths.Slot(name)); len(vs) > 0 {
				want = vs[0].AppendText(nil)
			}
			if !bytes.Equal(row.Cells[i], want) || (row.Cells[i] == nil) != (want == nil) {
				t.Errorf("record %d (line %d), %s: row has %q, JSON %q", n, rec.Line, name, row.Cells[i], want)
			}
		}
	}
}

func TestCSVRowsAsJSON(t *testing.T) {
	input := strings.Join([]string{
		"\uFEFFid,user,note,id,",
		`1,alice,"a, b",x,y`,
		"2,\"multi\r\nline\",\"say \"\"hi\"\"\",,",
		`3,"never closed,z,w,v`,
		"4,us\xffer,\x01\t,\xc3,",
		"5,too,few",
		"",
		`6,"",,"",q`,
		"7,a,b,c,d,e",
	}, "\r\n") + "\r\n"
	rowsAndJSON(t, input, []string{"user", "id", "missing", "note", "id_2", "column5"})
	rowsAndJSON(t, string(mustRead(t, "testdata/export.csv")), []string{"mitre_technique", "user", "event_id"})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rowsOf reads the records of rows to the end: each row as its line and
// cells, each bad record as its message, lines shifted by lines (those
// before a part). It returns where a part ended inside a quoted cell.
func rowsOf(t *testing.T, next func() (Row, error), lines int) ([]string, *PartEnd) {
	t.Helper()
	var out []string
	for {
		row, err := next()
		switch e := err.(type) {
		case nil:
			out = append(out, fmt.Sprintf("%s:%d %q", row.Input, row.Line+lines, row.Cells))
			continue
		case *PartEnd:
			return out, e
		case *event.BadRecordError:
			bad := *e
			bad.Line += lines
			out = append(out, bad.Error())
			continue
		}
		if err != io.EOF {
			t.Fatal(err)
		}
		return out, nil
	}
}

// partsAsOnePass checks that input read in parts (SplitCSV, every part
// start from 2 to 5 parts) gives the rows and bad records of one pass, at
// the same lines, when each part's lines are shifted by those before it
// and a part that ends inside a quoted cell is read on (Rest).
func partsAsOnePass(t *testing.T, input string, fields []string) {
	t.Helper()
	opt := Options{Name: "in.csv", Fields: fields}
	rd, _, err := Open(strings.NewReader(input), CSV, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rowsOf(t, rd.(RowReader).NextRow, 0)
	for n := 2; n <= 5; n++ {
		split, err := SplitCSV(strings.NewReader(input), int64(len(input)), n, 1, opt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if split == nil {
			continue
		}
		var got []string
		lines := 0
		for i := range split.Parts() {
			part := split.Part(i)
			rows, end := rowsOf(t, part.NextRow, lines)
			got = append(got, rows...)
			if end != nil {
				rows, _ = rowsOf(t, split.Rest(end.Offset, end.Line-1).NextRow, lines)
				got = append(got, rows...)
				break
			}
			lines += part.Lines()
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d parts at %v:\n%s\none pass:\n%s", n, split.Bounds, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestCSVPartsAsOnePass(t *testing.T) {
	input := strings.Join([]string{
		"\uFEFFid,user,note,id,",
		`1,alice,"a, b",x,y`,
		"2,\"multi\r\nline\r\n\r\nmore\",\"say \"\"hi\"\"\",,",
		`3,"never closed,z,w,v`,
		"4,us\xffer,\x01\t,\xc3,",
		"5,too,few",
		"",
		`6,"",,"",q`,
		"7,a,b,c,d,e",
		"8,\"\"\"\r\n\"\"\",b,c,d",
		"9,a,b,c,d",
	}, "\r\n") + "\r\n"
	partsAsOnePass(t, input, []string{"user", "id", "missing", "note", "id_2", "column5"})
	partsAsOnePass(t, string(mustRead(t, "testdata/export.csv")), []string{"mitre_technique", "user", "event_id"})
}
