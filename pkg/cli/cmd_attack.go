package cli

import (
	"fmt"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/render"
)

func attackDataFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "attack-data", Usage: "load the ATT&CK catalog from `FILE`, a MITRE STIX 2.1 bundle (default: embedded Enterprise v18.1)"}
}

func formatFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "output format: " + render.Formats}
}

// loadCatalog returns the catalog named by --attack-data, or the embedded one.
func loadCatalog(c *ucli.Context) (*attack.Catalog, error) {
	if path := c.String("attack-data"); path != "" {
		return attack.Load(path)
	}
	return attack.Default(), nil
}

func readFormat(c *ucli.Context) (render.Format, error) {
	f, err := render.ParseFormat(c.String("format"))
	if err != nil {
		return "", usageErrorf("--format: %v", err)
	}
	return f, nil
}

func attackCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "attack",
		Usage:     "list ATT&CK tactics, or look up techniques in the catalog",
		ArgsUsage: "[TECHNIQUE-ID|TACTIC ...]",
		Description: `With no argument, lists the 14 Enterprise tactics in kill-chain order.
With arguments, looks each one up: a technique ID (T1059.001) shows the technique,
with its tactics, platforms and MITRE's description (the embedded catalog keeps
no descriptions: --attack-data enterprise-attack.json, MITRE's STIX bundle, has
them); a tactic (TA0006, credential-access or "Credential Access") lists its
techniques.

Examples:
   secpipe attack
   secpipe attack T1059.001 T1110
   secpipe attack credential-access --format markdown
   secpipe attack "Command and Control"
   secpipe attack --search powershell`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "search", Usage: "list techniques whose ID or name contains `TEXT`"},
			formatFlag(),
			attackDataFlag(),
		},
		Action: func(c *ucli.Context) error {
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			cat, err := loadCatalog(c)
			if err != nil {
				return err
			}
			var techniques []attack.Technique
			var tactics []attack.Tactic
			switch {
			case c.String("search") != "":
				techniques = cat.Search(c.String("search"))
			case c.NArg() == 0:
				tactics = cat.Tactics()
			}
			args := c.Args().Slice()
			if _, ok := cat.Tactic(strings.Join(args, " ")); ok && len(args) > 1 {
				args = []string{strings.Join(args, " ")} // secpipe attack credential access
			}
			detail := format == render.Text && len(args) > 0
			for _, arg := range args {
				if t, ok := cat.Technique(arg); ok {
					techniques = append(techniques, t)
					continue
				}
				if ta, ok := cat.Tactic(arg); ok {
					detail = false
					for _, t := range cat.Techniques() {
						for _, s := range t.Tactics {
							if s == ta.Shortname {
								techniques = append(techniques, t)
							}
						}
					}
					continue
				}
				return &ExitError{Code: ExitFailure, Err: errorf("%q is neither a technique nor a tactic of the catalog", arg)}
			}
			if format == render.JSON {
				if tactics != nil {
					return render.WriteJSON(env.Stdout, tactics)
				}
				if techniques == nil {
					techniques = []attack.Technique{}
				}
				return render.WriteJSON(env.Stdout, techniques)
			}
			if tactics != nil {
				t := render.Table{Header: []string{"#", "ID", "SHORTNAME", "NAME"}, Right: []int{0}}
				for _, ta := range tactics {
					t.Rows = append(t.Rows, []string{strconv.Itoa(ta.Order + 1), ta.ID, ta.Shortname, ta.Name})
				}
				return render.Tables(env.Stdout, format, t)
			}
			if detail {
				return writeTechniques(env, cat, techniques)
			}
			t := render.Table{Header: []string{"ID", "NAME", "TACTICS", "URL"}}
			for _, te := range techniques {
				t.Rows = append(t.Rows, []string{te.ID, te.Name, strings.Join(te.Tactics, ", "), te.URL})
			}
			return render.Tables(env.Stdout, format, t)
		},
	}
}

// writeTechniques shows techniques one by one: name, tactics, platforms,
// reference and description.
func writeTechniques(env *Env, cat *attack.Catalog, techniques []attack.Technique) error {
	for i, te := range techniques {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		var tactics []string
		for _, s := range te.Tactics {
			if ta, ok := cat.Tactic(s); ok {
				s = ta.ID + " " + ta.Name
			}
			tactics = append(tactics, s)
		}
		desc := te.Description
		if desc == "" {
			desc = "(this catalog keeps no descriptions: see the URL, or load MITRE's STIX bundle with --attack-data)"
		}
		_, err := fmt.Fprintf(env.Stdout, "%s %s\nTactics:   %s\nPlatforms: %s\nURL:       %s\n\n%s\n",
			te.ID, te.Name, strings.Join(tactics, ", "), strings.Join(te.Platforms, ", "), te.URL, desc)
		if err != nil {
			return err
		}
	}
	return nil
}
