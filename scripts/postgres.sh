#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the tests and print its URL.
# Installs Debian's postgresql if no server binaries are present. Data lives under $PGTEST_DIR.
set -euo pipefail
PGTEST_DIR=${PGTEST_DIR:-/tmp/regia-pgtest}
PGTEST_PORT=${PGTEST_PORT:-55432}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "installing PostgreSQL from Debian packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

run_as() {  # run as the postgres user when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql postgres
fi
mkdir -p "$PGTEST_DIR"
if [ "$(id -u)" = 0 ]; then chown postgres "$PGTEST_DIR"; fi
if [ ! -f "$PGTEST_DIR/data/PG_VERSION" ]; then
  run_as "$bindir/initdb -D '$PGTEST_DIR/data' -U regia --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
if ! run_as "$bindir/pg_ctl -D '$PGTEST_DIR/data' status" >/dev/null 2>&1; then
  run_as "$bindir/pg_ctl -D '$PGTEST_DIR/data' -l '$PGTEST_DIR/log' -w \
    -o '-p $PGTEST_PORT -k $PGTEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' start" >/dev/null
fi
echo "postgresql+psycopg://regia@127.0.0.1:$PGTEST_PORT/postgres"
