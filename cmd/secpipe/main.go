// Command secpipe is a toolkit of composable commands for an event-driven
// security analysis pipeline: secpipe gen | secpipe classify | secpipe store.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/secpipe/secpipe/pkg/cli"
)

func main() {
	// SECPIPE_CPUPROFILE=FILE writes a CPU profile of the run, for go tool pprof.
	if path := os.Getenv("SECPIPE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "secpipe: SECPIPE_CPUPROFILE:", err)
			os.Exit(cli.ExitFailure)
		}
		code := cli.Main(os.Args, cli.OSEnv())
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(cli.Main(os.Args, cli.OSEnv()))
}
