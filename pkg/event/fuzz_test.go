package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds the JSON reader any input: it never panics nor loops,
// every record it returns is one valid JSON object within the size limit,
// and a bad record names a line within the input.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"b\":[1,2,{\"c\":null}]}\n",
		"{\"a\":\n  1}\n{bad}\n{\"ok\":true}",
		"[1,2]\n\"s\"\n{\"a\":\"\\u00e9\\ud83d\\ude00\"}\n",
		"{\"a\":\"\xff\"}\n\x00{\"b\":1}\r\n",
		"\xef\xbb\xbf{\"bom\":1}\n{\"x\":1e999}{\"y\":-0.5}",
		"{\"a\":" + string(bytes.Repeat([]byte("["), 300)) + "\n{\"z\":1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte{'\n'}) + 1
		r := NewReader(bytes.NewReader(data), "fuzz", 4096)
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatalf("more than %d records from %d bytes", i, len(data))
			}
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			var bad *BadRecordError
			if errors.As(err, &bad) {
				if bad.Line < 1 || bad.Line > lines {
					t.Fatalf("bad record at line %d of %d: %v", bad.Line, lines, err)
				}
				if bad.Rest != nil {
					io.Copy(io.Discard, bad.Rest)
				}
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(rec.Raw) == 0 || rec.Raw[0] != '{' || !json.Valid(rec.Raw) || len(rec.Raw) > 4096 {
				t.Fatalf("record at line %d is not one valid object: %q", rec.Line, rec.Raw)
			}
		}
	})
}
