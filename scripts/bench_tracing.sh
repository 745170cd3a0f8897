#!/usr/bin/env bash
# The cost of tracing in classify: a file of gen's events classified
# (a) without --trace, (b) with --trace at several samplers, spans going to
# a Jaeger (bin/jaeger from `make jaeger`, started here on free ports, or
# the OTLP endpoint in OTEL_EXPORTER_OTLP_ENDPOINT). Prints the best of
# $BENCH_RUNS wall times and each one's ratio to (a).
#
#   BENCH_EVENTS=1000000 BENCH_RUNS=3 ./scripts/bench_tracing.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECPIPE=${SECPIPE:-$PWD/bin/secpipe}
JAEGER=${JAEGER:-$PWD/bin/jaeger}
N=${BENCH_EVENTS:-1000000}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}

[ -x "$SECPIPE" ] || { echo "build first: make build" >&2; exit 1; }

cleanup() {
	[ -n "${JAEGER_PID:-}" ] && kill "$JAEGER_PID" 2>/dev/null && wait "$JAEGER_PID" 2>/dev/null
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# free_port: a TCP port free on 127.0.0.1 a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
	[ -x "$JAEGER" ] || { echo "no Jaeger at $JAEGER: make jaeger, or set OTEL_EXPORTER_OTLP_ENDPOINT" >&2; exit 1; }
	export JAEGER_OTLP_GRPC=$(free_port) JAEGER_OTLP_HTTP=$(free_port) JAEGER_QUERY_HTTP=$(free_port) \
		JAEGER_QUERY_GRPC=$(free_port) JAEGER_HEALTH_HTTP=$(free_port)
	"$JAEGER" --config tools/jaeger/config.yaml >"$WORK/jaeger.log" 2>&1 &
	JAEGER_PID=$!
	for _ in $(seq 300); do
		curl -sf "http://127.0.0.1:$JAEGER_HEALTH_HTTP/status" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -sf "http://127.0.0.1:$JAEGER_HEALTH_HTTP/status" >/dev/null || { echo "Jaeger did not start; see $WORK/jaeger.log" >&2; exit 1; }
	export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$JAEGER_OTLP_GRPC
fi

# best ENV... -- ARGS...: runs secpipe classify RUNS times with the
# environment given; prints the seconds of the fastest run.
best() {
	local vars=() best=""
	while [ "$1" != "--" ]; do vars+=("$1"); shift; done
	shift
	for _ in $(seq "$RUNS"); do
		local t0 t1 t
		t0=$(date +%s.%N)
		env "${vars[@]}" "$SECPIPE" classify "$@" >/dev/null 2>>"$WORK/classify.log"
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
	done
	echo "$best"
}

echo "Preparing $N events ..." >&2
"$SECPIPE" gen --count "$N" --seed 1 >"$WORK/events.jsonl"
# The same events carrying an unsampled trace context, as gen --trace
# writes those its sampler leaves out.
OTEL_TRACES_SAMPLER=always_off "$SECPIPE" gen --count "$N" --seed 1 --trace >"$WORK/traced.jsonl"

echo "# Tracing cost: secpipe classify, $N events"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(go version 2>/dev/null | cut -d' ' -f3), best of $RUNS, spans to $OTEL_EXPORTER_OTLP_ENDPOINT"
echo
echo "| run | seconds | vs no tracing |"
echo "|---|---|---|"
base=$(best -- "$WORK/events.jsonl")
printf '| (a) no --trace | %s | 1.00 |\n' "$base"
row() { # name file env...
	local name=$1 file=$2 t
	shift 2
	t=$(best "$@" -- --trace "$file")
	printf '| %s | %s | %s |\n' "$name" "$t" "$(awk -v t="$t" -v b="$base" 'BEGIN { printf "%.2f", t / b }')"
}
row "(b) --trace, sampler off (always_off)" "$WORK/events.jsonl" OTEL_TRACES_SAMPLER=always_off
row "(b) --trace, parentbased_traceidratio 0.01" "$WORK/events.jsonl" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01
row "(b) --trace, parentbased_traceidratio 1.0" "$WORK/events.jsonl" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=1.0
row "(c) --trace, events with an unsampled traceparent, ratio 0.01" "$WORK/traced.jsonl" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01
echo
echo "At ratio 1.0 every event makes a span; spans the exporter cannot keep up with are dropped (OTEL_BSP_MAX_QUEUE_SIZE)."
