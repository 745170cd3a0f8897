package stats

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/source"
)

// labEdgeCSV is the lab's eight columns with what real exports hold: a
// byte order mark, CRLF line ends, quoted cells with commas, quotes and
// line ends, bad rows (a stray quote, too few cells), invalid UTF-8, a
// control character, an event over two rows, unparsable and missing
// timestamps, a blank line, and IDs the catalog lacks.
func labEdgeCSV() []byte {
	return []byte(strings.Join(labEdgeRows(""), "\r\n") + "\r\n")
}

// labEdgeRows returns the header and rows of labEdgeCSV, each event id
// ending in suffix.
func labEdgeRows(suffix string) []string {
	rows := []string{
		"\uFEFFevent_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique",
		"e1,2026-01-15T07:00:03Z,alice,web-01,203.0.113.7,login,TA0006,T1110",
		`e2,2026-01-15T07:00:04Z,"Smith, Bob",web-01,203.0.113.8,login,TA0000,T0000`,
		"e3,2026-01-15T07:01:00Z,\"multi\r\nline user\",db-01,10.0.0.5,exec,TA0002,\"T1059.001\"",
		`e4,2026-01-15T07:01:30Z,carol,"never closed,10.0.0.6,exec,TA0002,T1059`,
		"e5,2026-01-15T07:02:00Z,dave,db-01",
		`e6,2026-01-15T07:02:30Z,"say ""hi""",web-01,10.0.0.7,exec,TA0040,T1486`,
		"e7,2026-01-15T07:03:00Z,us\xffer\xfe,web-\xc3,10.0.0.8,exec,TA0005,T1070",
		"e7,2026-01-15T07:03:00Z,us\xffer\xfe,web-\xc3,10.0.0.8,exec,TA0003,T1053.005",
		"e8,yesterday,erin,db-02,10.0.0.9,exec,TA0002,T1059.001",
		"",
		"e9,,frank,,10.0.0.10,exec,TA0007,T1087.002",
		"e10,2026-01-15T07:04:00Z,\"tab\there\",db-02,10.0.0.11,exec,TA9999,T9999",
		`e11,2026-01-15T07:05:00Z,"gina",web-02,10.0.0.12,exec,"TA0006","T1110.001"`,
		`e12,2026-01-15T07:06:00Z,henry,web-02,10.0.0.13,exec,TA0002,T1059,extra`,
		"e13,1768460820,ivan,web-03,10.0.0.14,exec,TA0011,T1071",
	}
	for i, r := range rows[1:] {
		if id, rest, ok := strings.Cut(r, ","); ok {
			rows[1+i] = id + suffix + "," + rest
		}
	}
	return rows
}

// storeEdgeCSV is store's CSV of classified events, with indicators and
// countries as enrich adds them, and a bad row.
func storeEdgeCSV() []byte { return storeEdgeCSVWith("") }

