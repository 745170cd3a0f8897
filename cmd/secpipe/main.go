// Command secpipe is a toolkit of composable commands for an event-driven
// security analysis pipeline: secpipe gen | secpipe classify | secpipe store.
package main

import (
	"os"

	"github.com/secpipe/secpipe/pkg/cli"
)

func main() { os.Exit(cli.Main(os.Args, cli.OSEnv())) }
