#!/usr/bin/env bash
# The course lab's own data, as its Python producer (lab_gen.py) wrote it and
# its classifier (lab_classify.py) stored it in classified_packets.csv.
#
#   secpipe classify events.jsonl | secpipe store tactics.csv
#   secpipe stats classified_packets.csv
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The lab's flat events go through the same Sigma rules as ECS events: a
# field mapping places CommandLine, User, IpAddress ... in them.
secpipe classify events.jsonl | secpipe store "$WORK/tactics.csv"

# The lab tagged every process start as T1059 and every login as an attack;
# the Sigma pack tags what is suspicious: the encoded PowerShell.
grep -c 'T1059.001' "$WORK/tactics.csv" | grep -qv '^0$'
! grep -q ',T1078,' "$WORK/tactics.csv"

# stats reads the lab's own CSV as it is.
secpipe stats classified_packets.csv --format json > "$WORK/lab.json"
grep -q '"total": 2000' "$WORK/lab.json"
grep -q '"id": "TA0002"' "$WORK/lab.json"
echo "lab: ok"
