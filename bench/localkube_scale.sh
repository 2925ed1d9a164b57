#!/usr/bin/env bash
# bench/localkube_scale.sh: the local API server's store at scale (docs/performance.md, "Local API
# server"). For each size N and with and without --data-dir: creates per second and latency
# percentiles of N Backups POSTed by 4 parallel clients (keep-alive connections), LIST latency of
# all N, RSS per object, RSS after the creates against RSS after a restart on the same state, and
# the fan-out of one change to 100 watchers. Not a test: prints figures, each also as a
# machine-readable `@result KEY VALUE UNIT` line (tools/bench_report.py reads those).
#   [CLIENTS=4] bench/localkube_scale.sh [BUILD_DIR] [SIZES]   (defaults: build/dev "1000 10000")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/dev}"
sizes="${2:-1000 10000}"
work="$(mktemp -d)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
bin="$build/src/bin/localkube/kopiur-localkube"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do (( $(date +%s) < deadline )) || { echo "timed out: $*" >&2; exit 1; }; sleep 0.05; done
}
up() { curl -sf -o /dev/null "$url/api"; }
start() {  # start [DATA_DIR]: starts the server, sets pid and url
  local port; port=$(free_port)
  url="http://127.0.0.1:$port"
  "$bin" --listen "127.0.0.1:$port" --watch-history 1000 ${1:+--data-dir "$1"} \
    >"$work/localkube.log" 2>&1 &
  pid=$!
  wait_for 120 up
}
result() { echo "@result localkube.$n.$mode.$1 $2 $3"; }  # result KEY VALUE UNIT
stop() { kill "$pid"; wait "$pid" || true; pid=""; }

