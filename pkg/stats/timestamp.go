package stats

import (
	"time"
)

// parseTime reads a timestamp as Unix nanoseconds. The fast path takes
// RFC 3339 and the ISO 8601 forms pandas and Python write:
// "2026-01-15T07:00:03.123Z", "2026-01-15T07:00:03.123456+00:00",
// "2026-01-15 07:00:03" (no zone: UTC, as pandas' utc=True reads it).
// Other forms go to time.Parse; a plain integer is Unix seconds, or
// milliseconds when it has 12 digits or more.
func parseTime(b []byte) (int64, bool) {
	if ns, ok := parseISO(b); ok {
		return ns, true
	}
	return parseTimeSlow(string(b))
}

func digits2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func parseISO(b []byte) (int64, bool) {
	minute, ok := isoMinute(b)
	if !ok {
		return 0, false
	}
	return isoRest(b, minute)
}

// isoMinute reads "YYYY-MM-DDThh:mm" at the start of b as Unix seconds,
// checking that b is long enough to hold the seconds too.
func isoMinute(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ' && b[10] != 't') || b[13] != ':' {
		return 0, false
	}
	y1, ok1 := digits2(b, 0)
	y2, ok2 := digits2(b, 2)
	mo, ok3 := digits2(b, 5)
	d, ok4 := digits2(b, 8)
	h, ok5 := digits2(b, 11)
	mi, ok6 := digits2(b, 14)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysIn[mo] || h > 23 || mi > 59 {
		return 0, false
	}
	if mo == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return 0, false
	}
	return daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60), true
}

// isoRest reads the ":ss[.fff][zone]" after b's first 16 bytes and returns
// the time in Unix nanoseconds, minute being the Unix seconds of b[:16].
func isoRest(b []byte, minute int64) (int64, bool) {
	if b[16] != ':' {
		return 0, false
	}
	s, ok := digits2(b, 17)
	if !ok || s > 59 {
		return 0, false
	}
	i := 19
	var frac int64
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if n < 9 {
				frac = frac*10 + int64(b[i]-'0')
			}
			n++
			i++
		}
		if n == 0 {
			return 0, false
		}
		for ; n < 9; n++ {
			frac *= 10
		}
	}
	offset := 0
	if i < len(b) {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := 1
			if b[i] == '-' {
				sign = -1
			}
			i++
			if i+2 > len(b) {
				return 0, false
			}
			oh, ok := digits2(b, i)
			if !ok {
				return 0, false
			}
			i += 2
			om := 0
			if i < len(b) {
				if b[i] == ':' {
					i++
				}
				if i+2 > len(b) {
					return 0, false
				}
				if om, ok = digits2(b, i); !ok {
					return 0, false
				}
				i += 2
			}
			if oh > 23 || om > 59 {
				return 0, false
			}
			offset = sign * (oh*3600 + om*60)
		default:
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	return (minute+int64(s)-int64(offset))*1e9 + frac, true
}

// timeCache parses timestamps, reusing the date and minute of the
// previous one: rows come in time order, many in the same minute.
type timeCache struct {
	prefix [16]byte
	minute int64
	ok     bool
}

func (c *timeCache) parse(b []byte) (int64, bool) {
	if c.ok && len(b) >= 19 && string(b[:16]) == string(c.prefix[:]) {
		return isoRest(b, c.minute)
	}
	if minute, ok := isoMinute(b); ok {
		if ns, ok := isoRest(b, minute); ok {
			copy(c.prefix[:], b)
			c.minute, c.ok = minute, true
			return ns, true
		}
	}
	return parseTimeSlow(string(b))
}

// daysFromCivil returns the days from 1970-01-01 to a proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

var slowLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
	time.ANSIC,
}

func parseTimeSlow(s string) (int64, bool) {
	if n := len(s); n > 0 && n <= 19 {
		allDigits := true
		for i := 0; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				allDigits = false
				break
			}
		}
		if allDigits {
			var v int64
			for i := 0; i < n; i++ {
				v = v*10 + int64(s[i]-'0')
			}
			if n >= 12 {
				return v * 1e6, true // milliseconds
			}
			return v * 1e9, true
		}
	}
	for _, l := range slowLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}
