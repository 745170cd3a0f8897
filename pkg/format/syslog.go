package format

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// Syslog is syslog text, one message a line, as /var/log/syslog,
// /var/log/auth.log and /var/log/secure hold it, in any of three shapes:
//
//	Jan  2 03:04:05 host sshd[42]: message                    RFC 3164 (<PRI> optional)
//	2024-01-02T03:04:05.123456+00:00 host sshd[42]: message   rsyslog's default on newer systems
//	<38>1 2024-01-02T03:04:05Z host sshd 42 - [sd] message    RFC 5424
//
// A message becomes {"@timestamp", "host", "program" (RFC 5424: "appname"),
// "pid", "message"}, with "facility" and "severity" names when the line has
// a <PRI>, and for RFC 5424 "msgid" and "structured_data" when set.
//
// RFC 3164 timestamps have no year and no zone: they are read as UTC, in
// the year that puts the first message no more than a week after now (a
// December log read in January is last year's), and the year goes up by
// one wherever the month goes back by more than six (December, then
// January; a line of January 31st after February 1st is no new year).
const Syslog Format = "syslog"

func init() {
	register(spec{
		name:  Syslog,
		rank:  60,
		about: "syslog text (RFC 3164, RFC 5424, rsyslog's ISO timestamps)",
		detect: func(head []byte, _ string) bool {
			ls := headLines(head, 1)
			if len(ls) == 0 {
				return false
			}
			var p syslogParser
			p.now = time.Now
			_, ok := p.parse(string(ls[0]))
			return ok
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			now := opt.Now
			if now == nil {
				now = time.Now
			}
			return &syslogReader{lineReader: newLineReader(r, opt), p: syslogParser{now: now}}, nil
		},
	})
}

type syslogReader struct {
	*lineReader
	p syslogParser
}

// Buffered reports whether a line is already in memory.
func (s *syslogReader) Buffered() bool { return s.buffered() }

// Next returns the next message.
func (s *syslogReader) Next() (event.Record, error) {
	for {
		line, err := s.next()
		if err != nil {
			return event.Record{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		raw, ok := s.p.parse(string(line))
		if !ok {
			return event.Record{}, s.bad("not a syslog message", line)
		}
		return event.Record{Raw: raw, Input: s.name, Line: s.line}, nil
	}
}

// syslogParser turns syslog lines into JSON, keeping what it needs to
// give RFC 3164 timestamps their year.
type syslogParser struct {
	now       func() time.Time
	year      int
	lastMonth time.Month
	obj       jsonObject
}

var syslogFacilities = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var syslogSeverities = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// parse reads one line; ok is false when it is not a syslog message.
func (p *syslogParser) parse(line string) (raw []byte, ok bool) {
	p.obj.reset()
	rest := line
	pri := -1
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 2 || end > 4 {
			return nil, false
		}
		n, err := strconv.Atoi(rest[1:end])
		if err != nil || n < 0 || n > 191 {
			return nil, false
		}
		pri, rest = n, rest[end+1:]
		if strings.HasPrefix(rest, "1 ") {
			return p.rfc5424(rest[2:], pri)
		}
	}
	var ts time.Time
	if t, ok := p.bsdTime(rest); ok {
		ts, rest = t, rest[len(time.Stamp):]
	} else {
		stamp, after, _ := strings.Cut(rest, " ")
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return nil, false
		}
		ts, rest = t, " "+after
	}
	rest, ok = strings.CutPrefix(rest, " ")
	if !ok {
		return nil, false
	}
	host, after, ok := strings.Cut(rest, " ")
	if !ok || host == "" {
		return nil, false
	}
	p.obj.str("@timestamp", ts.Format(time.RFC3339Nano))
	// Messages sent to a local socket have no host: the tag comes first.
	if !strings.HasSuffix(host, ":") && !strings.Contains(host, "[") {
		p.obj.str("host", host)
		rest = after
	}
	program, pid, msg := syslogTag(rest)
	if program != "" {
		p.obj.str("program", program)
	}
	if pid != "" {
		p.pid(pid)
	}
	p.obj.str("message", msg)
	p.priority(pri)
	return p.obj.done(), true
}

