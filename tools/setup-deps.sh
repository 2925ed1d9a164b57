#!/usr/bin/env bash
# Installs everything kopiur's build, tests, benchmarks and local run need, from Debian bookworm's
# packages (apt-get) and, for the independent OTLP wire decoder only, the npm registry.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang-format clang git
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libfmt-dev libyaml-cpp-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libcurl4-openssl-dev libboost-dev libhowardhinnant-date-dev tzdata
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev libspdlog-dev
  prometheus openssl curl ca-certificates procps nodejs
  # the chart renderer (tools/chart-render: Go's text/template with Helm's libraries), and Go's
  # client_golang for the /metrics server comparison (bench/http_compare.sh); wrk drives it
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev golang-github-prometheus-client-golang-dev wrk
  # the RUST_LOG differential test (tracing-subscriber, built offline from Debian's crates)
  cargo rustc librust-tracing-subscriber-dev
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup-deps: all ${#PACKAGES[@]} Debian packages present"
fi

# Debian's npm package conflicts with node builds that bundle npm, so only add it when missing.
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

# kubectl is not in bookworm's archive; machines of this project come with it. The kubectl tests
# say clearly when it is missing.
command -v kubectl >/dev/null || echo "setup-deps: note: kubectl not found; the kubectl tests will be skipped"

# The independent OTLP decoder (official opentelemetry-proto definitions, via npm).
for dir in tests/telemetry/otlp/decoder; do
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
    echo "setup-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
