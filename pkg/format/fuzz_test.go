package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/event"
)

// fuzzFormat reads data as format f: no panic, no endless loop, every
// event a valid JSON object, every bad record on a line of the input, and
// no error but a damaged compressed stream's.
func fuzzFormat(t *testing.T, f Format, name string, data []byte) {
	// A compressed input's lines and records are those of its text, up
	// to any damage.
	text := data
	if br, c, err := decompress(bufio.NewReader(bytes.NewReader(data)), name); err == nil && c != nil {
		text, _ = io.ReadAll(io.LimitReader(br, 1<<24))
		c.Close()
	}
	lines := bytes.Count(text, []byte{'\n'}) + 1
	rd, _, err := Open(bytes.NewReader(data), f, Options{Name: name, MaxRecord: 8192})
	if err != nil {
		return // not this format: a clear error is the answer
	}
	if c, ok := rd.(io.Closer); ok {
		defer c.Close()
	}
	for i := 0; ; i++ {
		if i > len(text)+2 {
			t.Fatalf("more than %d records from %d bytes of text", i, len(text))
		}
		rec, err := rd.Next()
		if err == io.EOF {
			return
		}
		var bad *event.BadRecordError
		if errors.As(err, &bad) {
			if bad.Line < 0 || bad.Line > lines {
				t.Fatalf("bad record at line %d of %d: %v", bad.Line, lines, err)
			}
			continue
		}
		var corrupt *CorruptError
		if errors.As(err, &corrupt) {
			return // a damaged .gz or .zst ends the input with its codec named
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if len(rec.Raw) == 0 || rec.Raw[0] != '{' || !json.Valid(rec.Raw) {
			t.Fatalf("line %d: not a valid object: %q", rec.Line, rec.Raw)
		}
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"event_id,timestamp,user\n1,2026-01-15T07:00:00Z,alice\n2,x,\"Smith, Bob\"\n",
		"a,b\n\"multi\nline\",2\n\"charlie,3\n4,5\n",
		"a,b\r\n1,2,3\r\n\"x\"\"y\",\xff\n=cmd,\x00\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, "csv", "fuzz.csv", data) })
}

func FuzzSyslog(f *testing.F) {
	for _, s := range []string{
		"Jan  2 03:04:05 host sshd[12]: Failed password for root\n",
		"<34>1 2026-01-15T07:00:00.123Z host app 42 ID47 [x@1 a=\"b\"] msg\n<13>Feb 30 25:61:61 h p: m\n",
		"2026-01-15T07:00:00+01:00 host prog: \xff\x00\n",
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xf2\x4a\xcc\x53", // a gzip header and a cut stream
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, "syslog", "auth.log", data) })
}

func FuzzZeek(f *testing.F) {
	for _, s := range []string{
		"#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tn\tv\n#types\ttime\tstring\taddr\tcount\tvector[string]\n1704164700.5\tC1\t10.0.0.1\t3\ta,b\n",
		"#separator \\x2c\n#fields,ts,x\n#types,time,interval\nnot-a-time,1e400\n",
		"{\"ts\":1.5,\"uid\":\"C\",\"id.orig_h\":\"1.2.3.4\"}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, "zeek", "conn.log", data) })
}

func FuzzAuditd(f *testing.F) {
	for _, s := range []string{
		"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=59 success=yes comm=\"cp\" exe=\"/usr/bin/cp\"\n",
		"type=EXECVE msg=audit(1.2:3): argc=2 a0=\"ls\" a1=2F746D70\ntype=PROCTITLE msg=audit(x:y): proctitle=ZZ\n",
		"type=USER msg=audit(1364481363.243:24287): msg='op=login acct=\"root\" res=failed'\x00\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFormat(t, "auditd", "audit.log", data) })
}

// FuzzCSVRows checks that rows (RowReader) hold what the JSON of the same
// records holds, and that reading in parts (SplitCSV) gives the rows and
// bad records of one pass, at the same lines.
func FuzzCSVRows(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,\"x, y\",\xff\n\"open,2\n3,\"\"\"q\"\"\",z\n",
		"\uFEFFa,a,\r\n1,2,3\r\n\"m\r\nl\",,\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, gzipMagic) || bytes.HasPrefix(data, zstdMagic) {
			return // Open reads it as compressed: not a CSV row at all
		}
		rowsAndJSON(t, string(data), []string{"c", "a", "a_2", "column3", "none"})
		partsAsOnePass(t, string(data), []string{"c", "a", "a_2", "column3", "none"})
	})
}

// FuzzSplitLine checks the quick split of a row on one line against the
// careful one (splitCSV): the same cells, or both refuse the row.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{"a,b,c", `a,"b,""c""",d`, "a,b,", ",,", `a,b"c,d`, `"a"b,c,d`, "a,b,c,d", "abc"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, line string, n uint8) {
		if strings.ContainsAny(line, "\r\n") || n == 0 {
			return
		}
		c := &csvReader{header: make([]string, n%16+1)}
		ok := c.splitLine([]byte(line))
		cells, reason := splitCSV(line)
		want := reason == "" && len(cells) == len(c.header)
		if ok != want {
			t.Fatalf("%q, %d columns: quick split %v, careful %v (%q %s)", line, len(c.header), ok, want, cells, reason)
		}
		for i := range cells {
			if ok && string(c.cells[i]) != cells[i] {
				t.Fatalf("%q: cell %d is %q, careful split %q", line, i, c.cells[i], cells[i])
			}
		}
	})
}
