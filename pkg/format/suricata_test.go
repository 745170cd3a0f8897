package format

import (
	"os"
	"strings"
	"testing"
)

func TestSuricata(t *testing.T) {
	r := readFile(t, "testdata/eve.json", Auto, Options{})
	if len(r.events) != 4 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 4 events", len(r.events), r.bad)
	}
	check(t, r, []want{
		{0, "event_type", `"dns"`},
		{0, "dns", `{"id":4711,"rrname":"aaa.stage.12345.evil.example","rrtype":"TXT","tx_id":0,"type":"query"}`},
		{1, "http", `{"hostname":"www.example.com","http_method":"GET","http_user_agent":"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)","length":0,"protocol":"HTTP/1.1","status":404,"url":"/admin/login.php"}`},
		{3, "dest_port", `443`},
	})
	// Kept as Suricata wrote it, key for key.
	b, err := os.ReadFile("testdata/eve.json")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	rd, _, err := Open(strings.NewReader(first+"\n"), Suricata, Options{Name: "eve.json"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rd.Next()
	if err != nil || string(rec.Raw) != first {
		t.Errorf("got %s (%v), want the line as written", rec.Raw, err)
	}
}

func TestSuricataBadInput(t *testing.T) {
	in := `{"event_type":"flow","src_ip":"10.0.0.1"}` + "\n" +
		`{"event_type":"flow","src_ip":` + "\n" + // truncated
		`garbage` + "\n" +
		`{"event_type":"dns","src_ip":"10.0.0.2"}` + "\n"
	r := readAll(t, in, "eve.json", Suricata, Options{})
	// The JSON reader skips to the next line starting with {: one bad record.
	if !sameInts(r.badLines(), []int{2}) {
		t.Errorf("bad lines %v, want [2]", r.badLines())
	}
	if !sameInts(r.lines, []int{1, 4}) {
		t.Errorf("good lines %v, want [1 4]", r.lines)
	}
}
