//go:build unix

// Package cputime reads the CPU time a process has used, for benchmarks: on
// a shared machine a benchmark's wall time also counts the time others held
// the core, its CPU time does not.
package cputime

import "syscall"

// Self returns the CPU time, user and system, the process has used, in
// nanoseconds; ok is false where it cannot be read.
func Self() (ns int64, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
