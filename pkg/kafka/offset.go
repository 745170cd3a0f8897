package kafka

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// OffsetKind says how a start offset is given.
type OffsetKind int

// The start offsets.
const (
	Stored    OffsetKind = iota // the group's committed offset, else the beginning
	Beginning                   // the oldest message kept
	End                         // only messages produced from now on
	Exact                       // a given offset (negative: that many from the end)
	AtTime                      // the first message at or after a time
)

// StartOffset is where a consumer starts reading each partition.
type StartOffset struct {
	Kind   OffsetKind
	Offset int64     // for Exact
	Time   time.Time // for AtTime
}

// OffsetSyntax describes what ParseOffset accepts, for help texts.
const OffsetSyntax = "beginning|end|stored|N|-N|@TIME|s@MS (TIME: RFC 3339, or a duration ago such as -1h; MS: Unix milliseconds, as kcat takes)"

// ParseOffset reads a start offset: "beginning", "end", "stored", an offset
// N, -N for N messages before the end, or "@" and a time: RFC 3339
// ("@2026-11-25T10:00:00Z"), a date ("@2026-11-25", UTC), or a duration
// before now ("@-1h", "@-30m"), or "s@" and Unix milliseconds (kcat's
// "s@1700000000000").
func ParseOffset(s string, now time.Time) (StartOffset, error) {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "s@"); ok {
		ms, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return StartOffset{}, fmt.Errorf("offset %q: want s@ and Unix milliseconds", s)
		}
		return StartOffset{Kind: AtTime, Time: time.UnixMilli(ms)}, nil
	}
	switch strings.ToLower(t) {
	case "beginning", "earliest", "oldest", "start":
		return StartOffset{Kind: Beginning}, nil
	case "end", "latest", "newest":
		return StartOffset{Kind: End}, nil
	case "stored", "committed", "":
		return StartOffset{Kind: Stored}, nil
	}
	if rest, ok := strings.CutPrefix(t, "@"); ok {
		if d, err := time.ParseDuration(strings.TrimPrefix(rest, "-")); err == nil && strings.HasPrefix(rest, "-") {
			return StartOffset{Kind: AtTime, Time: now.Add(-d)}, nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, rest); err == nil {
				return StartOffset{Kind: AtTime, Time: tm}, nil
			}
		}
		return StartOffset{}, fmt.Errorf("offset %q: want @ and an RFC 3339 time (@2026-11-25T10:00:00Z) or a duration ago (@-1h)", s)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return StartOffset{}, fmt.Errorf("offset %q: want %s", s, OffsetSyntax)
	}
	return StartOffset{Kind: Exact, Offset: n}, nil
}

// String formats the offset as ParseOffset reads it.
func (o StartOffset) String() string {
	switch o.Kind {
	case Beginning:
		return "beginning"
	case End:
		return "end"
	case Exact:
		return strconv.FormatInt(o.Offset, 10)
	case AtTime:
		return "@" + o.Time.UTC().Format(time.RFC3339Nano)
	}
	return "stored"
}

// Logical returns the librdkafka offset for the kinds that need no lookup
// (all but AtTime), and whether it is one.
func (o StartOffset) Logical() (ck.Offset, bool) {
	switch o.Kind {
	case Beginning:
		return ck.OffsetBeginning, true
	case End:
		return ck.OffsetEnd, true
	case Stored:
		return ck.OffsetStored, true
	case Exact:
		if o.Offset < 0 {
			return ck.OffsetTail(ck.Offset(-o.Offset)), true
		}
		return ck.Offset(o.Offset), true
	}
	return 0, false
}

// ParseOffsets reads kcat's repeatable -o: a start offset (ParseOffset) and
// "e@MS", the Unix milliseconds of the first message not to read. The
// last start given wins; stop is zero without e@.
func ParseOffsets(specs []string, now time.Time) (start StartOffset, stop time.Time, err error) {
	for _, s := range specs {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "e@"); ok {
			ms, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return start, stop, fmt.Errorf("offset %q: want e@ and Unix milliseconds", s)
			}
			stop = time.UnixMilli(ms)
			continue
		}
		if start, err = ParseOffset(s, now); err != nil {
			return start, stop, err
		}
	}
	return start, stop, nil
}
