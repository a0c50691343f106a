#!/usr/bin/env bash
# `make package-test`: the .deb on a machine that has never seen the build.
#
#   packaging/package-test.sh BUILD_DIR      (BUILD_DIR holds sgeventd_<version>_<arch>.deb and the binary)
#
# 1. A minimal Debian bookworm root (debootstrap --variant=minbase, cached in BUILD_DIR/rootfs) is copied
#    to a fresh root, and the package is installed there with `apt-get install ./sgeventd_*.deb`, so apt
#    resolves the declared dependencies from the Debian mirror this machine uses.
# 2. In that root: --version, check-config on the installed config, the files and folders the package
#    promises, then the daemon as the sgeventd user for a few seconds against `sgeventd sim` (run from the
#    build on 127.0.0.1) with one Python and one native plugin (built against the installed headers with
#    the installed pkg-config file), SIGUSR1 log reopening, the logrotate snippet, `status`, and a stop;
#    then remove (keeps state, logs and plugin folders) and purge (deletes them).
# 3. The container image: that root imported into podman as the base, `podman build --isolation chroot`,
#    then the image run with podman (runc, host network) against a sim on the host; the health check and
#    a plugin's output are checked.
# Missing tools (debootstrap, podman, runc) are installed from Debian. What cannot run here is skipped
# with the reason, and the summary says so.
set -euo pipefail

build=$(realpath "${1:?usage: package-test.sh BUILD_DIR}")
source_dir=$(realpath "$(dirname "$0")/..")
binary=$build/sgeventd

step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
die() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}
skipped=()
skip() {
  printf '   SKIPPED: %s\n' "$*"
  skipped+=("$*")
}

if [ "$(id -u)" != 0 ]; then
  exec sudo --preserve-env=PATH "$0" "$@"
fi

