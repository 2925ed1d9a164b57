#!/usr/bin/env bash
# Command (1) of the README: the whole kopiur system on this machine, on its embedded defaults,
# from a fresh Debian 12 machine:
#   1. installs what it needs (tools/setup-deps.sh, apt-get) and builds the programs (build/run)
#   2. runs tools/local-system.sh: the local API server with the CRDs, kopiur-controller,
#      kopiur-webhook (admitting every create and update), mover Jobs as local processes,
#      Prometheus with the alert rules, an OTLP receiver; then the demo scenario of
#      deploy/examples/demo/ (KOPIUR_DEMO=0 for a quiet system)
# It prints where everything is; Ctrl-C stops everything cleanly. State and logs: build/local/.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing dependencies"
./tools/setup-deps.sh
# Its own tree: tools/test.sh configures build/release with other flags, so sharing it would
# rebuild everything whenever one command follows the other.
BUILD=build/run
echo "==> building ($BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKOPIUR_BUILD_TESTS=OFF \
  -DKOPIUR_BUILD_BENCH=OFF -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target kopiur-controller kopiur-webhook kopiur-mover \
  kopiur-localkube kopiur-kopia-standin kopiur-otlp-receiver
exec ./tools/local-system.sh --build "$BUILD" --state build/local
