#!/usr/bin/env bash
# Make sure what the tests need is here: Redis, PostgreSQL and Debian's Chromium. Starts or installs
# them when missing (as CI and a fresh machine need); does nothing when they are already running.
set -euo pipefail

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
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
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
  for _ in $(seq 100); do pg_up && break; sleep 0.1; done
fi
pg_up && echo "ensure-services: PostgreSQL is up on 127.0.0.1:5432"

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing Debian's chromium for the browser tests"
  apt_install chromium
fi
[ -x /usr/bin/chromium ] && echo "ensure-services: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
