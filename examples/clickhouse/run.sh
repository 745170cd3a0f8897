#!/usr/bin/env bash
# Classified events in ClickHouse, read back by stats: the README's ClickHouse
# commands against the server of $SECPIPE_TEST_CLICKHOUSE (eval "$(make -s db-up)"
# starts a throwaway one).
#
#   secpipe gen | secpipe classify | secpipe store clickhouse://HOST:9000/soc
#   secpipe stats clickhouse://HOST:9000/soc --chart tactics.png
set -euo pipefail
CH=${SECPIPE_TEST_CLICKHOUSE:-}
if [ -z "$CH" ]; then
	if [ "${CI:-}" = true ]; then
		echo "clickhouse: SECPIPE_TEST_CLICKHOUSE is not set (CI starts ClickHouse with scripts/db-up.sh)" >&2
		exit 1
	fi
	echo "SKIPPED clickhouse example: no ClickHouse (eval \"\$(make -s db-up)\" starts one)" >&2
	exit 0
fi
WORK=$(mktemp -d)
cd "$WORK"
DB=secpipe_example_$$
URL=${CH%/*}/$DB # store creates the database
hostport=${CH#clickhouse://}
hostport=${hostport%%/*}
trap 'clickhouse-client --host "${hostport%:*}" --port "${hostport##*:}" -q "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

secpipe gen --seed 7 | secpipe classify | secpipe store "$URL" 2> store.log
grep -q ': [0-9]* new, 0 already stored' store.log
secpipe gen --seed 7 | secpipe classify | secpipe store "$URL" 2> again.log
grep -q ': 0 new, [0-9]* already stored' again.log

secpipe stats "$URL" --chart tactics.png > report.txt
test "$(head -c 8 tactics.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a # a PNG
secpipe gen --seed 7 | secpipe classify | secpipe store tactics.csv 2>/dev/null
secpipe stats tactics.csv > report-csv.txt
cmp report.txt report-csv.txt
echo "clickhouse: ok"
