package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

func th(tactics, techniques []string) *ecs.Threat {
	return &ecs.Threat{Tactics: tactics, Techniques: techniques, RuleIDs: []string{"r"}, RuleNames: []string{"rule, with comma"}}
}

// fixture: five events, one unmatched, with tactics out of kill-chain order.
func fixture() []byte {
	return storeCSV(
		classified("e1", "2026-01-15T07:00:03.123Z", "web-01", "alice", "203.0.113.7", th([]string{"TA0040"}, []string{"T1486", "T1490"})),
		classified("e2", "2026-01-15T07:00:04Z", "web-01", "bob", "203.0.113.7", th([]string{"TA0006"}, []string{"T1110.001"})),
		classified("e3", "2026-01-15T07:01:00Z", "db-01", "alice", "10.0.0.5", nil),
		classified("e4", "2026-01-15T07:02:30Z", "web-01", "alice", "203.0.113.7", th([]string{"TA0002", "TA0006"}, []string{"T1059.001", "T1110.001"})),
		classified("e5", "2026-01-15T07:03:59Z", "db-01", "carol", "10.0.0.6", th([]string{"TA0002"}, []string{"T1059.001"})),
	)
}

func readCSVBytes(t *testing.T, data []byte, bucket int64, rejects *pipeline.Rejects) *Report {
	t.Helper()
	a := NewAgg(attack.Default(), bucket)
	if err := a.Read(context.Background(), bytes.NewReader(data), "test.csv", rejects); err != nil {
		t.Fatal(err)
	}
	return a.Report(10)
}

func TestTacticsInKillChainOrder(t *testing.T) {
	r := readCSVBytes(t, fixture(), 0, nil)
	var got []string
	for _, ta := range r.Tactics {
		got = append(got, fmt.Sprintf("%s %s %d", ta.ID, ta.Name, ta.Count))
	}
	want := []string{"TA0002 Execution 2", "TA0006 Credential Access 2", "TA0040 Impact 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tactics\n got %q\nwant %q", got, want)
	}
	if r.Total != 5 || r.Unclassified != 1 || r.Rows != 7 {
		t.Errorf("total %d unclassified %d rows %d, want 5 1 7", r.Total, r.Unclassified, r.Rows)
	}
	if r.Tactics[0].Share != 0.4 {
		t.Errorf("share %v", r.Tactics[0].Share)
	}
	var techs []string
	for _, q := range r.Techniques {
		techs = append(techs, fmt.Sprintf("%s %d", q.ID, q.Count))
	}
	if want := []string{"T1059.001 2", "T1110.001 2", "T1486 1", "T1490 1"}; !reflect.DeepEqual(techs, want) {
		t.Errorf("techniques %q", techs)
	}
	if r.Hosts[0] != (ValueCount{"web-01", 3}) || r.Users[0] != (ValueCount{"alice", 3}) || r.SourceIPs[0] != (ValueCount{"203.0.113.7", 3}) {
		t.Errorf("tops %v %v %v", r.Hosts, r.Users, r.SourceIPs)
	}
	// Four minutes: one-second buckets would be 237; 5s gives 48.
	if r.Bucket != "5s" || len(r.Timeline) != 48 {
		t.Errorf("bucket %s, %d buckets", r.Bucket, len(r.Timeline))
	}
	if c := r.Timeline[0].Counts; c["TA0040"] != 1 || c["TA0006"] != 1 || len(c) != 2 {
		t.Errorf("first bucket %v", c)
	}
	if c := r.Timeline[12].Counts; c[Unclassified] != 1 {
		t.Errorf("07:01:00 bucket %v", c)
	}
}

func TestFixedBucket(t *testing.T) {
	r := readCSVBytes(t, fixture(), 60, nil)
	if r.Bucket != "1m" || len(r.Timeline) != 4 {
		t.Fatalf("bucket %s, %d buckets", r.Bucket, len(r.Timeline))
	}
	want := []map[string]int64{
		{"TA0040": 1, "TA0006": 1},
		{Unclassified: 1},
		{"TA0002": 1, "TA0006": 1},
		{"TA0002": 1},
	}
	for i, b := range r.Timeline {
		if !reflect.DeepEqual(b.Counts, want[i]) {
			t.Errorf("bucket %d (%s): %v, want %v", i, b.Start, b.Counts, want[i])
		}
	}
}

