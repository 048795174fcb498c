#!/usr/bin/env bash
# A throw-away Dovecot IMAP server on loopback for the e-mail tests.
#
#   scripts/dovecot-test.sh start   # install check, write the config, start, wait for the port
#   scripts/dovecot-test.sh stop
#   scripts/dovecot-test.sh url     # print the URL the tests read from LEADKEEPER_TEST_IMAP_URL
#
# Any user name logs in with the password below and gets a fresh, empty mailbox, so every
# test takes a mailbox of its own. Nothing here touches the machine's own Dovecot: the
# config, the sockets, the mail and the log live under $LEADKEEPER_DOVECOT_DIR.
# Dovecot comes from Debian's packages: apt-get install -y dovecot-imapd
set -euo pipefail

DIR="${LEADKEEPER_DOVECOT_DIR:-/tmp/leadkeeper-dovecot}"
PORT="${LEADKEEPER_DOVECOT_PORT:-10143}"
PASSWORD="leadkeeper"
URL="imap://leadkeeper:${PASSWORD}@127.0.0.1:${PORT}"

find_dovecot() {
  command -v dovecot 2>/dev/null || { [ -x /usr/sbin/dovecot ] && echo /usr/sbin/dovecot; } || true
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null
}

write_config() {
  local me group login_user mail_uid mail_gid
  mkdir -p "$DIR/run" "$DIR/mail"
  if [ "$(id -u)" = "0" ]; then
    # Root may not own mail processes; the Debian package creates these users.
    login_user="dovenull"
    me="dovecot"
    group="dovecot"
    mail_uid="mail"
    mail_gid="mail"
    chown -R mail:mail "$DIR/mail"
  else
    # Without root every Dovecot process runs as the one who started it.
    me="$(id -un)"
    group="$(id -gn)"
    login_user="$me"
    mail_uid="$me"
    mail_gid="$group"
  fi
  cat >"$DIR/dovecot.conf" <<EOF
# Written by scripts/dovecot-test.sh for Leadkeeper's tests; not for production.
base_dir = $DIR/run
state_dir = $DIR/run
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $me
default_internal_group = $group
default_login_user = $login_user
first_valid_uid = 1
mail_location = maildir:$DIR/mail/%u
mail_uid = $mail_uid
mail_gid = $mail_gid
passdb {
  driver = static
  args = password=$PASSWORD
}
userdb {
  driver = static
  args = home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
}

start() {
  if port_open; then
    echo "dovecot-test: something already listens on 127.0.0.1:${PORT}" >&2
    echo "LEADKEEPER_TEST_IMAP_URL=${URL}"
    return 0
  fi
  local binary
  binary="$(find_dovecot)"
  if [ -z "$binary" ]; then
    echo "dovecot-test: Dovecot is not installed (apt-get install -y dovecot-imapd)" >&2
    return 1
  fi
  write_config
  "$binary" -c "$DIR/dovecot.conf"
  for _ in $(seq 1 50); do
    if port_open; then
      echo "LEADKEEPER_TEST_IMAP_URL=${URL}"
      return 0
    fi
    sleep 0.1
  done
  echo "dovecot-test: Dovecot did not open 127.0.0.1:${PORT}; see $DIR/dovecot.log" >&2
  return 1
}

stop() {
  local binary
  binary="$(find_dovecot)"
  if [ -n "$binary" ] && [ -f "$DIR/dovecot.conf" ]; then
    "$binary" -c "$DIR/dovecot.conf" stop 2>/dev/null || true
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) echo "${URL}" ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
