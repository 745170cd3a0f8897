#!/usr/bin/env bash
# Starts throwaway database servers on 127.0.0.1 for tests and trials of
# secpipe's database sinks, from Debian's packages, and prints the lines that
# tell the tests where they are:
#
#   eval "$(scripts/db-up.sh)"      # export SECPIPE_TEST_POSTGRES=postgres://...
#                                   # export SECPIPE_TEST_CLICKHOUSE=clickhouse://...
#   scripts/db-up.sh stop           # stop them and remove their data
#
# PostgreSQL (apt-get install postgresql) is required. Its cluster lives in
# $SECPIPE_DB_DIR/postgres (default /tmp/secpipe-db), trusts local connections
# (no password: it is for tests), runs without fsync, and listens on
# 127.0.0.1:$SECPIPE_PG_PORT (default 55432); run as root, the server runs as
# the postgres user. ClickHouse (apt-get install clickhouse-server
# clickhouse-client), when installed, keeps its data in $SECPIPE_DB_DIR/clickhouse
# and listens on 127.0.0.1:$SECPIPE_CH_PORT (native protocol, default 59000).
# Servers already running there are reused.
set -euo pipefail
DIR=${SECPIPE_DB_DIR:-/tmp/secpipe-db}
PORT=${SECPIPE_PG_PORT:-55432}
CH_PORT=${SECPIPE_CH_PORT:-59000}
CH_DIR=$DIR/clickhouse
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
	if [ -f "$CH_DIR/server.pid" ]; then
		pid=$(cat "$CH_DIR/server.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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

ch=/usr/sbin/clickhouse-server
if [ ! -x "$ch" ]; then
	echo "db-up: ClickHouse is not installed (Debian: apt-get install clickhouse-server clickhouse-client): not started" >&2
	exit 0
fi
ch_up() { (exec 3<>"/dev/tcp/127.0.0.1/$CH_PORT") 2>/dev/null; }
if ! ch_up; then
	mkdir -p "$CH_DIR/data"
	cat >"$CH_DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$CH_DIR/server.log</log><errorlog>$CH_DIR/server.err.log</errorlog><size>100M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$CH_PORT</tcp_port>
    <http_port>$((CH_PORT + 1))</http_port>
    <max_connections>256</max_connections>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/data/tmp/</tmp_path>
    <user_files_path>$CH_DIR/data/user_files/</user_files_path>
    <users_config>/etc/clickhouse-server/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
</yandex>
XML
	(cd "$CH_DIR" && exec "$ch" --config-file="$CH_DIR/config.xml" --pid-file="$CH_DIR/server.pid" --daemon) >&2
	for _ in $(seq 1 100); do
		ch_up && break
		sleep 0.1
	done
	ch_up || { echo "db-up: ClickHouse on 127.0.0.1:$CH_PORT does not answer; see $CH_DIR/server.err.log" >&2; exit 1; }
fi
echo "export SECPIPE_TEST_CLICKHOUSE=clickhouse://127.0.0.1:$CH_PORT/default"
