#!/usr/bin/env bash
# Installs the Debian 12 packages taicho needs to build, test and run, when any is missing.
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ make ninja-build mold pkg-config clang-format
  libpodofo-dev libssl-dev libabsl-dev libp11-kit-dev libcli11-dev nlohmann-json3-dev libicu-dev
  libqrencode-dev libcairo2-dev libcurl4-openssl-dev libharfbuzz-dev zlib1g-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libsqlite3-dev libpqxx-dev libspdlog-dev
  libtomlplusplus-dev libcups2-dev prometheus-cpp-dev libcpp-httplib-dev
  libgtest-dev libbenchmark-dev
  # run and test: tokens, independent checkers, fonts
  openssl softhsm2 opensc poppler-utils qpdf libnss3-tools fonts-liberation2 hyperfine zbar-tools curl
  sqlite3 cups-daemon cups-client faketime
  postgresql-15  # the PostgreSQL store's tests start a throwaway cluster
  python3 python3-grpcio python3-protobuf
  grpc-proto  # grpc/health/v1/health.proto: the tests' health-check client
  chromium chromium-driver python3-selenium  # the public and approval pages' browser tests
  libjs-pdf  # pdf.js: the officer's approval page (taicho-agent --web) draws drafts with it
  systemd  # systemd-analyze checks server/taichod.service
  dpkg-dev  # dpkg-shlibdeps: the .deb's dependencies (scripts/package.sh)
  mupdf-tools  # bench/startup_bench.sh: `mutool -v` and `mutool sign` as the start-up baselines
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "taicho: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
