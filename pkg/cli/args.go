package cli

import (
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// permuteArgs moves a command's flags before its positional arguments, so
// that "secpipe stats tactics.csv --chart x.png" works as users type it:
// urfave/cli v2 stops parsing flags at the first positional argument.
// Arguments after "--" stay positional.
func permuteArgs(app *ucli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	cmds := app.Commands
	var cmd *ucli.Command
	i := 1
	for i < len(args) {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if cmd != nil {
				break
			}
			out = append(out, a) // app flags (--help, --version) take no value
			i++
			continue
		}
		c := findCommand(cmds, a)
		if c == nil {
			break
		}
		out = append(out, a)
		i++
		cmd, cmds = c, c.Subcommands
	}
	if cmd == nil {
		return args
	}
	var flags, pos []string
	for i < len(args) {
		a := args[i]
		i++
		if a == "--" {
			pos = append(pos, args[i:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if short, val, ok := cutShort(cmd, a); ok {
			flags = append(flags, short, val)
			continue
		}
		flags = append(flags, a)
		if !strings.Contains(name, "=") && takesValue(cmd, name) && i < len(args) {
			flags = append(flags, args[i])
			i++
		}
	}
	out = append(out, flags...)
	if len(pos) > 0 {
		out = append(append(out, "--"), pos...)
	}
	return out
}

func findCommand(cmds []*ucli.Command, name string) *ucli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// cutShort splits a short flag written with its value attached, as kcat
// users write them ("-K:", "-p0", "-Xacks=all"), into flag and value.
func cutShort(cmd *ucli.Command, a string) (flag, value string, ok bool) {
	if len(a) < 3 || a[0] != '-' || a[1] == '-' || a[2] == '=' {
		return "", "", false
	}
	name, _, _ := strings.Cut(a[1:], "=")
	if defined(cmd, name) || !takesValue(cmd, a[1:2]) {
		return "", "", false
	}
	return a[:2], a[2:], true
}

func defined(cmd *ucli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// takesValue reports whether a command's flag needs a value (all but bool flags).
func takesValue(cmd *ucli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*ucli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
