package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// MaxBuckets is about the most time buckets an automatic bucket size gives.
const MaxBuckets = 150

// niceBuckets are the automatic bucket sizes, in seconds. Past a week,
// multiples of a week are used.
var niceBuckets = []int64{1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800}

const week = 604800

// ParseBucket reads a bucket size: "30s", "1m", "15min", "1h", "1d", "1w",
// or a Go duration ("1h30m"). It must be a whole number of seconds, at least one.
func ParseBucket(s string) (time.Duration, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	units := []struct {
		suffix string
		d      time.Duration
	}{{"min", time.Minute}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			if v, err := strconv.Atoi(n); err == nil {
				if v <= 0 {
					break
				}
				return time.Duration(v) * u.d, nil
			}
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("invalid bucket size %q (examples: 30s, 1m, 15m, 1h, 1d, 7d)", s)
	}
	return d, nil
}

// FormatBucket writes a bucket size in the largest unit that divides it: "15m", "1h", "7d".
func FormatBucket(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s == 0:
		return "0s"
	case s%86400 == 0:
		return strconv.FormatInt(s/86400, 10) + "d"
	case s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s%60 == 0:
		return strconv.FormatInt(s/60, 10) + "m"
	}
	return strconv.FormatInt(s, 10) + "s"
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// chooseBucket returns the smallest nice bucket size, a multiple of res
// seconds, that covers [first, last] (Unix seconds) in at most MaxBuckets
// buckets aligned on the Unix epoch.
func chooseBucket(first, last, res int64) int64 {
	fits := func(b int64) bool {
		return b%res == 0 && floorDiv(last, b)-floorDiv(first, b)+1 <= MaxBuckets
	}
	for _, b := range niceBuckets {
		if fits(b) {
			return b
		}
	}
	for b := int64(2 * week); ; b += week {
		if fits(b) {
			return b
		}
	}
}

// ParseBound reads a --from/--to time: a timestamp as event.ParseStamp
// reads it ("2026-01-15T07:00:00Z", "2026-01-15", Unix seconds), or a
// duration before now ("-24h", "-7d", "-30m").
func ParseBound(s string, now time.Time) (time.Time, error) {
	t := strings.TrimSpace(s)
	if ago, ok := strings.CutPrefix(t, "-"); ok {
		if d, err := ParseBucket(ago); err == nil {
			return now.Add(-d), nil
		}
		if d, err := time.ParseDuration(ago); err == nil {
			return now.Add(-d), nil
		}
	}
	if ns, ok := event.ParseStamp([]byte(t)); ok {
		return time.Unix(0, ns).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q (examples: 2026-01-15T07:00:00Z, 2026-01-15, -24h, -7d)", s)
}