func TestAutoBucketMonth(t *testing.T) {
	// A month of events every 7 seconds: the per-second keys pass maxKeys
	// and coarsen on the way.
	a := NewAgg(attack.Default(), 0)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	month := int64(31 * 24 * time.Hour)
	for ns := start; ns < start+month; ns += 7e9 {
		a.Begin(ns, true, nil, []byte("h"), nil)
		a.Tag([]byte("TA0006"), []byte("T1110"), nil, nil)
	}
	if a.res == 1 {
		t.Errorf("timeline did not coarsen: %d keys", len(a.timeline))
	}
	r := a.Report(10)
	if len(r.Timeline) > MaxBuckets || r.Bucket != "6h" {
		t.Fatalf("bucket %s, %d buckets", r.Bucket, len(r.Timeline))
	}
	var sum int64
	for _, b := range r.Timeline {
		sum += b.Counts["TA0006"]
	}
	if sum != r.Total || r.Tactics[0].Count != r.Total {
		t.Errorf("timeline sums to %d, total %d", sum, r.Total)
	}
}

func TestChooseBucket(t *testing.T) {
	for _, c := range []struct {
		span int64
		want string
	}{{0, "1s"}, {100, "1s"}, {600, "5s"}, {7200, "1m"}, {86400, "10m"}, {30 * 86400, "6h"}, {365 * 86400, "7d"}, {10 * 365 * 86400, "28d"}} {
		first := int64(1767225600) // 2026-01-01
		b := chooseBucket(first, first+c.span, 1)
		if got := FormatBucket(time.Duration(b) * time.Second); got != c.want {
			t.Errorf("span %ds: %s, want %s", c.span, got, c.want)
		}
		if n := floorDiv(first+c.span, b) - floorDiv(first, b) + 1; n > MaxBuckets {
			t.Errorf("span %ds: %d buckets", c.span, n)
		}
	}
}

