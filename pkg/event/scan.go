package event

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, as encoding/json does.
const maxDepth = 10000

// errIncomplete means the value runs past the end of the buffer: more input is needed.
var errIncomplete = &syntaxError{msg: "unexpected end of input"}

// syntaxError describes why a JSON value is invalid and where, as a byte offset.
type syntaxError struct {
	msg string
	off int
	// soft errors (invalid UTF-8) leave the value's framing intact: the scan
	// reaches the value's end, so the next record can be read right after it.
	soft bool
}

func (e *syntaxError) Error() string { return e.msg }

// Byte classes for the scanner's hot loops.
const (
	clsOther = iota
	clsSpace
	clsStrSafe // may appear unescaped in a string and ends nothing
)

var class [256]uint8

func init() {
	for c := 0x20; c < 0x80; c++ {
		class[c] = clsStrSafe
	}
	class['"'] = clsOther
	class['\\'] = clsOther
	for _, c := range []byte{' ', '\t', '\n', '\r'} {
		class[c] = clsSpace
	}
}

// scanner validates one JSON value in buf, reporting where it ends.
// It checks the full RFC 8259 grammar and UTF-8, and notes where the value
// holds insignificant whitespace, so that compacting it for output copies
// the runs between without scanning the value again.
type scanner struct {
	buf   []byte
	depth int
	// gaps holds the start and end offsets of each run of insignificant
	// whitespace, in order.
	gaps []int
	soft *syntaxError // first soft error met, if any
}

func (s *scanner) fail(off int, format string, args ...any) *syntaxError {
	if off >= len(s.buf) {
		return errIncomplete
	}
	return &syntaxError{msg: fmt.Sprintf(format, args...), off: off}
}

// skipSpace returns the end of the whitespace at i; it is small enough to be
// inlined, as compact JSON has none.
func (s *scanner) skipSpace(i int) int {
	if i < len(s.buf) && class[s.buf[i]] == clsSpace {
		return s.skipGap(i)
	}
	return i
}

// skipGap notes the run of whitespace at i and returns its end.
func (s *scanner) skipGap(i int) int {
	start := i
	for i < len(s.buf) && class[s.buf[i]] == clsSpace {
		i++
	}
	s.gaps = append(s.gaps, start, i)
	return i
}

// compact appends the n-byte value scanned at the start of buf to dst
// without its insignificant whitespace.
func (s *scanner) compact(dst []byte, n int) []byte {
	from := 0
	for k := 0; k+1 < len(s.gaps) && s.gaps[k] < n; k += 2 {
		dst = append(dst, s.buf[from:s.gaps[k]]...)
		from = s.gaps[k+1]
	}
	return append(dst, s.buf[from:n]...)
}

// value scans the value starting at buf[i] (no leading whitespace) and returns its end.
func (s *scanner) value(i int) (int, *syntaxError) {
	if i >= len(s.buf) {
		return i, errIncomplete
	}
	switch c := s.buf[i]; {
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == '"':
		return s.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	default:
		return i, s.fail(i, "invalid character %s looking for a value", quoteChar(c))
	}
}

func (s *scanner) literal(i int, lit string) (int, *syntaxError) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(s.buf) {
			return i, errIncomplete
		}
		if s.buf[i+k] != lit[k] {
			return i, s.fail(i+k, "invalid character %s in literal %s", quoteChar(s.buf[i+k]), lit)
		}
	}
	return i + len(lit), nil
}

func (s *scanner) number(i int) (int, *syntaxError) {
	b := s.buf
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, errIncomplete
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, s.fail(i, "invalid character %s in number", quoteChar(b[i]))
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, s.fail(i, "invalid character %s after decimal point in number", charAt(b, i))
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, s.fail(i, "invalid character %s in exponent of number", charAt(b, i))
		}
	}
	// A number at the very end of the buffer may continue in the next read.
	if i == len(b) && i > start {
		return i, errIncomplete
	}
	return i, nil
}

