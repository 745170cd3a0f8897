#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for tests and trials of
# secpipe's database sinks, from Debian's postgresql package (apt-get install
# postgresql), and prints the line that tells the tests where it is:
#
#   eval "$(scripts/db-up.sh)"      # export SECPIPE_TEST_POSTGRES=postgres://...
#   scripts/db-up.sh stop           # stop it and remove its data
#
# The cluster lives in $SECPIPE_DB_DIR (default /tmp/secpipe-db), trusts local
# connections (no password: it is for tests), runs without fsync, and listens
# on 127.0.0.1:$SECPIPE_PG_PORT (default 55432). A server already running
# there is reused. Run as root, the server runs as the postgres user.
set -euo pipefail
DIR=${SECPIPE_DB_DIR:-/tmp/secpipe-db}
PORT=${SECPIPE_PG_PORT:-55432}
PGDATA=$DIR/postgres
LOG=$DIR/postgres.log

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	echo "db-up: PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
	exit 1
fi

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

if [ "${1:-}" = stop ]; then
	if [ -f "$PGDATA/postmaster.pid" ]; then
		as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >&2
	fi
	rm -rf "$DIR"
	exit 0
fi

mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$DIR"
fi
if [ ! -f "$PGDATA/PG_VERSION" ]; then
	as_pg "$bin/initdb" --auth=trust --no-sync --username=postgres -E UTF8 --locale=C -D "$PGDATA" >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; exit 1; }
fi
if ! as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
	as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 30 \
		-o "-k /tmp -h 127.0.0.1 -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2 ||
		{ tail -20 "$LOG" >&2; exit 1; }
fi
# Wait until it takes connections (pg_ctl -w waits for the postmaster).
for _ in $(seq 1 100); do
	if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
		break
	fi
	sleep 0.1
done
"$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { echo "db-up: PostgreSQL on 127.0.0.1:$PORT does not answer; see $LOG" >&2; exit 1; }
echo "export SECPIPE_TEST_POSTGRES=postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
