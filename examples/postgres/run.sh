#!/usr/bin/env bash
# Classified events in PostgreSQL, read back by stats: the README's
# PostgreSQL commands against the server of $SECPIPE_TEST_POSTGRES
# (eval "$(make -s db-up)" starts a throwaway one).
#
#   secpipe gen | secpipe classify | secpipe store postgres://USER@HOST/DB
#   secpipe stats postgres://USER@HOST/DB --chart tactics.png
#   secpipe store prune --older-than 30d --archive old.jsonl.zst postgres://USER@HOST/DB
set -euo pipefail
PG=${SECPIPE_TEST_POSTGRES:-}
if [ -z "$PG" ]; then
	if [ "${CI:-}" = true ]; then
		echo "postgres: SECPIPE_TEST_POSTGRES is not set (CI starts PostgreSQL with scripts/db-up.sh)" >&2
		exit 1
	fi
	echo "SKIPPED postgres example: no PostgreSQL (eval \"\$(make -s db-up)\" starts one)" >&2
	exit 0
fi
WORK=$(mktemp -d)
cd "$WORK"
# A database of its own on the server, dropped at the end.
DB=secpipe_example_$$
base=${PG%%\?*}
query=${PG#"$base"}
URL=${base%/*}/$DB$query
trap 'psql -q -X "$PG" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
psql -q -X -v ON_ERROR_STOP=1 "$PG" -c "CREATE DATABASE $DB" # psql comes with the postgresql package

secpipe gen --seed 7 | secpipe classify | secpipe store "$URL" 2> store.log
grep -q ': [0-9]* new, 0 already stored' store.log
secpipe gen --seed 7 | secpipe classify | secpipe store "$URL" 2> again.log
grep -q ': 0 new, [0-9]* already stored' again.log

secpipe stats "$URL" --chart tactics.png > report.txt
test "$(head -c 8 tactics.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a # a PNG
secpipe gen --seed 7 | secpipe classify | secpipe store tactics.csv 2>/dev/null
secpipe stats tactics.csv > report-csv.txt
cmp report.txt report-csv.txt

# The schema answers a SOC's questions in SQL.
psql -X -At "$URL" -c "SELECT count(*) FROM events WHERE event->'event'->>'kind' = 'alert' OR mitre_tactic IS NOT NULL" | grep -q '^[1-9]'
# Retention: everything is older than 30 days (gen's clock starts on 2026-01-01).
secpipe store prune --older-than 30d --archive old.jsonl.zst "$URL" 2> prune.log
grep -q 'deleted [1-9][0-9]* events older than 30d' prune.log
secpipe stats old.jsonl.zst > report-archive.txt
cmp report.txt report-archive.txt
echo "postgres: ok"
