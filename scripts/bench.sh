#!/usr/bin/env bash
# Side-by-side benchmarks of secpipe against the course lab's Python pipeline
# (../shared/baselines, or $BASELINES), on the same files, in one run.
# Prints wall time and peak memory (best of $BENCH_RUNS) and the ratios.
#
#   BENCH_EVENTS=1000000 BENCH_RUNS=3 ./scripts/bench.sh
#
# Needs Debian packages besides Go: make bench-deps installs them
# (python3-pandas, python3-matplotlib, kcat, time, bc).
set -euo pipefail
cd "$(dirname "$0")/.."

SECPIPE=${SECPIPE:-$PWD/bin/secpipe}
BASELINES=${BASELINES:-$PWD/../shared/baselines}
PY=${PY:-/usr/bin/python3}
N=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
export SECPIPE BASELINES PY RUNS WORK

[ -x "$SECPIPE" ] || { echo "build first: make build" >&2; exit 1; }
[ -d "$BASELINES" ] || { echo "baselines not found at $BASELINES (set BASELINES)" >&2; exit 1; }
for tool in /usr/bin/time taskset bc kcat; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run make bench-deps" >&2; exit 1; }
done
$PY -c 'import pandas, matplotlib' 2>/dev/null || { echo "bench: $PY lacks pandas or matplotlib; run make bench-deps" >&2; exit 1; }

# best CMD: runs a shell command RUNS times; prints "seconds maxrss_kib" of the fastest run.
best() {
	local best_t="" best_m="" t m
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$WORK/time.out" -f '%e %M' bash -c "$1" >/dev/null 2>&1 || true
		read -r t m < "$WORK/time.out"
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
	printf '| %s | %s s, %s MiB | %s s, %s MiB | %s faster |\n' "$1" \
		"${p% *}" "$(( ${p#* } / 1024 ))" "${s% *}" "$(( ${s#* } / 1024 ))" \
		"$(ratio "${p% *}" "${s% *}")"
}

echo "# secpipe benchmarks"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(go version | cut -d' ' -f3), $($PY --version 2>&1), $N events, best of $RUNS"
echo

echo "Preparing $N lab-format events with lab_gen.py ..." >&2
$PY "$BASELINES/lab_gen.py" "$N" 1 > "$WORK/lab.jsonl"
"$SECPIPE" gen --format lab --count "$N" --seed 1 > "$WORK/gen-lab.jsonl"

echo "## gen and classify"
echo
echo "| step | lab (Python): time, peak memory | secpipe | speed-up |"
echo "|---|---|---|---|"
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

# alert must keep up with classify's output when most events are not
# selected: the same events, classified once, then alerted on.
echo "## alert"
echo
"$SECPIPE" gen --count "$N" --seed 1 > "$WORK/gen.jsonl"
"$SECPIPE" classify "$WORK/gen.jsonl" > "$WORK/classified.jsonl" 2>/dev/null
sel=$("$SECPIPE" alert --min-level high "$WORK/classified.jsonl" 2>&1 >/dev/null | grep -o '[0-9]* selected' || true)
c=$(best "$SECPIPE classify $WORK/gen.jsonl")
a=$(best "$SECPIPE alert --min-level high $WORK/classified.jsonl")
awk -v n="$N" -v c="${c% *}" -v a="${a% *}" -v sel="$sel" 'BEGIN {
	printf "| stage, %d events of gen (%s by --min-level high) | seconds | events/s |\n|---|---|---|\n", n, sel
	printf "| classify (default pack) | %.2f | %.0f |\n", c, n/c
	printf "| alert --min-level high, on classify'"'"'s output | %.2f | %.0f |\n", a, n/a
	printf "\nalert/classify: %.1fx (at least 1x: alert keeps up)\n", c/a }'
echo

SIGMA=${SIGMA:-$PWD/../shared/sigma}
if [ -d "$SIGMA/regression" ]; then
	echo "## SigmaHQ corpus"
	echo
	# The regression cases' Windows events, repeated to 200,000.
	$PY - "$SIGMA/regression" "$WORK/win.jsonl" <<'PYEOF'
import json, glob, sys
evs = []
for f in glob.glob(sys.argv[1] + "/**/*.json", recursive=True):
    text, dec, i = open(f).read(), json.JSONDecoder(), 0
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        o, i = dec.raw_decode(text, i)
        evs.append(json.dumps(o, separators=(",", ":")))
