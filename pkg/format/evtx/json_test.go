package evtx

import (
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf16"
)

// tricky strings: quotes, backslashes, control characters, non-ASCII,
// characters outside the BMP, line separators, invalid UTF-8.
var tricky = []string{
	"",
	"plain",
	`C:\Windows\System32\cmd.exe /c "echo hi"`,
	"tab\there\r\nnew line\x00nul\x1fus\x7fdel",
	"é ü 日本 😀",
	"sep\u2028par\u2029",
	"<script>&amp;</script>",
	"bad \xff utf-8 \xc3",
}

func utf16LE(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return b
}

func TestAppendUTF16StringIsJSON(t *testing.T) {
	for _, s := range tricky[:7] { // valid UTF-8 only
		got := appendUTF16String(nil, append(utf16LE(s), 0, 0, 0, 0))
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q gives invalid JSON %s: %v", s, got, err)
		}
		// Trailing NULs go, as golang-evtx drops them; inner ones stay.
		if back != s {
			t.Errorf("%q reads back as %q", s, back)
		}
	}
	// An unpaired surrogate becomes U+FFFD.
	lone := []byte{0x3d, 0xd8, 'a', 0}
	if got := string(appendUTF16String(nil, lone)); got != "\"\ufffda\"" {
		t.Errorf("unpaired surrogate: %s", got)
	}
}

func TestWriterKeepsNumbersAndOrder(t *testing.T) {
	var w jsonWriter
	w.reset()
	w.openObject()
	w.key("z")
	w.uint(18446744073709551615)
	w.key("a")
	w.int(-5)
	w.key("t")
	w.time(time.Date(2021, 12, 12, 7, 15, 28, 352504600, time.UTC))
	w.key("l")
	w.openArray()
	w.str("x")
	w.null()
	w.boolean(true)
	w.closeArray()
	w.closeObject()
	want := `{"z":18446744073709551615,"a":-5,"t":"2021-12-12T07:15:28.3525046Z","l":["x",null,true]}`
	if got := string(w.buf); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
