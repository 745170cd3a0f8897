#!/usr/bin/env bash
# Runs every Go fuzz target of the module (each func FuzzX in a _test.go
# file) for a given time, one after the other, and prints the executions
# of each. A crasher is written by go test to the package's
# testdata/fuzz/FuzzX/ and fails the run: fix it, and keep the file, so
# that go test runs it as a regression case from then on. A run that Go's
# fuzz coordinator ends with "context deadline exceeded" and no failing
# input (go.dev/issue/75804, a race at -fuzztime's end fixed in Go 1.27) is
# reported as such and does not fail.
#
# Usage: scripts/fuzz.sh [TIME_PER_TARGET]   (default 20s; FUZZ_PARALLEL=N)
set -euo pipefail
cd "$(dirname "$0")/.."

TIME=${1:-20s}
case $TIME in *[0-9]) TIME=${TIME}s ;; esac
PARALLEL=${FUZZ_PARALLEL:-$(nproc)}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# files counts the failing inputs kept for a target (none: no folder yet).
files() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }

failed=0
printf '%-28s %-22s %12s\n' package target executions
while IFS=: read -r file decl; do
	pkg=./$(dirname "$file")
	target=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$decl")
	corpus="$pkg/testdata/fuzz/$target"
	before=$(files "$corpus")
	if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$TIME" -parallel "$PARALLEL" "$pkg" >"$LOG" 2>&1; then
		execs=$(grep -oE 'execs: [0-9]+' "$LOG" | tail -1 | grep -oE '[0-9]+' || echo '?')
		printf '%-28s %-22s %12s\n' "$pkg" "$target" "$execs"
	elif grep -q '^    context deadline exceeded$' "$LOG" && [ "$(files "$corpus")" -eq "$before" ]; then
		# Go's fuzz coordinator can fail a run as -fuzztime expires, with no
		# failing input (go.dev/issue/75804, fixed in Go 1.27): not a crasher.
		execs=$(grep -oE 'execs: [0-9]+' "$LOG" | tail -1 | grep -oE '[0-9]+' || echo '?')
		printf '%-28s %-22s %12s  (ended by go.dev/issue/75804, no failing input)\n' "$pkg" "$target" "$execs"
	else
		failed=1
		printf '%-28s %-22s %12s\n' "$pkg" "$target" FAILED
		cat "$LOG" >&2
	fi
done < <(grep -rE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --include='*_test.go' pkg cmd | sort)
exit $failed
