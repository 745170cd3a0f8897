package cli

import (
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// TestShortFlagsOneMeaning checks that a short flag means one thing in
// every command, and that the Kafka ones mean what they mean in kcat.
func TestShortFlagsOneMeaning(t *testing.T) {
	env, _, _ := testEnv(strings.NewReader(""), nil)
	meaning := map[string]string{} // short name → long name
	where := map[string]string{}
	var walk func(prefix string, cmds []*ucli.Command)
	walk = func(prefix string, cmds []*ucli.Command) {
		for _, cmd := range cmds {
			name := prefix + cmd.Name
			for _, f := range cmd.Flags {
				names := f.Names()
				for _, short := range names[1:] {
					if len(short) != 1 {
						continue
					}
					if long, ok := meaning[short]; ok && long != names[0] {
						t.Errorf("-%s is --%s in %s but --%s in %s", short, names[0], name, long, where[short])
					}
					meaning[short], where[short] = names[0], name
				}
			}
			walk(name+" ", cmd.Subcommands)
		}
	}
	walk("", NewApp(env).Commands)
	kcat := map[string]string{"b": "brokers", "t": "topic", "G": "group", "K": "key-delimiter", "H": "header",
		"p": "partition", "J": "json", "q": "quiet", "o": "offset", "c": "count", "e": "exit-at-end", "z": "compression"}
	for short, long := range kcat {
		if meaning[short] != long {
			t.Errorf("-%s is --%s, want --%s as in kcat", short, meaning[short], long)
		}
	}
}

// TestCutShort checks that short flags take their value attached, as kcat
// users write them.
func TestCutShort(t *testing.T) {
	app := NewApp(&Env{})
	got := strings.Join(permuteArgs(app, []string{"secpipe", "consume", "-K:", "-p0", "-o-1", "-Xa=b", "-e", "--topic=t"}), " ")
	want := "secpipe consume -K : -p 0 -o -1 -X a=b -e --topic=t"
	if got != want {
		t.Errorf("permuteArgs = %q, want %q", got, want)
	}
}
