#!/usr/bin/env bash
# Command B: the whole test suite, from a fresh Debian 12 machine.
#   1. installs what it needs (tools/setup-deps.sh, apt-get)
#   2. checks formatting
#   3. builds the generated OTLP protobuf/gRPC code once, uninstrumented, for every tree
#   4. release tree (-O2, no debug info): programs, integration tests, benchmarks, the generator;
#      checks generated files (tools/xtask gen-all --check), runs the integration tests and
#      smoke-runs each benchmark once
#   5. AddressSanitizer + UndefinedBehaviorSanitizer tree: builds and runs the unit tests
#   6. libFuzzer (clang): each parser of outside input for 4 s (tools/fuzz.sh --ci)
#   7. ThreadSanitizer tree: builds and runs the concurrency tests
#   8. prints a time report: each step, the ten slowest compile units and the ten slowest tests
# Each test runs in the tree that checks it best, and each tree builds only what it runs
# (KOPIUR_TEST_LABELS, cmake/KopiurOptions.cmake). Budget: under 20 minutes on 2 cores from a
# fresh clone with a cold compiler cache (README, "Testing").
# Build trees: build/{otlp-proto,release,asan,tsan}. Logs of failed tests: build/*/Testing/Temporary.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
JOBS=${KOPIUR_JOBS:-$(nproc)}
steps=()
step_name=""
step_start=$start
step() {
  local now
  now=$(date +%s)
  [ -n "$step_name" ] && steps+=("$(printf '%5ss  %s' $((now - step_start)) "$step_name")")
  step_name="$*"
  step_start=$now
  printf '\n==> [%4ss] %s\n' $((now - start)) "$*"
}

step "installing dependencies (apt-get)"
./tools/setup-deps.sh

step "checking clang-format"
./tools/check-format.sh

step "generated OTLP protobuf/gRPC code, once for every tree (build/otlp-proto)"
cmake -S src/telemetry/otlp/proto -B build/otlp-proto -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/otlp-proto -j "$JOBS"

# Unity builds: up to 16 sources of a target compile as one unit, so the heavy headers (JSON,
# gtest, Asio/Beast, gRPC) are parsed once per batch (ASan tree: a third less compile CPU).
common=(-G Ninja -DKOPIUR_OTLP_PROTO_PREBUILT=build/otlp-proto -DCMAKE_UNITY_BUILD=ON
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
# Sanitizer trees: -O0 -g1. Instrumented code is where compile time goes (ASan+UBSan on the API
# codec: 159 s of CPU at -O1 -g, 34 s at -O0 -g1), and the tests it runs take seconds either way;
# -g1 (line tables) is all a sanitizer report needs for file:line stacks.
sanitized=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DKOPIUR_BUILD_BENCH=OFF)

step "release build: programs, integration tests, benchmarks (build/release)"
cmake -S . -B build/release "${common[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DKOPIUR_TEST_LABELS=integration >/dev/null
cmake --build build/release -j "$JOBS"

step "checking generated files (tools/xtask gen-all --check)"
KOPIUR_XTASK_BUILD_DIR=build/release ./tools/xtask gen-all --check

step "integration tests (ctest -L integration, build/release)"
ctest --test-dir build/release --output-on-failure -j "$JOBS" -L integration --timeout 300

step "benchmark smoke run (each benchmark once, figures not judged here)"
for b in build/release/bench/kopiur_bench_*; do
  [ -x "$b" ] || continue
  "$b" --benchmark_min_time=0.001 >/dev/null
  echo "  $(basename "$b"): ran"
done

step "AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests (build/asan)"
cmake -S . -B build/asan "${common[@]}" "${sanitized[@]}" -DKOPIUR_SANITIZE=ON \
  -DKOPIUR_TEST_LABELS=unit >/dev/null
cmake --build build/asan -j "$JOBS" --target kopiur_tests

step "unit tests under ASan+UBSan (ctest -L unit, build/asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$JOBS" -L unit --timeout 600

step "libFuzzer: every parser of outside input, 4 s each, two at a time (build/fuzz, clang)"
# tools/fuzz.sh --ci: every target but the one linking the whole local API server (run by
# tools/fuzz.sh without --ci), built at -O0; each fuzzes a scratch copy of its seed corpus.
./tools/fuzz.sh 4 --ci

step "ThreadSanitizer build of the concurrency tests (build/tsan)"
cmake -S . -B build/tsan "${common[@]}" "${sanitized[@]}" -DKOPIUR_TSAN=ON \
  -DKOPIUR_TEST_LABELS=concurrency >/dev/null
cmake --build build/tsan -j "$JOBS" --target kopiur_tests

step "concurrency tests under TSan (ctest -L concurrency, build/tsan)"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan.supp" \
  ctest --test-dir build/tsan --output-on-failure -j "$JOBS" -L concurrency --timeout 600

step "time report"
./tools/time-report.sh build/otlp-proto build/release build/asan build/tsan
echo "steps:"
printf '  %s\n' "${steps[@]}"
echo "done: all suites passed in $(($(date +%s) - start))s"
