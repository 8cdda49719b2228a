#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster (with pgvector) on 127.0.0.1, for the tests that
# need a real server beside PGlite (MVCC, lock waits, roles and privileges).
#
#   eval "$(.ci/pg-server.sh start)"   # exports SALON_LENS_TEST_PG_URL
#   npx vitest run test/index-pg.test.ts
#   .ci/pg-server.sh stop
#
# The cluster lives in $SALON_LENS_PG_DIR (default /tmp/salon-lens-pg-$USER), listens on
# a free port on 127.0.0.1 only, trusts local logins and runs without fsync: it is for
# tests, never for data. As root it runs as `nobody` (Postgres refuses to run as root).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DIR=${SALON_LENS_PG_DIR:-/tmp/salon-lens-pg-$(id -un)}

as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start() {
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "pg-server: no $PGBIN/initdb (install postgresql-15, see README)" >&2
    exit 1
  fi
  if [ -f "$DIR/url" ] && as_owner "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    echo "export SALON_LENS_TEST_PG_URL='$(cat "$DIR/url")'"
    return
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = "0" ] && chown nobody "$DIR"
  as_owner "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
    { cat "$DIR/initdb.log" >&2; exit 1; }
  local port
  port=$(free_port)
  as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
  local url="postgres://postgres@127.0.0.1:$port/postgres"
  echo "$url" >"$DIR/url"
  echo "export SALON_LENS_TEST_PG_URL='$url'"
}

stop() {
  if [ -d "$DIR/data" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
