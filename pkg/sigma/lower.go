package sigma

import (
	"unicode"
	"unicode/utf8"
)

// appendLower appends src lowered for case-insensitive matching: ASCII
// letters fast, other letters by unicode.ToLower. Rule values are lowered
// the same way, so both sides agree.
func appendLower(dst, src []byte) []byte {
	for i := 0; i < len(src); {
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

func lowerString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return string(appendLower(make([]byte, 0, len(s)), []byte(s)))
		}
	}
	return s
}
