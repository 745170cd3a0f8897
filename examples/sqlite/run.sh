#!/usr/bin/env bash
# Classified events in an embedded SQLite database, read back by stats: the
# README's "Databases" commands and store's and stats' help examples.
#
#   secpipe gen | secpipe classify | secpipe store sqlite:events.db
#   secpipe stats sqlite:events.db --chart tactics.png
#   secpipe stats sqlite:events.db --from 2026-01-01T00:00:30Z --to 2026-01-01T00:01:00Z
#   secpipe store prune --older-than 30d --archive old.jsonl.zst sqlite:events.db
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

secpipe gen --count 20000 --seed 7 | secpipe classify | secpipe store sqlite:events.db 2> store.log
grep -q '→ sqlite:events.db: [0-9]* new, 0 already stored' store.log
# Stored again (a redelivery): no row more.
secpipe gen --count 20000 --seed 7 | secpipe classify | secpipe store sqlite:events.db 2> again.log
grep -q ': 0 new, [0-9]* already stored' again.log

secpipe stats sqlite:events.db --chart tactics.png > report.txt
test "$(head -c 8 tactics.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a # a PNG

# The same events in a CSV give the same report.
secpipe gen --count 20000 --seed 7 | secpipe classify | secpipe store tactics.csv 2>/dev/null
secpipe stats tactics.csv > report-csv.txt
cmp report.txt report-csv.txt

secpipe stats sqlite:events.db --from 2026-01-01T00:00:30Z --to 2026-01-01T00:01:00Z --format json > range.json
secpipe stats tactics.csv --from 2026-01-01T00:00:30Z --to 2026-01-01T00:01:00Z --format json > range-csv.json
test "$(grep -v "\"rows\"" range.json)" = "$(grep -v "\"rows\"" range-csv.json)" # rows: the CSV has one per pair
grep -q '"total": [1-9][0-9]*,' range.json

if command -v sqlite3 >/dev/null; then
	sqlite3 events.db "SELECT host, count(*) FROM events WHERE mitre_tactic = 'TA0007' GROUP BY host" > hosts.txt
	test -s hosts.txt
else
	echo "sqlite3 is not installed: the README's sqlite3 query is not run" >&2
fi

# Retention: the events older than 30 days (all of them: gen's clock starts on
# 2026-01-01) go to an archive, which stats reads as it read the database.
secpipe store prune --older-than 30d --archive old.jsonl.zst sqlite:events.db 2> prune.log
grep -q 'deleted [1-9][0-9]* events older than 30d' prune.log
secpipe stats old.jsonl.zst > report-archive.txt
cmp report.txt report-archive.txt
secpipe stats sqlite:events.db --format json | grep -q '"total": 0,'

echo "sqlite: ok"
