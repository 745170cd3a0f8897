package cli

import (
	"fmt"
	"regexp"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// nearest returns the candidate closest to name by edit distance, or ""
// when none is within a third of its length (at least 2 edits).
func nearest(name string, candidates []string) string {
	best, bestD := "", max(2, len(name)/3)+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// didYouMean returns "; did you mean X?" for the nearest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if s := nearest(name, candidates); s != "" {
		return fmt.Sprintf("; did you mean %s?", s)
	}
	return ""
}

// commandNames lists the names and aliases of commands not hidden.
func commandNames(cmds []*ucli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}

// unknownCommand is the usage error for an unknown command name under
// parent ("secpipe" or "secpipe rules").
func unknownCommand(parent, name string, cmds []*ucli.Command) error {
	return usageErrorf("unknown command %q%s (see %s --help)", name, didYouMean(name, commandNames(cmds)), parent)
}

var (
	flagUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	// singleDash finds a flag written with one dash in the flag package's
	// messages ("invalid value "x" for flag -count: ...").
	singleDash = regexp.MustCompile(`(^|[\s(])-([a-zA-Z][a-zA-Z0-9-]+)`)
)

// flagError rewrites the flag package's error for cmd's flags: flags are
// written with two dashes, and an unknown one gets the nearest name.
func flagError(cmd *ucli.Command, err error) error {
	msg := err.Error()
	if m := flagUndefined.FindStringSubmatch(msg); m != nil {
		var names []string
		if cmd != nil {
			for _, f := range cmd.Flags {
				for _, n := range f.Names() {
					if len(n) > 1 {
						names = append(names, n)
					}
				}
			}
		}
		hint := ""
		if s := nearest(m[1], names); s != "" {
			hint = "; did you mean --" + s + "?"
		}
		return fmt.Errorf("unknown flag --%s%s", m[1], hint)
	}
	return fmt.Errorf("%s", singleDash.ReplaceAllString(msg, "$1--$2"))
}
