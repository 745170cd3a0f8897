#!/usr/bin/env bash
# Kafka throughput, side by side on the in-memory dev broker (secpipe broker):
#   1. secpipe publish against kcat -P on the same input (best and median of
#      3, every delivery confirmed by both, no compression for either: both
#      librdkafka's default), with the ratio secpipe/kcat; secpipe's producer
#      is idempotent by default, kcat's is not, so kcat also runs with
#      -X enable.idempotence=true for a like-for-like ratio;
#   2. secpipe classify --from-topic events --to-topic classified, end to end.
#
# Needs: secpipe on PATH or bin/secpipe (make build), kcat (apt-get install
# kcat), python3 for the course lab's generator.
# Usage: scripts/bench_publish.sh [EVENTS] [CLASSIFY_EVENTS]
#   BENCH_ONLY=publish or BENCH_ONLY=classify runs one of the two;
#   BENCH_RUNS=N (default 3) runs each N times (BENCH_RUNS=1, alternating
#   SECPIPE=... binaries, compares two builds interleaved).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200000}
NC=${2:-500000}
RUNS=${BENCH_RUNS:-3}
ONLY=${BENCH_ONLY:-}
SECPIPE=${SECPIPE:-$(command -v secpipe || echo "$PWD/bin/secpipe")}
[ -x "$SECPIPE" ] || { echo "bench_publish: build secpipe first (make build)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "bench_publish: kcat is missing (apt-get install kcat)" >&2; exit 1; }

WORK=$(mktemp -d)
BROKER_PID=
cleanup() {
	[ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# start_broker starts a fresh dev broker (so that earlier runs' data does not
# weigh on it) and sets BROKERS.
start_broker() {
	if [ -n "$BROKER_PID" ]; then
		kill "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
	fi
	rm -f "$WORK/addr"
	"$SECPIPE" broker --listen 127.0.0.1:0 --addr-file "$WORK/addr" --partitions 3 >/dev/null 2>"$WORK/broker.log" &
	BROKER_PID=$!
	for _ in $(seq 100); do [ -s "$WORK/addr" ] && break; sleep 0.05; done
	BROKERS=$(cat "$WORK/addr")
}

# seconds runs a command and prints its wall time in seconds.
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; return 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

if [ "$ONLY" != classify ]; then
echo "input: $N events from the course lab's generator"
python3 "${BASELINES:-$PWD/../shared/baselines}/lab_gen.py" "$N" >"$WORK/events.jsonl" 2>/dev/null ||
	python3 "$(dirname "$0")/../../shared/baselines/lab_gen.py" "$N" >"$WORK/events.jsonl"
printf 'bytes per event: %d\n' $(($(wc -c <"$WORK/events.jsonl") / N))

kcat_times=() kcati_times=() secpipe_times=()
# Each producer gets a fresh broker: one holding earlier runs' data is slower.
fresh() {
	start_broker
	"$SECPIPE" publish --brokers "$BROKERS" --topic warm </dev/null >/dev/null 2>&1 || true
}
for i in $(seq $RUNS); do
	fresh
	kcat_times+=("$(seconds kcat -P -b "$BROKERS" -t kcat -l "$WORK/events.jsonl")")
	fresh
	kcati_times+=("$(seconds kcat -P -b "$BROKERS" -t kcat -X enable.idempotence=true -l "$WORK/events.jsonl")")
	fresh
	secpipe_times+=("$(seconds "$SECPIPE" publish --brokers "$BROKERS" --topic secpipe "$WORK/events.jsonl")")
	got=$(kcat -C -b "$BROKERS" -t secpipe -e -q | wc -l)
	[ "$got" -eq "$N" ] || { echo "bench_publish: topic secpipe holds $got events, want $N" >&2; exit 1; }
done
k=$(best "${kcat_times[@]}") ki=$(best "${kcati_times[@]}") s=$(best "${secpipe_times[@]}")
km=$(median "${kcat_times[@]}") kim=$(median "${kcati_times[@]}") sm=$(median "${secpipe_times[@]}")
printf '\n%-34s %10s %12s %12s\n' "publish ($RUNS runs)" "best s" "msg/s" "median s"
printf '%-34s %10.3f %12s %12.3f\n' "kcat -P" "$k" "$(rate "$N" "$k")" "$km"
printf '%-34s %10.3f %12s %12.3f\n' "kcat -P -X enable.idempotence=true" "$ki" "$(rate "$N" "$ki")" "$kim"
printf '%-34s %10.3f %12s %12.3f\n' "secpipe publish (idempotent)" "$s" "$(rate "$N" "$s")" "$sm"
printf 'ratio secpipe/kcat: %.2fx (median %.2fx); against idempotent kcat: %.2fx (median %.2fx)\n' \
	"$(echo "$k / $s" | bc -l)" "$(echo "$km / $sm" | bc -l)" "$(echo "$ki / $s" | bc -l)" "$(echo "$kim / $sm" | bc -l)"

fi

if [ "$ONLY" != publish ]; then
[ "$ONLY" = classify ] || echo
echo "classify end to end: $NC events, events -> classify -> classified"
python3 "${BASELINES:-$PWD/../shared/baselines}/lab_gen.py" "$NC" 7 >"$WORK/classify.jsonl" 2>/dev/null
ctimes=()
for i in $(seq $RUNS); do
	start_broker
	"$SECPIPE" publish --brokers "$BROKERS" --topic events "$WORK/classify.jsonl" 2>/dev/null
	ctimes+=("$(seconds "$SECPIPE" classify --brokers "$BROKERS" --from-topic events --group bench --to-topic classified --exit-at-end)")
	got=$(kcat -C -b "$BROKERS" -t classified -e -q | wc -l)
	[ "$got" -ge "$NC" ] || { echo "bench_publish: classified holds $got events, want $NC or more" >&2; exit 1; }
done
c=$(best "${ctimes[@]}") cm=$(median "${ctimes[@]}")
printf '%-22s %10s %12s %12s\n' "classify ($RUNS runs)" "best s" "events/s" "median s"
printf '%-22s %10.3f %12s %12.3f\n' "topic to topic" "$c" "$(rate "$NC" "$c")" "$cm"
fi
