#!/usr/bin/env bash
# The /metrics server comparison (docs/performance.md, "HTTP server"): kopiur-controller's own
# /metrics against prometheus-cpp's Exposer (civetweb) and Go's client_golang promhttp serving the
# same exposition (the controller's, fetched once), with the same wrk command; then each server's
# RSS and a probe's latency while 1,000 connections sit stalled mid-request.
#   bench/http_compare.sh [BUILD_DIR]     (default build/release; needs kopiur-controller built)
# Needs wrk, curl, g++, prometheus-cpp-dev, golang-go, golang-github-prometheus-client-golang-dev.
# Prints a markdown table and each figure as a machine-readable `@result KEY VALUE UNIT` line
# (tools/bench_report.py reads those); nothing is downloaded. WRK_SECONDS (default 20) sets wrk's -d.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
OUT=$BUILD/bench/http-compare
WRK_SECONDS=${WRK_SECONDS:-20}
mkdir -p "$OUT"
for tool in wrk curl g++ go; do
  command -v "$tool" >/dev/null || { echo "http_compare.sh: $tool is not installed" >&2; exit 1; }
done
[ -x "$BUILD/src/bin/kopiur-controller" ] || { echo "http_compare.sh: build $BUILD first" >&2; exit 1; }

echo "building the comparison servers ($OUT)" >&2
g++ -std=c++20 -O2 -o "$OUT/exposer_server" bench/http/exposer_server.cpp \
  -lprometheus-cpp-pull -lprometheus-cpp-core -lz -lpthread
g++ -std=c++20 -O2 -o "$OUT/stall_clients" bench/http/stall_clients.cpp
mkdir -p "$OUT/gocache"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$(cd "$OUT" && pwd)/gocache" GOFLAGS= CGO_ENABLED=0 \
  go build -o "$OUT/promhttp_server" bench/http/promhttp_server.go

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
await() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

"$BUILD/src/bin/kopiur-controller" --standalone --http-addr 127.0.0.1:19181 >"$OUT/controller.log" 2>&1 &
pids+=($!); kopiur_pid=$!
await http://127.0.0.1:19181/readyz
curl -fsS http://127.0.0.1:19181/metrics >"$OUT/metrics.prom"
"$OUT/exposer_server" 127.0.0.1:19182 "$OUT/metrics.prom" 2>"$OUT/exposer.log" &
pids+=($!); exposer_pid=$!
"$OUT/promhttp_server" -listen 127.0.0.1:19183 -body "$OUT/metrics.prom" 2>"$OUT/promhttp.log" &
pids+=($!); promhttp_pid=$!
"$OUT/promhttp_server" -listen 127.0.0.1:19184 -body "$OUT/metrics.prom" -process 2>"$OUT/promhttp-process.log" &
pids+=($!)
await http://127.0.0.1:19182/metrics
await http://127.0.0.1:19183/metrics
await http://127.0.0.1:19184/metrics

result() { echo "@result http.$1 $2 $3" >>"$OUT/results.txt"; }  # result KEY VALUE UNIT
: >"$OUT/results.txt"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# to_ms WRK_DURATION: wrk's 0.69ms / 12.3us / 1.02s in milliseconds.
to_ms() { awk -v d="$1" 'BEGIN { v = d + 0; if (d ~ /us$/) v /= 1000; else if (d ~ /[0-9]s$/) v *= 1000;
  else if (d ~ /m$/) v *= 60000; print v }'; }

# stalled KEY PORT PID: RSS before, with 1,000 connections holding half a request head
# (bench/http/stall_clients), and a probe's time meanwhile; the connections close afterwards.
stalled() {
  local key=$1 port=$2 pid=$3 before after probe opened stall_pid
  before=$(rss_kb "$pid")
  (ulimit -n 4096 && exec "$OUT/stall_clients" 127.0.0.1 "$port" 1000) >"$OUT/stall.out" 2>&1 &
  stall_pid=$!
  for _ in $(seq 1 600); do grep -q '^opened' "$OUT/stall.out" && break; sleep 0.1; done
  opened=$(awk '/^opened/ {print $2}' "$OUT/stall.out")
  sleep 1
  after=$(rss_kb "$pid")
  if probe=$(curl -s -o /dev/null -m 10 -w '%{time_total}' "http://127.0.0.1:$port/metrics"); then
    result "$key.stalled_probe_ms" "$(awk -v s="$probe" 'BEGIN { print s * 1000 }')" ms
    probe="${probe}s"
  else
    probe="timed out after 10 s"
    result "$key.stalled_probe_ms" -1 ms
  fi
  result "$key.stalled_open" "${opened:-0}" count
  result "$key.stalled_rss_before" "$before" KiB
  result "$key.stalled_rss_after" "$after" KiB
  kill "$stall_pid" 2>/dev/null || true
  wait "$stall_pid" 2>/dev/null || true
  echo "${opened:-0} open: $((before / 1024)) → $((after / 1024)) MB, probe ${probe}"
}

# row KEY NAME PORT [PID]: the wrk figures, and the stalled-connection figures when PID is given.
row() {
  local key=$1 name=$2 port=$3 pid=${4:-} out rps p50 p99 size stall=-
  out=$(wrk -t2 -c20 "-d${WRK_SECONDS}s" --latency "http://127.0.0.1:$port/metrics")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  size=$(curl -fsS "http://127.0.0.1:$port/metrics" | wc -c)
  result "$key.requests_per_second" "$rps" 1/s
  result "$key.p50_ms" "$(to_ms "$p50")" ms
  result "$key.p99_ms" "$(to_ms "$p99")" ms
  result "$key.body" "$size" B
  [ -n "$pid" ] && stall=$(stalled "$key" "$port" "$pid")
  echo "| $name | $size B | $rps | $p50 | $p99 | $stall |"
}

echo "| server | body | req/s | p50 | p99 | 1,000 stalled connections: opened, RSS, a probe's time |"
echo "|---|---|---|---|---|---|"
row kopiur "kopiur-controller (kopiur_http, Asio/Beast)" 19181 "$kopiur_pid"
row promcpp "prometheus-cpp 1.0.1 Exposer (civetweb)" 19182 "$exposer_pid"
row promhttp "client_golang promhttp (Go $(go env GOVERSION))" 19183 "$promhttp_pid"
row promhttp_process "client_golang promhttp, process_* computed live by its process collector" 19184
echo
echo "wrk -t2 -c20 -d${WRK_SECONDS}s --latency, 127.0.0.1, $(nproc) CPUs, $(date -u +%Y-%m-%d)."
result wrk_seconds "$WRK_SECONDS" s
result go_version "$(go env GOVERSION | tr -dc 0-9.)" version
cat "$OUT/results.txt"
