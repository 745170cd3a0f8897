package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
			// webhook URLFILE BODIES [STATUS]: serves a webhook on loopback
			// for the rest of the script, its URL written to URLFILE; each
			// request body is appended to BODIES as one line, and answered
			// with STATUS (default 200).
			"webhook": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 && len(args) != 3 {
					ts.Fatalf("usage: webhook URLFILE BODIES [STATUS]")
				}
				status := http.StatusOK
				if len(args) == 3 {
					var err error
					status, err = strconv.Atoi(args[2])
					ts.Check(err)
				}
				bodies := ts.MkAbs(args[1])
				var mu sync.Mutex
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					mu.Lock()
					defer mu.Unlock()
					f, err := os.OpenFile(bodies, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
					if err == nil {
						f.Write(append(bytes.ReplaceAll(b, []byte("\n"), nil), '\n'))
						f.Close()
					}
					w.WriteHeader(status)
				}))
				ts.Defer(srv.Close)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(srv.URL+"/hook/secret\n"), 0o600))
			},
			// syslog ADDR OUT: receives octet-counted syslog over TCP on
			// ADDR for the rest of the script, one message a line in OUT.
			"syslog": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: syslog ADDR OUT")
				}
				ln, err := net.Listen("tcp", args[0])
				ts.Check(err)
				ts.Defer(func() { ln.Close() })
				out := ts.MkAbs(args[1])
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						r := bufio.NewReader(c)
						for {
							n, err := r.ReadString(' ')
							if err != nil {
								break
							}
							size, _ := strconv.Atoi(strings.TrimSpace(n))
							b := make([]byte, size)
							if _, err := io.ReadFull(r, b); err != nil {
								break
							}
							f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
							if err == nil {
								f.Write(append(b, '\n'))
								f.Close()
							}
						}
						c.Close()
					}
				}()
			},
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
