package format

import (
	"strings"
	"testing"
)

func TestAuditd(t *testing.T) {
	r := readFile(t, "testdata/audit.log", Auto, Options{})
	if len(r.events) != 9 || len(r.bad) != 0 {
		t.Fatalf("%d events, bad %v; want 9 events", len(r.events), r.bad)
	}
	check(t, r, []want{
		{0, "type", `"SYSCALL"`},
		{0, "msg", `"audit(1364481363.243:24287):"`},
		{0, "@timestamp", `"2013-03-28T14:36:03.243Z"`},
		{0, "serial", `24287`},
		{0, "syscall", `"59"`},
		{0, "a0", `"7f1b2c3d"`}, // a syscall argument is a number, not hex text
		{0, "comm", `"cp"`},
		{0, "exe", `"/usr/bin/cp"`},
		{0, "key", `"susp_activity"`},
		{1, "type", `"EXECVE"`},
		{1, "argc", `"3"`},
		{1, "a0", `"cp"`},
		{1, "a1", `"/bin/sh"`},
		{1, "a2", `"/tmp/.hidden sh"`}, // hex decoded
		{2, "cwd", `"/home/alice"`},
		{3, "name", `"/bin/sh"`},
		{3, "mode", `"0100755"`},
		{4, "proctitle", `"cp /bin/sh /tmp/.hidden sh"`},
		{5, "a1", `"-c echo hello world >/null"`}, // a1[0] and a1[1] joined
		{5, "a1_len", `"22"`},
		{5, "a1[0]", `<missing>`},
		{6, "key", `"(null)"`},
		{6, "SYSCALL", `"execve"`}, // enriched, after 0x1d
		{6, "AUID", `"root"`},
		{7, "type", `"USER_LOGIN"`},
		{7, "msg", `"audit(1364475353.159:24270):"`},
		{7, "pid", `"3280"`},
		{7, "acct", `"root"`}, // from the user-space message
		{7, "addr", `"198.51.100.23"`},
		{7, "res", `"failed"`},
		{8, "node", `"web01"`},
		{8, "type", `"ADD_USER"`},
		{8, "op", `"add-user"`},
	})
}

func TestAuditdBadInput(t *testing.T) {
	in := strings.Join([]string{
		`type=EXECVE msg=audit(1.1:1): argc=1 a0="ls"`,
		`type=EXECVE msg=audit(1.1:`,                          // truncated header
		`type=EXECVE msg=audit(1.1:2): argc=2 a0="ls" a1="-l`, // truncated quote
		`random garbage here`,
		`type=USER_LOGIN msg=audit(1.1:3): pid=1 msg='op=login acct="root`,
		`type=PATH msg=audit(1.1:4): item=0 name="/etc/shadow"`,
	}, "\n") + "\n"
	r := readAll(t, in, "audit.log", Auditd, Options{})
	if !sameInts(r.badLines(), []int{2, 3, 4, 5}) {
		t.Errorf("bad lines %v, want [2 3 4 5]", r.badLines())
	}
	if !sameInts(r.lines, []int{1, 6}) {
		t.Errorf("good lines %v, want [1 6]", r.lines)
	}
	check(t, r, []want{{1, "name", `"/etc/shadow"`}, {1, "serial", `4`}})
}
