#!/usr/bin/env bash
# ctest deb_package_installs (cmake/TaichoInstall.cmake): the CPack .deb installs, and says what a
# Debian system needs, without touching this machine's root.
#   - the package: the one given as DEB (scripts/package.sh's), else cpack on BUILD_DIR into a temp
#     dir (the same CPack configuration, with this build's install paths);
#   - every Depends entry names a package apt knows (`apt-cache show`; each alternative of "a | b"
#     is tried), so `apt-get install ./taicho_*.deb` can resolve it on bookworm;
#   - control/conffiles lists CONFDIR/taichod.toml, and the file is in the data;
#   - dpkg itself unpacks it into a scratch root with its own database (--root, --admindir,
#     --force-not-root): files where the layout says, the conffile registered as one;
#   - the unit starts BINDIR/taichod with that configuration as User=taicho and is not enabled
#     by the package (no symlink under /etc/systemd/system);
#   - postinst (dpkg's "configure") run with adduser, getent and systemctl replaced by recorders
#     (the real ones would change this machine's users): it creates the system user taicho when
#     getent finds none and does nothing when it exists, and never enables or starts the service.
# Skipped (exit 77) only when dpkg-deb is absent.
# Usage: deb-test.sh BUILD_DIR BINDIR CONFDIR UNITDIR [DEB]
set -euo pipefail
build="$1" bindir="$2" confdir="$3" unitdir="$4" deb="${5:-${TAICHO_DEB:-}}"
if ! command -v dpkg-deb >/dev/null; then
  echo "SKIP: dpkg-deb is not installed (Debian's dpkg); the .deb cannot be checked here"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ -z "$deb" ]]; then
  (cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
  deb="$(ls "$work"/pkg/taicho_*.deb | head -n 1)"
fi
[[ -f "$deb" ]] || fail "no package at '$deb'"
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" >/dev/null || fail "dpkg-deb cannot read $deb"

# Depends: every name (alternatives split, version constraints dropped) known to apt.
depends="$(dpkg-deb --field "$deb" Depends)"
[[ -n "$depends" ]] || fail "no Depends field"
echo "Depends: $depends"
IFS=',' read -ra entries <<<"$depends"
dep_name() { sed -E 's/\(.*\)//; s/:any$//; s/[[:space:]]//g' <<<"$1"; }
# One apt-cache call for every name (each call loads apt's cache: ~1.5 s apiece under load,
# most of this test's time when asked name by name); a name it prints no record for (a purely
# virtual one, say) is asked about alone as before.
all_names=()
for entry in "${entries[@]}"; do
  IFS='|' read -ra alternatives <<<"$entry"
  for alt in "${alternatives[@]}"; do all_names+=("$(dep_name "$alt")"); done
done
known=" $(apt-cache show --no-all-versions "${all_names[@]}" 2>/dev/null |
  sed -n 's/^Package: //p' | tr '\n' ' ') "
for entry in "${entries[@]}"; do
  found=""
  IFS='|' read -ra alternatives <<<"$entry"
  for alt in "${alternatives[@]}"; do
    name="$(dep_name "$alt")"
    if [[ "$known" == *" $name "* ]] || apt-cache show "$name" >/dev/null 2>&1; then
      found="$name"
      break
    fi
  done
  [[ -n "$found" ]] || fail "Depends entry '$entry' names no package apt knows (apt-get update?)"
done

# Control files: the conffile and the maintainer scripts.
dpkg-deb --control "$deb" "$work/control"
grep -qx "$confdir/taichod.toml" "$work/control/conffiles" ||
  fail "conffiles does not list $confdir/taichod.toml: $(cat "$work/control/conffiles")"
[[ -x "$work/control/postinst" ]] || fail "no executable postinst"
for s in preinst prerm postrm; do
  [[ ! -e "$work/control/$s" ]] || sh -n "$work/control/$s" || fail "$s is not valid sh"
done
sh -n "$work/control/postinst" || fail "postinst is not valid sh"

