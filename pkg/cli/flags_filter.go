package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/classify"
)

// filterFlags hold back detections an analyst does not want to read:
// classify's and hunt's.
func filterFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.DurationFlag{Name: "dedupe", Usage: "tag a rule's repeats on one host only once per `WINDOW` (e.g. 1h; 0: every time)", Category: "Noise"},
		&ucli.StringFlag{Name: "from", Usage: "leave out events before `TIME` (RFC 3339, or 2006-01-02[ 15:04:05] in UTC)", Category: "Noise"},
		&ucli.StringFlag{Name: "to", Usage: "leave out events at or after `TIME`", Category: "Noise"},
	}
}

// readFilter reads the filter flags.
func readFilter(c *ucli.Context) (classify.Filter, error) {
	f := classify.Filter{Dedupe: c.Duration("dedupe")}
	if f.Dedupe < 0 {
		return f, usageErrorf("--dedupe: a window cannot be negative (%s)", f.Dedupe)
	}
	var err error
	if f.From, err = parseFlagTime(c.String("from")); err != nil {
		return f, usageErrorf("--from: %v", err)
	}
	if f.To, err = parseFlagTime(c.String("to")); err != nil {
		return f, usageErrorf("--to: %v", err)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, usageErrorf("--from %s is not before --to %s", c.String("from"), c.String("to"))
	}
	return f, nil
}

var flagTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"}

// parseFlagTime reads a time given on the command line ("": none); a time
// without a zone is UTC.
func parseFlagTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range flagTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, or 2006-01-02[ 15:04:05] in UTC)", s)
}

// readExcludeFiles reads --exclude files: one rule id, title or tag a line;
// blank lines and # comments are passed over.
func readExcludeFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "#"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--exclude %s: %w", p, err)
		}
	}
	return out, nil
}
