package store

// AppendCell appends s as one CSV cell (RFC 4180), neutralising spreadsheet
// formulas: a cell starting with '=', '+', '-', '@', a tab or a carriage
// return gets a leading single quote, as OWASP recommends, unless it is a
// plain number ("-5", "+3.2"). A cell is quoted when it holds a comma, a
// quote, CR or LF, or starts with a space, as encoding/csv does.
func AppendCell(dst, s []byte) []byte {
	if len(s) == 0 {
		return dst
	}
	prefix := false
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		prefix = !isNumber(s)
	}
	if !needsQuotes(s) {
		if prefix {
			dst = append(dst, '\'')
		}
		return append(dst, s...)
	}
	dst = append(dst, '"')
	if prefix {
		dst = append(dst, '\'')
	}
	start := 0
	for i, c := range s {
		if c == '"' {
			dst = append(dst, s[start:i+1]...)
			dst = append(dst, '"')
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// cellSpecial marks the bytes that make a cell need quotes.
var cellSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

func needsQuotes(s []byte) bool {
	if s[0] == ' ' {
		return true
	}
	for _, c := range s {
		if cellSpecial[c] {
			return true
		}
	}
	return false
}

// isNumber reports whether s is a plain decimal number: an optional sign,
// digits with at most one decimal point, and an optional exponent.
func isNumber(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n++
		}
		if n == 0 {
			return false
		}
	}
	return i == len(s)
}
