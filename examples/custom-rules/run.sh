#!/usr/bin/env bash
# Your own Sigma rules beside the built-in pack: a correlation over Windows
# Security events (ECS, as Winlogbeat writes them).
#
#   secpipe rules lint rules/
#   secpipe classify --rules rules/ events.jsonl
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

secpipe rules lint rules/
secpipe classify --rules rules/ --only-matched events.jsonl > "$WORK/out.jsonl"

# The fifth host opened by svc_backup crosses the threshold: that event and
# the sixth carry the correlation's tags, and an alert follows the fifth.
test "$(grep -c '"Admin Share Sweep"' "$WORK/out.jsonl")" = 3
grep '"kind":"alert"' "$WORK/out.jsonl" | grep -q '"group_by":{"SubjectUserName":"svc_backup"}'
! grep -q '"alice"' "$WORK/out.jsonl" # alice's share access is not an admin share
echo "custom-rules: ok"
