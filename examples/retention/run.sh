#!/usr/bin/env bash
# Rotation and retention of store's files, and pruning a database: the
# README's commands.
#
#   secpipe gen --count 100000 | secpipe classify | secpipe store --rotate 5MB --retain 30d --archive cold/ tactics.csv
#   secpipe stats tactics.*.csv.zst tactics.csv
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A finished file from two months ago: --retain 30d moves it to cold/.
touch tactics.20261001T000000Z-20261001T010000Z.csv.zst
secpipe gen --count 100000 --seed 5 | secpipe classify | secpipe store --rotate 5MB --retain 30d --archive cold/ tactics.csv
test -f cold/tactics.20261001T000000Z-20261001T010000Z.csv.zst
rm cold/tactics.20261001T000000Z-20261001T010000Z.csv.zst
ls tactics.*-*.csv.zst >/dev/null # at least one finished file, compressed

# Every event is in one of the files, once.
secpipe stats tactics.*.csv.zst tactics.csv --format json | grep -v '"rows"' > rotated.json
secpipe gen --count 100000 --seed 5 | secpipe classify | secpipe stats --format json | grep -v '"rows"' > whole.json
cmp rotated.json whole.json
echo "retention: ok"