deb=$(ls -t "$build"/sgeventd_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "no sgeventd_*.deb in $build (run make package)"
[ -x "$binary" ] || die "no $binary"
version=$(dpkg-deb -f "$deb" Version)
installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
deb_bytes=$(stat -c %s "$deb")

base=$build/rootfs     # the cached debootstrap root; a run only refreshes its apt sources
root=$build/fresh-root # this run's copy
work=$(mktemp -d /tmp/sgeventd-package-test.XXXXXX)
sim_pid=""
daemon_pid=""
container=sgeventd-package-test
image=localhost/sgeventd:package-test
base_image=localhost/sgeventd-package-test-base:bookworm

cleanup() {
  set +e
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  if command -v podman >/dev/null; then
    podman rm -f -t 0 "$container" >/dev/null 2>&1
  fi
  mountpoint -q "$root/var/cache/apt/archives" && umount "$root/var/cache/apt/archives"
  mountpoint -q "$root/proc" && umount "$root/proc"
  rm -rf "$work"
}
trap cleanup EXIT

apt_install_host() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "   installing on this machine: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The Debian entries of this machine's apt sources (one-line format), bookworm suites only: the fresh
# root and the image use the same mirror.
host_sources() {
  python3 - <<'EOF'
import glob, re
out = []
def add(types, uris, suites, comps):
    if "deb" in types:
        for uri in uris:
            for suite in suites:
                if re.fullmatch(r"bookworm(-updates|-security|-backports)?", suite):
                    out.append(f"deb {uri} {suite} {' '.join(comps)}")
for path in sorted(glob.glob("/etc/apt/sources.list") + glob.glob("/etc/apt/sources.list.d/*.list")):
    for line in open(path):
        line = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
        if len(line) >= 3:
            add([line[0]], [line[1]], [line[2]], line[3:])
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.split()
        if fields.get("enabled", ["yes"])[0].lower() == "no":
            continue
        add(fields.get("types", []), fields.get("uris", []), fields.get("suites", []),
            fields.get("components", ["main"]))
print("\n".join(dict.fromkeys(out)))
EOF
}

# Every step execs the next (chroot, env, setpriv, sh), so `(exec_as_daemon ...) &` leaves $! naming the
# daemon itself.
exec_in_root() { exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
in_root() { (exec_in_root "$@"); }
# As the service runs it: the sgeventd user, the environment of /etc/default/sgeventd.
exec_as_daemon() {
  exec_in_root setpriv --reuid=sgeventd --regid=sgeventd --init-groups \
    sh -c 'set -a; . /etc/default/sgeventd; set +a; exec "$@"' sh "$@"
}
as_daemon() { (exec_as_daemon "$@"); }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${seconds}s waiting for $what"
}

start_sim() { # start_sim LOG: a sim on 127.0.0.1, a free port; sets sim_pid and sim_port
  "$binary" sim --host 127.0.0.1 --port 0 --activity 10 >"$1" 2>&1 &
  sim_pid=$!
  wait_for 10 "the simulated site" grep -q "listening on" "$1"
  sim_port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$1")
  ok "sgeventd sim on 127.0.0.1:$sim_port (pid $sim_pid)"
}

step "package: $(basename "$deb")"
echo "   package size: $deb_bytes bytes ($((deb_bytes / 1024)) KiB); installed size: $installed_kib KiB"
echo "   Depends: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q python3 || die "the package does not depend on python3"
dpkg-deb -f "$deb" Depends | grep -q libcurl || die "dpkg-shlibdeps found no library dependencies"
exposure=""
if command -v systemd-analyze >/dev/null; then
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/sgeventd.service >"$work/sgeventd.service"
  exposure=$(systemd-analyze security --offline=yes "$work/sgeventd.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for sgeventd.service: \([0-9.]*\).*/\1/p')
  echo "   systemd-analyze security (offline): exposure $exposure"
fi

step "the minimal Debian root"
apt_install_host debootstrap
mirror_list=$(host_sources)
[ -n "$mirror_list" ] || mirror_list="deb http://deb.debian.org/debian bookworm main"
mirror=$(awk '$3 == "bookworm" {print $2; exit}' <<<"$mirror_list")
mirror=${mirror:-http://deb.debian.org/debian}
echo "   mirror: $mirror"
if [ ! -f "$base.complete" ]; then
  rm -rf "$base" "$base.tmp"
  echo "   debootstrap --variant=minbase bookworm (cached in $base for the next runs)"
  debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; die "debootstrap failed"; }
  mv "$base.tmp" "$base"
  touch "$base.complete"
else
  echo "   cached: $base"
fi
# The base uses this machine's mirror (also in the image built from it).
printf '%s\n' "$mirror_list" >"$base/etc/apt/sources.list"
rm -rf "$root"
cp -a "$base" "$root"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
# Debian's .debs are kept between runs (a download cache only: the root itself is new each time).
mkdir -p "$build/apt-archives/partial"
mount --bind "$build/apt-archives" "$root/var/cache/apt/archives"
ok "fresh root at $root"

step "apt-get install ./$(basename "$deb") in the fresh root"
in_root test ! -e /usr/bin/sgeventd || die "the fresh root already has sgeventd"
in_root sh -c 'command -v g++ || command -v gcc' >/dev/null && die "the fresh root has a compiler"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; die "apt-get update failed"; }
if ! in_root sh -c "cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$(basename "$deb")" \
  >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  die "apt-get install failed"
fi
pulled=$(grep -c '^Setting up' "$work/install.log" || true)
ok "installed with $((pulled - 1)) dependencies pulled by apt"
grep -A3 '^sgeventd: set the site' "$work/install.log" | sed 's/^/   postinst: /'

step "what the package installed"
out=$(in_root sgeventd --version)
[ "$out" = "sgeventd $version" ] || die "sgeventd --version said '$out', expected 'sgeventd $version'"
ok "sgeventd --version: $out"
in_root sgeventd --help | head -1 | grep -q "sgeventd $version" || die "--help does not show the version"
ok "--help shows the version"
in_root id sgeventd >/dev/null || die "no sgeventd user"
ok "system user: $(in_root id sgeventd)"
for dir in /var/lib/sgeventd /var/log/sgeventd; do
  [ "$(in_root stat -c %U "$dir")" = sgeventd ] || die "$dir is not owned by sgeventd"
done
for dir in /usr/lib/sgeventd/plugins /etc/sgeventd/plugins.d; do
  in_root test -d "$dir" || die "no $dir"
done
ok "folders: /var/lib/sgeventd, /var/log/sgeventd (sgeventd), /usr/lib/sgeventd/plugins, /etc/sgeventd/plugins.d"
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' sgeventd)
for f in /etc/sgeventd/shotgunEventDaemon.conf /etc/default/sgeventd; do
  grep -q " $f " <<<"$conffiles" || die "$f is not a conffile"
done
ok "conffiles: /etc/sgeventd/shotgunEventDaemon.conf, /etc/default/sgeventd"
for f in /usr/share/man/man1/sgeventd.1.gz /usr/share/bash-completion/completions/sgeventd \
  /usr/include/sgeventd/plugin.h /usr/include/sgeventd/plugin.hpp /usr/share/pkgconfig/sgeventd.pc \
  /usr/lib/systemd/system/sgeventd.service /usr/lib/systemd/system/sgeventd@.service \
  /usr/lib/systemd/system/sgeventd-worker.service \
  /usr/share/doc/sgeventd/installing.md /usr/share/doc/sgeventd/examples/shotgunEventDaemon.conf \
  /usr/share/doc/sgeventd/examples/logrotate; do
  in_root test -f "$f" || die "no $f"
done
ok "man page, bash completion, headers, pkg-config file, units, docs, examples"
[ "$(in_root stat -c '%U:%G %a' /etc/default/sgeventd)" = "root:sgeventd 640" ] ||
  die "/etc/default/sgeventd is not root:sgeventd 0640"
ok "/etc/default/sgeventd: root:sgeventd 0640 (it holds the script key)"

step "check-config on the installed config"
start_sim "$work/sim.log"
cat >"$root/etc/default/sgeventd" <<EOF
SG_ED_SITE_URL=http://127.0.0.1:$sim_port
SG_ED_SCRIPT_NAME=sgeventd
SG_ED_API_KEY=sim-key
EOF
out=$(as_daemon sgeventd check-config 2>&1) || die "check-config: $out"
ok "$out"

step "plugins: one Python, one native (built against the installed headers and pkg-config file)"
cat >"$work/package_probe.py" <<'EOF'
"""The package test's Python plugin: logs each event it receives."""


def registerCallbacks(reg):
    reg.registerCallback("sgeventd", "sim-key", probe, None, None)


def probe(sg, logger, event, args):
    logger.info("python probe saw event %d (%s)", event["id"], event["event_type"])
EOF
install -m 0644 "$work/package_probe.py" "$root/etc/sgeventd/plugins.d/.package_probe.py.tmp"
mv "$root/etc/sgeventd/plugins.d/.package_probe.py.tmp" "$root/etc/sgeventd/plugins.d/package_probe.py"
# The fresh root's sgeventd.pc, moved under the root with --define-variable; nlohmann/json from this machine.
pc() { PKG_CONFIG_PATH="$root/usr/share/pkgconfig:/usr/share/pkgconfig" pkg-config --define-variable=prefix="$root/usr" "$@"; }
cflags=$(pc --cflags sgeventd)
plugin_cflags=$(pc --variable=plugin_cflags sgeventd)
[ "$(pc --modversion sgeventd)" = "$version" ] || die "pkg-config --modversion sgeventd: $(pc --modversion sgeventd)"
grep -q -- "-I$root/usr/include" <<<"$cflags" || die "pkg-config --cflags sgeventd: '$cflags'"
g++ -std=c++20 -O2 -shared -fPIC $cflags $plugin_cflags "$root/usr/share/doc/sgeventd/examples/plugins/native/log_events.cpp" \
  -o "$work/log_events.so"
install -m 0644 "$work/log_events.so" "$root/usr/lib/sgeventd/plugins/.log_events.so.tmp"
mv "$root/usr/lib/sgeventd/plugins/.log_events.so.tmp" "$root/usr/lib/sgeventd/plugins/log_events.so"
ok "package_probe.py in /etc/sgeventd/plugins.d, log_events.so in /usr/lib/sgeventd/plugins (g++ $cflags $plugin_cflags)"
out=$(as_daemon sgeventd plugins 2>&1) || die "sgeventd plugins: $out"
sed 's/^/   /' <<<"$out"

step "the daemon in the fresh root, as sgeventd, against the sim"
out=$(as_daemon sgeventd status 2>&1) && die "status says running before the start: $out"
ok "before the start: $out"
(exec_as_daemon sgeventd foreground) >"$work/daemon.stderr" 2>&1 &
daemon_pid=$!
logs=$root/var/log/sgeventd
wait_for 30 "the Python plugin's log line" grep -q "python probe saw event" "$logs/plugin.package_probe"
wait_for 30 "the native plugin's log line" grep -q "event [0-9]* Shotgun_" "$logs/plugin.log_events"
ok "Python plugin: $(grep -m1 'python probe saw event' "$logs/plugin.package_probe")"
ok "native plugin: $(grep -m1 'event [0-9]* Shotgun_' "$logs/plugin.log_events")"
grep -q "sgeventd $version starting with /etc/sgeventd/shotgunEventDaemon.conf" "$logs/shotgunEventDaemon" ||
  die "the log's start line does not name the version and the config"
ok "log start line: $(grep -m1 'starting with' "$logs/shotgunEventDaemon" | cut -c1-120)"
out=$(as_daemon sgeventd status 2>&1) || die "status while running: $out"
ok "status: $out"
grep -q "pid $daemon_pid," <<<"$out" || die "status names another pid than the daemon's ($daemon_pid)"
# SIGUSR1 after a logrotate-style rename: the daemon writes to a new file at the old path.
mv "$logs/shotgunEventDaemon" "$logs/shotgunEventDaemon.rotated"
kill -USR1 "$daemon_pid"
wait_for 10 "the reopened main log" grep -q "SIGUSR1: log files reopened" "$logs/shotgunEventDaemon"
ok "SIGUSR1: the main log was reopened at its path after a rename"
kill -TERM "$daemon_pid"
code=0
wait "$daemon_pid" || code=$?
daemon_pid=""
[ "$code" = 0 ] || { tail -20 "$work/daemon.stderr"; die "the daemon exited with $code after SIGTERM"; }
grep -q "Stopped." "$logs/shotgunEventDaemon" || die "no 'Stopped.' in the main log"
ok "SIGTERM: drained and exited 0"
out=$(as_daemon sgeventd state show 2>&1) || die "state show: $out"
sed 's/^/   /' <<<"$out"
grep -q package_probe <<<"$out" && grep -q log_events <<<"$out" || die "state show lacks a plugin"

step "a second site on the same host (sgeventd@SITE, as docs/installing.md sets it up)"
in_root sh -e -c '
  site=studio-b
  install -d /etc/sgeventd/$site/plugins.d
  sed -e "s|/var/lib/sgeventd/|/var/lib/sgeventd/$site/|" \
      -e "s|^logPath: /var/log/sgeventd|logPath: /var/log/sgeventd/$site|" \
      -e "s|/run/sgeventd/sgeventd.pid|/run/sgeventd/$site.pid|" \
      -e "s|/etc/sgeventd/plugins.d|/etc/sgeventd/$site/plugins.d|" \
      /etc/sgeventd/shotgunEventDaemon.conf >/etc/sgeventd/$site/shotgunEventDaemon.conf
  install -m 0640 -g sgeventd /etc/default/sgeventd /etc/default/sgeventd-$site' || die "setting up the second site"
out=$(in_root setpriv --reuid=sgeventd --regid=sgeventd --init-groups sh -c \
  'set -a; . /etc/default/sgeventd-studio-b; exec sgeventd -c /etc/sgeventd/studio-b/shotgunEventDaemon.conf check-config' 2>&1) ||
  die "check-config of the second site: $out"
grep -q "^state_database: /var/lib/sgeventd/studio-b/sgeventd.sqlite" "$root/etc/sgeventd/studio-b/shotgunEventDaemon.conf" &&
  grep -q "^logPath: /var/log/sgeventd/studio-b" "$root/etc/sgeventd/studio-b/shotgunEventDaemon.conf" ||
  die "the second site's config does not name its own state and log folders"
ok "$out (own state database and logs; the unit sgeventd@studio-b.service reads it)"
in_root rm -rf /etc/sgeventd/studio-b /etc/default/sgeventd-studio-b

step "the logrotate snippet (for log_rotation: off)"
if in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq logrotate' >"$work/logrotate-install.log" 2>&1; then
  in_root cp /usr/share/doc/sgeventd/examples/logrotate /etc/logrotate.d/sgeventd
  if out=$(in_root logrotate --debug --force /etc/logrotate.d/sgeventd 2>&1); then
    grep -q "rotating pattern" <<<"$out" || die "logrotate read no pattern: $out"
    ok "logrotate --debug parses it: $(grep -c 'considering log' <<<"$out") log files considered"
  else
    die "logrotate --debug: $out"
  fi
  in_root rm -f /etc/logrotate.d/sgeventd
else
  skip "logrotate could not be installed in the root: $(tail -1 "$work/logrotate-install.log")"
fi

step "remove keeps state, logs and plugin folders; purge deletes them"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq sgeventd' >/dev/null 2>&1 || die "apt-get remove"
in_root test ! -e /usr/bin/sgeventd || die "the binary survived remove"
for p in /var/lib/sgeventd/sgeventd.sqlite /var/log/sgeventd/shotgunEventDaemon /etc/sgeventd/plugins.d/package_probe.py \
  /usr/lib/sgeventd/plugins/log_events.so /etc/sgeventd/shotgunEventDaemon.conf /etc/default/sgeventd; do
  in_root test -e "$p" || die "remove deleted $p"
done
ok "after remove: state database, logs, plugins and conffiles are still there"
rm -f "$root/usr/lib/sgeventd/plugins/log_events.so" # another package's plugin would be removed by its package
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sgeventd' >/dev/null 2>&1 || die "apt-get purge"
for p in /var/lib/sgeventd /var/log/sgeventd /etc/sgeventd /usr/lib/sgeventd /etc/default/sgeventd; do
  in_root test ! -e "$p" || die "purge left $p"
done
ok "after purge: /var/lib/sgeventd, /var/log/sgeventd, /etc/sgeventd, /usr/lib/sgeventd, /etc/default/sgeventd are gone"
umount "$root/var/cache/apt/archives"
umount "$root/proc"

step "the container image"
image_bytes=""
base_bytes=0
container_ok=""
if ! apt_install_host podman runc; then
  skip "podman and runc could not be installed: no container checks"
elif ! podman info >"$work/podman-info.log" 2>&1; then
  skip "podman cannot run on this machine ($(tail -1 "$work/podman-info.log")): no container checks"
else
  # The cached root as the base image: no registry is needed.
  # Without what debootstrap downloaded (package lists, .debs): the Dockerfile runs apt-get update.
  tar -C "$base" '--exclude=./dev/*' '--exclude=./proc/*' '--exclude=./sys/*' \
    '--exclude=./var/lib/apt/lists/*' '--exclude=./var/cache/apt/archives/*.deb' -c . |
    podman import - "$base_image" >"$work/import.log" 2>&1 || { cat "$work/import.log"; die "podman import"; }
  base_bytes=$(podman image inspect --format '{{.Size}}' "$base_image")
  ok "base image $base_image imported from $base: $base_bytes bytes ($((base_bytes / 1024 / 1024)) MiB)"
  # --format docker: the OCI image format has no HEALTHCHECK.
  if ! podman build --format docker --isolation chroot --network host --build-arg BASE="$base_image" \
    -f "$source_dir/Dockerfile" -t "$image" "$build" >"$work/build.log" 2>&1; then
    tail -30 "$work/build.log"
    die "podman build failed"
  fi
  image_bytes=$(podman image inspect --format '{{.Size}}' "$image")
  ok "image $image built with --isolation chroot: $image_bytes bytes ($((image_bytes / 1024 / 1024)) MiB)"
  [ "$(podman image inspect --format '{{.Config.User}}' "$image")" = sgeventd ] || die "the image does not run as sgeventd"
  ok "runs as $(podman image inspect --format '{{.Config.User}}' "$image"): $(podman image inspect --format '{{.Config.Entrypoint}} {{.Config.Cmd}}' "$image")"

  run_flags=(--runtime runc --network host)
  if ! out=$(podman run --rm --no-healthcheck "${run_flags[@]}" "$image" sgeventd --version 2>"$work/run.err"); then
    if grep -qiE 'rlimit|ulimit|prlimit' "$work/run.err"; then
      run_flags+=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
      echo "   this host refuses the default limits: running with ${run_flags[*]: -4}"
      out=$(podman run --rm --no-healthcheck "${run_flags[@]}" "$image" sgeventd --version 2>"$work/run.err") || true
    fi
  fi
  [ -n "$out" ] || out=$(tail -3 "$work/run.err")
  if [ "$out" != "sgeventd $version" ]; then
    skip "podman cannot run containers here ($out): the image was built but not run"
  else
    ok "podman run ${run_flags[*]} $image sgeventd --version: $out"
    out=$(podman run --rm --no-healthcheck "${run_flags[@]}" "$image" sh -c 'for c in cc gcc g++ c++ clang; do command -v $c; done; true')
    [ -z "$out" ] || die "the image holds a compiler: $out"
    ok "no compiler in the image"
    mkdir -p "$work/plugins" "$work/logs"
    cp "$work/package_probe.py" "$work/log_events.so" "$work/plugins/"
    chown 990:990 "$work/logs"
    podman rm -f -t 0 "$container" >/dev/null 2>&1 || true
    # podman starts health checks from systemd timers; without systemd they are run by hand below.
    podman run -d --name "$container" "${run_flags[@]}" --health-interval disable \
      -e SG_ED_SITE_URL="http://127.0.0.1:$sim_port" -e SG_ED_API_KEY=sim-key \
      -v "$work/plugins:/etc/sgeventd/plugins.d:ro" -v "$work/logs:/var/log/sgeventd" \
      "$image" >/dev/null 2>"$work/run.err" || { cat "$work/run.err"; die "podman run -d"; }
    wait_for 40 "the Python plugin's log line in the container" grep -q "python probe saw event" "$work/logs/plugin.package_probe"
    wait_for 40 "the native plugin's log line in the container" grep -q "event [0-9]* Shotgun_" "$work/logs/plugin.log_events"
    ok "Python plugin in the container: $(grep -m1 'python probe saw event' "$work/logs/plugin.package_probe")"
    ok "native plugin in the container: $(grep -m1 'event [0-9]* Shotgun_' "$work/logs/plugin.log_events")"
    wait_for 10 "the plugin's lines in podman logs" sh -c "podman logs $container 2>&1 | grep -q 'python probe saw event'"
    ok "podman logs carries the log (stderr)"
    out=$(podman healthcheck run "$container" 2>>"$work/podman.err") || die "health check: $out $(tail -3 "$work/podman.err")"
    health=$(podman inspect --format '{{.State.Health.Status}}' "$container" 2>/dev/null ||
      podman inspect --format '{{.State.Healthcheck.Status}}' "$container")
    [ "$health" = healthy ] || die "health status is '$health'"
    ok "podman healthcheck run: $health ($(podman exec "$container" sgeventd status))"
    podman stop -t 60 "$container" >/dev/null 2>>"$work/podman.err"
    code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
    [ "$code" = 0 ] || { podman logs "$container" 2>&1 | tail -20; die "the container exited with $code after podman stop"; }
    grep -q "Stopped." "$work/logs/shotgunEventDaemon" || die "no 'Stopped.' in the container's main log"
    ok "podman stop: drained and exited 0"
    podman rm "$container" >/dev/null 2>>"$work/podman.err"
    container_ok=yes
  fi
fi

step "summary"
echo "   package:        $(basename "$deb"), $deb_bytes bytes ($((deb_bytes / 1024)) KiB)"
echo "   installed size: $installed_kib KiB"
if [ -n "$image_bytes" ]; then
  echo "   image size:     $image_bytes bytes ($((image_bytes / 1024 / 1024)) MiB), of which the minbase bookworm base is $((base_bytes / 1024 / 1024)) MiB"
fi
[ -n "$exposure" ] && echo "   systemd-analyze security exposure of sgeventd.service: $exposure"
echo "   fresh root: install, --version, check-config, Python + native plugins, status, SIGUSR1, stop, remove, purge: passed"
[ -n "$container_ok" ] && echo "   container: build, run, plugins, health check, stop: passed"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "   skipped:"
  printf '     - %s\n' "${skipped[@]}"
fi
echo "package-test passed"
