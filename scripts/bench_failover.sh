#!/usr/bin/env bash
# Consumer-group failover on the dev broker (secpipe broker): gen feeds a
# 3-partition topic at a fixed rate; two classifiers share a group; once
# output flows, one is killed with SIGKILL. Prints
#   - failover: seconds from the kill until every partition's committed
#     offset moves again (the killed member's partitions resumed elsewhere);
#   - duplicates: events classified twice (at-least-once redelivery of what
#     the killed member had read but not committed).
#
# Needs: secpipe on PATH or bin/secpipe (make build), jq, bc.
# Usage: scripts/bench_failover.sh [EVENTS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-300000}
RATE=${2:-10000}
SECPIPE=${SECPIPE:-$(command -v secpipe || echo "$PWD/bin/secpipe")}
[ -x "$SECPIPE" ] || { echo "bench_failover: build secpipe first (make build)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_failover: jq is missing (apt-get install jq)" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

"$SECPIPE" broker --listen 127.0.0.1:0 --addr-file "$WORK/addr" --partitions 3 >/dev/null 2>"$WORK/broker.log" &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$WORK/addr" ] && break; sleep 0.05; done
B=$(cat "$WORK/addr")
now() { date +%s.%N; }

# committed prints "partition committed" per partition of events for the group.
committed() {
	"$SECPIPE" lag -b "$B" --group failover --topic events --format json 2>/dev/null |
		jq -r '.partitions[] | "\(.partition) \(.committed // -1)"'
}

"$SECPIPE" gen --count "$N" --rate "$RATE" --seed 7 -b "$B" --to-topic events 2>"$WORK/gen.log" &
GEN=$!
PIDS+=($GEN)
classifier() {
	"$SECPIPE" classify -b "$B" --from-topic events --group failover --to-topic classified 2>>"$WORK/classify.log" &
	PIDS+=($!)
}
classifier
A=${PIDS[-1]}
classifier

# Kill once a third of the input has been classified by the group.
for _ in $(seq 600); do
	done_n=$(committed | awk '$2 > 0 { s += $2 } END { print s + 0 }')
	[ "$done_n" -ge $((N / 3)) ] && break
	sleep 0.1
done
declare -A at_kill=()
while read -r p c; do at_kill[$p]=$c; done < <(committed)
kill -KILL "$A"
wait "$A" 2>/dev/null || true
t_kill=$(now)
echo "killed one of two classifiers after $done_n committed events"

# Failover: every partition's committed offset has moved past its value at the kill.
declare -A moved=()
for _ in $(seq 1200); do
	while read -r p c; do
		[ -z "${moved[$p]:-}" ] && [ "$c" -gt "${at_kill[$p]:--1}" ] && moved[$p]=$(now)
	done < <(committed)
	[ "${#moved[@]}" -ge 3 ] && break
	sleep 0.1
done
[ "${#moved[@]}" -ge 3 ] || { echo "bench_failover: a partition did not resume within 2 minutes" >&2; exit 1; }
last=$(printf '%s\n' "${moved[@]}" | sort -g | tail -1)
failover=$(echo "$last - $t_kill" | bc -l)

wait "$GEN"
"$SECPIPE" lag -b "$B" --group failover --topic events --until-zero --interval 200ms >/dev/null 2>&1
"$SECPIPE" consume -b "$B" --topic classified -e -q | jq -r 'select(.event.kind != "alert") | .event.id' | sort >"$WORK/ids"
total=$(wc -l <"$WORK/ids")
distinct=$(uniq <"$WORK/ids" | wc -l)
[ "$distinct" -eq "$N" ] || { echo "bench_failover: $distinct distinct events classified, want $N" >&2; exit 1; }
printf 'failover: %.1f s from SIGKILL until every partition resumed\n' "$failover"
printf 'duplicates: %d of %d events (%.2f s of input at %d events/s)\n' "$((total - distinct))" "$N" \
	"$(echo "($total - $distinct) / $RATE" | bc -l)" "$RATE"
