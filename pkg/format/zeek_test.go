package format

import (
	"strings"
	"testing"
)

func TestZeekTSV(t *testing.T) {
	conn := readFile(t, "testdata/zeek_conn.log", Auto, Options{})
	if len(conn.events) != 2 || len(conn.bad) != 0 {
		t.Fatalf("conn: %d events, bad %v; want 2 events", len(conn.events), conn.bad)
	}
	if !sameInts(conn.lines, []int{11, 12}) {
		t.Errorf("conn lines %v, want [11 12]", conn.lines)
	}
	check(t, conn, []want{
		{0, "_path", `"conn"`},
		{0, "ts", `1704164645.123456`},
		{0, "@timestamp", `"2024-01-02T03:04:05.123456Z"`},
		{0, "id.orig_h", `"10.0.0.5"`},
		{0, "id.resp_p", `443`},
		{0, "duration", `1.502003`},
		{0, "local_orig", `true`},
		{0, "local_resp", `false`},
		{0, "tunnel_parents", `[]`},  // (empty)
		{1, "duration", `<missing>`}, // - is unset
		{1, "tunnel_parents", `<missing>`},
		{1, "@timestamp", `"2024-01-02T03:04:06.000001Z"`},
	})

	dns := readFile(t, "testdata/zeek_dns.log", Zeek, Options{})
	if len(dns.events) != 3 || len(dns.bad) != 0 {
		t.Fatalf("dns: %d events, bad %v; want 3 events", len(dns.events), dns.bad)
	}
	check(t, dns, []want{
		{0, "query", `"pool.supportxmr.com"`},
		{0, "qtype_name", `"A"`},
		{0, "answers", `["141.94.96.144","141.94.96.71"]`},
		{0, "TTLs", `[60,60]`},
		{0, "rejected", `false`},
		{1, "rtt", `<missing>`},
		{1, "answers", `[]`},
		{2, "answers", `["TXT ok"]`}, // \x20 unescaped
	})
}

func TestZeekJSON(t *testing.T) {
	http := readFile(t, "testdata/zeekjson/http.log", Auto, Options{})
	if len(http.events) != 2 {
		t.Fatalf("http: %d events, want 2", len(http.events))
	}
	check(t, http, []want{
		{0, "_path", `"http"`}, // from the file name
		{0, "uri", `"/share/report.docx"`},
		{0, "id.orig_h", `"10.0.0.12"`},
		{0, "@timestamp", `"2024-01-02T03:06:40.123456Z"`},
		{1, "status_code", `200`},
	})
	ssl := readFile(t, "testdata/zeekjson/ssl.2024-01-02-03-00-00.log", Zeek, Options{})
	check(t, ssl, []want{
		{0, "_path", `"ssl"`},
		{0, "ts", `"2024-01-02T03:05:00.000000Z"`},
		{0, "@timestamp", `"2024-01-02T03:05:00Z"`},
		{0, "server_name", `"www.example.com"`},
	})
	files := readFile(t, "testdata/zeekjson/files.log", Auto, Options{})
	check(t, files, []want{{0, "_path", `"files"`}, {0, "analyzers", `["MD5","SHA1"]`}})
	// A _path the log has is kept, whatever the file is called.
	notice := readAll(t, `{"_path":"notice","ts":1,"uid":"C1","id.orig_h":"10.0.0.1","note":"Scan::Port_Scan"}`+"\n", "conn.log", Zeek, Options{})
	check(t, notice, []want{{0, "_path", `"notice"`}, {0, "note", `"Scan::Port_Scan"`}})
	if n := strings.Count(noticeRaw(t), `"_path"`); n != 1 {
		t.Errorf("_path written %d times, want once", n)
	}
	// From stdin there is no name to take _path from.
	stdin := readAll(t, `{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1"}`+"\n", "<stdin>", Zeek, Options{})
	check(t, stdin, []want{{0, "_path", `<missing>`}, {0, "@timestamp", `"1970-01-01T00:00:01Z"`}})
}

func noticeRaw(t *testing.T) string {
	r, _, err := Open(strings.NewReader(`{"_path":"notice","ts":1}`+"\n"), Zeek, Options{Name: "conn.log"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	return string(rec.Raw)
}

func TestZeekBadInput(t *testing.T) {
	in := strings.Join([]string{
		"#separator \\x09",
		"#fields\tts\tuid\tid.orig_h\tid.resp_p",
		"#types\ttime\tstring\taddr\tport",
		"1.5\tC1\t10.0.0.1\t80",
		"1.6\tC2\t10.0.0.2",            // a field short (truncated)
		"1.7\tC3\t10.0.0.3\t80\textra", // a field too many
		"1.8\tC4\t10.0.0.4\thttp",      // not a port
		"garbage",
		"not-a-time\tC5\t10.0.0.5\t80",
		"1.9\tC6\t10.0.0.6\t443",
	}, "\n") + "\n"
	r := readAll(t, in, "conn.log", Zeek, Options{})
	if !sameInts(r.badLines(), []int{5, 6, 7, 8, 9}) {
		t.Errorf("bad lines %v, want [5 6 7 8 9]", r.badLines())
	}
	if !sameInts(r.lines, []int{4, 10}) {
		t.Errorf("good lines %v, want [4 10]", r.lines)
	}
	check(t, r, []want{{1, "uid", `"C6"`}})

	before := readAll(t, "#separator \\x09\n1.5\tC1\n#fields\tts\tuid\n#types\ttime\tstring\n1.6\tC2\n", "x.log", Zeek, Options{})
	if !sameInts(before.badLines(), []int{2}) || len(before.events) != 1 {
		t.Errorf("entry before #fields: bad %v, %d events; want [2] and 1", before.badLines(), len(before.events))
	}

	js := readAll(t, `{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1"}`+"\n"+`{"ts":2,"uid":`+"\n"+`{"ts":3,"uid":"C3","id.orig_h":"10.0.0.3"}`+"\n", "dns.log", Zeek, Options{})
	if !sameInts(js.badLines(), []int{2}) || !sameInts(js.lines, []int{1, 3}) {
		t.Errorf("JSON: bad %v good %v, want [2] and [1 3]", js.badLines(), js.lines)
	}
	check(t, js, []want{{1, "_path", `"dns"`}})
}

// Rotated logs concatenated: each header block applies to the entries
// after it.
func TestZeekHeadersAgain(t *testing.T) {
	in := "#separator \\x09\n#path\tconn\n#fields\tts\tid.resp_p\n#types\ttime\tport\n1.0\t80\n#close\tx\n" +
		"#separator \\x09\n#path\tdns\n#fields\tts\tquery\tanswers\n#types\ttime\tstring\tvector[string]\n2.0\texample.com\ta,b\n"
	r := readAll(t, in, "all.log", Auto, Options{})
	check(t, r, []want{
		{0, "_path", `"conn"`},
		{0, "id.resp_p", `80`},
		{1, "_path", `"dns"`},
		{1, "query", `"example.com"`},
		{1, "answers", `["a","b"]`},
	})
}
