#!/usr/bin/env bash
# The whole pipeline over Kafka topics, on secpipe's in-memory broker:
#
#   secpipe gen | secpipe publish --topic events
#   secpipe classify --from-topic events --group classifiers --to-topic classified   (running)
#   secpipe store --from-topic classified --group storage tactics.csv
#
# With Apache Kafka instead (scripts/compose.yml), set SECPIPE_BROKERS and
# skip the broker. Needs secpipe on PATH. Exits non-zero on any failure.
set -euo pipefail

COUNT=${COUNT:-20000}
WORK=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*" >&2; }

step "start an in-memory broker on a free port"
secpipe broker --listen 127.0.0.1:0 --addr-file "$WORK/broker.addr" --partitions 3 >/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$WORK/broker.addr" ] && break; sleep 0.05; done
[ -s "$WORK/broker.addr" ] || { echo "the broker did not start" >&2; exit 1; }
SECPIPE_BROKERS=$(cat "$WORK/broker.addr")
export SECPIPE_BROKERS
echo "brokers: $SECPIPE_BROKERS" >&2

step "a classifier runs, attached to the topics, waiting for events"
secpipe classify --from-topic events --group classifiers --to-topic classified 2>"$WORK/classify.log" &
classify_pid=$!
pids+=($classify_pid)

step "publish $COUNT generated events, keyed by source address, else host"
secpipe gen --count "$COUNT" --seed 7 | secpipe publish --topic events

step "wait until the classifier has caught up (lag 0)"
for _ in $(seq 200); do
	if secpipe lag --group classifiers --topic events --format json 2>/dev/null | grep -q '"total_lag": 0'; then
		break
	fi
	sleep 0.1
done
secpipe lag --group classifiers --topic events

step "stop the classifier: it drains, commits and exits 130"
kill -INT "$classify_pid"
status=0
wait "$classify_pid" || status=$?
cat "$WORK/classify.log" >&2
[ "$status" -eq 130 ] || { echo "classify exited $status, want 130" >&2; exit 1; }

step "store the classified events"
if secpipe store --help 2>/dev/null | grep -q -- '--from-topic'; then
	secpipe store --from-topic classified --group storage --exit-at-end "$WORK/tactics.csv"
else
	secpipe consume --topic classified --group storage --exit-at-end | secpipe store "$WORK/tactics.csv"
fi

rows=$(($(wc -l <"$WORK/tactics.csv") - 1))
echo "tactics.csv: $rows rows" >&2
[ "$rows" -ge "$COUNT" ] || { echo "want at least $COUNT rows" >&2; exit 1; }

step "the tactics seen"
secpipe stats "$WORK/tactics.csv"
