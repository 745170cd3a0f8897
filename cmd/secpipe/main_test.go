package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/secpipe/secpipe/pkg/cli"
	"github.com/secpipe/secpipe/pkg/enrich/enrichtest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secpipe": func() { os.Exit(cli.Main(os.Args, cli.OSEnv())) },
	})
}

// TestScripts runs the command-line cases in testdata/script: each file
// gives commands, their input files, and the output and exit code expected.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkmmdb DIR: writes GeoLite2-City, GeoLite2-ASN and
			// DB-IP-Country laid out test databases (city.mmdb, asn.mmdb,
			// country.mmdb) with enrichtest's networks into DIR.
			"mkmmdb": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: mkmmdb DIR")
				}
				dir := ts.MkAbs(args[0])
				ts.Check(os.MkdirAll(dir, 0o755))
				ts.Check(enrichtest.WriteCity(filepath.Join(dir, "city.mmdb")))
				ts.Check(enrichtest.WriteASN(filepath.Join(dir, "asn.mmdb")))
				ts.Check(enrichtest.WriteDBIPCountry(filepath.Join(dir, "country.mmdb")))
			},
			// exitcode N command args...: runs the command and checks its exit code.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exitcode: %v", err)
					}
					got = ee.ExitCode()
				}
				if (got == want) == neg {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	})
}
