package stats

import "github.com/secpipe/secpipe/pkg/event"

// parseTime reads a timestamp as Unix nanoseconds: the forms
// event.ParseLogTime reads (RFC 3339 and the ISO 8601 forms pandas and
// Python write, "2026-01-15 07:00:03" without a zone being UTC, as pandas'
// utc=True reads it), or a plain integer: Unix seconds, or milliseconds
// when it has 12 digits or more.
func parseTime(b []byte) (int64, bool) {
	if ns, ok := event.ParseLogTime(b); ok {
		return ns, true
	}
	return parseUnix(b)
}

// timeCache parses timestamps as parseTime does, reusing the date and
// minute of the previous one: rows come in time order, many in the same
// minute.
type timeCache struct{ event.TimeCache }

func (c *timeCache) parse(b []byte) (int64, bool) {
	if ns, ok := c.Parse(b); ok {
		return ns, true
	}
	return parseUnix(b)
}

// parseUnix reads up to 19 digits as Unix seconds, or milliseconds when
// there are 12 or more.
func parseUnix(b []byte) (int64, bool) {
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
