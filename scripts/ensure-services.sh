#!/usr/bin/env bash
# Make sure what the tests need is here: Redis, PostgreSQL, Debian's Chromium, Node.js and gettext. Starts or installs
# them when missing (as CI and a fresh machine need); does nothing when they are already running.
set -euo pipefail

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
PG_PORT="${PG_PORT:-5432}"  # the cluster the tests use (make test's DATABASE_URL)
PG_CLUSTER="${PG_CLUSTER:-main}"
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "ensure-services: please install $* (need root and apt-get to do it here)" >&2; return 1
  fi
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-ci.log
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
fi
redis_up && echo "ensure-services: Redis is up on 127.0.0.1:6379"

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" "$PG_CLUSTER" start || true
  for _ in $(seq 100); do pg_up && break; sleep 0.1; done
fi
pg_up && echo "ensure-services: PostgreSQL is up on 127.0.0.1:$PG_PORT"

# The tests log in as postgres over TCP without a password (make test's DATABASE_URL). A fresh Debian
# cluster asks for one on 127.0.0.1 (scram-sha-256): only then, trust this machine's own address (the
# line goes first, pg_hba.conf is first-match) and reload. Nothing changes once the login works.
pg_login() { PGCONNECT_TIMEOUT=5 psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }
if pg_up && command -v psql >/dev/null && ! pg_login; then
  version="$(ls /etc/postgresql 2>/dev/null | tail -1)"
  hba="/etc/postgresql/$version/$PG_CLUSTER/pg_hba.conf"
  trust="host all all 127.0.0.1/32 trust"
  if [ -n "$version" ] && [ -w "$hba" ]; then
    if ! grep -qxF "$trust" "$hba"; then
      echo "ensure-services: letting the tests log in as postgres on 127.0.0.1 ($hba: $trust)"
      { echo "# added by scripts/ensure-services.sh: the tests' login (make test)"; echo "$trust"; cat "$hba"; } > "$hba.new"
      chown --reference="$hba" "$hba.new" 2>/dev/null || true
      chmod --reference="$hba" "$hba.new" 2>/dev/null || true
      mv "$hba.new" "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" reload || true
    for _ in $(seq 50); do pg_login && break; sleep 0.1; done
  fi
  pg_login || echo "ensure-services: PostgreSQL refuses the tests' login (postgres@127.0.0.1 without a password)" >&2
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-services: installing Debian's nodejs and npm (axe-core for the accessibility tests)"
  apt_install nodejs npm
fi
if ! command -v msgfmt >/dev/null 2>&1; then
  echo "ensure-services: installing Debian's gettext (compilemessages: the German catalogue)"
  apt_install gettext
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing Debian's chromium for the browser tests"
  apt_install chromium
fi
[ -x /usr/bin/chromium ] && echo "ensure-services: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
