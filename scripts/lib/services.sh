#!/usr/bin/env bash
# Throwaway services for tests and benchmarks: each binds to 127.0.0.1 on a free port, lives in its own temp dir,
# and is stopped by its own pid file. Source this file.

free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }

apt_updated=0
# usage: ensure_packages pkg... (installs what is missing; runs apt-get update once)
ensure_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  if [ "$apt_updated" = 0 ]; then "${sudo[@]}" apt-get update -q >/dev/null || return 1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# usage: ensure_mail_packages (Dovecot IMAP and Debian's aiosmtpd SMTP sink, which the email tests start themselves)
ensure_mail_packages() { ensure_packages dovecot-core dovecot-imapd python3-aiosmtpd; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# usage: start_postgres [durable] -> exports PG_DIR PG_PORT PG_ADMIN_CONN (fsync off unless "durable")
start_postgres() {
  [ -n "$(pg_bin)" ] || ensure_packages postgresql || return 1
  local bin; bin=$(pg_bin)
  PG_DIR=$(mktemp -d /tmp/loopdesk-pg.XXXXXX)
  PG_PORT=$(free_port)
  local asuser=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres: "$PG_DIR"; chmod 700 "$PG_DIR"
    asuser=(runuser -u postgres --)
  fi
  "${asuser[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log"; return 1; }
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${1:-}" = durable ] && fast=""
  "${asuser[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 $fast" start >/dev/null \
    || { cat "$PG_DIR/server.log"; return 1; }
  export PG_DIR PG_PORT
  export PG_ADMIN_CONN="Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=postgres;Password=postgres"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  local asuser=(); [ "$(id -u)" = 0 ] && asuser=(runuser -u postgres --)
  "${asuser[@]}" "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$PG_DIR"; unset PG_DIR PG_PORT PG_ADMIN_CONN
}
