#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/CMakeLists.txt) for N seconds each (default 10), under
# ASan+UBSan, each on a scratch copy of its seed corpus (build/fuzz/corpus/<name>), so the
# repository's corpus never grows by itself; as many at a time as there are cores.
#   tools/fuzz.sh [SECONDS] [--ci]
# Default: every target, built at -O1 (more executions per second). --ci (the fuzz step of
# tools/test.sh): every target but those linking a whole library (the local API server's request
# fuzzer), built at -O0, which halves the build for a run of a few seconds each.
# Prints per target the executions and "no crash"; on a crash it prints the report, leaves the
# input at build/fuzz/crashes/<name>/crash-<sha1> (rerun: <binary> <that file>) and exits 1
# after trying the remaining targets.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
ci=false
for arg in "$@"; do
  case "$arg" in
    --ci) ci=true ;;
    *[!0-9]* | '') echo "usage: tools/fuzz.sh [SECONDS] [--ci]" >&2; exit 2 ;;
    *) seconds=$arg ;;
  esac
done
JOBS=${KOPIUR_JOBS:-$(nproc)}
prebuilt=()
if [ -f build/otlp-proto/libkopiur_otlp_proto.a ]; then
  prebuilt=(-DKOPIUR_OTLP_PROTO_PREBUILT=build/otlp-proto)
fi
if $ci; then
  opt=-O0 target=kopiur_ci_fuzzers manifest=build/fuzz/tests/fuzz/fuzzers-ci.txt
else
  opt=-O1 target=kopiur_fuzzers manifest=build/fuzz/tests/fuzz/fuzzers.txt
fi
cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="$opt -g1" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
  -DKOPIUR_BUILD_FUZZERS=ON -DKOPIUR_TEST_LABELS=fuzz \
  -DKOPIUR_BUILD_BENCH=OFF "${prebuilt[@]}" >/dev/null
cmake --build build/fuzz -j "$JOBS" --target "$target"

# run_one NAME BINARY SEEDS: one target; prints its line (and the report on a crash).
run_one() {
  local name=$1 binary=$2 seeds=$3
  local work=build/fuzz/corpus/$name crashes=build/fuzz/crashes/$name log=build/fuzz/$name.log
  rm -rf "$work" "$crashes" && mkdir -p "$work" "$crashes"
  cp -r "$seeds"/. "$work"/
  if ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tools/lsan-fuzz.supp \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
    -rss_limit_mb=2048 -timeout=10 "$work" >"$log" 2>&1; then
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf '%-32s %10s executions in %ss, no crash\n' "$name" "${runs:-?}" "$seconds"
  else
    tail -n 40 "$log"
    printf '%-32s CRASH: input in %s (log %s)\n' "$name" "$(ls "$crashes"/* 2>/dev/null | head -1)" \
      "$log"
    return 1
  fi
}

failed=0
running=0
while read -r name binary seeds; do
  if ((running >= JOBS)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$name" "$binary" "$seeds" </dev/null &
  running=$((running + 1))
done <"$manifest"
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
