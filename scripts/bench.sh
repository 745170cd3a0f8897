#!/usr/bin/env bash
# Side-by-side benchmarks of secpipe against the course lab's Python pipeline
# (../shared/baselines, or $BASELINES), on the same files, in one run.
# Prints wall time and peak memory (best of $BENCH_RUNS) and the ratios.
#
#   BENCH_EVENTS=1000000 BENCH_RUNS=3 ./scripts/bench.sh
#
# Needs Debian's python3 with pandas and matplotlib for the stats baseline:
#   apt-get install -y python3-pandas python3-matplotlib
set -euo pipefail
cd "$(dirname "$0")/.."

SECPIPE=${SECPIPE:-$PWD/bin/secpipe}
BASELINES=${BASELINES:-$PWD/../shared/baselines}
PY=${PY:-/usr/bin/python3}
N=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
export SECPIPE BASELINES PY RUNS WORK

[ -x "$SECPIPE" ] || { echo "build first: make build" >&2; exit 1; }
[ -d "$BASELINES" ] || { echo "baselines not found at $BASELINES (set BASELINES)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

# best CMD...: runs a shell command RUNS times; prints "seconds maxrss_kib" of the fastest run.
best() {
	local best_t="" best_m=""
	for _ in $(seq "$RUNS"); do
		local out
		out=$( { /usr/bin/time -f '%e %M' bash -c "$1" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
		local t=${out% *} m=${out#* }
		if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t best_m=$m; fi
	done
	echo "$best_t $best_m"
}
export -f best

ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.1fx\", $1/$2; else print \"-\" }"; }

row() { # name python_cmd secpipe_cmd
	local p s
	p=$(best "$2")
	s=$(best "$3")
	printf '| %s | %s s, %s MiB | %s s, %s MiB | %s faster | %s less memory |\n' "$1" \
		"${p% *}" "$(( ${p#* } / 1024 ))" "${s% *}" "$(( ${s#* } / 1024 ))" \
		"$(ratio "${p% *}" "${s% *}")" "$(ratio "${p#* }" "${s#* }")"
}

echo "# secpipe benchmarks"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(go version | cut -d' ' -f3), $($PY --version 2>&1), $N events, best of $RUNS"
echo

echo "Preparing $N lab-format events with lab_gen.py ..." >&2
$PY "$BASELINES/lab_gen.py" "$N" 1 > "$WORK/lab.jsonl"
"$SECPIPE" gen --format lab --count "$N" --seed 1 > "$WORK/gen-lab.jsonl"

echo "| step | lab (Python) | secpipe | time | memory |"
echo "|---|---|---|---|---|"
row "gen: $N lab-format events" \
	"$PY $BASELINES/lab_gen.py $N 1" \
	"$SECPIPE gen --format lab --count $N --seed 1"
row "classify: lab_gen.py's events, built-in pack" \
	"$PY $BASELINES/lab_classify.py < $WORK/lab.jsonl" \
	"$SECPIPE classify $WORK/lab.jsonl"
row "classify, one core (taskset -c 0)" \
	"taskset -c 0 $PY $BASELINES/lab_classify.py < $WORK/lab.jsonl" \
	"taskset -c 0 $SECPIPE classify $WORK/lab.jsonl"
row "classify: secpipe gen --format lab events" \
	"$PY $BASELINES/lab_classify.py < $WORK/gen-lab.jsonl" \
	"$SECPIPE classify $WORK/gen-lab.jsonl"
echo

echo "Memory as input grows (classify, max RSS):"
echo
echo "| events | secpipe classify |"
echo "|---|---|"
for n in $((N / 10)) "$N"; do
	head -n "$n" "$WORK/lab.jsonl" > "$WORK/part.jsonl"
	r=$(best "$SECPIPE classify $WORK/part.jsonl")
	echo "| $n | $(( ${r#* } / 1024 )) MiB |"
done
echo

if [ -x scripts/bench_stats.sh ]; then
	./scripts/bench_stats.sh
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
