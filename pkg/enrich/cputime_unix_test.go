//go:build unix

package enrich

import "syscall"

// cpuTime returns the CPU time the process has used, in nanoseconds: on
// a shared machine a benchmark's wall time also counts the time others
// held the core.
func cpuTime() (int64, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