// storeEdgeCSVWith is storeEdgeCSV with each event id ending in suffix.
func storeEdgeCSVWith(suffix string) []byte {
	e1 := classified("s1"+suffix, "2026-01-15T07:00:03.123Z", "web-01", "alice", "203.0.113.7", th([]string{"TA0040"}, []string{"T1486", "T1490"}))
	e1 = append(e1[:len(e1)-1], `,"source":{"ip":"203.0.113.7","geo":{"country_iso_code":"NL"}},"threat":{"enrichments":[{"matched":{"atomic":"203.0.113.7"}},{"matched":{"atomic":"evil.example"}}]}}`...)
	out := storeCSV(
		e1,
		classified("s2"+suffix, "2026-01-15T07:00:04Z", "web-01", "bob, jr", "203.0.113.7", th([]string{"TA0006"}, []string{"T1110.001"})),
		classified("s3"+suffix, "2026-01-15T07:01:00Z", "db-01", "alice", "10.0.0.5", nil),
		classified("s4"+suffix, "2026-01-15T07:02:30Z", "web-01", "alice\nnewline", "203.0.113.7", th([]string{"TA0002", "TA0006"}, []string{"T1059.001", "T1110.001"})),
	)
	out = append(out, "s5"+suffix+",2026-01-15T07:03:00Z,too,few\n"...)
	return append(out, storeCSV(classified("s6"+suffix, "2026-01-15T07:03:59Z", "db-01", "carol", "10.0.0.6", th([]string{"TA0002"}, []string{"T1059.001"})))[len(storeCSV()):]...)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// statsRun is what a run of the stats pipeline gave.
type statsRun struct {
	report, chart []byte
	log           string // the bad rows named, as on stderr, in sorted order
	rows, events  int    // messages that came as rows, and in all
	parts         int    // messages that offered an input in parts
}

// rowCounter counts the messages that came as rows, and in parts.
type rowCounter struct{ rows, parts, all int }

func (c *rowCounter) Batch(in, _ []pipeline.Message, _ time.Duration) {
	for i := range in {
		if in[i].Row != nil {
			c.rows++
		}
		if in[i].Parts != nil {
			c.parts++
		}
	}
	c.all += len(in)
}

// runStats reads files through the source registry into a Sink, as the
// stats command does, asking for rows or not.
func runStats(t *testing.T, files []string, f format.Format, rows bool, since, until int64) statsRun {
	t.Helper()
	return runStatsInParts(t, files, f, rows, 0, since, until)
}

// runStatsInParts is runStats with the last file read in up to parts parts
// of at least a byte (source.Options.Parts; 0: in one pass).
func runStatsInParts(t *testing.T, files []string, f format.Format, rows bool, parts int, since, until int64) statsRun {
	t.Helper()
	var log bytes.Buffer
	rejects := &pipeline.Rejects{Log: &log, Prefix: "secpipe stats"}
	src, err := source.Open(context.Background(), files, source.Options{Format: f, Fields: Fields(), Rows: rows, Parts: parts, MinPart: 1, Rejects: rejects})
	if err != nil {
		t.Fatal(err)
	}
	agg := NewAgg(attack.Default(), 0)
	sink := NewSink(agg, rejects)
	if since != 0 || until != 0 {
		sink.SetRange(since, until)
	}
	var count rowCounter
	if err := pipeline.Run(context.Background(), src, nil, sink, pipeline.Policy{Observer: &count}); err != nil {
		t.Fatal(err)
	}
	rep := agg.Report(10)
	report, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var chart bytes.Buffer
	if rep.Total > 0 {
		if err := rep.Chart(&chart, "svg"); err != nil {
			t.Fatal(err)
		}
	}
	// Bad rows are named by the reading goroutine, unparsable timestamps
	// by the sink's: between the two, the order is the scheduler's.
	lines := strings.SplitAfter(log.String(), "\n")
	sort.Strings(lines)
	return statsRun{report: report, chart: chart.Bytes(), log: strings.Join(lines, ""), rows: count.rows, events: count.all, parts: count.parts}
}

// TestRowsReportAsJSON checks that stats' fast path, CSV rows handed on as
// cells (source.Options.Rows), gives the report, chart and bad-row
// messages that the JSON path gives, on the same files: the lab's CSV and
// store's, plain and gzip-compressed, alone and with JSON Lines in one run.
func TestRowsReportAsJSON(t *testing.T) {
	write := tempWriter(t)
	lab, store := labEdgeCSV(), storeEdgeCSV()
	jsonl := append(classified("j1", "2026-01-15T07:07:00Z", "web-09", "zoe", "10.9.9.9", th([]string{"TA0008"}, []string{"T1021"})), '\n')
	labPath, storePath := write("lab.csv", lab), write("tactics.csv", store)
	cases := []struct {
		name     string
		files    []string
		format   format.Format
		badLines []string // where the bad rows are, as the messages name them
	}{
		{"lab", []string{labPath}, format.Auto, []string{labPath + ":6:", labPath + ":7:", labPath + ":16:"}},
		// A .csv.gz whose first rows are bad is not told CSV from its name.
		{"lab gzip", []string{write("lab.csv.gz", gzipped(t, lab))}, format.CSV, []string{"lab.csv.gz:6:", "lab.csv.gz:7:", "lab.csv.gz:16:"}},
		{"store", []string{storePath}, format.Auto, []string{storePath + ":10:"}},
		{"store gzip", []string{write("tactics.csv.gz", gzipped(t, store))}, format.CSV, []string{"tactics.csv.gz:10:"}},
		{"csv and json lines", []string{labPath, write("more.jsonl", jsonl), storePath}, format.Auto, []string{labPath + ":6:", storePath + ":10:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			viaJSON := runStats(t, c.files, c.format, false, 0, 0)
			viaRows := runStats(t, c.files, c.format, true, 0, 0)
			if viaJSON.rows != 0 {
				t.Fatalf("the JSON path gave %d rows", viaJSON.rows)
			}
			if viaRows.rows == 0 {
				t.Fatal("no message came as a row: the fast path was not taken")
			}
			if viaRows.events != viaJSON.events {
				t.Errorf("%d messages as rows, %d as JSON", viaRows.events, viaJSON.events)
			}
			if !bytes.Equal(viaRows.report, viaJSON.report) {
				t.Errorf("reports differ\nrows:\n%s\njson:\n%s", viaRows.report, viaJSON.report)
			}
			if !bytes.Equal(viaRows.chart, viaJSON.chart) {
				t.Error("charts differ")
			}
			if viaRows.log != viaJSON.log {
				t.Errorf("bad-row messages differ\nrows:\n%s\njson:\n%s", viaRows.log, viaJSON.log)
			}
			for _, at := range c.badLines {
				if !strings.Contains(viaRows.log, at) {
					t.Errorf("no bad row named at %s in:\n%s", at, viaRows.log)
				}
			}
			var rep Report
			if err := json.Unmarshal(viaRows.report, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Total == 0 || len(rep.Tactics) == 0 {
				t.Errorf("the report counts nothing: %s", viaRows.report)
			}
		})
	}

	// What a user checks on the lab file: the rows around the bad ones
	// count, the quoted user is one user, invalid UTF-8 reads as U+FFFD.
	got := runStats(t, []string{labPath}, format.Auto, true, 0, 0)
	var rep Report
	if err := json.Unmarshal(got.report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total != 10 || rep.Rows != 11 {
		t.Errorf("%d events in %d rows, want 10 in 11", rep.Total, rep.Rows)
	}
	for _, want := range []string{`"Smith, Bob"`, `"multi\nline user"`, `"say \"hi\""`, "\"us\uFFFDer\uFFFD\"", `"tab\there"`} {
		if !bytes.Contains(got.report, []byte(want)) {
			t.Errorf("no user %s in the report:\n%s", want, got.report)
		}
	}

	// A time range leaves the same events out either way.
	from := time.Date(2026, 1, 15, 7, 1, 0, 0, time.UTC).UnixNano()
	to := time.Date(2026, 1, 15, 7, 4, 0, 0, time.UTC).UnixNano()
	ranged, rangedJSON := runStats(t, []string{labPath}, format.Auto, true, from, to), runStats(t, []string{labPath}, format.Auto, false, from, to)
	if !bytes.Equal(ranged.report, rangedJSON.report) {
		t.Errorf("reports of a time range differ\nrows:\n%s\njson:\n%s", ranged.report, rangedJSON.report)
	}
}

// The store CSV fixture above must hold its enrichment columns, or the
// comparison would not cover them.
func TestStoreEdgeCSVHasEnrichment(t *testing.T) {
	csv := string(storeEdgeCSV())
	for _, want := range []string{"NL", "203.0.113.7;evil.example", ecs.SourceCountry[1]} {
		if !strings.Contains(csv, want) {
			t.Errorf("store CSV lacks %q:\n%s", want, csv)
		}
	}
}

// labRepeated returns the lab's edge CSV with its rows n times over, each
// time with new event ids; e4, whose quote never closes, is kept only in
// repetition open (-1: none).
func labRepeated(n, open int) []byte {
	rows := labEdgeRows("")[:1]
	for r := range n {
		for _, row := range labEdgeRows(fmt.Sprintf("-%d", r))[1:] {
			if r != open && strings.HasPrefix(row, "e4-") {
				continue
			}
			rows = append(rows, row)
		}
	}
	return []byte(strings.Join(rows, "\r\n") + "\r\n")
}

// storeRepeated returns store's edge CSV with its rows n times over, each
// time with new event ids.
func storeRepeated(n int) []byte {
	out := storeEdgeCSVWith("")
	header := bytes.IndexByte(out, '\n') + 1
	for r := 1; r < n; r++ {
		out = append(out, storeEdgeCSVWith(fmt.Sprintf("-%d", r))[header:]...)
	}
	return out
}

// TestPartsReportAsOnePass checks that a CSV file read in parallel parts
// (source.Options.Parts) gives the report, chart and messages of one
// pass, bad rows and unparsable timestamps named at their lines in the
// whole file, wherever the parts start: inside a quoted cell that holds
// a line end, between the rows of one event, after a quote that never
// closes.
func TestPartsReportAsOnePass(t *testing.T) {
	write := tempWriter(t)
	var longEvent []byte
	for i := range 20000 {
		longEvent = fmt.Appendf(longEvent, "long,2026-01-15T07:%02d:00Z,alice,web-01,203.0.113.7,login,TA0006,T1110.%03d\r\n", i%60, i%1000)
	}
	longEvent = append(longEvent, labRepeated(1, 0)[len(labEdgeRows("")[0])+2:]...)
	files := map[string]string{
		"lab":               write("lab.csv", labRepeated(9, -1)),
		"lab, a quote open": write("lab-open.csv", labRepeated(9, 5)),
		"store":             write("tactics.csv", storeRepeated(9)),
		// Past a megabyte, a part starts inside an event: it is read again.
		"one event of many rows": write("long.csv", append(labRepeated(2, -1), longEvent...)),
		"lab after jsonl":        "",
		"store in a time range":  "",
	}
	jsonl := write("more.jsonl", append(classified("j1", "2026-01-15T07:07:00Z", "web-09", "zoe", "10.9.9.9", th([]string{"TA0008"}, []string{"T1021"})), '\n'))
	from := time.Date(2026, 1, 15, 7, 1, 0, 0, time.UTC).UnixNano()
	to := time.Date(2026, 1, 15, 7, 3, 0, 0, time.UTC).UnixNano()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		t.Run(name, func(t *testing.T) {
			in, since, until := []string{files[name]}, int64(0), int64(0)
			switch name {
			case "lab after jsonl":
				in = []string{jsonl, files["lab"]}
			case "store in a time range":
				in, since, until = []string{files["store"]}, from, to
			}
			onePass := runStatsInParts(t, in, format.Auto, true, 0, since, until)
			if onePass.parts != 0 {
				t.Fatal("one pass was read in parts")
			}
			if !strings.Contains(onePass.log, ":1") {
				t.Fatalf("the fixture names no bad row past line 9:\n%s", onePass.log)
			}
			for n := 2; n <= 12; n++ {
				inParts := runStatsInParts(t, in, format.Auto, true, n, since, until)
				if inParts.parts != 1 {
					t.Fatalf("%d parts: %d inputs were offered in parts, want 1", n, inParts.parts)
				}
				if !bytes.Equal(inParts.report, onePass.report) {
					t.Fatalf("%d parts: reports differ\nparts:\n%s\none pass:\n%s", n, inParts.report, onePass.report)
				}
				if !bytes.Equal(inParts.chart, onePass.chart) {
					t.Fatalf("%d parts: charts differ", n)
				}
				if inParts.log != onePass.log {
					t.Fatalf("%d parts: messages differ\nparts:\n%s\none pass:\n%s", n, inParts.log, onePass.log)
				}
			}
		})
	}
}

// tempWriter returns a function that writes a file into a temporary
// folder of the test and returns its path.
func tempWriter(t *testing.T) func(name string, data []byte) string {
	dir := t.TempDir()
	return func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
