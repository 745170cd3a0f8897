package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type result struct {
	records []string // compact JSON of each good record, with its line: "3 {...}"
	bad     []string // "line: reason"
}

func readAll(t *testing.T, r io.Reader, max int) result {
	t.Helper()
	rd := NewReader(r, "in", max)
	var res result
	for i := 0; i < 100000; i++ {
		rec, err := rd.Next()
		if err == io.EOF {
			return res
		}
		var bad *BadRecordError
		if errors.As(err, &bad) {
			res.bad = append(res.bad, bad.Error())
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if !json.Valid(rec.Raw) {
			t.Fatalf("record is not valid JSON: %q", rec.Raw)
		}
		res.records = append(res.records, itoa(rec.Line)+" "+string(rec.Raw))
	}
	t.Fatal("reader did not end")
	return res
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonNumber(n)) }

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestReaderFormats(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
		bad      []string
	}{
		{"jsonl", "{\"a\":1}\n{\"b\":\"x\"}\n", []string{`1 {"a":1}`, `2 {"b":"x"}`}, nil},
		{"no final newline", `{"a":1}`, []string{`1 {"a":1}`}, nil},
		{"crlf and blank lines", "{\"a\":1}\r\n\r\n\n{\"b\":2}\r\n", []string{`1 {"a":1}`, `4 {"b":2}`}, nil},
		{"concatenated on one line", `{"a":1}{"b":2} {"c":3}`, []string{`1 {"a":1}`, `1 {"b":2}`, `1 {"c":3}`}, nil},
		{"pretty printed", "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": [1, 2]\n  }\n}\n{\n  \"d\": \"e f\"\n}\n",
			[]string{`1 {"a":1,"b":{"c":[1,2]}}`, `7 {"d":"e f"}`}, nil},
		{"escapes kept", `{"p":"C:\\Windows\\cmd.exe","u":"\u00e9\"q"}`, []string{`1 {"p":"C:\\Windows\\cmd.exe","u":"\u00e9\"q"}`}, nil},
		{"malformed line between good ones", "{\"a\":1}\n{\"a\":2,}\n{\"a\":3}\n",
			[]string{`1 {"a":1}`, `3 {"a":3}`}, []string{`in:2: invalid JSON: column 8: invalid character '}' looking for beginning of object key string`}},
		{"garbage line", "{\"a\":1}\nhello world\n{\"a\":3}\n",
			[]string{`1 {"a":1}`, `3 {"a":3}`}, []string{`in:2: invalid JSON: column 1: invalid character 'h' looking for a value`}},
		{"unclosed object then good line", "{\"a\":1\n{\"a\":2}\n{\"a\":3}\n",
			[]string{`2 {"a":2}`, `3 {"a":3}`}, []string{`in:1: invalid JSON: the object is not closed at the end of its line`}},
		{"truncated at end", "{\"a\":1}\n{\"a\":\"xy",
			[]string{`1 {"a":1}`}, []string{`in:2: invalid JSON: unexpected end of input inside the record`}},
		{"non-object values", "[1,2]\n42\n\"s\"\n{\"ok\":true}\nnull\n",
			[]string{`4 {"ok":true}`}, []string{`in:1: not a JSON object but an array`, `in:2: not a JSON object but a number`, `in:3: not a JSON object but a string`, `in:5: not a JSON object but null`}},
		{"invalid utf8", "{\"a\":\"ok\"}\n{\"a\":\"\xff\xfe\"}\n{\"a\":\"é\"}\n",
			[]string{`1 {"a":"ok"}`, `3 {"a":"é"}`}, []string{`in:2: column 7: invalid UTF-8 in string`}},
		{"control character", "{\"a\":\"x\ty\"}\n{\"b\":1}\n",
			[]string{`2 {"b":1}`}, []string{`in:1: invalid JSON: column 8: invalid control character 0x09 in string`}},
		{"error inside pretty object", "{\n  \"a\": 1,\n  \"b\": tru\n}\n{\n  \"c\": 2\n}\n",
			[]string{`5 {"c":2}`}, []string{`in:1: invalid JSON: line 3, column 11: invalid character 0x0a in literal true`}},
		{"utf-8 byte order mark at the start", "\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n", []string{`1 {"a":1}`, `2 {"b":2}`}, nil},
		{"only a byte order mark", "\xef\xbb\xbf\n", nil, nil},
		{"byte order mark inside", "{\"a\":1}\n\xef\xbb\xbf{\"b\":2}\n{\"c\":3}\n",
			[]string{`1 {"a":1}`, `3 {"c":3}`}, []string{`in:2: invalid JSON: column 1: invalid character 0xef looking for a value`}},
		{"bad numbers", "{\"a\":01}\n{\"a\":1.}\n{\"a\":-}\n{\"a\":1e}\n{\"a\":-0.5e+3}\n",
			[]string{`5 {"a":-0.5e+3}`}, []string{
				`in:1: invalid JSON: column 7: invalid character '1' after object key:value pair`,
				`in:2: invalid JSON: column 8: invalid character '}' after decimal point in number`,
				`in:3: invalid JSON: column 7: invalid character '}' in number`,
				`in:4: invalid JSON: column 8: invalid character '}' in exponent of number`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "byte-at-a-time"} {
				var r io.Reader = strings.NewReader(tc.in)
				if mode != "whole" {
					r = iotest.OneByteReader(r)
				}
				got := readAll(t, r, 0)
				if strings.Join(got.records, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("%s: records\n got %q\nwant %q", mode, got.records, tc.want)
				}
				if strings.Join(got.bad, "\n") != strings.Join(tc.bad, "\n") {
					t.Errorf("%s: bad records\n got %q\nwant %q", mode, got.bad, tc.bad)
				}
			}
		})
	}
}

