package sigma

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// appendLower appends src lowered for case-insensitive matching: ASCII
// letters fast, other letters by unicode.ToLower. Rule values are lowered
// the same way, so both sides agree.
func appendLower(dst, src []byte) []byte {
	// ASCII runs are lowered eight bytes at a time, then through a table.
	n := len(dst)
	dst = append(dst, src...)
	out := dst[n:]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		w := binary.LittleEndian.Uint64(src[i:])
		if w&asciiHighs != 0 {
			break
		}
		binary.LittleEndian.PutUint64(out[i:], lowerWord64(w))
	}
	for ; i < len(src); i++ {
		c := src[i]
		if c >= utf8.RuneSelf {
			break
		}
		out[i] = lowerASCII[c]
	}
	if i == len(src) {
		return dst
	}
	dst = dst[:n+i]
	for i < len(src) {
		c := src[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError {
			dst = append(dst, src[i:i+size]...)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}

// needsLower reports whether appendLower would change b: it holds an ASCII
// capital or a byte past ASCII.
func needsLower(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w&asciiHighs != 0 || capitals(w) != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

const (
	asciiOnes  = 0x0101010101010101
	asciiHighs = 0x80 * asciiOnes
)

// capitals returns the high bit of each byte of w that is an ASCII capital.
func capitals(w uint64) uint64 {
	x := w &^ asciiHighs
	atLeastA := x + (0x80-'A')*asciiOnes // high bit set where x >= 'A'
	pastZ := x + (0x80-'Z'-1)*asciiOnes  // high bit set where x > 'Z'
	return atLeastA &^ pastZ &^ w & asciiHighs
}

// lowerWord64 lowers the ASCII capitals among a word's eight bytes.
func lowerWord64(w uint64) uint64 { return w | capitals(w)>>2 }

var lowerASCII = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

func lowerString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return string(appendLower(make([]byte, 0, len(s)), []byte(s)))
		}
	}
	return s
}
