#!/usr/bin/env bash
# Soak: gen --rate | publish → classify --from-topic → store --from-topic
# on secpipe broker, at a fixed rate for a given time. Every INTERVAL
# seconds it samples each process's resident memory and the consumer
# groups' lag, and prints one table row; at the end, whether memory and
# lag stayed flat.
#
# Usage: scripts/soak.sh [DURATION_SECONDS] [EVENTS_PER_SECOND]
#   (defaults: 600 s at 2000 events/s; INTERVAL=10)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-600}
RATE=${2:-2000}
INTERVAL=${INTERVAL:-10}
SECPIPE=${SECPIPE:-$PWD/bin/secpipe}
[ -x "$SECPIPE" ] || { echo "soak: build secpipe first (make build)" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

"$SECPIPE" broker --listen 127.0.0.1:0 --addr-file "$WORK/addr" --partitions 3 --topics events,classified >/dev/null 2>"$WORK/broker.log" &
BROKER=$!
PIDS+=("$BROKER")
for _ in $(seq 200); do [ -s "$WORK/addr" ] && break; sleep 0.05; done
[ -s "$WORK/addr" ] || { echo "soak: the broker did not start" >&2; cat "$WORK/broker.log" >&2; exit 1; }
B=$(cat "$WORK/addr")

mkfifo "$WORK/gen.fifo"
"$SECPIPE" gen --seed 7 --rate "$RATE" --count $((RATE * (DURATION + INTERVAL))) >"$WORK/gen.fifo" 2>"$WORK/gen.log" &
GEN=$!
"$SECPIPE" publish --brokers "$B" --topic events <"$WORK/gen.fifo" 2>"$WORK/publish.log" &
PUB=$!
"$SECPIPE" classify --brokers "$B" --from-topic events --group soak-classify --to-topic classified 2>"$WORK/classify.log" &
CLS=$!
"$SECPIPE" store --brokers "$B" --from-topic classified --group soak-store "$WORK/tactics.csv" 2>"$WORK/store.log" &
STO=$!
PIDS+=("$GEN" "$PUB" "$CLS" "$STO")

rss() { awk '/^VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo -; }
lag() { "$SECPIPE" lag --brokers "$B" --group "$1" --format csv 2>/dev/null | awk -F, '$1=="total" {print $NF}' || echo -; }

echo "soak: $DURATION s at $RATE events/s, sampled every $INTERVAL s (RSS in MiB, lag in messages)"
printf '%6s %8s %8s %8s %8s %8s %10s %10s %10s\n' t_s gen publish classify store broker lag_cls lag_store stored_rows
samples="$WORK/samples"
start=$(date +%s)
while :; do
	sleep "$INTERVAL"
	t=$(($(date +%s) - start))
	for p in "$GEN" "$PUB" "$CLS" "$STO" "$BROKER"; do
		kill -0 "$p" 2>/dev/null || { echo "soak: process $p exited early" >&2; tail -5 "$WORK"/*.log >&2; exit 1; }
	done
	rows=$(($(wc -l <"$WORK/tactics.csv" 2>/dev/null || echo 1) - 1))
	row=$(printf '%6d %8s %8s %8s %8s %8s %10s %10s %10s' "$t" "$(rss "$GEN")" "$(rss "$PUB")" "$(rss "$CLS")" "$(rss "$STO")" "$(rss "$BROKER")" "$(lag soak-classify)" "$(lag soak-store)" "$rows")
	echo "$row"
	echo "$row" >>"$samples"
	[ "$t" -ge "$DURATION" ] && break
done

# Flat: the last quarter's mean within 20% (and 10 MiB) of the second
# quarter's, for each process's memory; lag below 2 s of input throughout
# the second half.
awk -v rate="$RATE" '
	{ t[NR]=$0; n=NR; for (i = 2; i <= 9; i++) v[NR, i] = $i }
	END {
		names[2]="gen"; names[3]="publish"; names[4]="classify"; names[5]="store"; names[6]="broker"
		q = int(n / 4); if (q < 1) q = 1
		for (i = 2; i <= 6; i++) {
			a = 0; b = 0
			for (r = q + 1; r <= 2 * q; r++) a += v[r, i]
			for (r = n - q + 1; r <= n; r++) b += v[r, i]
			a /= q; b /= q
			flat = (b <= a * 1.2 || b - a <= 10) ? "flat" : "GROWING"
			printf "%-9s RSS %6.1f -> %6.1f MiB: %s\n", names[i], a, b, flat
		}
		for (i = 7; i <= 8; i++) {
			m = 0
			for (r = int(n / 2) + 1; r <= n; r++) if (v[r, i] > m) m = v[r, i]
			printf "%-9s max lag in the second half: %d (%s)\n", (i == 7 ? "classify" : "store"), m, (m <= 2 * rate ? "flat" : "BEHIND")
		}
	}' "$samples"
