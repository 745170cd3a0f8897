//go:build !unix

package enrich

func cpuTime() (int64, bool) { return 0, false }
