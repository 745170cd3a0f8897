#!/usr/bin/env bash
# bench_stats.sh: secpipe stats side by side with the course lab's pandas
# statistics step (lab_stats.py) on the same store-format CSV: wall time and
# peak memory (best of BENCH_RUNS runs), then the same for the chart.
#
#   go build -o bin/secpipe ./cmd/secpipe && scripts/bench_stats.sh
#
# Environment:
#   SECPIPE              secpipe binary (default ./bin/secpipe)
#   PYTHON               python with pandas and matplotlib (default /usr/bin/python3;
#                        apt-get install -y python3-pandas python3-matplotlib)
#   LAB_STATS            the baseline script (default $BASELINES/lab_stats.py, $BASELINES defaulting to ../shared/baselines)
#   BENCH_ROWS           rows of the CSV (default 1000000: a month, 14 tactics)
#   BENCH_RUNS           runs per measure, best kept (default 3)
#   BENCH_DIR            where the data goes (default a temporary folder, removed)
#   BENCH_SKIP_SLOW      1 (default) skips the pandas chart, which takes ~9 minutes
#                        for a month of 1-minute buckets; 0 runs it on a smaller file
#   BENCH_PY_CHART_ROWS  rows of that smaller file (default 100000)
#   BENCH_PY_CHART_DAYS  days it spans (default 2: 2880 one-minute buckets)
set -euo pipefail
cd "$(dirname "$0")/.."

SECPIPE=${SECPIPE:-./bin/secpipe}
PYTHON=${PYTHON:-/usr/bin/python3}
LAB_STATS=${LAB_STATS:-${BASELINES:-$PWD/../shared/baselines}/lab_stats.py}
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
SKIP_SLOW=${BENCH_SKIP_SLOW:-1}
PY_CHART_ROWS=${BENCH_PY_CHART_ROWS:-100000}
PY_CHART_DAYS=${BENCH_PY_CHART_DAYS:-2}

if [ ! -x "$SECPIPE" ]; then
	echo "bench_stats: no secpipe binary at $SECPIPE; build it: go build -o bin/secpipe ./cmd/secpipe" >&2
	exit 1
fi
if ! "$PYTHON" -c 'import pandas, matplotlib' 2>/dev/null; then
	echo "bench_stats: $PYTHON lacks pandas or matplotlib: apt-get install -y python3-pandas python3-matplotlib" >&2
	exit 1
fi
if [ ! -x /usr/bin/time ]; then
	echo "bench_stats: needs GNU time at /usr/bin/time (apt-get install -y time)" >&2
	exit 1
fi
if [ -n "${BENCH_DIR:-}" ]; then
	DIR=$BENCH_DIR
	mkdir -p "$DIR"
else
	DIR=$(mktemp -d)
	trap 'rm -rf "$DIR"' EXIT
fi

# gen ROWS DAYS FILE [-lab]: a store-format CSV written by store's own row
# builder; with -lab, the lab's eight columns only.
gen() {
	if [ ! -s "$3" ]; then
		echo "bench_stats: writing $1 rows over $2 days to $3" >&2
		go run ./scripts/benchdata -rows "$1" -days "$2" -o "$3" ${4:-}
		sync
	fi
	cat "$3" >/dev/null # both tools read it from the page cache
}

# best CMD...: runs CMD RUNS times; prints the best wall seconds, max RSS (KB)
# and CPU seconds (user+system), each the lowest of the runs. CPU time
# tells more than wall time on a machine that is busy with other work.
best() {
	local bt="" bm="" bc="" t m u s c
	for _ in $(seq "$RUNS"); do
		if ! /usr/bin/time -f '%e %M %U %S' -o "$DIR/time" "$@" >/dev/null 2>"$DIR/stderr"; then
			echo "bench_stats: failed: $*" >&2
			cat "$DIR/stderr" >&2
			exit 1
		fi
		read -r t m u s <"$DIR/time"
		c=$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')
		if [ -z "$bt" ] || awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then bt=$t; fi
		if [ -z "$bm" ] || [ "$m" -lt "$bm" ]; then bm=$m; fi
		if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN{exit !(a<b)}'; then bc=$c; fi
	done
	echo "$bt $bm $bc"
}

# table TITLE ROWS SECPIPE_RESULT PYTHON_RESULT
table() {
	local st sm sc pt pm pc
	read -r st sm sc <<<"$3"
	read -r pt pm pc <<<"$4"
	awk -v title="$1" -v rows="$2" -v st="$st" -v sm="$sm" -v sc="$sc" -v pt="$pt" -v pm="$pm" -v pc="$pc" 'BEGIN {
		printf "\n%s (%d rows, best of '"$RUNS"')\n", title, rows
		printf "%-26s %8s %8s %12s %12s\n", "", "wall s", "cpu s", "max RSS MB", "rows/s"
		printf "%-26s %8.2f %8.2f %12.0f %12.0f\n", "secpipe stats", st, sc, sm/1024, rows/(st>0?st:0.001)
		printf "%-26s %8.2f %8.2f %12.0f %12.0f\n", "lab_stats.py (pandas)", pt, pc, pm/1024, rows/(pt>0?pt:0.001)
		printf "%-26s %7.1fx %7.1fx %11.1fx\n", "ratio python/secpipe", pt/(st>0?st:0.001), pc/(sc>0?sc:0.001), pm/sm
	}'
}

CSV=$DIR/tactics-$ROWS.csv
gen "$ROWS" 30 "$CSV"
echo "bench_stats: $(wc -c <"$CSV") bytes, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" >&2

s=$(best "$SECPIPE" stats "$CSV" --format json)
p=$(best "$PYTHON" "$LAB_STATS" "$CSV")
table "Statistics: secpipe stats FILE --format json vs lab_stats.py FILE (store's 19 columns)" "$ROWS" "$s" "$p"

LAB=$DIR/lab-$ROWS.csv
gen "$ROWS" 30 "$LAB" -lab
s=$(best "$SECPIPE" stats "$LAB" --format json)
p=$(best "$PYTHON" "$LAB_STATS" "$LAB")
table "Statistics on the lab's 8-column classified_packets.csv layout" "$ROWS" "$s" "$p"

s=$(best "$SECPIPE" stats "$CSV" --format json --chart "$DIR/secpipe.png")
if [ "$SKIP_SLOW" = 1 ]; then
	read -r st sm sc <<<"$s"
	echo
	echo "Chart: secpipe stats FILE --chart x.png ($ROWS rows): ${st} s wall, ${sc} s cpu, $((sm / 1024)) MB"
	echo "  (the pandas chart is skipped: a month of 1-minute buckets takes it ~9 minutes; BENCH_SKIP_SLOW=0 runs it on a smaller file)"
else
	SMALL=$DIR/tactics-$PY_CHART_ROWS-${PY_CHART_DAYS}d.csv
	gen "$PY_CHART_ROWS" "$PY_CHART_DAYS" "$SMALL"
	s=$(best "$SECPIPE" stats "$SMALL" --format json --bucket 1m --chart "$DIR/secpipe.png")
	p=$(best "$PYTHON" "$LAB_STATS" "$SMALL" "$DIR/python.png")
	table "Chart with statistics, 1-minute buckets (smaller file: $PY_CHART_DAYS days; the month takes pandas ~9 minutes)" "$PY_CHART_ROWS" "$s" "$p"
fi