func TestParseBucket(t *testing.T) {
	for in, want := range map[string]time.Duration{"1m": time.Minute, "15min": 15 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "90s": 90 * time.Second, "1h30m": 90 * time.Minute} {
		if got, err := ParseBucket(in); err != nil || got != want {
			t.Errorf("ParseBucket(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0m", "-1h", "1ms", "soon"} {
		if _, err := ParseBucket(in); err == nil {
			t.Errorf("ParseBucket(%q) accepted", in)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 15, 7, 0, 3, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-01-15T07:00:03Z", want},
		{"2026-01-15T07:00:03.123Z", want.Add(123 * time.Millisecond)},
		{"2026-01-15T07:00:03.123456+00:00", want.Add(123456 * time.Microsecond)},
		{"2026-01-15 07:00:03", want},
		{"2026-01-15T09:00:03+02:00", want},
		{"2026-01-15T02:00:03-0500", want},
		{"2026-01-15T07:00:03.123456789123Z", want.Add(123456789)},
		{"2026-01-15T07:00Z", want.Add(-3 * time.Second)},
		{"2026-01-15", want.Truncate(24 * time.Hour)},
		{"1768460403", want},
		{"1768460403123", want.Add(123 * time.Millisecond)},
		{"Thu, 15 Jan 2026 07:00:03 +0000", want},
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"1969-12-31T23:59:59Z", time.Unix(-1, 0)},
	} {
		ns, ok := parseTime([]byte(c.in))
		if !ok || ns != c.want.UnixNano() {
			t.Errorf("parseTime(%q) = %v %v, want %v", c.in, time.Unix(0, ns).UTC(), ok, c.want)
		}
		// Through the cache, after a time of the same minute and of another.
		for _, before := range []string{c.in[:min(16, len(c.in))] + ":59Z", "2020-01-01T00:00:00Z"} {
			var tc timeCache
			tc.parse([]byte(before))
			if ns, ok := tc.parse([]byte(c.in)); !ok || ns != c.want.UnixNano() {
				t.Errorf("cached parse(%q) after %q = %v %v", c.in, before, time.Unix(0, ns).UTC(), ok)
			}
		}
	}
	for _, in := range []string{"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-01-15T25:00:00Z", "2026-01-15T07:00:03+", "2026-01-15T07:00:03Zjunk"} {
		if _, ok := parseTime([]byte(in)); ok {
			t.Errorf("parseTime(%q) accepted", in)
		}
		tc := timeCache{}
		tc.parse([]byte("2026-01-15T07:00:03Z"))
		if _, ok := tc.parse([]byte(in)); ok {
			t.Errorf("cached parse(%q) accepted", in)
		}
	}
}

func TestLabCSV(t *testing.T) {
	lab := "event_id,timestamp,user,host,source_ip,event_type,mitre_tactic,mitre_technique\n" +
		"a,2026-01-15T07:00:01.537457+00:00,charlie,win-01,10.0.0.11,user_login,TA0006,T1110\n" +
		"b,2026-01-15T07:00:05.143829+00:00,alice,win-02,10.0.0.11,process_start,TA0002,T1059.001\n" +
		"c,2026-01-15T07:00:09+00:00,bob,win-02,10.0.0.12,other,TA0000,T0000\n" +
		"d,2026-01-15T07:01:09+00:00,bob,win-03,10.0.0.12,process_start,TA0002,T1059.003\n"
	r := readCSVBytes(t, []byte(lab), 0, nil)
	if r.Total != 4 || r.Unclassified != 1 || len(r.Tactics) != 2 || r.Tactics[0].ID != "TA0002" || r.Tactics[0].Count != 2 || r.Tactics[1].Count != 1 {
		t.Errorf("report %+v", r)
	}
	for _, q := range r.Techniques {
		if q.ID == "T0000" {
			t.Errorf("T0000 counted as a technique")
		}
	}
	// Rows without event_id are events of their own.
	noIDs := "event_id,timestamp,mitre_tactic\n,2026-01-15T07:00:01Z,TA0006\n,2026-01-15T07:00:01Z,TA0006\n"
	if r = readCSVBytes(t, []byte(noIDs), 0, nil); r.Total != 2 || r.Tactics[0].Count != 2 {
		t.Errorf("rows without event_id: %+v", r)
	}
	// Reordered columns and extra ones are found by name.
	moved := "mitre_technique,extra,timestamp,mitre_tactic,host\nT1110,x,2026-01-15T07:00:01Z,TA0006,h1\n"
	r = readCSVBytes(t, []byte(moved), 0, nil)
	if r.Total != 1 || r.Tactics[0].ID != "TA0006" || r.Hosts[0].Value != "h1" || r.Techniques[0].ID != "T1110" {
		t.Errorf("reordered: %+v", r)
	}
}

func TestJSONInput(t *testing.T) {
	var in bytes.Buffer
	in.Write(classified("e1", "2026-01-15T07:00:03Z", "web-01", "alice", "203.0.113.7", th([]string{"TA0006", "TA0001"}, []string{"T1110.001", "T1078"})))
	in.WriteString("\n")
	in.Write(classified("e2", "2026-01-15T07:00:04Z", "web-01", "bob", "203.0.113.7", nil))
	in.WriteString("\n")
	in.WriteString(`{"event_id":"L1","timestamp":"2026-01-15T07:00:05+00:00","user":"bob","host":"win-01","mitre_tactic":"TA0002","mitre_technique":"T1059.001"}` + "\n")
	in.WriteString(`{"@timestamp":"2026-01-15T07:01:00.000Z","event":{"id":"a1","kind":"alert"},` + "\n")
	in.WriteString(`{"@timestamp":"not a time","event":{"id":"x"}}` + "\n")
	var log bytes.Buffer
	a := NewAgg(attack.Default(), 0)
	err := a.Read(context.Background(), &in, "events.jsonl", &pipeline.Rejects{Log: &log, Prefix: "secpipe stats"})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Report(10)
	got := map[string]int64{}
	for _, ta := range r.Tactics {
		got[ta.ID] = ta.Count
	}
	// The event with an unparsable timestamp counts, as undated.
	if r.Total != 4 || r.Unclassified != 2 || r.Undated != 1 || !reflect.DeepEqual(got, map[string]int64{"TA0001": 1, "TA0002": 1, "TA0006": 1}) {
		t.Errorf("total %d unclassified %d undated %d tactics %v", r.Total, r.Unclassified, r.Undated, got)
	}
	if !strings.Contains(log.String(), "events.jsonl:4:") || !strings.Contains(log.String(), `events.jsonl:5: unparsable timestamp "not a time" (counted without timestamp)`) {
		t.Errorf("rejects log:\n%s", log.String())
	}
}

func TestBadRowsReportedAndSkipped(t *testing.T) {
	data := fixture()
	lines := strings.SplitAfter(string(data), "\n")
	// Line 3 gets a column too many (skipped), line 5 a bad timestamp (counted).
	lines[2] = strings.TrimSuffix(lines[2], "\n") + ",extra\n"
	lines[4] = strings.Replace(lines[4], "2026-01-15T07:01:00Z", "15/01/2026 7am", 1)
	bad := []byte(strings.Join(lines, ""))
	var log bytes.Buffer
	rej := &pipeline.Rejects{Log: &log, Prefix: "secpipe stats"}
	r := readCSVBytes(t, bad, 0, rej)
	if rej.Count() != 1 {
		t.Errorf("%d rejects", rej.Count())
	}
	for _, want := range []string{"test.csv:3: 22 cells, the header has 21 (skipped)", `test.csv:5: unparsable timestamp "15/01/2026 7am" (counted without timestamp)`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if r.Total != 5 || r.Rows != 6 || r.Undated != 1 {
		t.Errorf("neighbours: total %d rows %d undated %d, want 5 6 1", r.Total, r.Rows, r.Undated)
	}
	a := NewAgg(attack.Default(), 0)
	err := a.Read(context.Background(), bytes.NewReader(bad), "test.csv", &pipeline.Rejects{Strict: true})
	if err == nil || !strings.Contains(err.Error(), "test.csv:3:") {
		t.Errorf("strict: %v", err)
	}
}

// A CSV without threat columns holds events that matched nothing.
func TestHeaderWithoutTactic(t *testing.T) {
	a := NewAgg(attack.Default(), 0)
	if err := a.Read(context.Background(), strings.NewReader("a,b,c\n1,2,3\n"), "x.csv", nil); err != nil {
		t.Fatal(err)
	}
	if r := a.Report(10); r.Total != 1 || r.Unclassified != 1 {
		t.Errorf("total %d, unclassified %d", r.Total, r.Unclassified)
	}
}

// iotestHalf returns a reader giving data in small pieces, to exercise refills.
func iotestHalf(data []byte) *smallReader { return &smallReader{data: data} }

type smallReader struct{ data []byte }

func (r *smallReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, fmt.Errorf("EOF: %w", io.EOF)
	}
	n := min(len(p), 777, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestChartFiles(t *testing.T) {
	r := readCSVBytes(t, benchCSV(20000), 0, nil)
	dir := t.TempDir()
	for _, ext := range []string{"png", "svg"} {
		path := filepath.Join(dir, "chart."+ext)
		f, _ := os.Create(path)
		start := time.Now()
		if err := r.Chart(f, ext); err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Logf("%s chart of %d buckets in %v", ext, len(r.Timeline), time.Since(start))
		data, _ := os.ReadFile(path)
		if ext == "png" {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
			if err != nil || format != "png" || cfg.Width < 1700 || cfg.Height < 760 {
				t.Errorf("png: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
			}
		} else if !bytes.Contains(data[:min(len(data), 200)], []byte("<svg")) || !bytes.Contains(data, []byte("Credential Access")) {
			t.Errorf("svg: %.200s", data)
		}
	}
	if _, err := ChartFormat("x.gif"); err == nil {
		t.Errorf("gif accepted")
	}
}

func TestNavigatorLayer(t *testing.T) {
	r := readCSVBytes(t, fixture(), 0, nil)
	data, err := json.Marshal(r.Navigator(attack.Default()))
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Name       string
		Versions   map[string]string
		Domain     string
		Techniques []struct {
			TechniqueID       string
			Tactic            string
			Score             *int64
			ShowSubtechniques bool
		}
		Gradient struct {
			Colors             []string
			MinValue, MaxValue int64
		}
		LegendItems []any
	}
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	if l.Versions["layer"] != "4.5" || l.Domain != "enterprise-attack" || l.Gradient.MaxValue != 2 || l.LegendItems == nil {
		t.Errorf("layer %s", data)
	}
	scores := map[string]int64{}
	expanded := map[string]bool{}
	for _, te := range l.Techniques {
		if te.Score != nil {
			scores[te.TechniqueID+"/"+te.Tactic] = *te.Score
		} else if te.ShowSubtechniques {
			expanded[te.TechniqueID+"/"+te.Tactic] = true
		}
	}
	want := map[string]int64{"T1110.001/credential-access": 2, "T1059.001/execution": 2, "T1486/impact": 1, "T1490/impact": 1}
	if !reflect.DeepEqual(scores, want) {
		t.Errorf("scores %v, want %v", scores, want)
	}
	if !expanded["T1110/credential-access"] || !expanded["T1059/execution"] {
		t.Errorf("parents not expanded: %v", expanded)
	}
}

func TestTablesElideLongTimeline(t *testing.T) {
	r := readCSVBytes(t, benchCSV(3000), 0, nil)
	if len(r.Timeline) <= maxTextBuckets {
		t.Fatalf("only %d buckets", len(r.Timeline))
	}
	tl := r.Tables(TableOptions{Elide: true})[1]
	if len(tl.Rows) != 11 || tl.Rows[5][0] != "…" {
		t.Errorf("elided timeline: %d rows", len(tl.Rows))
	}
	if full := r.Tables(TableOptions{})[1]; len(full.Rows) != len(r.Timeline) {
		t.Errorf("full timeline: %d rows", len(full.Rows))
	}
}

func TestChartMergesLongTimelines(t *testing.T) {
	r := readCSVBytes(t, benchCSV(3000), 60, nil)
	if len(r.Timeline) < 10000 {
		t.Fatalf("%d buckets", len(r.Timeline))
	}
	tl, size := r.chartTimeline()
	if len(tl) > maxBars || size != 2*time.Hour {
		t.Errorf("%d bars of %v", len(tl), size)
	}
	var a, b int64
	for _, x := range r.Timeline {
		for _, v := range x.Values {
			a += v
		}
	}
	for _, x := range tl {
		for _, v := range x.Values {
			b += v
		}
	}
	if a != b {
		t.Errorf("merged bars sum to %d, timeline to %d", b, a)
	}
}

func TestTable(t *testing.T) {
	tb := newTable()
	long := strings.Repeat("x", 40)
	for round := 0; round < 2; round++ {
		for i := 0; i < 5000; i++ {
			k := fmt.Sprintf("key-%d", i)
			if i%7 == 0 {
				k = long + k
			}
			idx, added := tb.index([]byte(k))
			if int(idx) != i || added != (round == 0) || tb.keys[idx] != k {
				t.Fatalf("round %d key %q: index %d added %v", round, k, idx, added)
			}
		}
	}
	if tb.len() != 5000 {
		t.Fatalf("len %d", tb.len())
	}
}

// The same events give the same report from classified JSON Lines and from
// store's CSV of them.
func TestJSONAndStoreCSVAgree(t *testing.T) {
	var events [][]byte
	var jsonl bytes.Buffer
	for i := 0; i < 2000; i++ {
		var th *ecs.Threat
		if i%4 == 0 {
			th = benchThreats[i/4%len(benchThreats)]
		}
		if i%9 == 0 {
			th = &ecs.Threat{Tactics: []string{"TA0006", "TA0001"}, Techniques: []string{"T1110.001", "T1078"}, RuleIDs: []string{"a", "b"}, RuleNames: []string{"x", "y"}}
		}
		e := classified(fmt.Sprintf("id-%d", i), fmt.Sprintf("2026-01-%02dT%02d:%02d:00Z", 1+i/100, i%24, i%60), fmt.Sprintf("h%d", i%13), fmt.Sprintf("u%d", i%7), fmt.Sprintf("10.0.0.%d", i%5), th)
		events = append(events, e)
		jsonl.Write(e)
		jsonl.WriteByte('\n')
	}
	fromCSV := readCSVBytes(t, storeCSV(events...), 0, nil)
	a := NewAgg(attack.Default(), 0)
	if err := a.Read(context.Background(), &jsonl, "x.jsonl", nil); err != nil {
		t.Fatal(err)
	}
	fromJSON := a.Report(10)
	if fromCSV.Rows <= fromJSON.Rows {
		t.Errorf("rows: csv %d, json %d", fromCSV.Rows, fromJSON.Rows)
	}
	fromCSV.Rows, fromJSON.Rows = 0, 0
	x, _ := json.Marshal(fromCSV)
	y, _ := json.Marshal(fromJSON)
	if string(x) != string(y) {
		t.Errorf("reports differ:\ncsv  %s\njson %s", x, y)
	}
	if !reflect.DeepEqual(fromCSV.Pairs, fromJSON.Pairs) {
		t.Errorf("pairs differ: %v %v", fromCSV.Pairs, fromJSON.Pairs)
	}
}

// TestEnrichmentCounts: an event counts once per indicator it matched,
// however many enrichments name it; escaped JSON text is read as text;
// store's joined threat_indicator column counts as the ECS list does.
func TestEnrichmentCounts(t *testing.T) {
	in := strings.NewReader(`{"event":{"id":"1"},"source":{"ip":"195.98.240.66","geo":{"country_iso_code":"NL"}},"threat":{"enrichments":[{"matched":{"atomic":"195.98.240.66"}},{"matched":{"atomic":"195.98.240.66"}},{"matched":{"atomic":"evil\u002eexample"}}]}}
{"event":{"id":"2"},"source":{"ip":"195.98.240.66","geo":{"country_iso_code":"NL"}},"threat":{"enrichments":[{"matched":{"atomic":"195.98.240.66"}}]}}
{"event_id":"3","source_country":"GB","threat_indicator":"evil.example;195.98.240.66"}
{"event_id":"4","source_ip":"10.0.0.1"}
`)
	a := NewAgg(attack.Default(), 0)
	if err := a.Read(context.Background(), in, "events.jsonl", nil); err != nil {
		t.Fatal(err)
	}
	r := a.Report(10)
	wantCountries := []ValueCount{{"NL", 2}, {"GB", 1}}
	wantIndicators := []ValueCount{{"195.98.240.66", 3}, {"evil.example", 2}}
	if !reflect.DeepEqual(r.Countries, wantCountries) || !reflect.DeepEqual(r.Indicators, wantIndicators) {
		t.Errorf("countries %v, want %v; indicators %v, want %v", r.Countries, wantCountries, r.Indicators, wantIndicators)
	}
}

// TestTopIsTheSortedHead: the n most frequent values are the first n of all
// values sorted by count, ties by value, for values counted in any order,
// source addresses (counted in batches) among them.
func TestTopIsTheSortedHead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		c := addressCounter()
		want := map[string]int64{}
		for range rng.IntN(3000) {
			v := fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(40)) // few values, many ties
			if rng.IntN(5) == 0 {
				v = fmt.Sprintf("host-%d", rng.IntN(60))
			}
			n := int64(1)
			if rng.IntN(10) == 0 {
				n = int64(rng.IntN(5) + 2)
			}
			c.add([]byte(v), n)
			want[v] += n
		}
		all := make([]ValueCount, 0, len(want))
		for v, n := range want {
			all = append(all, ValueCount{Value: v, Count: n})
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].Count != all[j].Count {
				return all[i].Count > all[j].Count
			}
			return all[i].Value < all[j].Value
		})
		for _, n := range []int{1, 3, 10, len(all), len(all) + 5} {
			got := c.top(n)
			head := all[:min(n, len(all))]
			if !reflect.DeepEqual(got, head) {
				t.Fatalf("round %d, top %d:\n got %v\nwant %v", round, n, got, head)
			}
		}
	}
}
