package sigma

import (
	"unicode"
	"unicode/utf8"
)

// appendLower appends src lowered for case-insensitive matching: ASCII
// letters fast, other letters by unicode.ToLower. Rule values are lowered
// the same way, so both sides agree.
func appendLower(dst, src []byte) []byte {
	// ASCII runs go through a table, in bulk.
	n := len(dst)
	dst = append(dst, src...)
	out := dst[n:]
	i := 0
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
