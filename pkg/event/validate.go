package event

import (
	"bytes"
	"fmt"
)

// InvalidError reports a value that is not one valid JSON object, such as a
// Kafka message value. Reason reads like the reasons of BadRecordError:
// "invalid JSON: column 17: invalid character '}' ...", "not a JSON object
// but a string", "invalid UTF-8 in string".
type InvalidError struct {
	Reason string
}

func (e *InvalidError) Error() string { return e.Reason }

// Validate checks that raw holds exactly one JSON object (whitespace around
// it allowed), with the same checks as Reader: the full RFC 8259 grammar,
// UTF-8 and nesting depth. It returns the object as compact JSON: raw itself
// (trimmed) when it holds no insignificant whitespace, else the compacted
// form appended to dst. A bad value gives an *InvalidError.
func Validate(raw []byte, dst []byte) (compact []byte, err error) {
	start := 0
	for start < len(raw) && class[raw[start]] == clsSpace {
		start++
	}
	body := raw[start:]
	if len(body) == 0 {
		return nil, &InvalidError{Reason: "empty value, not a JSON object"}
	}
	sc := scanner{buf: body}
	n, serr := sc.value(0)
	if serr == errIncomplete {
		// A number at the very end may have been cut short or be whole:
		// scan it again followed by a space to tell.
		if serr2 := scanWhole(body); serr2 == nil {
			n, serr = len(body), nil
		} else {
			return nil, &InvalidError{Reason: "invalid JSON: unexpected end of input"}
		}
	}
	if serr != nil {
		return nil, &InvalidError{Reason: "invalid JSON: " + position(body, serr.off) + serr.msg}
	}
	rest := n
	for rest < len(body) && class[body[rest]] == clsSpace {
		rest++
	}
	if rest < len(body) {
		return nil, &InvalidError{Reason: "invalid JSON: " + position(body, rest) + "unexpected data after the value"}
	}
	if body[0] != '{' {
		return nil, &InvalidError{Reason: "not a JSON object but " + kindName(body[0])}
	}
	if sc.soft != nil {
		return nil, &InvalidError{Reason: position(body, sc.soft.off) + sc.soft.msg}
	}
	if len(sc.gaps) > 0 {
		return sc.compact(dst, n), nil
	}
	return body[:n], nil
}

// scanWhole scans b as a complete value: input ends where b ends.
func scanWhole(b []byte) *syntaxError {
	padded := make([]byte, len(b)+1)
	copy(padded, b)
	padded[len(b)] = ' '
	sc := scanner{buf: padded}
	_, err := sc.value(0)
	return err
}

// position describes byte off of a value as "column N: ", or "line L,
// column N: " when the value spans lines.
func position(b []byte, off int) string {
	if off > len(b) {
		off = len(b)
	}
	nl := bytes.Count(b[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(b[:off], '\n')
	if nl == 0 {
		return fmt.Sprintf("column %d: ", col)
	}
	return fmt.Sprintf("line %d, column %d: ", nl+1, col)
}
