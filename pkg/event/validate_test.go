package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		in, want, bad string
	}{
		{in: `{"a":1}`, want: `{"a":1}`},
		{in: " \n{\"a\": [1, 2],\n \"b\":{}}\n", want: `{"a":[1,2],"b":{}}`},
		{in: `{"s":"x y"}`, want: `{"s":"x y"}`},
		{in: `{}`, want: `{}`},
		{in: ``, bad: "empty value, not a JSON object"},
		{in: "  \n", bad: "empty value, not a JSON object"},
		{in: `{"a":1`, bad: "invalid JSON: unexpected end of input"},
		{in: `{"event_id":"3",}`, bad: "invalid JSON: column 17: invalid character '}' looking for beginning of object key string"},
		{in: "{\"a\":1,\n\"b\":x}", bad: "invalid JSON: line 2, column 5: invalid character 'x' looking for a value"},
		{in: `{"a":1} {"b":2}`, bad: "invalid JSON: column 9: unexpected data after the value"},
		{in: `42`, bad: "not a JSON object but a number"},
		{in: `[1]`, bad: "not a JSON object but an array"},
		{in: `"x"`, bad: "not a JSON object but a string"},
		{in: `null`, bad: "not a JSON object but null"},
		{in: "{\"a\":\"\xff\"}", bad: "column 7: invalid UTF-8 in string"},
		{in: `{"a":01}`, bad: "invalid JSON: column 7: invalid character '1' after object key:value pair"},
	}
	for _, c := range cases {
		got, err := Validate([]byte(c.in), nil)
		if c.bad != "" {
			var ie *InvalidError
			if !errors.As(err, &ie) || err.Error() != c.bad {
				t.Errorf("Validate(%q): error %v, want %q", c.in, err, c.bad)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("Validate(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("Validate(%q): output not valid JSON", c.in)
		}
	}
}

func TestValidateNoCopyWhenCompact(t *testing.T) {
	raw := []byte(`{"a":"b"}`)
	got, err := Validate(raw, nil)
	if err != nil || &got[0] != &raw[0] {
		t.Fatalf("compact input should come back as is, got %q %v", got, err)
	}
	dst := make([]byte, 0, 64)
	got, err = Validate([]byte(`{"a": "b"}`), dst)
	if err != nil || string(got) != `{"a":"b"}` || &got[:1][0] != &dst[:1][0] {
		t.Fatalf("compacted value should be appended to dst, got %q %v", got, err)
	}
}

// TestValidateAgreesWithReader checks Validate against the Reader on the
// same records, one a line.
func TestValidateAgreesWithReader(t *testing.T) {
	lines := []string{
		`{"a":1}`, `{"a":[true,false,null,1.5e3,-0]}`, `{"a":"\u00e9\n"}`, `{"a":1,}`,
		`{"a":tru}`, `[]`, `{"a":"` + strings.Repeat("x", 100) + `"}`, "{\"a\":\"\x01\"}",
		`{"a":"\q"}`, `{"a":1e}`, `{"a":-}`,
	}
	for _, l := range lines {
		_, verr := Validate([]byte(l), nil)
		res := readAll(t, strings.NewReader(l+"\n"), 0)
		if (verr == nil) != (len(res.bad) == 0) {
			t.Errorf("%q: Validate error %v, reader bad %v", l, verr, res.bad)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	raw := []byte(`{"@timestamp":"2026-11-25T10:00:00.000Z","event":{"kind":"event","category":["process"],"type":["start"]},"host":{"name":"ws-017"},"user":{"name":"alice"},"process":{"name":"powershell.exe","command_line":"powershell -nop -w hidden"},"source":{"ip":"10.1.2.3"}}`)
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		if _, err := Validate(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}
