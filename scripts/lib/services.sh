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

# usage: ensure_browser_packages (Debian's Chromium, which the workspace's browser tests drive, and a font for screenshots)
ensure_browser_packages() { ensure_packages chromium fonts-liberation; }

# usage: ensure_node (Node.js and npm, which the build needs for the chat widget; Debian's packages when either is missing)
ensure_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  ensure_packages nodejs npm
}

# usage: ensure_redis_package (Debian's redis-server, which the live chat's scale-out test starts itself)
ensure_redis_package() { command -v redis-server >/dev/null || ensure_packages redis-server; }

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

# usage: start_dovecot -> exports DOVECOT_DIR DOVECOT_PORT DOVECOT_PID
# A throwaway Dovecot IMAP server (plain text, 127.0.0.1 only), configured like the email tests' (MailServers.cs). A user
# is a file DOVECOT_DIR/users/NAME holding "NAME:{PLAIN}PASSWORD", read at each login; their mail is the Maildir
# DOVECOT_DIR/mail/NAME/Maildir. As root the mail processes run as nobody:nogroup (Dovecot refuses root), so files put
# there must belong to nobody (chown -R --reference=DOVECOT_DIR/mail).
start_dovecot() {
  [ -x /usr/sbin/dovecot ] || ensure_mail_packages || return 1
  DOVECOT_DIR=$(mktemp -d /tmp/loopdesk-dovecot.XXXXXX)
  chmod 755 "$DOVECOT_DIR"
  mkdir -p -m 755 "$DOVECOT_DIR/mail" "$DOVECOT_DIR/users" "$DOVECOT_DIR/run"
  local user group rootless="" login_chroot=""
  if [ "$(id -u)" = 0 ]; then
    user=nobody; group=nogroup
    chown nobody:nogroup "$DOVECOT_DIR/mail"
  else
    user=$(id -un); group=$(id -gn); login_chroot="chroot ="
    rootless="default_internal_user = $user
default_internal_group = $group
default_login_user = $user
first_valid_uid = 1
first_valid_gid = 1
service anvil {
  chroot =
}"
  fi
  DOVECOT_PORT=$(free_port)
  local greeting="Loopdesk bench IMAP $$.$RANDOM"
  cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
login_greeting = $greeting
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
stats_writer_socket_path =
mail_location = maildir:~/Maildir
mail_fsync = never
$rootless
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/users/%u
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$DOVECOT_DIR/mail/%u
}
protocol imap {
  mail_max_userip_connections = 100
}
service imap-login {
  $login_chroot
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
  /usr/sbin/dovecot -F -c "$DOVECOT_DIR/dovecot.conf" >"$DOVECOT_DIR/master.log" 2>&1 &
  DOVECOT_PID=$!
  export DOVECOT_DIR DOVECOT_PORT DOVECOT_PID
  # no login penalty after a failed one (see MailServers.TurnOffAuthPenaltyAsync): the socket goes once the master made it
  local i
  for i in $(seq 1 300); do [ -f "$DOVECOT_DIR/run/master.pid" ] && break; kill -0 "$DOVECOT_PID" 2>/dev/null || break; sleep 0.05; done
  rm -f "$DOVECOT_DIR/run/anvil-auth-penalty"
  if ! wait_for_greeting "$DOVECOT_PORT" "$greeting" "$DOVECOT_PID"; then
    echo "Dovecot did not start:" >&2; cat "$DOVECOT_DIR/master.log" "$DOVECOT_DIR/dovecot.log" >&2 2>/dev/null; stop_dovecot; return 1
  fi
}

stop_dovecot() {
  [ -n "${DOVECOT_PID:-}" ] || return 0
  kill -TERM "$DOVECOT_PID" 2>/dev/null
  local i
  for i in $(seq 1 100); do kill -0 "$DOVECOT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DOVECOT_PID" 2>/dev/null
  wait "$DOVECOT_PID" 2>/dev/null
  rm -rf "$DOVECOT_DIR"; unset DOVECOT_DIR DOVECOT_PORT DOVECOT_PID
}

# usage: start_smtp_sink -> exports SMTP_SINK_DIR SMTP_SINK_PORT SMTP_SINK_PID
# Debian's aiosmtpd on 127.0.0.1 (plain text, no sign-in); every message it accepts becomes a file in the Maildir
# SMTP_SINK_DIR/maildir (new/), with its envelope in the headers X-MailFrom and X-RcptTo. The handler
# (bench/sink/raw_maildir.py) writes the bytes as they came, without parsing them: the sink shares the machine with the
# server it measures.
start_smtp_sink() {
  [ -d /usr/lib/python3/dist-packages/aiosmtpd ] || ensure_mail_packages || return 1
  SMTP_SINK_DIR=$(mktemp -d /tmp/loopdesk-smtp.XXXXXX)
  SMTP_SINK_PORT=$(free_port)
  PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../bench/sink" && pwd)" \
    /usr/bin/python3 -m aiosmtpd -n -u -l "127.0.0.1:$SMTP_SINK_PORT" -c raw_maildir.RawMaildir "$SMTP_SINK_DIR/maildir" \
    >"$SMTP_SINK_DIR/sink.log" 2>&1 &
  SMTP_SINK_PID=$!
  export SMTP_SINK_DIR SMTP_SINK_PORT SMTP_SINK_PID
  if ! wait_for_greeting "$SMTP_SINK_PORT" "220 " "$SMTP_SINK_PID"; then
    echo "the SMTP sink did not start:" >&2; cat "$SMTP_SINK_DIR/sink.log" >&2; stop_smtp_sink; return 1
  fi
}

stop_smtp_sink() {
  [ -n "${SMTP_SINK_PID:-}" ] || return 0
  kill -TERM "$SMTP_SINK_PID" 2>/dev/null
  wait "$SMTP_SINK_PID" 2>/dev/null
  rm -rf "$SMTP_SINK_DIR"; unset SMTP_SINK_DIR SMTP_SINK_PORT SMTP_SINK_PID
}

# usage: wait_for_greeting PORT TEXT PID: true once a server on 127.0.0.1:PORT greets with a line holding TEXT (15 s at most)
wait_for_greeting() {
  local i
  for i in $(seq 1 150); do
    kill -0 "$3" 2>/dev/null || return 1
    # in a subshell: an exec with redirections would otherwise keep them (stderr to /dev/null) for the caller
    if ( exec 9<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 line <&9 && case "$line" in *"$2"*) exit 0 ;; *) exit 1 ;; esac ) 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
