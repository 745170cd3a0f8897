package format

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// Auditd is the Linux audit log (/var/log/audit/audit.log), one record a
// line:
//
//	type=EXECVE msg=audit(1364481363.243:24287): argc=2 a0="cat" a1=2F746D702F612062
//
// Each record becomes one event keyed as auditd writes it: "type", "msg"
// (kept as "audit(1364481363.243:24287):"), then every name=value in order,
// quotes taken off, with "@timestamp" (RFC 3339, UTC) and "serial" (a
// number) added. Values auditd hex-encodes are decoded as `ausearch -i`
// shows them: unquoted proctitle, EXECVE arguments (a0, a1 ..., split
// arguments a1[0], a1[1] ... joined), name, cmd, comm, exe, cwd, path,
// acct, key and data; NULs between proctitle's arguments become spaces.
// The fields of a user-space message (msg='op=login acct="root" res=failed')
// and the enriched names after the 0x1d separator (SYSCALL=execve AUID="root")
// are added as fields of their own. Other values stay text.
const Auditd Format = "auditd"

func init() {
	register(spec{
		name:  Auditd,
		rank:  55,
		about: "Linux audit log text (audit.log)",
		detect: func(head []byte, _ string) bool {
			ls := headLines(head, 1)
			return len(ls) == 1 && auditHeader.Match(ls[0])
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			return &auditReader{lineReader: newLineReader(r, opt)}, nil
		},
	})
}

// auditHeader matches a record's start: "[node=N ]type=T msg=audit(SECS.MS:SERIAL):".
var auditHeader = regexp.MustCompile(`^(?:node=(\S+) )?type=(\S+) msg=(audit\((\d+)\.(\d+):(\d+)\):)`)

type auditReader struct {
	*lineReader
	obj    jsonObject
	fields []auditField
}

type auditField struct{ name, value string }

// Buffered reports whether a line is already in memory.
func (a *auditReader) Buffered() bool { return a.buffered() }

// Next returns the next record.
func (a *auditReader) Next() (event.Record, error) {
	for {
		line, err := a.next()
		if err != nil {
			return event.Record{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		raw, reason := a.record(string(line))
		if reason != "" {
			return event.Record{}, a.bad(reason, line)
		}
		return event.Record{Raw: raw, Input: a.name, Line: a.line}, nil
	}
}

// record turns one line into JSON; reason says what is wrong with it.
func (a *auditReader) record(line string) (raw []byte, reason string) {
	m := auditHeader.FindStringSubmatchIndex(line)
	if m == nil {
		return nil, `not an audit record (want "type=... msg=audit(...):")`
	}
	sub := func(i int) string { return line[m[2*i]:m[2*i+1]] }
	typ := sub(2)
	a.fields = a.fields[:0]
	if m[2] >= 0 {
		a.fields = append(a.fields, auditField{"node", sub(1)})
	}
	body, enriched, _ := strings.Cut(line[m[1]:], "\x1d")
	if !a.pairs(body, typ == "EXECVE") || !a.pairs(enriched, false) {
		return nil, "unbalanced quotes in an audit record"
	}

	a.obj.reset()
	a.obj.str("type", typ)
	a.obj.str("msg", sub(3))
	seen := map[string]bool{"type": true, "msg": true, "@timestamp": true, "serial": true}
	for _, f := range a.fields {
		if seen[f.name] {
			continue
		}
		seen[f.name] = true
		a.obj.str(f.name, f.value)
	}
	if t, ok := epochTime(sub(4) + "." + sub(5)); ok {
		a.obj.str("@timestamp", t.Format(time.RFC3339Nano))
	}
	serial, err := strconv.ParseInt(sub(6), 10, 64)
	if err != nil {
		return nil, "audit serial out of range"
	}
	a.obj.integer("serial", serial)
	return a.obj.done(), ""
}

// pairs reads the name=value pairs of s into a.fields; ok is false when a
// quote is not closed.
func (a *auditReader) pairs(s string, execve bool) (ok bool) {
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return true
		}
		eq := strings.IndexAny(s, "= ")
		if eq <= 0 || s[eq] == ' ' {
			// A word without a value, as some kernel messages have: skip it.
			_, s, _ = strings.Cut(s, " ")
			continue
		}
		name := s[:eq]
		s = s[eq+1:]
		var value string
		quoted := s != "" && (s[0] == '"' || s[0] == '\'')
		if quoted {
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return false
			}
			value, s = s[1:1+end], s[2+end:]
		} else {
			value, s, _ = strings.Cut(s, " ")
		}
		if name == "msg" && quoted {
			// A user-space message: its own name=value pairs.
			if !a.pairs(value, false) {
				return false
			}
			continue
		}
		base, chunk := argChunk(name)
		if !chunk {
			base = name
		}
		if !quoted && auditEncoded(base, execve) {
			value = auditDecode(value)
		}
		if chunk && execve {
			a.appendArg(base, value)
			continue
		}
		a.fields = append(a.fields, auditField{name, value})
	}
}

// appendArg adds a piece of a long EXECVE argument (a1[0], a1[1] ...).
func (a *auditReader) appendArg(name, piece string) {
	for i := range a.fields {
		if a.fields[i].name == name {
			a.fields[i].value += piece
			return
		}
	}
	a.fields = append(a.fields, auditField{name, piece})
}

// argChunk reports whether name is a piece of an argument, "a1[0]", and
// returns the argument's name, "a1".
func argChunk(name string) (string, bool) {
	base, idx, ok := strings.Cut(name, "[")
	return base, ok && strings.HasSuffix(idx, "]") && isArgName(base)
}

func isArgName(name string) bool {
	if len(name) < 2 || name[0] != 'a' {
		return false
	}
	_, err := strconv.Atoi(name[1:])
	return err == nil
}

// auditEncoded reports whether an unquoted value of the field is hex (the
// fields auditd writes with its untrusted-string encoding). SYSCALL
// records' a0..a3 are numbers in hex, not text: only EXECVE's are text.
func auditEncoded(name string, execve bool) bool {
	switch name {
	case "proctitle", "name", "cmd", "comm", "exe", "cwd", "path", "acct", "key", "data":
		return true
	}
	return execve && isArgName(name)
}

// auditDecode decodes a hex value; a value that is not hex ("(null)",
// "?") is kept. NULs, which separate proctitle's arguments, become spaces.
func auditDecode(v string) string {
	if len(v) < 2 || len(v)%2 != 0 {
		return v
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return v
	}
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}
