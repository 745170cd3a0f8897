package event

import "time"

// ParseTime reads an RFC 3339 timestamp, "2026-01-15T07:00:03Z" or
// "2026-01-15T07:00:03.123456+02:00", as Unix nanoseconds, without
// allocating. It also takes what log writers put in its place: a space or
// a t for the T, a z for the Z, a comma for the point, an offset without
// its colon (+0200) or minutes (+02), and a leap second (:60, read as :00
// of the next minute). The zone must be there. Times outside the years 1678 to
// 2262 do not fit in int64 nanoseconds: their value is undefined, as
// time.Time.UnixNano's is.
func ParseTime(b []byte) (unixNanos int64, ok bool) {
	minute, ok := parseMinute(b)
	if !ok {
		return 0, false
	}
	return parseSeconds(b, minute, true)
}

// ParseLogTime reads the timestamps found in logs and CSV files as Unix
// nanoseconds: what ParseTime reads, also without a zone (UTC), without
// allocating; and else, slower, through time.Parse: no seconds
// ("2026-01-15T07:00"), a date alone, a one-digit hour, RFC 1123 and
// ANSI C.
func ParseLogTime(b []byte) (unixNanos int64, ok bool) {
	if minute, ok := parseMinute(b); ok {
		if ns, ok := parseSeconds(b, minute, false); ok {
			return ns, true
		}
	}
	return parseLayouts(b)
}

// TimeCache parses timestamps as ParseLogTime does, reusing the date and
// minute of the one before: in time-ordered input many share their minute.
// The zero value is ready to use.
type TimeCache struct {
	prefix [16]byte // "2026-01-15T07:00" of the last time parsed
	minute int64    // its Unix seconds
	ok     bool
}

// Parse reads b as ParseLogTime does.
func (c *TimeCache) Parse(b []byte) (unixNanos int64, ok bool) {
	if c.ok && len(b) >= 19 && string(b[:16]) == string(c.prefix[:]) {
		if ns, ok := parseSeconds(b, c.minute, false); ok {
			return ns, true
		}
	} else if minute, ok := parseMinute(b); ok {
		if ns, ok := parseSeconds(b, minute, false); ok {
			copy(c.prefix[:], b)
			c.minute, c.ok = minute, true
			return ns, true
		}
	}
	return parseLayouts(b)
}

// logTimeLayouts are the forms ParseLogTime leaves to time.Parse.
var logTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
	time.ANSIC,
}

func parseLayouts(b []byte) (int64, bool) {
	s := string(b)
	for _, layout := range logTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

// parseMinute reads "YYYY-MM-DDThh:mm" at the start of b as Unix seconds,
// checking that b is long enough to hold the seconds too.
func parseMinute(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' {
		return 0, false
	}
	switch b[10] {
	case 'T', 't', ' ':
	default:
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

// parseSeconds reads the ":ss[.fff][zone]" after b's first 16 bytes and
// returns the time in Unix nanoseconds, minute being the Unix seconds of
// b[:16]. Without needZone, no zone means UTC.
func parseSeconds(b []byte, minute int64, needZone bool) (int64, bool) {
	if b[16] != ':' {
		return 0, false
	}
	s, ok := digits2(b, 17)
	if !ok || s > 60 {
		return 0, false
	}
	i := 19
	var frac int64
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if n < 9 {
				frac = frac*10 + int64(b[i]-'0')
				n++
			}
		}
		frac *= pow10[9-n]
	}
	offset := 0
	if i == len(b) {
		if needZone {
			return 0, false
		}
	} else {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			// ±hh, ±hhmm or ±hh:mm, up to 24:60 as time.Parse takes it.
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
			if oh > 24 || om > 60 {
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

func digits2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}

var (
	daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	pow10  = [10]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}
)

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

// ParseStamp reads a timestamp as ParseLogTime does, or a plain integer:
// Unix seconds, or milliseconds when it has 12 digits or more (up to 19).
func ParseStamp(b []byte) (unixNanos int64, ok bool) {
	if ns, ok := ParseLogTime(b); ok {
		return ns, true
	}
	return ParseUnix(b)
}

// ParseUnix reads up to 19 digits as Unix seconds, or milliseconds when
// there are 12 or more.
func ParseUnix(b []byte) (unixNanos int64, ok bool) {
	n := len(b)
	if n == 0 || n > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if n >= 12 {
		return v * 1e6, true // milliseconds
	}
	return v * 1e9, true
}
