#!/usr/bin/env bash
# Runs every example (examples/*/run.sh) with secpipe on PATH; each one checks
# its own results and exits non-zero on a failure. `make examples` builds
# secpipe into bin/ and calls this.
set -euo pipefail
cd "$(dirname "$0")"
command -v secpipe >/dev/null || { echo "secpipe is not on PATH (make build; PATH=\$PWD/bin:\$PATH)" >&2; exit 1; }
failed=0
for ex in */run.sh; do
	name=${ex%/run.sh}
	printf '== example %s\n' "$name"
	if (cd "$name" && ./run.sh) >"/tmp/secpipe-example-$name.log" 2>&1; then
		echo "   ok"
	else
		echo "   FAILED; its output:"
		sed 's/^/   | /' "/tmp/secpipe-example-$name.log"
		failed=1
	fi
done
exit $failed
