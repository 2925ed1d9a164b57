#!/usr/bin/env bash
# Command B: the whole test suite, from a fresh Debian 12 machine.
#   1. installs what it needs (tools/setup-deps.sh, apt-get)
#   2. checks formatting and generated files (tools/xtask gen-all --check)
#   3. builds RelWithDebInfo and runs every test (ctest), smoke-runs the benchmarks
#   4. builds the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them
#   5. builds the concurrency tests with ThreadSanitizer and runs them
# Build trees: build/release, build/asan, build/tsan. Logs of failed tests: build/*/Testing/Temporary.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
JOBS=${KOPIUR_JOBS:-$(nproc)}

step "installing dependencies (apt-get)"
./tools/setup-deps.sh

step "checking clang-format"
./tools/check-format.sh

step "release build (build/release)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$JOBS"

step "checking generated files (tools/xtask gen-all --check)"
KOPIUR_XTASK_BUILD_DIR=build/release ./tools/xtask gen-all --check

step "release tests (ctest)"
ctest --test-dir build/release --output-on-failure -j "$JOBS" --timeout 300

step "benchmark smoke run (each benchmark once, figures not judged here)"
for b in build/release/bench/kopiur_bench_*; do
  [ -x "$b" ] || continue
  "$b" --benchmark_min_time=0.001 >/dev/null
  echo "  $(basename "$b"): ran"
done

step "AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests (build/asan)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKOPIUR_SANITIZE=ON \
  -DKOPIUR_BUILD_BENCH=OFF -DKOPIUR_BUILD_INTEGRATION_TESTS=OFF -DCMAKE_CXX_FLAGS="-O1" >/dev/null
cmake --build build/asan -j "$JOBS"
step "sanitizer tests (ctest, label unit)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$JOBS" -L unit --timeout 600

step "ThreadSanitizer build of the concurrency tests (build/tsan)"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKOPIUR_TSAN=ON \
  -DKOPIUR_BUILD_BENCH=OFF -DKOPIUR_BUILD_INTEGRATION_TESTS=OFF -DCMAKE_CXX_FLAGS="-O1" >/dev/null
cmake --build build/tsan -j "$JOBS" --target concurrency_tests
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan.supp" \
  ctest --test-dir build/tsan --output-on-failure -j "$JOBS" -L concurrency --timeout 600

step "done: all suites passed in $(( $(date +%s) - start ))s"