func TestReaderRecordSizes(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 16<<20) + `"}`
	in := "{\"n\":1}\n" + big + "\n{\"n\":2}\n"
	got := readAll(t, strings.NewReader(in), 0)
	if len(got.records) != 3 || len(got.bad) != 0 {
		t.Fatalf("a 16 MiB line must be valid: got %d records, bad %q", len(got.records), got.bad)
	}

	// Over the limit: the long line is reported and skipped, neighbours kept.
	over := "{\"n\":1}\n{\"a\":\"" + strings.Repeat("y", 5000) + "\"}\n{\"n\":2}\n"
	got = readAll(t, iotest.HalfReader(strings.NewReader(over)), 1024)
	if strings.Join(got.records, ",") != `1 {"n":1},3 {"n":2}` {
		t.Errorf("records around an oversize line: %q", got.records)
	}
	if len(got.bad) != 1 || !strings.Contains(got.bad[0], "in:2: record exceeds the size limit of 1024 bytes") {
		t.Errorf("oversize report: %q", got.bad)
	}
}

func TestReaderBadRaw(t *testing.T) {
	rd := NewReader(strings.NewReader("{\"a\":1}\n{oops}\n{\"a\":2}\n"), "in", 0)
	rd.Next()
	_, err := rd.Next()
	var bad *BadRecordError
	if !errors.As(err, &bad) || string(bad.Raw) != "{oops}" {
		t.Fatalf("want the bad record's raw bytes, got %v %q", err, bad)
	}
	rec, err := rd.Next()
	if err != nil || string(rec.Raw) != `{"a":2}` {
		t.Fatalf("next record: %q %v", rec.Raw, err)
	}
}

// A read error in the middle of a record is returned as such, not reported
// as a bad record: an interrupted input is not malformed input.
func TestReaderReadErrorMidRecord(t *testing.T) {
	boom := errors.New("interrupted")
	r := io.MultiReader(strings.NewReader("{\"a\":1}\n{\"b\":"), iotest.ErrReader(boom))
	rd := NewReader(r, "in", 0)
	if rec, err := rd.Next(); err != nil || string(rec.Raw) != `{"a":1}` {
		t.Fatalf("first record: %q %v", rec.Raw, err)
	}
	_, err := rd.Next()
	var bad *BadRecordError
	if errors.As(err, &bad) || !errors.Is(err, boom) {
		t.Fatalf("want the read error, got %v", err)
	}
}

// A record over the size limit comes whole through Raw and Rest, and the
// reader goes on at the next record, whether Rest was read or not.
func TestOversizedRecordRest(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 10000) + `"}`
	in := "{\"a\":1}\n" + big + "\n" + big + "\n{\"b\":2}\n"
	rd := NewReader(strings.NewReader(in), "in", 4096)
	if rec, err := rd.Next(); err != nil || string(rec.Raw) != `{"a":1}` {
		t.Fatalf("first: %q %v", rec.Raw, err)
	}
	_, err := rd.Next()
	var bad *BadRecordError
	if !errors.As(err, &bad) || bad.Line != 2 || bad.Rest == nil {
		t.Fatalf("second: %v", err)
	}
	rest, _ := io.ReadAll(bad.Rest)
	if got := string(bad.Raw) + string(rest); strings.TrimSpace(got) != big {
		t.Errorf("raw and rest: %d bytes, want %d", len(strings.TrimSpace(got)), len(big))
	}
	// The third record's Rest is left unread.
	if _, err := rd.Next(); !errors.As(err, &bad) || bad.Line != 3 {
		t.Fatalf("third: %v", err)
	}
	if rec, err := rd.Next(); err != nil || string(rec.Raw) != `{"b":2}` || rec.Line != 4 {
		t.Fatalf("last: %q line %d %v", rec.Raw, rec.Line, err)
	}
	if n, err := bad.Rest.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("a stale Rest reads %d, %v", n, err)
	}
}

// BenchmarkReader reads JSON Lines as the lab's Python writes them (a space
// after each colon and comma, so every record is compacted) and as secpipe
// writes them (already compact).
func BenchmarkReader(b *testing.B) {
	spaced := `{"event_id": "1027c4d1-c386-4bc4-8d61-3e30d8f16adf", "timestamp": "2026-01-15T07:00:01.537457+00:00", "user": "charlie", "host": "win-01", "source_ip": "10.0.0.11", "event_type": "process_start", "process_name": "notepad.exe", "command_line": "notepad.exe C:\\Users\\charlie\\notes.txt", "parent_process": "explorer.exe"}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(spaced)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, line string }{{"spaced", spaced}, {"compact", compact.String()}} {
		b.Run(c.name, func(b *testing.B) {
			input := []byte(strings.Repeat(c.line+"\n", 4096))
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rd := NewReader(bytes.NewReader(input), "in", 0)
				n := 0
				for {
					rec, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if rec.Raw[len(rec.Raw)-1] != '}' {
						b.Fatal("record not whole")
					}
					n++
				}
				if n != 4096 {
					b.Fatalf("read %d records, want 4096", n)
				}
			}
			b.ReportMetric(float64(b.N)*4096/b.Elapsed().Seconds(), "records/s")
		})
	}
}
