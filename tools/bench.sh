#!/usr/bin/env bash
# The benchmarks: every benchmark of the project and its comparisons (prometheus-cpp, spdlog,
# Go's client_golang and zap) in one run, then docs/performance.md written from the results.
#   tools/bench.sh            full run (about 25 minutes on 2 cores)
#   tools/bench.sh --quick    short times, 1 repetition, small sizes: checks the pipeline end to end
# Steps: tools/setup-deps.sh, the packages only the benchmarks need (apt-get), a release tree with
# benchmarks (build/bench, -O2), each benchmark with its raw output kept in build/bench/results/
# (Google Benchmark JSON, `go test -bench` text, the scripts' `@result` lines), then
# tools/bench_report.py turns them into docs/performance.md. Every figure in that file comes from
# this run; the machine, its load before and after, and the date are written with them.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "usage: tools/bench.sh [--quick]" >&2; exit 2 ;;
esac
JOBS=${KOPIUR_JOBS:-$(nproc)}
BUILD=build/bench
RESULTS=$BUILD/results
start=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' $(($(date +%s) - start)) "$*"; }

step "installing dependencies (tools/setup-deps.sh, then the benchmarks' own)"
./tools/setup-deps.sh
BENCH_PACKAGES=(golang-go.uber-zap-dev bc)
missing=()
for p in "${BENCH_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "release tree with benchmarks ($BUILD, -O2)"
cmake -S src/telemetry/otlp/proto -B build/otlp-proto -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/otlp-proto -j "$JOBS" >/dev/null
cmake -S . -B "$BUILD" -G Ninja -DKOPIUR_OTLP_PROTO_PREBUILT=build/otlp-proto \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DKOPIUR_TEST_LABELS=integration \
  -DKOPIUR_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target kopiur_bench_metrics kopiur_bench_log kopiur_bench_otlp \
  kopiur_bench_webhook kopiur_bench_scrape kopiur-controller kopiur-localkube kopiur-mover kopiur-kopia-standin

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
machine() {  # machine PHASE: load average and time, before or after the run
  echo "@result machine.$1.load1 $(cut -d' ' -f1 /proc/loadavg) load"
  echo "@result machine.$1.load5 $(cut -d' ' -f2 /proc/loadavg) load"
  echo "@result machine.$1.time $(date +%s) s"
}
{
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "cores: $(nproc)"
  echo "kernel: $(uname -sr)"
  echo "compiler: $(c++ --version | head -1)"
  echo "go: $(go env GOVERSION)"
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full)"
  machine before
} >"$RESULTS/machine.txt"

# Google Benchmark: medians of repetitions (>= 5 for the hot paths, 3 for the heavy ones).
if [ "$QUICK" = 1 ]; then
  micro=(--benchmark_repetitions=1 --benchmark_min_time=0.02)
  heavy=(--benchmark_repetitions=1 --benchmark_min_time=0.02)
  growth='(Render|CollectSerialize|MemoryPerSeries)/(1000|10000)(/|$)'
  export KOPIUR_BENCH_MILLION=0
else
  micro=(--benchmark_repetitions=5 --benchmark_min_time=0.2)
  heavy=(--benchmark_repetitions=3 --benchmark_min_time=0.5)
  growth='Render|CollectSerialize|MemoryPerSeries'
  export KOPIUR_BENCH_MILLION=1  # the 1,000,000-series rows (bench/metrics_bench.cpp)
fi
gbench() {  # gbench NAME BINARY ARGS...: one binary's JSON into results/NAME.json
  local name=$1 bin=$2
  shift 2
  step "$name ($bin)"
  "$BUILD/bench/$bin" --benchmark_out="$RESULTS/$name.json" --benchmark_out_format=json \
    --benchmark_display_aggregates_only=true "$@"
}
gbench log kopiur_bench_log "${micro[@]}"
gbench metrics kopiur_bench_metrics "${micro[@]}" --benchmark_filter='Baseline|Counter|Family|Histogram|Gauge'
gbench growth kopiur_bench_metrics "${heavy[@]}" --benchmark_filter="$growth"
gbench otlp kopiur_bench_otlp "${heavy[@]}"
gbench scrape kopiur_bench_scrape "${heavy[@]}"

step "webhook reviews (kopiur_bench_webhook)"
"$BUILD/bench/kopiur_bench_webhook" "$([ "$QUICK" = 1 ] && echo 200 || echo 5000)" | tee "$RESULTS/webhook.txt"

# Go: client_golang and zap, the same operations (bench/go), GOPATH mode on Debian's packages.
step "client_golang and zap (go test -bench, bench/go)"
gocache=$(pwd)/$BUILD/gocache
gobench() {  # gobench ARGS...: go test -bench in bench/go, output appended to results/go.txt
  (cd bench/go && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$gocache" \
    go test -run '^$' -benchmem "$@") | tee -a "$RESULTS/go.txt"
}
if [ "$QUICK" = 1 ]; then
  export KOPIUR_BENCH_SERIES="1000 10000"
  gobench -bench 'Counter|Histogram|Gauge' -cpu 1,2 -count 1 -benchtime 0.05s
  gobench -bench 'Zap' -cpu 1 -count 1 -benchtime 0.05s
  gobench -bench 'Render|MemoryPerSeries' -cpu 1 -count 1 -benchtime 1x
else
  export KOPIUR_BENCH_SERIES="1000 10000 100000 1000000"
  gobench -bench 'Counter|Histogram|Gauge' -cpu 1,2 -count 5 -benchtime 0.2s
  gobench -bench 'Zap' -cpu 1 -count 5 -benchtime 0.2s
  gobench -bench 'Render|MemoryPerSeries' -cpu 1 -count 3 -benchtime 2x
fi

step "/metrics server against prometheus-cpp and client_golang (bench/http_compare.sh)"
WRK_SECONDS=$([ "$QUICK" = 1 ] && echo 2 || echo 10) bench/http_compare.sh "$BUILD" | tee "$RESULTS/http_compare.txt"

step "controller at scale (bench/controller_scale.sh)"
bench/controller_scale.sh "$BUILD" "$([ "$QUICK" = 1 ] && echo 300 || echo 10000)" | tee "$RESULTS/controller.txt"

step "local API server at scale (bench/localkube_scale.sh)"
bench/localkube_scale.sh "$BUILD" "$([ "$QUICK" = 1 ] && echo 400 || echo "1000 10000")" | tee "$RESULTS/localkube.txt"

step "kopia stand-in and mover throughput (bench/mover/standin_throughput.sh)"
bench/mover/standin_throughput.sh "$BUILD" "$([ "$QUICK" = 1 ] && echo 32 || echo 512)" | tee "$RESULTS/mover.txt"

machine after >>"$RESULTS/machine.txt"
echo "@result machine.run_seconds $(($(date +%s) - start)) s" >>"$RESULTS/machine.txt"
step "writing docs/performance.md (tools/bench_report.py)"
python3 tools/bench_report.py "$RESULTS" docs/performance.md
step "done: docs/performance.md from $RESULTS"