# dpkg unpacks it into a scratch root with its own database; nothing is configured there.
root="$work/root"
admin="$root/var/lib/dpkg"
mkdir -p "$admin/updates" "$admin/info"
touch "$admin/status" "$admin/available"
dpkg --root="$root" --admindir="$admin" --force-not-root --force-depends --no-triggers \
  --log="$work/dpkg.log" --unpack "$deb" >"$work/unpack.log" 2>&1 ||
  { cat "$work/unpack.log"; fail "dpkg --unpack into a scratch root failed"; }
status="$(dpkg-query --admindir="$admin" -W -f='${Status}\n${Conffiles}\n' taicho)"
grep -q "unpacked" <<<"$status" || fail "dpkg does not record taicho as unpacked: $status"
grep -q "^ $confdir/taichod.toml " <<<"$status" ||
  fail "dpkg did not register $confdir/taichod.toml as a conffile: $status"
# A conffile waits as NAME.dpkg-new until "configure" (dpkg's own conffile handling).
[[ -f "$root$confdir/taichod.toml.dpkg-new" ]] ||
  fail "$confdir/taichod.toml was not unpacked as a conffile (no .dpkg-new)"
for f in "$bindir"/{taicho,taichod,taicho-agent,taicho-verify,taicho-cli} "$unitdir/taichod.service"; do
  [[ -e "$root$f" ]] || fail "$f not installed by dpkg"
done
"$root$bindir/taichod" --version | grep -q "^taichod " || fail "the unpacked taichod has no --version"
unit="$root$unitdir/taichod.service"
grep -qx "ExecStart=$bindir/taichod --config $confdir/taichod.toml" "$unit" ||
  fail "the unit does not run $bindir/taichod --config $confdir/taichod.toml"
grep -qx "User=taicho" "$unit" || fail "the unit does not run as taicho"
if find "$root" -path '*/etc/systemd/system/*' | grep -q .; then
  fail "the package enables the unit by itself: $(find "$root" -path '*/etc/systemd/system/*')"
fi

# postinst configure, with the commands that would change this machine replaced by recorders.
run_postinst() {  # $1: "absent" or "present" (whether getent finds a taicho user)
  local bin="$work/bin-$1"
  mkdir -p "$bin"
  : >"$work/calls-$1"
  for cmd in adduser useradd systemctl deb-systemd-helper deb-systemd-invoke invoke-rc.d; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 0\n' "$cmd" "$work/calls-$1" >"$bin/$cmd"
  done
  if [[ "$1" == present ]]; then
    printf '#!/bin/sh\necho "getent $*" >>"%s"\necho "taicho:x:998:998::/var/lib/taicho:/usr/sbin/nologin"\n' \
      "$work/calls-$1" >"$bin/getent"
  else
    printf '#!/bin/sh\necho "getent $*" >>"%s"\nexit 2\n' "$work/calls-$1" >"$bin/getent"
  fi
  # A systemd-managed machine as postinst sees it: its test is [ -d /run/systemd/system ].
  chmod +x "$bin"/*
  env -i PATH="$bin:/usr/sbin:/usr/bin:/sbin:/bin" DPKG_MAINTSCRIPT_PACKAGE=taicho \
    sh "$work/control/postinst" configure "" >"$work/postinst-$1.log" 2>&1 ||
    { cat "$work/postinst-$1.log"; fail "postinst configure failed (user $1)"; }
}
run_postinst absent
grep -q "^adduser --system .*taicho" "$work/calls-absent" ||
  fail "postinst did not create the system user taicho: $(cat "$work/calls-absent")"
grep -q -- "--home /var/lib/taicho" "$work/calls-absent" || fail "the user's home is not /var/lib/taicho"
run_postinst present
if grep -q "^adduser\|^useradd" "$work/calls-present"; then
  fail "postinst adds the user again when it exists: $(cat "$work/calls-present")"
fi
if cat "$work"/calls-* | grep -E "^(systemctl|deb-systemd-helper|deb-systemd-invoke|invoke-rc.d) .*(enable|start|restart)" ; then
  fail "postinst enables or starts the service (the configuration needs editing first)"
fi
echo "deb OK: Depends resolvable, conffile $confdir/taichod.toml registered, unit not enabled," \
  "postinst creates the user taicho only when missing"
