#!/usr/bin/env bash
# The packaging files as built, checked in seconds (part of `make test`; `make package-test` installs the
# real package): systemd-analyze verify and security on both units, check-config on the config the
# package installs, the man page, the shell completion and the maintainer scripts.
#   units_test.sh SGEVENTD_BINARY SOURCE_DIR PACKAGING_BUILD_DIR
# Exit 77 (ctest: skipped) when systemd-analyze is missing.
set -euo pipefail
binary=$(realpath "$1") source=$(realpath "$2") built=$(realpath "$3")
# Highest acceptable exposure score of `systemd-analyze security` (0 best, 10 worst).
max_exposure=2.0

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Shell syntax: completion (bash) and the maintainer scripts (POSIX sh, as dpkg runs them).
bash -n "$source/packaging/sgeventd.bash-completion" || fail "bash completion has a syntax error"
for script in postinst prerm postrm; do
  sh -n "$source/packaging/debian/$script" || fail "debian/$script has a syntax error"
done

# The installed config: valid once /etc/default/sgeventd has the site and the key (and the plugin
# folders exist, which postinst creates; here they are stand-ins).
mkdir -p "$work/usr-plugins" "$work/etc-plugins"
sed -e "s|/usr/lib/sgeventd/plugins|$work/usr-plugins|" -e "s|/etc/sgeventd/plugins.d|$work/etc-plugins|" \
  "$source/packaging/shotgunEventDaemon.conf" >"$work/shotgunEventDaemon.conf"
if out=$(SG_ED_SITE_URL=https://studio.example.com SG_ED_SCRIPT_NAME=sgeventd SG_ED_API_KEY=key \
  "$binary" check-config "$work/shotgunEventDaemon.conf" 2>&1); then
  echo "installed config: $out"
  if grep -q "warning:" <<<"$out"; then fail "the installed config has warnings: $out"; fi
else
  fail "check-config on packaging/shotgunEventDaemon.conf: $out"
fi
"$binary" --version | grep -qx "sgeventd [0-9][0-9.]*" || fail "sgeventd --version: $("$binary" --version)"

# The man page renders without groff warnings.
if command -v man >/dev/null; then
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$built/sgeventd.1" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "man page warnings: $warnings"
fi

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (Debian package: systemd); the units were not verified"
  [ "$failures" -eq 0 ] || exit 1
  exit 77
fi
# verify checks that ExecStart exists: point the units at this build's binary (they name the install
# prefix's). The template is checked as one instance.
grep -q "^ExecStart=/.*/sgeventd foreground$" "$built/systemd/sgeventd.service" || fail "unexpected ExecStart"
sed -E "s|^ExecStart=[^ ]*/sgeventd |ExecStart=$binary |" "$built/systemd/sgeventd.service" >"$work/sgeventd.service"
sed -E "s|^ExecStart=[^ ]*/sgeventd |ExecStart=$binary |" "$built/systemd/sgeventd@.service" >"$work/sgeventd@site1.service"
sed -E "s|^ExecStart=[^ ]*/sgeventd |ExecStart=$binary |" "$built/systemd/sgeventd-worker.service" >"$work/sgeventd-worker.service"
for unit in sgeventd.service sgeventd@site1.service sgeventd-worker.service; do
  if out=$(cd "$work" && systemd-analyze verify --man=no "$work/$unit" 2>&1) && [ -z "$out" ]; then
    echo "systemd-analyze verify $unit: OK"
  else
    fail "systemd-analyze verify $unit: $out"
  fi
  if report=$(systemd-analyze security --offline=yes --threshold=$(awk "BEGIN{print $max_exposure*10}") \
    "$work/$unit" 2>&1); then
    echo "systemd-analyze security $unit: $(grep -o 'Overall exposure level.*' <<<"$report")"
  else
    echo "$report" | grep '✗' || true
    fail "systemd-analyze security $unit above $max_exposure: $(grep -o 'Overall exposure level.*' <<<"$report")"
  fi
done

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "packaging checks passed"
