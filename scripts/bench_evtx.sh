#!/usr/bin/env bash
# Side by side: secpipe's .evtx reader against libevtx's evtxexport (Debian
# libevtx-utils), on the same files: MB/s and peak RSS on a small input
# (every used chunk of the shared evtx-to-mitre files that evtxexport
# reads, once) and a large one (those chunks copied to $EVTX_LARGE_MB MB).
# The reader runs alone, through scripts/evtxbench: read every event,
# count it, drop it. Best of $BENCH_RUNS runs by wall time; MB/s per CPU
# second is printed too, as the machine may be shared.
#
#   EVTX_LARGE_MB=500 BENCH_RUNS=3 ./scripts/bench_evtx.sh
#
# Needs: apt-get install -y libevtx-utils time
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${EVTX_DATA:-$PWD/../shared/realdata/evtx-to-mitre/evtx}
LARGE_MB=${EVTX_LARGE_MB:-500}
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"

for tool in evtxexport /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench_evtx: $tool is missing; apt-get install -y libevtx-utils time" >&2; exit 1; }
done
[ -d "$DATA" ] || { echo "bench_evtx: no .evtx files at $DATA (set EVTX_DATA)" >&2; exit 1; }

go build -o "$WORK/evtxbench" ./scripts/evtxbench

# Only the files evtxexport reads, so that both read the same bytes.
files=()
for f in "$DATA"/*.evtx; do
	evtxexport -f xml "$f" >/dev/null 2>&1 && files+=("$f")
done
echo "evtxexport reads $(( ${#files[@]} )) of $(ls "$DATA"/*.evtx | wc -l) files; using those" >&2

"$WORK/evtxbench" dense -o "$WORK/small.evtx" "${files[@]}"
"$WORK/evtxbench" dense -o "$WORK/large.evtx" -mb "$LARGE_MB" "${files[@]}"

# best CMD: runs CMD RUNS times; prints "wall_s cpu_s maxrss_kib" of the
# fastest run.
best() {
	local best="" w u s m
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$WORK/time.out" -f '%e %U %S %M' bash -c "$1" >/dev/null 2>&1 ||
			{ echo "bench_evtx: failed: $1" >&2; exit 1; }
		read -r w u s m < "$WORK/time.out"
		if [ -z "$best" ] || awk "BEGIN{exit !($w < ${best%% *})}"; then
			best="$w $(awk "BEGIN{print $u + $s}") $m"
		fi
	done
	echo "$best"
}

rate() { awk "BEGIN{ if ($2 > 0) printf \"%.1f\", $1/1e6/$2; else print \"-\" }"; }

echo "# .evtx reading: secpipe vs evtxexport"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(go version | cut -d' ' -f3), $(evtxexport -V 2>/dev/null | head -1), best of $RUNS"
echo
echo "| input | size | events | secpipe MB/s (per CPU s) | secpipe RSS | evtxexport -f xml MB/s (per CPU s) | evtxexport RSS |"
echo "|---|---|---|---|---|---|---|"
for input in small large; do
	file="$WORK/$input.evtx"
	size=$(stat -c %s "$file")
	events=$("$WORK/evtxbench" read "$file" | awk '{print $6}')
	read -r sw sc sm <<< "$(best "'$WORK/evtxbench' read '$file'")"
	read -r ew ec em <<< "$(best "evtxexport -f xml '$file'")"
	printf '| %s | %d MB | %d | %s (%s) | %d MiB | %s (%s) | %d MiB |\n' "$input" $(( size / 1000000 )) "$events" \
		"$(rate "$size" "$sw")" "$(rate "$size" "$sc")" $(( sm / 1024 )) \
		"$(rate "$size" "$ew")" "$(rate "$size" "$ec")" $(( em / 1024 ))
done
echo
echo "Events evtxexport exports from the small input: $(evtxexport -f xml "$WORK/small.evtx" 2>/dev/null | grep -c '^<Event ')"

# The whole path: secpipe classify reading the large file, with the
# built-in pack and with the whole SigmaHQ corpus (its load time, measured
# on an empty input, is taken off).
SECPIPE=${SECPIPE:-bin/secpipe}
SIGMA=${SIGMA:-$PWD/../shared/sigma}
if [ -x "$SECPIPE" ]; then
	size=$(stat -c %s "$WORK/large.evtx")
	echo
	echo "| secpipe classify on the large input | seconds | MB/s | peak RSS |"
	echo "|---|---|---|---|"
	read -r w c m <<< "$(best "$SECPIPE classify '$WORK/large.evtx'")"
	printf '| built-in pack | %.2f | %s | %d MiB |\n' "$w" "$(rate "$size" "$w")" $(( m / 1024 ))
	if [ -d "$SIGMA/rules" ]; then
		RULES="--no-builtin --rules $SIGMA/rules --rules $SIGMA/rules-emerging-threats --rules $SIGMA/rules-threat-hunting"
		read -r lw _ _ <<< "$(best "$SECPIPE classify $RULES /dev/null")"
		read -r w c m <<< "$(best "$SECPIPE classify $RULES '$WORK/large.evtx'")"
		printf '| the SigmaHQ corpus (load %.2f s taken off) | %.2f | %s | %d MiB |\n' "$lw" "$w" "$(rate "$size" "$(awk "BEGIN{print $w - $lw}")")" $(( m / 1024 ))
	fi
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
