#!/usr/bin/env bash
# Starts Debian's PostgreSQL on 127.0.0.1:5432 (if it is not running) with a `weft` role and a
# `weft_test` database. Idempotent; used by .ci/run and by developers who want the PG suite.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >/dev/null
fi
conf="/etc/postgresql/$ver/main/postgresql.conf"
grep -q "^listen_addresses = '127.0.0.1'" "$conf" || echo "listen_addresses = '127.0.0.1'" >>"$conf"
grep -q "^max_connections = 200" "$conf" || echo "max_connections = 200" >>"$conf"
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='weft'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role weft login password 'weft' createdb\""
# Tests drop their databases WITH (FORCE); terminating an autovacuum worker inside one needs this.
su postgres -c "psql -qc \"grant pg_signal_backend to weft\"" >/dev/null
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='weft_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create database weft_test owner weft\""
echo "postgres ready on 127.0.0.1:5432 (database weft_test, role weft)"
