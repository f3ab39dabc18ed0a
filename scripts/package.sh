#!/usr/bin/env bash
# Builds the Debian package taicho_VERSION_ARCH.deb: a build configured for the prefix /usr (so
# the configuration lands in /etc/taicho and the unit in /usr/lib/systemd/system) without tests
# or benchmarks, then cpack (cmake/TaichoPackaging.cmake). BUILD_DIR defaults to build-deb/;
# extra arguments go to cmake. Prints the package's control fields and where it is.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-deb}"
bash "$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DTAICHO_BUILD_TESTS=OFF -DTAICHO_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
deb="$(ls -t "$BUILD_DIR"/taicho_*.deb | head -n 1)"
# What a system install needs, checked in the package itself.
contents="$(dpkg-deb --contents "$deb")"
for f in ./usr/bin/taichod ./usr/bin/taicho ./usr/share/taicho/kinds/quyet-dinh-ubnd.json \
  ./etc/taicho/taichod.toml ./usr/lib/systemd/system/taichod.service; do
  grep -q " $f\$" <<<"$contents" || { echo "package.sh: $f missing from $deb" >&2; exit 1; }
done
dpkg-deb --field "$deb" Package Version Architecture Depends
echo "$deb"
