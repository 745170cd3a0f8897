// Package cli is secpipe's command line: an urfave/cli app built by NewApp
// over an Env, with one file per subcommand. Actions read flags into a
// config, validate it and call the library packages; no logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Version is set at build time with -ldflags "-X github.com/secpipe/secpipe/pkg/cli.Version=...".
var Version = "dev"

// Env is the world a command runs in: its streams, clock and environment.
// Tests run the whole CLI in-process with an Env of their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	Getenv func(string) string
	// IsTerminal reports whether a stream is an interactive terminal, for
	// progress bars; nil means never.
	IsTerminal func(any) bool
}

// OSEnv returns the process's real environment.
func OSEnv() *Env {
	return &Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Now:        time.Now,
		Getenv:     os.Getenv,
		IsTerminal: isTerminal,
	}
}

// Main runs the command line and returns the exit code. SIGINT and SIGTERM
// cancel the run's context, so commands stop reading, drain and close their
// outputs; a second signal exits at once.
func Main(args []string, env *Env) int {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		stop()
		if _, ok := <-sigs; ok {
			fmt.Fprintln(env.Stderr, "secpipe: second signal, exiting without draining")
			os.Exit(ExitInterrupted)
		}
	}()
	return Run(ctx, args, env)
}

// Run runs the command line with ctx and returns the exit code.
func Run(ctx context.Context, args []string, env *Env) int {
	app := NewApp(env)
	// "secpipe help gen" is "secpipe gen --help".
	if len(args) > 1 && args[1] == "help" {
		args = append(append([]string{args[0]}, args[2:]...), "--help")
	}
	err := app.RunContext(ctx, permuteArgs(app, args))
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, pipeline.ErrInterrupted) {
		return ExitInterrupted
	}
	fmt.Fprintf(env.Stderr, "%s: %v\n", commandName(app, args), err)
	return exitCode(err)
}

// commandName names the running command in messages: "secpipe classify",
// "secpipe rules test".
func commandName(app *ucli.App, args []string) string {
	name := "secpipe"
	cmds := app.Commands
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		c := findCommand(cmds, a)
		if c == nil {
			break
		}
		name += " " + c.Name
		cmds = c.Subcommands
	}
	return name
}

// NewApp builds the secpipe command line over env.
func NewApp(env *Env) *ucli.App {
	app := &ucli.App{
		Name:      "secpipe",
		Usage:     "composable commands for an event-driven security analysis pipeline",
		UsageText: "secpipe gen | secpipe classify | secpipe store\n   secpipe stats tactics.csv",
		Description: `Each command reads and writes JSON Lines on stdin/stdout, so they chain with
pipes. Logs, errors and summaries go to stderr only.

Exit codes: 0 ok, 1 runtime failure, 2 usage error, 130 interrupted.`,
		Version:         Version,
		Reader:          env.Stdin,
		Writer:          env.Stdout,
		ErrWriter:       env.Stderr,
		HideHelpCommand: true,
		Suggest:         true,
		ExitErrHandler:  func(*ucli.Context, error) {}, // Run maps errors to exit codes
		OnUsageError:    onUsageError,
		CommandNotFound: func(c *ucli.Context, name string) {
			fmt.Fprintf(env.Stderr, "secpipe: %v\n", unknownCommand("secpipe", name, c.App.Commands))
		},
		Commands: []*ucli.Command{
			genCommand(env),
			classifyCommand(env),
			enrichCommand(env),
			alertCommand(env),
			storeCommand(env),
			statsCommand(env),
			evalCommand(env),
			huntCommand(env),
			rulesCommand(env),
			attackCommand(env),
			publishCommand(env),
			consumeCommand(env),
			lagCommand(env),
			metadataCommand(env),
			brokerCommand(env),
		},
	}
	for _, cmd := range app.Commands {
		setUsageErrors(cmd, "secpipe "+cmd.Name)
	}
	app.Action = func(c *ucli.Context) error {
		if c.Args().Present() {
			return unknownCommand("secpipe", c.Args().First(), c.App.Commands)
		}
		return ucli.ShowAppHelp(c)
	}
	return app
}

func onUsageError(c *ucli.Context, err error, _ bool) error {
	return &ExitError{Code: ExitUsage, Err: flagError(c.Command, err)}
}

// setUsageErrors makes cmd and its subcommands report usage errors with
// exit code 2, and a command of subcommands refuse an unknown one.
func setUsageErrors(cmd *ucli.Command, path string) {
	cmd.OnUsageError = onUsageError
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		cmd.Action = func(c *ucli.Context) error {
			if c.Args().Present() {
				return unknownCommand(path, c.Args().First(), cmd.Subcommands)
			}
			return ucli.ShowSubcommandHelp(c)
		}
	}
	for _, sub := range cmd.Subcommands {
		setUsageErrors(sub, path+" "+sub.Name)
	}
}
