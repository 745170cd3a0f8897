package event

import (
	"encoding/json"
	"testing"
)

// AppendString writes what encoding/json reads back as the same text
// (invalid UTF-8 as U+FFFD, as encoding/json does).
func TestAppendStringIsJSON(t *testing.T) {
	for _, s := range []string{
		"",
		"plain",
		`C:\Windows\System32\cmd.exe /c "echo hi"`,
		"tab\there\r\nnew line\x00nul\x1fus\x7fdel",
		"é ü 日本 😀",
		"sep\u2028par\u2029",
		"<script>&amp;</script>",
		"bad \xff utf-8 \xc3",
	} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q gives invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q reads back as %q, want %q", s, back, wantBack)
		}
	}
}
