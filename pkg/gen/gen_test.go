package gen

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{ECS, Lab} {
		c := Config{Seed: 42, Count: 10000, AttackShare: 0.1, Format: f}
		a := bytes.Join(generate(t, c), []byte("\n"))
		b := bytes.Join(generate(t, c), []byte("\n"))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: same seed gave different output", f)
		}
		c.Seed = 43
		if d := bytes.Join(generate(t, c), []byte("\n")); bytes.Equal(a, d) {
			t.Fatalf("%s: different seeds gave the same output", f)
		}
	}
}

func TestLongerOutputExtendsShorter(t *testing.T) {
	short := generate(t, Config{Seed: 5, Count: 3000, AttackShare: 0.1})
	long := generate(t, Config{Seed: 5, Count: 6000, AttackShare: 0.1})
	for i := range short {
		if !bytes.Equal(short[i], long[i]) {
			t.Fatalf("line %d differs between --count 3000 and 6000", i+1)
		}
	}
}

var (
	uuidV4    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	rfc3339ms = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func TestECSShape(t *testing.T) {
	t.Parallel()
	lines := generate(t, Config{Seed: 7, Count: 30000, AttackShare: 0.2})
	var prev time.Time
	seen := map[string]int{}
	for i, line := range lines {
		e := decodeECS(t, line)
		if e.time.Before(prev) {
			t.Fatalf("line %d: @timestamp %s before the previous event's", i+1, e.Timestamp)
		}
		prev = e.time
		keys := topKeys(t, line)
		if keys[0] != "@timestamp" || keys[len(keys)-1] != "truth" {
			t.Fatalf("line %d: keys %v: want @timestamp first and truth last", i+1, keys)
		}
		if !uuidV4.MatchString(e.Event.ID) {
			t.Fatalf("line %d: event.id %q is not a UUIDv4", i+1, e.Event.ID)
		}
		if e.Event.Kind != "event" || len(e.Event.Category) == 0 || len(e.Event.Type) == 0 || e.Event.Action == "" ||
			e.Event.Dataset == "" || e.Event.Module == "" || e.Message == "" {
			t.Fatalf("line %d: incomplete event fields\n%s", i+1, line)
		}
		if e.Host.Name == "" || len(e.Host.IP) != 1 || (e.Host.OS.Type != "windows" && e.Host.OS.Type != "linux") {
			t.Fatalf("line %d: incomplete host\n%s", i+1, line)
		}
		if e.Host.OS.Type == "windows" && e.User.Name != "" && e.User.Domain == "" {
			t.Fatalf("line %d: Windows user without domain\n%s", i+1, line)
		}
		seen[e.Event.Category[0]+"/"+e.Event.Action]++
		checkKind(t, i+1, e)
	}
	for _, want := range []string{"process/process-started", "authentication/logged-in", "authentication/logon-failed",
		"network/network-connection", "network/firewall-allow", "network/firewall-deny", "network/connection",
		"network/dns-query", "file/file-created", "file/file-deleted", "file/file-renamed", "registry/registry-value-set",
		"web/access", "configuration/service-installed", "configuration/scheduled-task-created", "configuration/audit-log-cleared"} {
		if seen[want] == 0 {
			t.Errorf("no %s events in 30000", want)
		}
	}
}

// checkKind checks the fields of each kind of event.
func checkKind(t *testing.T, n int, e *ecsEvent) {
	t.Helper()
	fail := func(msg string) { t.Fatalf("line %d: %s\n%s", n, msg, e.raw) }
	windows := e.Host.OS.Type == "windows"
	switch e.Event.Category[0] {
	case "process":
		p := e.Process
		if p.PID == 0 || p.Executable == "" || p.Name == "" || p.Name != baseName(p.Executable) || p.CommandLine == "" ||
			p.Parent.PID == 0 || p.Parent.Executable == "" || p.Parent.Name == "" {
			fail("incomplete process")
		}
		if windows && (e.Event.Code != "1" || e.Event.Provider != "Microsoft-Windows-Sysmon" || e.Event.Dataset != "windows.sysmon_operational" ||
			p.PE.OriginalFileName == "" || len(p.Hash.SHA256) != 64 || e.Winlog.EventData["IntegrityLevel"] == "") {
			fail("incomplete Sysmon process creation")
		}
		if !windows && e.Event.Dataset != "auditd.log" {
			fail("Linux process start not from auditd")
		}
	case "authentication":
		ok := e.Event.Outcome == "success" && e.Event.Action == "logged-in"
		bad := e.Event.Outcome == "failure" && e.Event.Action == "logon-failed"
		if !ok && !bad {
			fail("outcome and action disagree")
		}
		if e.User.Name == "" {
			fail("logon without user")
		}
		if windows {
			code := map[bool]string{true: "4624", false: "4625"}[ok]
			lt := e.Winlog.EventData["LogonType"]
			if e.Event.Code != code || e.Winlog.Channel != "Security" || e.Event.Dataset != "windows.security" ||
				!slices.Contains([]string{"2", "3", "5", "10"}, lt) || e.Winlog.Logon.Type == "" ||
				e.Winlog.EventData["TargetUserName"] != e.User.Name || e.Winlog.EventData["IpAddress"] == "" ||
				e.Winlog.EventData["WorkstationName"] == "" {
				fail("incomplete Windows logon")
			}
			if (lt == "3" || lt == "10") && (e.Source.IP == "" || e.Source.IP != e.Winlog.EventData["IpAddress"]) {
				fail("remote logon without source.ip")
			}
		} else {
			if e.Process.Name != "sshd" || e.Event.Dataset != "system.auth" || e.Source.IP == "" || e.Source.Port == 0 {
				fail("incomplete sshd logon")
			}
			want := "Failed password for "
			if ok {
				want = "Accepted "
			}
			if !strings.HasPrefix(e.Message, want) || !strings.Contains(e.Message, " from "+e.Source.IP+" port ") {
				fail("sshd message")
			}
		}
	case "network":
		if e.Source.IP == "" || e.Destination.IP == "" || e.Destination.Port == 0 || e.Network.Transport == "" || e.Network.Direction == "" {
			fail("incomplete network event")
		}
		switch e.Event.Action {
		case "network-connection":
			if e.Event.Code != "3" || e.Process.Executable == "" || e.Process.Name == "" || !slices.Equal(e.Event.Type, []string{"connection", "start"}) {
				fail("incomplete Sysmon network connection")
			}
		case "firewall-allow", "firewall-deny":
			if e.Event.Dataset != "firewall" || e.Source.Bytes == nil || e.Destination.Bytes == nil {
				fail("incomplete firewall record")
			}
			if e.Event.Action == "firewall-deny" && !slices.Equal(e.Event.Type, []string{"connection", "denied"}) {
				fail("denied connection without type denied")
			}
		case "connection":
			if e.Event.Dataset != "zeek.connection" || e.Source.Bytes == nil {
				fail("incomplete zeek conn")
			}
		case "dns-query":
			q := e.DNS.Question
			if !slices.Equal(e.Event.Type, []string{"protocol"}) || q.Name == "" || q.Type == "" || e.Destination.Port != 53 ||
				!(q.Name == q.RegisteredDomain || strings.HasSuffix(q.Name, "."+q.RegisteredDomain)) {
				fail("incomplete DNS query")
			}
			if e.Event.Code == "22" && e.Process.Executable == "" {
				fail("Sysmon DNS query without process")
			}
			if e.Event.Code != "22" && e.Event.Dataset != "zeek.dns" {
				fail("DNS query neither from Sysmon nor Zeek")
			}
		default:
			fail("unknown network action")
		}
	case "file":
		f := e.File
		if f.Path == "" || f.Name != baseName(f.Path) || f.Directory+`\`+f.Name != f.Path || e.Process.Executable == "" {
			fail("incomplete file event")
		}
		if strings.Contains(f.Extension, ".") {
			fail("file.extension with a dot")
		}
	case "registry":
		r := e.Registry
		if e.Event.Code != "13" || r.Path == "" || r.Hive+`\`+r.Key+`\`+r.Value != r.Path || len(r.Data.Strings) != 1 || e.Process.Executable == "" {
			fail("incomplete registry event")
		}
	case "web":
		if e.URL.Path == "" || !strings.HasPrefix(e.URL.Original, e.URL.Path) || e.HTTP.Request.Method == "" ||
			e.HTTP.Response.StatusCode == 0 || e.UserAgent.Original == "" || e.Source.IP == "" || e.Destination.Port == 0 ||
			(e.Event.Dataset != "nginx.access" && e.Event.Dataset != "iis.access") {
			fail("incomplete web access")
		}
		if e.URL.Query != "" && e.URL.Original != e.URL.Path+"?"+e.URL.Query {
			fail("url.original is not path?query")
		}
	case "configuration":
		switch e.Event.Code {
		case "7045":
			if e.Winlog.Channel != "System" || e.Event.Provider != "Service Control Manager" || e.Service.Name == "" ||
				e.Winlog.EventData["ServiceName"] != e.Service.Name || e.Winlog.EventData["ImagePath"] == "" {
				fail("incomplete 7045")
			}
		case "4698":
			if e.Winlog.Channel != "Security" || e.Winlog.EventData["TaskName"] == "" || !strings.Contains(e.Winlog.EventData["TaskContent"], "<Command>") {
				fail("incomplete 4698")
			}
		case "1102", "104":
		default:
			fail("unknown configuration event")
		}
	default:
		fail("unknown category")
	}
}

func TestLabShape(t *testing.T) {
	t.Parallel()
	lines := generate(t, Config{Seed: 8, Count: 20000, AttackShare: 0.2, Format: Lab})
	prev := ""
	types := map[string]int{}
	for i, line := range lines {
		keys := topKeys(t, line)
		if !slices.Equal(keys[:6], []string{"event_id", "timestamp", "user", "host", "source_ip", "event_type"}) || keys[len(keys)-1] != "truth" {
			t.Fatalf("line %d: keys %v", i+1, keys)
		}
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		ts := e["timestamp"].(string)
		if !rfc3339ms.MatchString(ts) || ts < prev {
			t.Fatalf("line %d: timestamp %q after %q", i+1, ts, prev)
		}
		prev = ts
		if !uuidV4.MatchString(e["event_id"].(string)) {
			t.Fatalf("line %d: event_id %v", i+1, e["event_id"])
		}
		typ := e["event_type"].(string)
		types[typ]++
		switch typ {
		case "process_start":
			name, _ := e["process_name"].(string)
			if name == "" || strings.ContainsAny(name, `\/`) || e["process_path"] == nil || e["command_line"] == nil || e["parent_process"] == nil {
				t.Fatalf("line %d: incomplete process_start\n%s", i+1, line)
			}
		case "user_login":
			if lt := e["logon_type"]; lt != "success" && lt != "failure" {
				t.Fatalf("line %d: logon_type %v", i+1, lt)
			}
		case "network_connection":
			if e["destination_ip"] == nil || e["destination_port"] == nil || e["network_transport"] == nil {
				t.Fatalf("line %d: incomplete network_connection\n%s", i+1, line)
			}
		case "dns_query":
			if e["dns_query"] == nil {
				t.Fatalf("line %d: no dns_query", i+1)
			}
		case "file_create", "file_rename", "file_delete":
			if e["file_path"] == nil || e["process_name"] == nil {
				t.Fatalf("line %d: incomplete %s", i+1, typ)
			}
		case "registry_set":
			if e["registry_path"] == nil || e["registry_value"] == nil {
				t.Fatalf("line %d: incomplete registry_set", i+1)
			}
		case "http_request":
			if e["url"] == nil || e["http_method"] == nil || e["http_status"] == nil {
				t.Fatalf("line %d: incomplete http_request", i+1)
			}
		case "service_install":
			if e["service_name"] == nil {
				t.Fatalf("line %d: no service_name", i+1)
			}
		case "task_create":
			if e["task_name"] == nil || e["task_command"] == nil {
				t.Fatalf("line %d: incomplete task_create", i+1)
			}
		case "log_clear":
		default:
			t.Fatalf("line %d: event_type %q", i+1, typ)
		}
	}
	for _, want := range []string{"process_start", "user_login", "network_connection", "dns_query", "file_create",
		"file_rename", "file_delete", "registry_set", "http_request", "service_install", "task_create"} {
		if types[want] == 0 {
			t.Errorf("no %s events", want)
		}
	}
}

func TestTruth(t *testing.T) {
	t.Parallel()
	cat := attack.Default()
	byName := map[string]*Scenario{}
	for _, s := range Scenarios() {
		byName[s.Name] = s
	}
	lines := generate(t, Config{Seed: 9, Count: 50000, AttackShare: 0.3})
	runScenario := map[int]string{}
	maxRun := 0
	attacks := 0
	for i, line := range lines {
		if benign(line) {
			continue
		}
		attacks++
		e := decodeECS(t, line)
		tr := e.Truth
		s := byName[tr.Scenario]
		if s == nil {
			t.Fatalf("line %d: unknown scenario %q", i+1, tr.Scenario)
		}
		if tr.Run < 1 || tr.Techniques == nil || tr.Tactics == nil {
			t.Fatalf("line %d: incomplete truth %+v", i+1, tr)
		}
		if prev, ok := runScenario[tr.Run]; ok && prev != tr.Scenario {
			t.Fatalf("line %d: run %d is both %s and %s", i+1, tr.Run, prev, tr.Scenario)
		}
		if _, ok := runScenario[tr.Run]; !ok {
			if tr.Run != maxRun+1 {
				t.Fatalf("line %d: run %d first seen after run %d", i+1, tr.Run, maxRun)
			}
			maxRun = tr.Run
			runScenario[tr.Run] = tr.Scenario
		}
		for _, id := range tr.Techniques {
			if _, ok := cat.Technique(id); !ok {
				t.Fatalf("line %d: technique %s not in the ATT&CK catalog", i+1, id)
			}
			if !slices.Contains(s.Techniques, id) {
				t.Fatalf("line %d: technique %s not listed for %s", i+1, id, s.Name)
			}
		}
		if !slices.Equal(tr.Tactics, tacticsFor(tr.Techniques)) {
			t.Fatalf("line %d: tactics %v for techniques %v", i+1, tr.Tactics, tr.Techniques)
		}
		for _, id := range tr.Tactics {
			if _, ok := cat.Tactic(id); !ok {
				t.Fatalf("line %d: tactic %s not in the catalog", i+1, id)
			}
		}
	}
	if share := float64(attacks) / float64(len(lines)); share < 0.15 || share > 0.45 {
		t.Errorf("attack share %.3f, want about 0.3", share)
	}
}

func TestCatalog(t *testing.T) {
	cat := attack.Default()
	required := []string{"ssh_brute_force", "rdp_brute_force", "password_spray", "port_scan", "encoded_powershell",
		"discovery", "credential_dumping", "scheduled_task_persistence", "lateral_movement_psexec", "c2_beaconing",
		"dns_tunneling", "exfiltration", "ransomware", "phishing_macro", "webshell", "log_clearing", "registry_run_key", "uac_bypass"}
	names := map[string]bool{}
	tactics := map[string]bool{}
	for _, s := range Scenarios() {
		names[s.Name] = true
		if s.Description == "" || len(s.Techniques) == 0 || len(s.Tactics) == 0 {
			t.Errorf("%s: incomplete catalog entry", s.Name)
		}
		for _, id := range s.Techniques {
			te, ok := cat.Technique(id)
			if !ok {
				t.Errorf("%s: technique %s not in the catalog", s.Name, id)
				continue
			}
			// Each credited tactic is one the catalog lists for the technique.
			for _, ta := range tacticsOf[id] {
				tac, _ := cat.Tactic(ta)
				if !slices.Contains(te.Tactics, tac.Shortname) {
					t.Errorf("%s: %s credited with %s, which ATT&CK does not list", s.Name, id, ta)
				}
			}
		}
		for _, ta := range s.Tactics {
			tactics[ta] = true
		}
	}
	for _, n := range required {
		if !names[n] {
			t.Errorf("scenario %s missing", n)
		}
	}
	if len(tactics) < 10 {
		t.Errorf("scenarios cover %d tactics, want at least 10", len(tactics))
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := SelectScenarios(nil)
	if err != nil || len(all) != len(Scenarios()) {
		t.Fatalf("default: %d scenarios, %v", len(all), err)
	}
	none, err := SelectScenarios([]string{"none"})
	if err != nil || len(none) != 0 {
		t.Fatalf("none: %d scenarios, %v", len(none), err)
	}
	two, err := SelectScenarios([]string{"port_scan,ssh_brute_force", "port_scan"})
	if err != nil || len(two) != 2 || two[0].Name != "port_scan" {
		t.Fatalf("list: %v, %v", two, err)
	}
	if _, err := SelectScenarios([]string{"nope"}); err == nil {
		t.Fatal("unknown scenario accepted")
	}
	lines := generate(t, Config{Seed: 1, Count: 20000, AttackShare: 0.5, Scenarios: []string{"none"}})
	for _, l := range lines {
		if !benign(l) {
			t.Fatalf("--scenario none gave an attack event: %s", l)
		}
	}
}

func TestCountAndDuration(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	last := func(lines [][]byte) time.Time { return decodeECS(t, lines[len(lines)-1]).time }

	if n := len(generate(t, Config{Seed: 1, Count: 1234, AttackShare: 0.05})); n != 1234 {
		t.Errorf("count 1234: %d events", n)
	}
	lines := generate(t, Config{Seed: 1, Start: start, Duration: time.Hour, AttackShare: 0.05})
	if first := decodeECS(t, lines[0]).time; first.Before(start) || first.After(start.Add(time.Second)) {
		t.Errorf("duration: first event at %s, want %s", first, start)
	}
	if l := last(lines); l.After(start.Add(time.Hour)) || l.Before(start.Add(59*time.Minute)) {
		t.Errorf("duration 1h: last event at %s", l)
	}
	if n := len(lines); n < 32000 || n > 40000 {
		t.Errorf("duration 1h at 10 events/s: %d events, want about 36000", n)
	}
	// Count and duration: exactly count events spanning the duration.
	for seed := uint64(1); seed <= 5; seed++ {
		lines = generate(t, Config{Seed: seed, Start: start, Count: 10000, Duration: 24 * time.Hour, AttackShare: 0.05})
		if n := len(lines); n != 10000 {
			t.Errorf("seed %d: count 10000 over 24h: %d events", seed, n)
		}
		if l := last(lines); l.Before(start.Add(23*time.Hour)) || l.After(start.Add(24*time.Hour)) {
			t.Errorf("seed %d: count 10000 over 24h: last event at %s", seed, l)
		}
	}
	// A rate sets the density.
	lines = generate(t, Config{Seed: 3, Start: start, Density: 100, Count: 30000, AttackShare: 0.05})
	if span := last(lines).Sub(start); span < 250*time.Second || span > 350*time.Second {
		t.Errorf("30000 events at 100/s span %s, want about 300s", span)
	}
}

func TestAttackShare(t *testing.T) {
	t.Parallel()
	for _, share := range []float64{0.05, 0.5} {
		lines := generate(t, Config{Seed: 4, Count: 60000, AttackShare: share})
		n := 0
		for _, l := range lines {
			if !benign(l) {
				n++
			}
		}
		got := float64(n) / float64(len(lines))
		if got < share/2 || got > share*1.6 {
			t.Errorf("attack share %v: got %.3f", share, got)
		}
	}
}

// TestBoundedMemory checks that the events in progress stay few however
// many are generated.
func TestBoundedMemory(t *testing.T) {
	t.Parallel()
	g, err := New(Config{Seed: 11, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	maxRuns, maxEvents := 0, 0
	for i := 0; i < 300000; i++ {
		buf, _ = g.Next(buf[:0])
		if i%1000 == 0 {
			n := 0
			for _, r := range g.heap {
				n += len(r.events) - r.next
			}
			maxRuns, maxEvents = max(maxRuns, len(g.heap)), max(maxEvents, n)
		}
	}
	if maxRuns > 300 || maxEvents > 20000 {
		t.Errorf("up to %d runs with %d pending events in progress", maxRuns, maxEvents)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Count: -1}, {Duration: -time.Second}, {Rate: -1}, {AttackShare: 1.5}, {AttackShare: -0.1},
		{Format: "xml"}, {Scenarios: []string{"nope"}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