python_client() {  # python_client MODE URL ARGS...: the Python side (creates, list, watch)
  python3 - "$@" <<'PY'
import asyncio, http.client, json, multiprocessing, os, sys, time, urllib.parse
mode, url = sys.argv[1], urllib.parse.urlparse(sys.argv[2])
prefix = os.environ.get("RESULT_PREFIX", "localkube")

def result(key, value, unit):  # the machine-readable line beside the sentence
    print(f"@result {prefix}.{key} {value:.3f} {unit}")
path = "/apis/kopiur.home-operations.com/v1alpha1/namespaces/default/backups"

def body(i):
    return json.dumps({"apiVersion": "kopiur.home-operations.com/v1alpha1", "kind": "Backup",
                       "metadata": {"name": f"b-{i:06d}", "namespace": "default",
                                    "labels": {"app": "bench", "shard": str(i % 16)}},
                       "spec": {"configRef": {"name": "app-data"}, "deletionPolicy": "Retain"}})

def updater(args):
    first, count = args
    conn = http.client.HTTPConnection(url.hostname, url.port)
    lat = []
    for i in range(first, first + count):
        t = time.perf_counter()
        conn.request("PATCH", f"{path}/b-{i:06d}", json.dumps({"metadata": {"labels": {"pass": "2"}}}),
                     {"Content-Type": "application/merge-patch+json"})
        r = conn.getresponse(); r.read()
        lat.append(time.perf_counter() - t)
        if r.status != 200: sys.exit(f"patch b-{i}: HTTP {r.status}")
    return lat

def creator(args):
    first, count = args
    conn = http.client.HTTPConnection(url.hostname, url.port)
    lat = []
    for i in range(first, first + count):
        t = time.perf_counter()
        conn.request("POST", path, body(i), {"Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        lat.append(time.perf_counter() - t)
        if r.status != 201: sys.exit(f"create b-{i}: HTTP {r.status}")
    return lat

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]

if mode in ("create", "update"):
    first, n = int(sys.argv[3]), int(sys.argv[4])
    clients = int(os.environ.get("CLIENTS", "4"))
    t0 = time.perf_counter()
    with multiprocessing.Pool(clients) as pool:
        parts = pool.map(creator if mode == "create" else updater,
                         [(first + k * (n // clients), n // clients) for k in range(clients)])
    span = time.perf_counter() - t0
    lat = [x for part in parts for x in part]
    print(f"{len(lat) / span:.0f} {mode}s/s; latency p50 {pct(lat, .5) * 1e3:.1f} ms, "
          f"p99 {pct(lat, .99) * 1e3:.1f} ms, max {max(lat) * 1e3:.1f} ms")
    result(f"{mode}s_per_second", len(lat) / span, "1/s")
    for name, p in (("p50", .5), ("p99", .99), ("max", 1)):
        result(f"{mode}_{name}_ms", pct(lat, p) * 1e3, "ms")
elif mode == "fsync":  # the disk's fdatasync latency now, to read the figures against
    fd = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    lat = []
    for _ in range(200):
        os.write(fd, b"x" * 400)
        t = time.perf_counter(); os.fdatasync(fd); lat.append(time.perf_counter() - t)
    os.close(fd); os.unlink(sys.argv[3])
    print(f"fdatasync of a 400-byte append: p50 {pct(lat, .5) * 1e3:.2f} ms, "
          f"p99 {pct(lat, .99) * 1e3:.2f} ms")
    result("fdatasync_p50_ms", pct(lat, .5) * 1e3, "ms")
    result("fdatasync_p99_ms", pct(lat, .99) * 1e3, "ms")
elif mode == "list":
    conn = http.client.HTTPConnection(url.hostname, url.port)
    lat, size, items = [], 0, 0
    for _ in range(10):
        t = time.perf_counter()
        conn.request("GET", path); r = conn.getresponse(); data = r.read()
        lat.append(time.perf_counter() - t)
        size = len(data)
    items = len(json.loads(data)["items"])
    print(f"LIST of {items} ({size / 1e6:.1f} MB): median {pct(lat, .5) * 1e3:.0f} ms, "
          f"max {max(lat) * 1e3:.0f} ms (10 runs, response read completely)")
    result("list_median_ms", pct(lat, .5) * 1e3, "ms")
    result("list_max_ms", max(lat) * 1e3, "ms")
    result("list_mb", size / 1e6, "MB")
elif mode == "watch":
    watchers = int(sys.argv[3])
    async def main():
        conn = http.client.HTTPConnection(url.hostname, url.port)
        conn.request("GET", path + "?limit=1"); r = conn.getresponse()
        rv = json.loads(r.read())["metadata"]["resourceVersion"]
        streams = []
        for _ in range(watchers):
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            writer.write(f"GET {path}?watch=1&resourceVersion={rv} HTTP/1.1\r\n"
                         f"Host: {url.hostname}\r\n\r\n".encode())
            await writer.drain()
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # the response headers
            streams.append((reader, writer))
        async def first_event(reader):
            while True:
                line = await reader.readline()
                if b'"type"' in line:
                    return time.perf_counter()
        waits = [asyncio.create_task(first_event(r)) for r, _ in streams]
        await asyncio.sleep(0.5)  # the watches are registered before the change
        t0 = time.perf_counter()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, creator, (900000, 1))
        done = await asyncio.wait_for(asyncio.gather(*waits), 60)
        lat = [d - t0 for d in done]
        print(f"one change to {watchers} watchers: first {min(lat) * 1e3:.1f} ms, "
              f"p50 {pct(lat, .5) * 1e3:.1f} ms, last {max(lat) * 1e3:.1f} ms "
              "(from sending the create)")
        result("watch_first_ms", min(lat) * 1e3, "ms")
        result("watch_last_ms", max(lat) * 1e3, "ms")
        for _, w in streams:
            w.close()
    asyncio.run(main())
PY
}

for n in $sizes; do
  for mode in memory data-dir; do
    dir=""
    if [[ $mode == data-dir ]]; then dir="$work/data-$n"; rm -rf "$dir"; fi
    start "$dir"
    KUBECONFIG=/dev/null kubectl --server "$url" apply -f "$root/deploy/crds/" >/dev/null
    sleep 1  # let the allocator settle before reading RSS (a measurement, not a synchronisation)
    rss0=$(rss_kb "$pid")
    echo "== N=$n, $mode"
    export RESULT_PREFIX="localkube.$n.$mode"
    if [[ $mode == data-dir ]]; then echo -n "  disk: "; python_client fsync "$url" "$dir/probe"; fi
    echo -n "  creates: "; python_client create "$url" 0 "$n"
    sleep 1
    rss1=$(rss_kb "$pid")
    echo "  RSS: $(( rss0 / 1024 )) MiB empty, $(( rss1 / 1024 )) MiB after the creates," \
      "$(( (rss1 - rss0) * 1024 / n )) bytes per Backup"
    result rss_per_backup "$(( (rss1 - rss0) * 1024 / n ))" B
    echo -n "  "; python_client list "$url"
    if [[ $n -ge 10000 && $mode == data-dir ]]; then
      echo -n "  "; python_client watch "$url" 100
      echo "  log $(du -k "$dir/state.log" | cut -f1) KiB, snapshot $(du -k "$dir/state.json" | cut -f1) KiB"
      # A merge patch of every Backup: the log outgrows twice the live state, so it compacts.
      echo -n "  updates: "; python_client update "$url" 0 "$n"
      sleep 1
      rss1=$(rss_kb "$pid")
      echo "  after the updates: RSS $(( rss1 / 1024 )) MiB; log $(du -k "$dir/state.log" | cut -f1) KiB," \
        "snapshot $(du -k "$dir/state.json" | cut -f1) KiB"
      result rss_after_updates "$rss1" KiB
      stop
      start "$dir"
      sleep 1
      rss2=$(rss_kb "$pid")
      result rss_after_restart "$rss2" KiB
      echo "  after a restart on the same state: RSS $(( rss2 / 1024 )) MiB" \
        "(after the creates / after the restart: $(python3 -c "print(f'{$rss1 / $rss2:.2f}')"))"
    fi
    stop
  done
done
