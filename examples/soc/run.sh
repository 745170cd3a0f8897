#!/usr/bin/env bash
# The SOC pipeline: events enriched with GeoIP and threat intelligence,
# classified, and alerted on, grouped and throttled, to a webhook:
#
#   secpipe gen | secpipe enrich --geoip city.mmdb --intel iocs/ | secpipe classify | secpipe alert --webhook-file hook.url
#
# first on pipes, then over Kafka topics on secpipe's in-memory broker. The
# GeoIP files in data/ are small test databases laid out as GeoLite2 City
# and ASN (written by `go run ./gendata data`); use the real ones from
# MaxMind or DB-IP the same way. data/iocs/ holds a plain list, a CSV feed,
# a MISP export and a STIX 2.1 bundle. A local receiver (receiver/) stands
# in for Slack or a SOAR webhook. Needs secpipe on PATH and Go. Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

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
fail() { echo "FAILED: $*" >&2; exit 1; }

step "a local webhook receiver"
go build -o "$WORK/receiver" ./receiver
"$WORK/receiver" "$WORK/hook.url" "$WORK/pipes.jsonl" &
pids+=($!)
for _ in $(seq 200); do [ -s "$WORK/hook.url" ] && break; sleep 0.05; done
[ -s "$WORK/hook.url" ] || fail "the receiver did not start"

ENRICH=(--geoip data/city.mmdb --geoip data/asn.mmdb --intel data/iocs/)

step "on pipes: gen | enrich | classify | alert"
secpipe gen --count "$COUNT" --seed 7 |
	secpipe enrich "${ENRICH[@]}" |
	tee "$WORK/enriched.jsonl" |
	secpipe classify |
	secpipe alert --min-level high --min-risk 70 --webhook-file "$WORK/hook.url" --throttle 10m

located=$(grep -c '"geo":{' "$WORK/enriched.jsonl" || true)
matched=$(grep -c '"threat":{"enrichments":' "$WORK/enriched.jsonl" || true)
alerts=$(wc -l <"$WORK/pipes.jsonl")
echo "enrich: $located events placed by GeoIP, $matched matching an indicator; alert: $alerts delivered" >&2
[ "$located" -gt 0 ] || fail "no event was placed"
[ "$matched" -gt 0 ] || fail "no event matched an indicator"
[ "$alerts" -gt 0 ] || fail "no alert reached the webhook"
grep -q '"geo":{"city_name":"Amsterdam"' "$WORK/enriched.jsonl" || fail "the brute forcer's address was not placed"
grep -q '"alert":{"kind":"digest"' "$WORK/pipes.jsonl" || fail "no digest: throttling did not group anything"
grep -q '"enrichments":\[' "$WORK/pipes.jsonl" || fail "no alert carries its threat-intelligence match"
selected=$(secpipe classify <"$WORK/enriched.jsonl" 2>/dev/null | grep -c '"level":"\(high\|critical\)"' || true)
echo "throttling: $selected high or critical events became $alerts alerts and digests" >&2
[ "$alerts" -lt "$selected" ] || fail "throttling let every event through"

step "where the attacks come from: stats by country and by indicator"
secpipe classify <"$WORK/enriched.jsonl" 2>/dev/null | secpipe store "$WORK/soc.csv" 2>/dev/null
secpipe stats "$WORK/soc.csv" --table countries --top 5 >&2
secpipe stats "$WORK/soc.csv" --table indicators --top 5 >&2
# (the tables are read whole before grep: grep -q would close the pipe early)
countries=$(secpipe stats "$WORK/soc.csv" --table countries --format csv 2>/dev/null)
indicators=$(secpipe stats "$WORK/soc.csv" --table indicators --format csv 2>/dev/null)
grep -q '^NL,' <<<"$countries" || fail "stats counted no event from the brute forcer's country: $countries"
grep -q '^195\.98\.240\.66,' <<<"$indicators" || fail "stats counted no event of the brute forcer's indicator: $indicators"

step "an alert, as the webhook got it"
head -n 1 "$WORK/pipes.jsonl" | cut -c 1-400 >&2

step "over topics: start an in-memory broker"
secpipe broker --listen 127.0.0.1:0 --addr-file "$WORK/broker.addr" --partitions 3 >/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$WORK/broker.addr" ] && break; sleep 0.05; done
[ -s "$WORK/broker.addr" ] || fail "the broker did not start"
SECPIPE_BROKERS=$(cat "$WORK/broker.addr")
export SECPIPE_BROKERS

step "enrich and classify run attached to the topics"
secpipe enrich "${ENRICH[@]}" --from-topic events --group enrichers --to-topic enriched 2>"$WORK/enrich.log" &
enrich_pid=$!
pids+=($enrich_pid)
secpipe classify --from-topic enriched --group classifiers --to-topic classified 2>"$WORK/classify.log" &
classify_pid=$!
pids+=($classify_pid)

step "publish $COUNT generated events"
secpipe gen --count "$COUNT" --seed 7 | secpipe publish --topic events -q

step "wait until both caught up"
caught_up() { secpipe lag --group "$1" --topic "$2" --format json 2>/dev/null | grep -q '"total_lag": 0'; }
for _ in $(seq 400); do
	if caught_up enrichers events && caught_up classifiers enriched && secpipe lag --group classifiers --topic enriched --format json 2>/dev/null | grep -q '"end": [1-9]'; then
		break
	fi
	sleep 0.1
done
caught_up enrichers events || fail "enrich did not catch up"
caught_up classifiers enriched || fail "classify did not catch up"

step "alert on the classified topic, to the webhook"
"$WORK/receiver" "$WORK/hook2.url" "$WORK/topics.jsonl" &
pids+=($!)
for _ in $(seq 200); do [ -s "$WORK/hook2.url" ] && break; sleep 0.05; done
secpipe alert --from-topic classified --group alerting --min-level high --min-risk 70 --webhook-file "$WORK/hook2.url" --exit-at-end

topic_alerts=$(wc -l <"$WORK/topics.jsonl")
echo "over topics: $topic_alerts alerts and digests delivered" >&2
[ "$topic_alerts" -gt 0 ] || fail "no alert reached the webhook over topics"
grep -q '"enrichments":\[' "$WORK/topics.jsonl" || fail "no alert over topics carries its threat-intelligence match"

kill -INT "$enrich_pid" "$classify_pid"
wait "$enrich_pid" "$classify_pid" 2>/dev/null || true
