#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's packages) on loopback for the integration tests.
# Prints the admin URL; tests create one database each from it.
set -euo pipefail
PORT="${KOTAE_PG_PORT:-54329}"
ROOT="${KOTAE_PG_DIR:-/tmp/kotae-pg}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "installing PostgreSQL from Debian's packages..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
# PostgreSQL refuses to run as root: use the postgres user the package created.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$BIN/pg_ctl" -D "$ROOT/data" status >/dev/null 2>&1; then
  rm -rf "$ROOT"; mkdir -p "$ROOT/run"
  [ "$(id -u)" = 0 ] && chown -R postgres "$ROOT"
  as_pg "$BIN/initdb" -D "$ROOT/data" -U kotae --auth=trust -E UTF8 --no-locale >/dev/null
  as_pg "$BIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/log" -w start \
    -o "-p $PORT -k $ROOT/run -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" >/dev/null
fi
echo "postgresql+psycopg://kotae@127.0.0.1:$PORT/postgres"
