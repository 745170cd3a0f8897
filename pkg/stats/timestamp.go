package stats

import "github.com/secpipe/secpipe/pkg/event"

// parseTime reads a timestamp as Unix nanoseconds: the forms
// event.ParseLogTime reads (RFC 3339 and the ISO 8601 forms pandas and
// Python write, "2026-01-15 07:00:03" without a zone being UTC, as pandas'
// utc=True reads it), or a plain integer: Unix seconds, or milliseconds
// when it has 12 digits or more (event.ParseStamp).
func parseTime(b []byte) (int64, bool) { return event.ParseStamp(b) }

// timeCache parses timestamps as parseTime does, reusing the date and
// minute of the previous one: rows come in time order, many in the same
// minute.
type timeCache struct{ event.TimeCache }

func (c *timeCache) parse(b []byte) (int64, bool) {
	if ns, ok := c.Parse(b); ok {
		return ns, true
	}
	return event.ParseUnix(b)
}
