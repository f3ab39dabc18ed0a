#!/usr/bin/env bash
# ctest staged_install_runs_demo (cmake/TaichoInstall.cmake): installs BUILD_DIR into a staging
# directory (DESTDIR, stripped as a package is) and checks, from the installed files only:
#   - every file is where the layout says (bin, libexec, share/taicho, the config, the unit);
#   - every program answers --version with "NAME VERSION" (CMake's project version);
#   - no installed file names the source or the build directory (a runtime path into them);
#   - the demo flow (share/taicho/demo/demo-flow.sh) runs end to end from a scratch directory with
#     a cleared environment (no TAICHO_* variable, PATH without the build);
#   - with the staged kinds moved away the staged taicho knows no kind: it read the staged ones.
# Usage: install-test.sh SOURCE_DIR BUILD_DIR VERSION BINDIR LIBEXECDIR DATADIR CONFDIR UNITDIR
# SANITIZED (the five directories absolute, as configured; SANITIZED is ON for an ASan build).
set -euo pipefail
src="$1" build="$2" version="$3" bindir="$4" libexecdir="$5" datadir="$6" confdir="$7" unitdir="$8" sanitized="${9:-OFF}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$root" cmake --install "$build" --strip > "$work/install.log"

for f in "$bindir"/{taicho,taicho-cli,taicho-verify,taicho-local,taichod,taicho-agent} \
  "$libexecdir/taicho/draw_sample_images"; do
  [[ -x "$root$f" ]] || fail "program $f not installed"
done
for f in "$datadir/taicho/kinds/quyet-dinh-ubnd.json" "$datadir/taicho/kinds/giay-chung-nhan-dkhkd.json" \
  "$datadir/taicho/samples/quyet-dinh-ubnd.json" "$datadir/taicho/proto/taicho/v1/document_service.proto" \
  "$datadir/taicho/sample-pki/make-pki.sh" "$datadir/taicho/sample-pki/openssl.cnf" \
  "$datadir/taicho/demo/demo-flow.sh" "$confdir/taichod.toml" "$unitdir/taichod.service"; do
  [[ -f "$root$f" ]] || fail "$f not installed"
done
grep -qx "ExecStart=$bindir/taichod --config $confdir/taichod.toml" "$root$unitdir/taichod.service" ||
  fail "the unit does not start $bindir/taichod with $confdir/taichod.toml"

for p in taicho taichod taicho-agent taicho-verify taicho-local taicho-cli; do
  out="$("$root$bindir/$p" --version)"
  want="$p"; [[ $p == taicho-cli || $p == taicho-verify || $p == taicho-local ]] && want=taicho
  [[ "$out" == "$want $version" ]] || fail "$p --version said '$out', not '$want $version'"
done
[[ "$("$root$libexecdir/taicho/draw_sample_images" --version)" == "draw_sample_images $version" ]] ||
  fail "draw_sample_images --version"

# The build directory lies under the source one here; both are checked in case it does not.
# Not in an ASan build: GCC writes each unit's full source path into its ASan global descriptors
# and no -f*-prefix-map rewrites it (a sanitized build is never packaged).
if [[ "$sanitized" != "ON" ]]; then
  for dir in "$src" "$build"; do
    if grep -rlF -- "$dir" "$root"; then fail "the installed files above name $dir"; fi
  done
fi

mkdir "$work/cwd"
cd "$work/cwd"
keep=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  [[ -n "${!v:-}" ]] && keep+=("$v=${!v}")
done
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/cwd" LANG=C.UTF-8 "${keep[@]}" \
  TAICHO_DEMO_DIR="$work/cwd/demo" bash "$root$datadir/taicho/demo/demo-flow.sh" > "$work/demo.log" 2>&1 ||
  { cat "$work/demo.log"; fail "the demo flow failed from the installed files"; }
grep -q "PAdES level: B-LTA" "$work/demo.log" || { cat "$work/demo.log"; fail "no B-LTA original"; }
[[ -s "$work/cwd/demo/ban-goc.pdf" ]] || fail "no original downloaded"

env -i PATH=/usr/bin:/bin "$root$bindir/taicho" render --list-kinds | grep -q "^quyet-dinh-ubnd " ||
  fail "the staged taicho does not list its kinds"
mv "$root$datadir/taicho/kinds" "$work/kinds-away"
if env -i PATH=/usr/bin:/bin "$root$bindir/taicho" render --list-kinds | grep -q "quyet-dinh-ubnd"; then
  fail "with the staged kinds gone taicho still lists some: it reads kinds from elsewhere"
fi
echo "staged install OK: $(du -sh "$root" | cut -f1) installed, demo flow passed"
