package format

import (
	"strings"
	"testing"
)

func TestSyslogRFC3164(t *testing.T) {
	// Read on January 10th: December's lines are last year's, and the year
	// turns where the month goes back.
	r := readFile(t, "testdata/auth.log", Auto, Options{Now: fixedNow("2024-01-10T12:00:00Z")})
	if len(r.events) != 7 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 7 events", len(r.events), r.bad)
	}
	check(t, r, []want{
		{0, "@timestamp", `"2023-12-31T23:59:58Z"`},
		{0, "host", `"bastion"`},
		{0, "program", `"sshd"`},
		{0, "pid", `2101`},
		{0, "message", `"Failed password for invalid user admin from 198.51.100.23 port 52814 ssh2"`},
		{0, "facility", `<missing>`},
		{2, "@timestamp", `"2024-01-01T00:00:01Z"`},
		{2, "program", `"CRON"`},
		{4, "program", `"sudo"`},
		{4, "pid", `<missing>`},
		{4, "message", `"   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl stop rsyslog"`},
		{6, "program", `"systemd-logind"`},
	})
	// Read in the summer, a log of January is this year's.
	june := readAll(t, "<13>Jan  2 03:04:05 host app: hi\n", "x", Syslog, Options{Now: fixedNow("2024-06-01T00:00:00Z")})
	check(t, june, []want{
		{0, "@timestamp", `"2024-01-02T03:04:05Z"`},
		{0, "facility", `"user"`},
		{0, "severity", `"notice"`},
		{0, "message", `"hi"`},
	})
	// Lines a little out of order at a month's end stay in the year.
	late := readAll(t, "Feb  1 00:00:01 h a: x\nJan 31 23:59:59 h a: y\n", "x", Syslog, Options{Now: fixedNow("2024-06-01T00:00:00Z")})
	check(t, late, []want{{1, "@timestamp", `"2024-01-31T23:59:59Z"`}})
	// A message to the local socket has no host.
	local := readAll(t, "<38>Jan  2 03:04:05 sshd[7]: hello\n", "x", Syslog, Options{Now: fixedNow("2024-06-01T00:00:00Z")})
	check(t, local, []want{{0, "host", `<missing>`}, {0, "program", `"sshd"`}, {0, "pid", `7`}, {0, "message", `"hello"`}})
	// A line without a tag is all message.
	mark := readAll(t, "Jan  2 03:04:05 host -- MARK --\n", "x", Syslog, Options{Now: fixedNow("2024-06-01T00:00:00Z")})
	check(t, mark, []want{{0, "program", `<missing>`}, {0, "message", `"-- MARK --"`}})
}

func TestSyslogRFC5424(t *testing.T) {
	r := readFile(t, "testdata/syslog_rfc5424.log", Auto, Options{})
	if len(r.events) != 4 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 4 events", len(r.events), r.bad)
	}
	check(t, r, []want{
		{0, "@timestamp", `"2003-10-11T22:14:15.003Z"`},
		{0, "host", `"mymachine.example.com"`},
		{0, "appname", `"su"`},
		{0, "pid", `<missing>`},
		{0, "msgid", `"ID47"`},
		{0, "message", `"'su root' failed for lonvick on /dev/pts/8"`}, // BOM dropped
		{0, "facility", `"auth"`},
		{0, "severity", `"crit"`},
		{1, "@timestamp", `"2003-08-24T05:14:15.000003-07:00"`},
		{1, "pid", `8710`},
		{1, "facility", `"local4"`},
		{2, "structured_data", `{"examplePriority@32473":{"class":"high"},"exampleSDID@32473":{"eventID":"1011","eventSource":"Application","iut":"3"}}`},
		{2, "message", `"An application event log entry..."`},
		{3, "appname", `"sshd"`},
		{3, "message", `"Corrupted MAC on input."`},
	})
}

func TestSyslogISO(t *testing.T) {
	r := readFile(t, "testdata/syslog_iso.log", Auto, Options{})
	if len(r.events) != 3 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 3 events", len(r.events), r.bad)
	}
	check(t, r, []want{
		{0, "@timestamp", `"2024-01-02T03:04:05.123456Z"`},
		{0, "host", `"web01"`},
		{0, "program", `"sshd"`},
		{0, "pid", `811`},
		{1, "@timestamp", `"2024-01-02T03:04:06.000001+01:00"`},
		{1, "program", `"kernel"`},
		{2, "program", `"sudo"`},
		{2, "facility", `"authpriv"`},
		{2, "severity", `"info"`},
	})
}

func TestSyslogBadInput(t *testing.T) {
	in := strings.Join([]string{
		"Jan  2 03:04:05 host sshd[1]: one",
		"Jan  2 03:0",                         // truncated
		"\x00\x01garbage",                     // garbage
		"<999>Jan  2 03:04:05 host sshd: x",   // PRI out of range
		"<34>1 2003-10-11T22:14:15.003Z host", // RFC 5424 cut short
		"<34>1 2003-10-11T22:14:15.003Z host app - - [unclosed x=\"1\" msg",
		"Jan  2 03:04:06 host sshd[2]: two",
	}, "\n") + "\n"
	r := readAll(t, in, "auth.log", Syslog, Options{Now: fixedNow("2024-06-01T00:00:00Z")})
	if !sameInts(r.badLines(), []int{2, 3, 4, 5, 6}) {
		t.Errorf("bad lines %v, want [2 3 4 5 6]", r.badLines())
	}
	if !sameInts(r.lines, []int{1, 7}) {
		t.Errorf("good lines %v, want [1 7]", r.lines)
	}
	check(t, r, []want{{1, "message", `"two"`}})
}
