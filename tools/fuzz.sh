#!/usr/bin/env bash
# Every libFuzzer target (tests/fuzz/CMakeLists.txt) for N seconds each (default 10), under
# ASan+UBSan, each on a scratch copy of its seed corpus (build/fuzz/corpus/<name>), so the
# repository's corpus never grows by itself.
#   tools/fuzz.sh [SECONDS]
# Prints per target the executions and "no crash"; on a crash it prints the report, leaves the
# input at build/fuzz/crashes/<name>/crash-<sha1> (rerun: <binary> <that file>) and exits 1
# after trying the remaining targets. Build flags are those of the fuzz step of tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
JOBS=${KOPIUR_JOBS:-$(nproc)}
prebuilt=()
if [ -f build/otlp-proto/libkopiur_otlp_proto.a ]; then
  prebuilt=(-DKOPIUR_OTLP_PROTO_PREBUILT=build/otlp-proto)
fi
cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
  -DKOPIUR_BUILD_FUZZERS=ON -DKOPIUR_TEST_LABELS=fuzz \
  -DKOPIUR_BUILD_BENCH=OFF "${prebuilt[@]}" >/dev/null
cmake --build build/fuzz -j "$JOBS" --target kopiur_fuzzers

failed=0
while read -r name binary seeds; do
  work=build/fuzz/corpus/$name
  crashes=build/fuzz/crashes/$name
  rm -rf "$work" "$crashes" && mkdir -p "$work" "$crashes"
  cp -r "$seeds"/. "$work"/
  log=build/fuzz/$name.log
  if ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tools/lsan-fuzz.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
    -rss_limit_mb=2048 -timeout=10 "$work" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf '%-32s %10s executions in %ss, no crash\n' "$name" "${runs:-?}" "$seconds"
  else
    failed=1
    tail -n 40 "$log"
    printf '%-32s CRASH: input in %s (log %s)\n' "$name" "$(ls "$crashes"/* 2>/dev/null | head -1)" \
      "$log"
  fi
done <build/fuzz/tests/fuzz/fuzzers.txt
exit "$failed"
