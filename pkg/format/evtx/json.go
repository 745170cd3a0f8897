package evtx

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/secpipe/secpipe/pkg/event"
)

// jsonWriter appends compact JSON to a reused buffer. It tracks only
// whether a comma is due before the next member or element.
type jsonWriter struct {
	buf []byte
	// first is true right after an opening brace or bracket.
	first bool
	// keys are the keys of the objects being written, innermost last.
	keys []string
}

func (w *jsonWriter) reset() {
	w.buf = w.buf[:0]
	w.first = true
}

func (w *jsonWriter) sep() {
	if !w.first {
		w.buf = append(w.buf, ',')
	}
	w.first = false
}

func (w *jsonWriter) openObject() {
	w.buf = append(w.buf, '{')
	w.first = true
}

func (w *jsonWriter) closeObject() {
	w.buf = append(w.buf, '}')
	w.first = false
}

func (w *jsonWriter) openArray() {
	w.buf = append(w.buf, '[')
	w.first = true
}

func (w *jsonWriter) closeArray() {
	w.buf = append(w.buf, ']')
	w.first = false
}

// key starts an object member.
func (w *jsonWriter) key(k string) {
	w.sep()
	w.buf = event.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.first = true
}

func (w *jsonWriter) str(s string) {
	w.sep()
	w.buf = event.AppendString(w.buf, s)
}

func (w *jsonWriter) null() {
	w.sep()
	w.buf = append(w.buf, "null"...)
}

func (w *jsonWriter) boolean(b bool) {
	w.sep()
	w.buf = strconv.AppendBool(w.buf, b)
}

func (w *jsonWriter) int(i int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, i, 10)
}

func (w *jsonWriter) uint(u uint64) {
	w.sep()
	w.buf = strconv.AppendUint(w.buf, u, 10)
}

func (w *jsonWriter) float(f float64) {
	w.sep()
	w.buf = strconv.AppendFloat(w.buf, f, 'g', -1, 64)
}

// time writes t as an RFC 3339 string in UTC with as many fraction
// digits as it needs, as encoding/json writes a time.Time.
func (w *jsonWriter) time(t time.Time) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = t.UTC().AppendFormat(w.buf, time.RFC3339Nano)
	w.buf = append(w.buf, '"')
}

const hexDigits = "0123456789abcdef"

// appendUTF16String appends UTF-16LE text as a JSON string, without its
// trailing NULs. An unpaired surrogate becomes U+FFFD.
func appendUTF16String(buf []byte, b []byte) []byte {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	buf = append(buf, '"')
	for i := 0; i < n; i++ {
		u := rune(b[2*i]) | rune(b[2*i+1])<<8
		switch {
		case u < utf8.RuneSelf:
			c := byte(u)
			if c >= 0x20 && c != '"' && c != '\\' {
				buf = append(buf, c)
				continue
			}
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
		case u >= 0xd800 && u < 0xdc00 && i+1 < n:
			lo := rune(b[2*i+2]) | rune(b[2*i+3])<<8
			if lo >= 0xdc00 && lo < 0xe000 {
				buf = utf8.AppendRune(buf, 0x10000+(u-0xd800)<<10+(lo-0xdc00))
				i++
			} else {
				buf = append(buf, "\ufffd"...)
			}
		case u >= 0xd800 && u < 0xe000:
			buf = append(buf, "\ufffd"...)
		case u == 0x2028 || u == 0x2029:
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[u&0xf])
		default:
			buf = utf8.AppendRune(buf, u)
		}
	}
	return append(buf, '"')
}