with open(sys.argv[2], "w") as out:
    for k in range(200000):
        out.write(evs[k % len(evs)] + "\n")
PYEOF
	RULES="--no-builtin --rules $SIGMA/rules --rules $SIGMA/rules-emerging-threats --rules $SIGMA/rules-threat-hunting"
	# Parsed rules are cached between runs: loading without the cache is
	# the first run's (or an edited rule set's).
	cold=$(best "SECPIPE_CACHE=off $SECPIPE classify $RULES /dev/null")
	load=$(best "$SECPIPE classify $RULES /dev/null")
	full=$(best "$SECPIPE classify $RULES $WORK/win.jsonl")
	one=$(best "taskset -c 0 $SECPIPE classify $RULES $WORK/win.jsonl")
	"$SECPIPE" gen --count 400000 --seed 9 > "$WORK/gen-all.jsonl"
	awk '/"os":{"type":"windows"/ && n++ < 200000' "$WORK/gen-all.jsonl" > "$WORK/gen-win.jsonl"
	ecs=$(best "taskset -c 0 $SECPIPE classify $RULES $WORK/gen-win.jsonl")
	awk -v c="${cold% *}" -v l="${load% *}" -v f="${full% *}" -v o="${one% *}" -v g="${ecs% *}" -v m="${full#* }" 'BEGIN {
		printf "| | seconds | events/s after loading |\n|---|---|---|\n"
		printf "| load the corpus (3,754 rules), parsed | %.2f | |\n", c
		printf "| load the corpus, from the cache of parsed rules | %.2f | |\n", l
		printf "| 200,000 Windows events of gen (ECS: Sysmon, Security, System), one core | %.2f | %.0f |\n", g, 200000/(g-l)
		printf "| 200,000 events replayed from the regression cases (all Sysmon, nearly all matching), 2 cores | %.2f | %.0f |\n", f, 200000/(f-l)
		printf "| the same replay on one core (taskset -c 0) | %.2f | %.0f |\n", o, 200000/(o-l)
		printf "\npeak memory %d MiB\n", m/1024 }'
	echo
fi

echo "## Windows .evtx"
echo
if command -v evtxexport >/dev/null; then
	SECPIPE="$SECPIPE" BENCH_RUNS="$RUNS" EVTX_LARGE_MB=500 ./scripts/bench_evtx.sh
else
	echo "(skipped: evtxexport is missing; apt-get install -y libevtx-utils)"
fi
echo

echo "## stats"
echo
SECPIPE="$SECPIPE" PYTHON="$PY" BENCH_ROWS="$N" BENCH_RUNS="$RUNS" ./scripts/bench_stats.sh
echo

echo "## Kafka"
echo
if command -v kcat >/dev/null; then
	SECPIPE="$SECPIPE" ./scripts/bench_publish.sh 200000 "$((N / 2))"
else
	echo "(skipped: kcat is missing; apt-get install -y kcat)"
fi
echo
echo "### Group failover after a SIGKILL"
echo
if command -v jq >/dev/null; then
	SECPIPE="$SECPIPE" ./scripts/bench_failover.sh 300000 10000 2>/dev/null
else
	echo "(skipped: jq is missing; apt-get install -y jq)"
fi
echo

echo "## Tracing"
echo
SECPIPE="$SECPIPE" ./scripts/bench_tracing.sh 2>/dev/null || echo "(skipped: scripts/bench_tracing.sh needs a built Jaeger: make jaeger)"
echo

echo "## Go benchmarks"
echo
go test -run XXX -bench . -benchtime 2s ./pkg/gen ./pkg/classify ./pkg/store ./pkg/stats 2>/dev/null | grep -E '^Benchmark' || true
# enrich: a million indicators loaded, then lookups on one core, with random
# addresses (the worst case) and with a SOC's heavy-tailed ones (Zipf); their
# shared set-up, a 200,000-network City database, takes a few minutes.
GOMAXPROCS=1 go test -run XXX -bench 'LoadIntel1M' -benchtime 1x ./pkg/enrich 2>/dev/null | grep -E '^Benchmark' || true
GOMAXPROCS=1 go test -run XXX -bench 'Enrich(Zipf)?$' -benchtime 300x -timeout 30m ./pkg/enrich 2>/dev/null | grep -E '^Benchmark' || true
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