// bsdTime reads an RFC 3164 timestamp ("Jan  2 03:04:05") at the start of
// s, giving it a year.
func (p *syslogParser) bsdTime(s string) (time.Time, bool) {
	if len(s) < len(time.Stamp) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.Stamp, s[:len(time.Stamp)])
	if err != nil {
		// Some writers pad the day with a zero.
		if t, err = time.Parse("Jan 02 15:04:05", s[:len(time.Stamp)]); err != nil {
			return time.Time{}, false
		}
	}
	switch {
	case p.year == 0:
		now := p.now().UTC()
		p.year = now.Year()
		if withYear(t, p.year).After(now.Add(7 * 24 * time.Hour)) {
			p.year--
		}
	case p.lastMonth-t.Month() > 6: // December, then January; not a late line of last month
		p.year++
	}
	p.lastMonth = t.Month()
	return withYear(t, p.year), true
}

func withYear(t time.Time, year int) time.Time {
	return time.Date(year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// syslogTag splits "prog[pid]: message"; a line without a tag is all message.
func syslogTag(s string) (program, pid, msg string) {
	end := strings.IndexAny(s, "[: ")
	if end <= 0 {
		return "", "", s
	}
	program, rest := s[:end], s[end:]
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", s
		}
		pid, rest = rest[1:end], rest[end+1:]
	}
	rest, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return "", "", s
	}
	return program, pid, strings.TrimPrefix(rest, " ")
}

// pid adds the process ID: a number when it is one.
func (p *syslogParser) pid(s string) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		p.obj.integer("pid", n)
		return
	}
	p.obj.str("procid", s)
}

func (p *syslogParser) priority(pri int) {
	if pri < 0 {
		return
	}
	p.obj.str("facility", syslogFacilities[pri/8])
	p.obj.str("severity", syslogSeverities[pri%8])
}

// rfc5424 reads what follows "<PRI>1 ".
func (p *syslogParser) rfc5424(s string, pri int) ([]byte, bool) {
	var head [5]string // timestamp, host, app, procid, msgid
	for i := range head {
		var ok bool
		head[i], s, ok = strings.Cut(s, " ")
		if !ok || head[i] == "" {
			return nil, false
		}
	}
	if head[0] != "-" {
		t, err := time.Parse(time.RFC3339Nano, head[0])
		if err != nil {
			return nil, false
		}
		p.obj.str("@timestamp", t.Format(time.RFC3339Nano))
	}
	if head[1] != "-" {
		p.obj.str("host", head[1])
	}
	if head[2] != "-" {
		p.obj.str("appname", head[2])
	}
	if head[3] != "-" {
		p.pid(head[3])
	}
	if head[4] != "-" {
		p.obj.str("msgid", head[4])
	}
	msg, ok := p.structuredData(s)
	if !ok {
		return nil, false
	}
	msg = strings.TrimPrefix(msg, "\uFEFF")
	p.obj.str("message", msg)
	p.priority(pri)
	return p.obj.done(), true
}

// structuredData adds RFC 5424 structured data at the start of s
// ("-" or [id name="value" ...]...) as "structured_data": {id: {name:
// value}}, and returns the message after it.
func (p *syslogParser) structuredData(s string) (msg string, ok bool) {
	if s == "-" || strings.HasPrefix(s, "- ") {
		return strings.TrimPrefix(s[1:], " "), true
	}
	if !strings.HasPrefix(s, "[") {
		return "", false
	}
	p.obj.key("structured_data")
	p.obj.b = append(p.obj.b, '{')
	for first := true; strings.HasPrefix(s, "["); first = false {
		end := strings.IndexAny(s, " ]")
		if end < 2 {
			return "", false
		}
		if !first {
			p.obj.b = append(p.obj.b, ',')
		}
		p.obj.b = event.AppendString(p.obj.b, s[1:end])
		p.obj.b = append(p.obj.b, ":{"...)
		s = s[end:]
		for n := 0; strings.HasPrefix(s, " "); n++ {
			name, rest, ok := strings.Cut(s[1:], `="`)
			if !ok || name == "" {
				return "", false
			}
			value, after, ok := sdValue(rest)
			if !ok {
				return "", false
			}
			if n > 0 {
				p.obj.b = append(p.obj.b, ',')
			}
			p.obj.b = event.AppendString(p.obj.b, name)
			p.obj.b = append(p.obj.b, ':')
			p.obj.b = event.AppendString(p.obj.b, value)
			s = after
		}
		if !strings.HasPrefix(s, "]") {
			return "", false
		}
		p.obj.b = append(p.obj.b, '}')
		s = s[1:]
	}
	p.obj.b = append(p.obj.b, '}')
	return strings.TrimPrefix(s, " "), true
}

// sdValue reads a structured data value up to its closing quote, undoing
// the \" \\ \] escapes.
func sdValue(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"\]`, s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
