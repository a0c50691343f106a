#!/usr/bin/env bash
# The daemon's side of systemd's Type=notify protocol and SIGUSR1, without systemd: a datagram socket
# stands in for NOTIFY_SOCKET, and the daemon runs against its embedded simulated site.
#   notify_test.sh SGEVENTD_BINARY
# Checks READY=1, STATUS=head ..., WATCHDOG=1 (WATCHDOG_USEC set for this pid), STOPPING=1, and that
# SIGUSR1 reopens a renamed log file at its path.
set -euo pipefail
binary=$(realpath "$1")
work=$(mktemp -d)
receiver=""
daemon=""
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; [ -n "$receiver" ] && kill "$receiver" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ -f "$work/daemon.log" ] && tail -20 "$work/daemon.log"; exit 1; }

mkdir -p "$work/plugins"
cat >"$work/shotgunEventDaemon.conf" <<CONF
[daemon]
pidFile: $work/sgeventd.pid
eventIdFile: $work/shotgunEventDaemon.id
logMode: 1
logPath: $work/logs
logFile: shotgunEventDaemon
logging: 20
conn_retry_sleep: 1
max_conn_retries: 5
fetch_interval: 0.5
[shotgun]
server: http://127.0.0.1:9
name: sgeventd
key: sim-key
use_session_uuid: False
[plugins]
paths: $work/plugins
[emails]
enabled: False
CONF

# The stand-in for systemd: every datagram, one per line ("|" between assignments).
python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
receiver=$!
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
[ -S "$work/notify.sock" ] || fail "the notify socket did not appear"

# WATCHDOG_PID must name the daemon: the shell execs it, so its pid is the daemon's.
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=1000000 \
  sh -c 'WATCHDOG_PID=$$ exec "$0" -c "$1" foreground --with-sim --activity 20 --seconds 6' \
  "$binary" "$work/shotgunEventDaemon.conf" >"$work/daemon.log" 2>&1 &
daemon=$!

wait_for() { for _ in $(seq 100); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.1; done; return 1; }
wait_for grep -q "READY=1" "$work/notify.log" || fail "no READY=1"
echo "READY=1: $(grep -m1 READY=1 "$work/notify.log")"
mv "$work/logs/shotgunEventDaemon" "$work/logs/shotgunEventDaemon.rotated"
kill -USR1 "$daemon"
wait_for grep -q "SIGUSR1: log files reopened" "$work/logs/shotgunEventDaemon" || fail "SIGUSR1 did not reopen the main log"
echo "SIGUSR1: the main log was reopened at its path"
code=0
wait "$daemon" || code=$?
daemon=""
[ "$code" = 0 ] || fail "the daemon exited with $code"
sleep 0.2

grep -q "^STATUS=Starting" "$work/notify.log" || fail "no STATUS=Starting before READY"
grep -q "STATUS=head [0-9]*; 0 plugins, lag 0" "$work/notify.log" || fail "no STATUS=head ... line"
pings=$(grep -c "^WATCHDOG=1$" "$work/notify.log" || true)
[ "$pings" -ge 3 ] || fail "$pings WATCHDOG=1 in ~5 s with WatchdogSec=1 (expected one per half second)"
grep -q "^STOPPING=1" "$work/notify.log" || fail "no STOPPING=1"
[ "$(grep -n '^STOPPING=1' "$work/notify.log" | cut -d: -f1)" -gt "$(grep -n 'READY=1' "$work/notify.log" | cut -d: -f1)" ] ||
  fail "STOPPING=1 before READY=1"
echo "STATUS: $(grep -m1 'STATUS=head' "$work/notify.log")"
echo "WATCHDOG=1: $pings pings; STOPPING=1: $(grep -m1 '^STOPPING=1' "$work/notify.log")"
echo "notify checks passed"
