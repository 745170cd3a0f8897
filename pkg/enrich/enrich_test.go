package enrich

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/enrich/enrichtest"
	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// run enriches events (JSON lines) with cfg and returns them decoded.
func run(t *testing.T, cfg Config, lines ...string) ([]map[string]any, []string) {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	st := e.NewStage()
	var in []pipeline.Message
	for _, l := range lines {
		in = append(in, pipeline.Message{Value: []byte(l)})
	}
	out := &pipeline.Batch{}
	if err := st.Process(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	var raws []string
	for _, m := range out.Msgs {
		var d map[string]any
		if err := json.Unmarshal(m.Value, &d); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, m.Value)
		}
		docs = append(docs, d)
		raws = append(raws, string(m.Value))
	}
	return docs, raws
}

// get follows a dotted path through nested objects.
func get(doc any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[p]
	}
	return doc
}

func testDBs(t *testing.T) (city, asn, country string) {
	dir := t.TempDir()
	city, asn, country = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb"), filepath.Join(dir, "country.mmdb")
	for _, w := range []struct {
		path  string
		write func(string) error
	}{{city, enrichtest.WriteCity}, {asn, enrichtest.WriteASN}, {country, enrichtest.WriteDBIPCountry}} {
		if err := w.write(w.path); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func TestGeoIPCityAndASN(t *testing.T) {
	city, asn, _ := testDBs(t)
	docs, raws := run(t, Config{GeoIP: []string{city, asn}},
		`{"source":{"ip":"81.2.69.142","port":4242},"destination":{"ip":"10.1.2.3"}}`,
		`{"source":{"ip":"192.168.1.5"},"destination":{"ip":"2a02:cf40::1"}}`,
		`{"source":{"ip":"203.0.113.7"},"destination":{"ip":"8.8.8.8"}}`,
		`{"source.ip":"89.160.20.112","message":"flattened"}`,
		`{"source":{"ip":"81.2.69.142","geo":{"city_name":"Upstream"}}}`,
	)
	d := docs[0]
	for path, want := range map[string]any{
		"source.geo.city_name": "London", "source.geo.country_iso_code": "GB", "source.geo.country_name": "United Kingdom",
		"source.geo.continent_code": "EU", "source.geo.region_iso_code": "GB-ENG", "source.geo.region_name": "England",
		"source.geo.timezone": "Europe/London", "source.geo.postal_code": "SW1A", "source.geo.location.lat": 51.5142,
		"source.geo.location.lon": -0.0931, "source.as.number": float64(20712), "source.as.organization.name": "Andrews & Arnold Ltd",
		"source.port": float64(4242),
	} {
		if got := get(d, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if get(d, "destination.geo") != nil || get(d, "destination.as") != nil {
		t.Errorf("a private address was placed: %s", raws[0])
	}
	if got := get(docs[1], "destination.geo.city_name"); got != "Oslo" {
		t.Errorf("IPv6 destination: city %v, want Oslo: %s", got, raws[1])
	}
	if get(docs[1], "source.geo") != nil {
		t.Errorf("192.168/16 was placed: %s", raws[1])
	}
	if raws[2] != `{"source":{"ip":"203.0.113.7"},"destination":{"ip":"8.8.8.8"}}` {
		t.Errorf("documentation range or unknown address changed the event: %s", raws[2])
	}
	if got := get(docs[3], "source.geo.city_name"); got != "Linköping" {
		t.Errorf("flattened source.ip: %s", raws[3])
	}
	if got := get(docs[4], "source.geo.city_name"); got != "Upstream" {
		t.Errorf("an event's own source.geo was replaced: %s", raws[4])
	}
}

func TestGeoIPDBIPCountry(t *testing.T) {
	_, _, country := testDBs(t)
	docs, raws := run(t, Config{GeoIP: []string{country}}, `{"destination":{"ip":"13.107.5.5"}}`)
	if get(docs[0], "destination.geo.country_iso_code") != "US" || get(docs[0], "destination.geo.continent_name") != "North America" {
		t.Errorf("DB-IP country layout not read: %s", raws[0])
	}
	if get(docs[0], "destination.geo.city_name") != nil || get(docs[0], "destination.geo.location") != nil {
		t.Errorf("a country database gave a city or location: %s", raws[0])
	}
}

// TestGeoIPAgainstMmdblookup checks the lookups against libmaxminddb's
// own reader, Debian's mmdblookup.
func TestGeoIPAgainstMmdblookup(t *testing.T) {
	bin, err := exec.LookPath("mmdblookup")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mmdblookup (Debian mmdb-bin) is not installed; .ci/run installs it")
		}
		t.Skip("SKIPPED: mmdblookup (apt-get install mmdb-bin) is not installed")
	}
	city, asn, _ := testDBs(t)
	g, err := OpenGeoIP([]string{city, asn})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(db, ip string, path ...string) string {
		out, err := exec.Command(bin, append([]string{"--file", db, "--ip", ip}, path...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("mmdblookup %s: %v\n%s", ip, err, out)
		}
		// `  "London" <utf8_string>` or `  20712 <uint32>`
		s := strings.TrimSpace(string(out))
		s = strings.TrimSpace(s[:strings.LastIndexByte(s, '<')])
		return strings.Trim(s, `"`)
	}
	for _, ip := range []string{"81.2.69.142", "89.160.20.112", "31.254.141.223", "13.107.145.206", "2a02:cf40::77"} {
		p, found, err := g.Lookup(mustAddr(t, ip))
		if err != nil || !found {
			t.Fatalf("%s: found %v, %v", ip, found, err)
		}
		if want := lookup(city, ip, "city", "names", "en"); p.CityName != want {
			t.Errorf("%s: city %q, mmdblookup says %q", ip, p.CityName, want)
		}
		if want := lookup(city, ip, "country", "iso_code"); p.CountryISO != want {
			t.Errorf("%s: country %q, mmdblookup says %q", ip, p.CountryISO, want)
		}
		if want := lookup(asn, ip, "autonomous_system_organization"); p.ASOrg != want {
			t.Errorf("%s: AS %q, mmdblookup says %q", ip, p.ASOrg, want)
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const stixBundle = `{
  "type": "bundle",
  "id": "bundle--1",
  "objects": [
    {"type": "identity", "spec_version": "2.1", "id": "identity--cert", "name": "Example CERT", "identity_class": "organization"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--c2", "created_by_ref": "identity--cert",
     "name": "C2 server", "pattern": "[ipv4-addr:value = '198.51.100.10' OR ipv4-addr:value ISSUBSET '31.254.128.0/18']",
     "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z", "confidence": 95},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--hash", "name": "Mimikatz",
     "pattern": "[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F'] OR [file:hashes.MD5 = '29efd64dd3c7fe1e2b022b7ad73a1ba5']",
     "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--old", "name": "expired",
     "pattern": "[domain-name:value = 'old.example']", "pattern_type": "stix",
     "valid_from": "2020-01-01T00:00:00Z", "valid_until": "2021-01-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--later", "name": "not yet",
     "pattern": "[domain-name:value = 'later.example']", "pattern_type": "stix",
     "valid_from": "2026-06-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--and", "name": "needs two",
     "pattern": "[file:name = 'a.exe' AND file:size = 10]", "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--sigma", "name": "a sigma rule",
     "pattern": "title: x", "pattern_type": "sigma", "valid_from": "2025-01-01T00:00:00Z"}
  ]
}`

const mispCSV = `uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category
5f1a,12,Network activity,ip-dst|port,45.33.32.156|4444,Meterpreter listener,1,1700000000,,,,,
5f1b,12,Network activity,hostname,update.evil-cdn.example,staging host,1,1700000000,,,,,
5f1c,12,Payload delivery,filename|sha1,dropper.exe|3395856ce81f2b7382dee72602f798b642f14140,dropper,1,1700000000,,,,,
5f1d,12,Network activity,email-src,phish@evil.example,phishing sender,1,1700000000,,,,,
5f1e,12,Network activity,ip-dst,9.9.9.9,resolver seen in traffic,0,1700000000,,,,,
5f1f,12,Network activity,ip-dst,not-an-ip,broken,1,1700000000,,,,,
`

func intelDir(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"blocklist.txt": "# a plain list\n185.220.101.4\n45.155.205.0/24   # a range\nevil.example\n\nhxxp://phish[.]example/login\n" +
			"44d88612fea8a8f36de82e1278abb02f\nnot an indicator at all\n0.0.0.0 ads.tracker.example\n",
		"feed.csv": "indicator,type,provider,description,score\n" +
			"203.0.113.66,ip,Abuse Feed,scanner,40\n" +
			"malware.example.net,domain,Abuse Feed,loader,\n" +
			"1.2.3.4.5,ip,Abuse Feed,broken,\n",
		"urlhaus.csv": "# abuse.ch URLhaus\n# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
			`"1","2026-01-01 00:00:00","http://bad.example:80/payload.bin","online","","malware_download","exe","https://urlhaus.abuse.ch/url/1/","anonymous"` + "\n",
		"misp/export.csv":  mispCSV,
		"stix/bundle.json": stixBundle,
		".hidden.txt":      "1.1.1.1\n",
	})
	return dir
}

func TestIntelLoadProblems(t *testing.T) {
	dir := intelDir(t)
	x, problems, err := LoadIntel([]string{dir}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, strings.TrimPrefix(p.Error(), dir+string(filepath.Separator)))
	}
	want := []string{
		`blocklist.txt:8: "not" is not an address, CIDR range, domain, URL or MD5/SHA1/SHA256 digest`,
		`feed.csv:4: "1.2.3.4.5" is not an IP address or CIDR range`,
		`misp/export.csv:7: "not-an-ip" is not an IP address or CIDR range`,
		`stix/bundle.json:18: indicator--and: pattern [file:name = 'a.exe' AND file:size = 10]: file:name: only file hashes are matched`,
		`stix/bundle.json:20: indicator--sigma: pattern_type "sigma": only stix patterns are read`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// blocklist 6, feed 2, urlhaus 1, misp 3 (email and to_ids=0 left
	// out), stix 2+2+1 (the expired one left out; the later one kept for
	// its window).
	if x.Len() != 17 {
		for i := range x.Indicators {
			t.Logf("%+v", x.Record(i))
		}
		t.Errorf("%d indicators, want 17", x.Len())
	}
}

func TestIntelMatches(t *testing.T) {
	cfg := Config{Intel: []string{intelDir(t)}, Mapping: mapping(t), Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	type want struct{ typ, field, atomic, provider, value string }
	cases := []struct {
		name  string
		event string
		want  []want
		risk  float64
	}{
		{"plain ip", `{"@timestamp":"2026-01-02T00:00:00Z","source":{"ip":"185.220.101.4"},"destination":{"ip":"10.0.0.1"}}`,
			[]want{{"ipv4-addr", "source.ip", "185.220.101.4", "blocklist", "ip=185.220.101.4"}}, 75},
		{"cidr", `{"destination":{"ip":"45.155.205.233"}}`,
			[]want{{"ipv4-addr", "destination.ip", "45.155.205.233", "blocklist", "ip=45.155.205.233"}}, 75},
		{"subdomain", `{"dns":{"question":{"name":"WWW.Evil.Example."}}}`,
			[]want{{"domain-name", "dns.question.name", "WWW.Evil.Example.", "blocklist", "url.domain=evil.example"}}, 75},
		{"not a parent of a subdomain", `{"dns":{"question":{"name":"example"}},"url":{"domain":"notevil.example"}}`, nil, 0},
		{"hosts file", `{"destination":{"domain":"ads.tracker.example"}}`,
			[]want{{"domain-name", "destination.domain", "ads.tracker.example", "blocklist", "url.domain=ads.tracker.example"}}, 75},
		{"refanged url", `{"url":{"full":"HTTP://Phish.example/login"}}`,
			[]want{{"url", "url.full", "HTTP://Phish.example/login", "blocklist", "url.full=http://phish.example/login"}}, 75},
		{"url path on its domain", `{"url":{"domain":"bad.example","original":"/payload.bin"}}`,
			[]want{{"url", "url.original", "/payload.bin", "urlhaus", "url.full=http://bad.example:80/payload.bin"}}, 75},
		{"url host is a domain indicator", `{"url":{"full":"https://cdn.malware.example.net/x.js"}}`,
			[]want{{"domain-name", "url.full", "https://cdn.malware.example.net/x.js", "Abuse Feed", "url.domain=malware.example.net"}}, 75},
		{"csv score", `{"source":{"ip":"203.0.113.66"}}`,
			[]want{{"ipv4-addr", "source.ip", "203.0.113.66", "Abuse Feed", "ip=203.0.113.66"}}, 40},
		{"md5", `{"file":{"hash":{"md5":"44D88612FEA8A8F36DE82E1278ABB02F"}}}`,
			[]want{{"file", "file.hash.md5", "44D88612FEA8A8F36DE82E1278ABB02F", "blocklist", "file.hash.md5=44d88612fea8a8f36de82e1278abb02f"}}, 75},
		{"misp ip|port", `{"destination":{"ip":"45.33.32.156","port":4444}}`,
			[]want{{"ipv4-addr", "destination.ip", "45.33.32.156", "export", "ip=45.33.32.156"}}, 75},
		{"misp to_ids=0 is not matched", `{"destination":{"ip":"9.9.9.9"}}`, nil, 0},
		{"misp filename|sha1", `{"process":{"hash":{"sha1":"3395856ce81f2b7382dee72602f798b642f14140"}}}`,
			[]want{{"file", "process.hash.sha1", "3395856ce81f2b7382dee72602f798b642f14140", "export", "file.hash.sha1=3395856ce81f2b7382dee72602f798b642f14140"}}, 75},
		{"stix cidr with provider and confidence", `{"source":{"ip":"31.254.141.223"}}`,
			[]want{{"ipv4-addr", "source.ip", "31.254.141.223", "Example CERT", "ip=31.254.141.223"}}, 95},
		{"stix sha256 in Sysmon Hashes", `{"winlog":{"event_data":{"Hashes":"MD5=0000,SHA256=aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f,IMPHASH=1"}}}`,
			[]want{{"file", "winlog.event_data.Hashes", "MD5=0000,SHA256=aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f,IMPHASH=1", "bundle", "file.hash.sha256=aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}, 75},
		{"windows logon address", `{"winlog":{"event_data":{"IpAddress":"185.220.101.4","TargetUserName":"admin"}}}`,
			[]want{{"ipv4-addr", "winlog.event_data.IpAddress", "185.220.101.4", "blocklist", "ip=185.220.101.4"}}, 75},
		{"evtx query name", `{"Event":{"System":{"EventID":22},"EventData":{"QueryName":"evil.example"}}}`,
			[]want{{"domain-name", "Event.EventData.QueryName", "evil.example", "blocklist", "url.domain=evil.example"}}, 75},
		{"lab flat event", `{"timestamp":"2026-01-02 00:00:00","source_ip":"185.220.101.4","event_type":"login_failed"}`,
			[]want{{"ipv4-addr", "source_ip", "185.220.101.4", "blocklist", "ip=185.220.101.4"}}, 75},
		{"stix window not begun", `{"@timestamp":"2026-01-02T00:00:00Z","dns":{"question":{"name":"later.example"}}}`, nil, 0},
		{"stix window begun", `{"@timestamp":"2026-07-02T00:00:00Z","dns":{"question":{"name":"later.example"}}}`,
			[]want{{"domain-name", "dns.question.name", "later.example", "bundle", "url.domain=later.example"}}, 75},
		{"expired stix", `{"dns":{"question":{"name":"old.example"}}}`, nil, 0},
	}
	var events []string
	for _, c := range cases {
		events = append(events, c.event)
	}
	docs, raws := run(t, cfg, events...)
	for i, c := range cases {
		enr, _ := get(docs[i], "threat.enrichments").([]any)
		if len(enr) != len(c.want) {
			t.Errorf("%s: %d enrichments, want %d: %s", c.name, len(enr), len(c.want), raws[i])
			continue
		}
		if len(c.want) == 0 {
			if raws[i] != c.event {
				t.Errorf("%s: an event without match changed: %s", c.name, raws[i])
			}
			continue
		}
		for j, w := range c.want {
			e := enr[j]
			k, v, _ := strings.Cut(w.value, "=")
			got := []any{get(e, "indicator.type"), get(e, "matched.field"), get(e, "matched.atomic"), get(e, "indicator.provider"), get(e, "indicator."+k), get(e, "matched.type")}
			exp := []any{w.typ, w.field, w.atomic, w.provider, v, "indicator_match_rule"}
			for n := range got {
				if got[n] != exp[n] {
					t.Errorf("%s: got %v, want %v: %s", c.name, got, exp, raws[i])
					break
				}
			}
		}
		if got := get(docs[i], "event.risk_score"); got != c.risk {
			t.Errorf("%s: event.risk_score %v, want %v", c.name, got, c.risk)
		}
		if get(docs[i], "event.severity") == nil {
			t.Errorf("%s: no event.severity: %s", c.name, raws[i])
		}
	}
}

func mapping(t *testing.T) *sigma.Mapping {
	b, err := os.ReadFile("../classify/data/mapping.yml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := sigma.ParseMapping(b, "mapping.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSplice checks that fields go into the objects they belong to, next
// to what the event has.
func TestSplice(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.txt": "185.220.101.4\n"})
	city, _, _ := testDBs(t)
	cfg := Config{GeoIP: []string{city}, Intel: []string{dir}}
	cases := []struct{ name, in, want string }{
		{"into objects",
			`{"event":{"kind":"event"},"source":{"ip":"185.220.101.4"},"threat":{"framework":"MITRE ATT&CK"}}`,
			`{"event":{"kind":"event","risk_score":75,"severity":73},"source":{"ip":"185.220.101.4"},"threat":{"framework":"MITRE ATT&CK","enrichments":[ENR]}}`},
		{"higher risk kept, lower severity raised, old enrichments replaced",
			`{"event":{"risk_score":99.5,"severity":"1"},"source":{"ip":"185.220.101.4"},"threat":{"enrichments":[{"forged":true}]}}`,
			`{"event":{"risk_score":99.5,"severity":73},"source":{"ip":"185.220.101.4"},"threat":{"enrichments":[ENR]}}`},
		{"enrichments an input brings are not believed",
			`{"source":{"ip":"10.0.0.1"},"threat":{"enrichments":[{"indicator":{"type":"domain-name"}}]}}`,
			`{"source":{"ip":"10.0.0.1"},"threat":{"enrichments":[]}}`},
		{"new objects",
			`{"source.ip":"185.220.101.4"}`,
			`{"source.ip":"185.220.101.4","threat":{"enrichments":[ENR]},"event":{"risk_score":75,"severity":73}}`},
		{"geo and intel, pretty spacing kept",
			`{"source": {"ip": "81.2.69.142"}, "destination": {}, "x": "\"quoted\""}`,
			`{"source": {"ip": "81.2.69.142","geo":{"city_name":"London","continent_code":"EU","continent_name":"Europe","country_iso_code":"GB","country_name":"United Kingdom","location":{"lat":51.5142,"lon":-0.0931},"postal_code":"SW1A","region_iso_code":"GB-ENG","region_name":"England","timezone":"Europe/London"}}, "destination": {}, "x": "\"quoted\""}`},
	}
	enr := `{"indicator":{"type":"ipv4-addr","ip":"185.220.101.4","name":"185.220.101.4","provider":"bad","confidence":"High"},"matched":{"atomic":"185.220.101.4","field":"SOURCE","type":"indicator_match_rule"}}`
	var in []string
	for _, c := range cases {
		in = append(in, c.in)
	}
	_, raws := run(t, cfg, in...)
	for i, c := range cases {
		field := "source.ip"
		want := strings.ReplaceAll(strings.ReplaceAll(c.want, "ENR", enr), "SOURCE", field)
		if raws[i] != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, raws[i], want)
		}
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, ok := ipaddr.Parse([]byte(s))
	if !ok {
		t.Fatalf("bad address %s", s)
	}
	return a
}

// TestExampleDatabases checks the databases shipped with examples/soc
// against the networks they were written from (go run ./examples/soc/gendata).
func TestExampleDatabases(t *testing.T) {
	dir := "../../examples/soc/data"
	g, err := OpenGeoIP([]string{filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Types(), ","); got != "GeoLite2-City,GeoLite2-ASN" {
		t.Errorf("database types %s", got)
	}
	for _, n := range enrichtest.Networks {
		p, found, err := g.Lookup(netip.MustParsePrefix(n.CIDR).Addr().Next())
		if err != nil || !found || p.CityName != n.City || p.CountryISO != n.CountryISO || p.ASNumber != n.ASN {
			t.Errorf("%s: %+v found %v %v; regenerate with go run ./examples/soc/gendata examples/soc/data", n.CIDR, p, found, err)
		}
	}
}

// TestPublicIPv4 checks Public's IPv4 path against netip's own tests of
// the same ranges, at the edges of each range and at random addresses.
func TestPublicIPv4(t *testing.T) {
	slow := func(a netip.Addr) bool {
		if !a.IsGlobalUnicast() || a.IsPrivate() {
			return false
		}
		for _, p := range reserved {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	var addrs []netip.Addr
	for _, p := range notPublic4 {
		first := p.Masked().Addr()
		var last [4]byte
		binary.BigEndian.PutUint32(last[:], v4key(first)|(1<<(32-p.Bits())-1))
		addrs = append(addrs, first, first.Prev(), netip.AddrFrom4(last), netip.AddrFrom4(last).Next())
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100_000 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}))
	}
	for _, a := range addrs {
		if !a.IsValid() || !a.Is4() {
			continue
		}
		if got, want := Public(a), slow(a); got != want {
			t.Errorf("Public(%s) = %v, netip says %v", a, got, want)
		}
	}
	for s, want := range map[string]bool{"8.8.8.8": true, "0.0.0.0": false, "255.255.255.255": false, "100.64.0.1": false, "::ffff:10.0.0.1": false} {
		if got := Public(netip.MustParseAddr(s)); got != want {
			t.Errorf("Public(%s) = %v, want %v", s, got, want)
		}
	}
}