// str scans a string starting at its opening quote.
func (s *scanner) str(i int) (int, *syntaxError) {
	b := s.buf
	i++
	for {
		i = skipSafe(b, i)
		for i < len(b) && class[b[i]] == clsStrSafe {
			i++
		}
		if i >= len(b) {
			return i, errIncomplete
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, errIncomplete
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) {
						return i, errIncomplete
					}
					if !isHex(b[i+k]) {
						return i, s.fail(i+k, "invalid character %s in \\u escape", quoteChar(b[i+k]))
					}
				}
				i += 6
			default:
				return i, s.fail(i+1, "invalid escape \\%c in string", b[i+1])
			}
		case c < 0x20:
			return i, s.fail(i, "invalid control character %s in string", quoteChar(c))
		default: // c >= 0x80
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				if !utf8.FullRune(b[i:]) {
					return i, errIncomplete
				}
				if s.soft == nil {
					s.soft = &syntaxError{msg: "invalid UTF-8 in string", off: i, soft: true}
				}
				size = 1
			}
			i += size
		}
	}
}

func (s *scanner) object(i int) (int, *syntaxError) {
	s.depth++
	if s.depth > maxDepth {
		return i, s.fail(i, "exceeded max depth of %d", maxDepth)
	}
	defer func() { s.depth-- }()
	b := s.buf
	i = s.skipSpace(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errIncomplete
		}
		if b[i] != '"' {
			return i, s.fail(i, "invalid character %s looking for beginning of object key string", quoteChar(b[i]))
		}
		var err *syntaxError
		if i, err = s.str(i); err != nil {
			return i, err
		}
		i = s.skipSpace(i)
		if i >= len(b) {
			return i, errIncomplete
		}
		if b[i] != ':' {
			return i, s.fail(i, "invalid character %s after object key", quoteChar(b[i]))
		}
		i = s.skipSpace(i + 1)
		if i, err = s.value(i); err != nil {
			return i, err
		}
		i = s.skipSpace(i)
		if i >= len(b) {
			return i, errIncomplete
		}
		switch b[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, s.fail(i, "invalid character %s after object key:value pair", quoteChar(b[i]))
		}
	}
}

func (s *scanner) array(i int) (int, *syntaxError) {
	s.depth++
	if s.depth > maxDepth {
		return i, s.fail(i, "exceeded max depth of %d", maxDepth)
	}
	defer func() { s.depth-- }()
	b := s.buf
	i = s.skipSpace(i + 1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err *syntaxError
		if i, err = s.value(i); err != nil {
			return i, err
		}
		i = s.skipSpace(i)
		if i >= len(b) {
			return i, errIncomplete
		}
		switch b[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return i, s.fail(i, "invalid character %s after array element", quoteChar(b[i]))
		}
	}
}

// skipSafe skips, eight bytes at a time, bytes that may stand unescaped in
// a string and end nothing: not a quote, a backslash, a control character
// or a non-ASCII byte. It stops at the first other byte, or where fewer
// than eight bytes are left.
func skipSafe(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		bad := w | bytesOf(w, '"') | bytesOf(w, '\\') | ((w - 0x20*wordOnes) &^ w)
		if bad&wordHighs != 0 {
			return i + firstFlagged(bad)
		}
	}
	return i
}

// Words of eight bytes, searched for bytes of a kind at once.
const (
	wordOnes  = 0x0101010101010101
	wordHighs = 0x80 * wordOnes
	wordLows  = 0x7f * wordOnes
)

// bytesOf flags, at their high bit, the bytes of w equal to c. A borrow may
// also flag bytes above a flagged one, never below: the lowest flag is true.
func bytesOf(w uint64, c byte) uint64 {
	x := w ^ (uint64(c) * wordOnes)
	return (x - wordOnes) &^ x & wordHighs
}

// exactBytesOf flags, at their high bit, exactly the bytes of w equal to c.
func exactBytesOf(w uint64, c byte) uint64 {
	x := w ^ (uint64(c) * wordOnes)
	return ^((x&wordLows + wordLows) | x | wordLows)
}

// firstFlagged returns the place of the lowest flagged byte of a word.
func firstFlagged(flags uint64) int {
	return bits.TrailingZeros64(flags&wordHighs) / 8
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < 0x20 || c >= 0x7f:
		return fmt.Sprintf("0x%02x", c)
	}
	return "'" + string(c) + "'"
}

func charAt(b []byte, i int) string {
	if i >= len(b) {
		return "end of input"
	}
	return quoteChar(b[i])
}
