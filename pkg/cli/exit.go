package cli

import (
	"errors"
	"fmt"
)

// Exit codes, listed in the README.
const (
	ExitOK          = 0
	ExitFailure     = 1   // a runtime failure: I/O, bad input in --strict mode, a broker error
	ExitUsage       = 2   // a usage error: unknown command or flag, bad flag value
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM, after a clean drain
)

// ExitError carries the exit code of a failed command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageErrorf reports a usage error: exit code 2.
func usageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// exitCode maps an error from a command to its exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
