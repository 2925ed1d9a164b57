#!/usr/bin/env bash
# bench/controller_scale.sh: kopiur-controller at scale against kopiur-localkube (docs/performance.md,
# "Controller runtime"). Measures idle RSS, time from start to ready and RSS with N Backups in the
# cache, and reconciles per second (the Backups name a BackupConfig that does not exist, so each
# reconcile ends ConfigNotFound: the runtime, the reconciler's lookups and a status write). Not a test: prints figures, each also
# as a machine-readable `@result KEY VALUE UNIT` line (tools/bench_report.py reads those).
#   bench/controller_scale.sh [BUILD_DIR] [N]      (defaults: build/dev 10000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/dev}"
n="${2:-10000}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export KUBECONFIG="$work/kubeconfig"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" 'index($0, m) == 1 {print $NF}'; }
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do (( $(date +%s) < deadline )) || { echo "timed out: $*" >&2; exit 1; }; sleep 0.05; done
}
result() { echo "@result $1 $2 $3"; }  # result KEY VALUE UNIT
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" == 200 ]]; }

"$build/src/bin/localkube/kopiur-localkube" --listen "127.0.0.1:$(free_port)" \
  --watch-history 20000 --kubeconfig-out "$KUBECONFIG" >"$work/localkube.log" 2>&1 &
pids+=($!)
wait_for 20 test -s "$KUBECONFIG"
kubectl apply -f "$root/deploy/crds/" >/dev/null

start_controller() {  # start_controller PORT
  KOPIUR_LOG_FORMAT=json "$build/src/bin/kopiur-controller" --http-addr "127.0.0.1:$1" --workers 4 \
    >"$work/controller-$1.log" 2>&1 &
}

# Idle: every kind listed, nothing to reconcile.
port=$(free_port)
RUST_LOG=warn start_controller "$port"; pid=$!; pids+=("$pid")
wait_for 30 ready "$port"
sleep 2  # let the allocator settle before reading RSS (a measurement, not a synchronisation)
idle_kb=$(rss_kb "$pid")
echo "idle RSS: $(( idle_kb / 1024 )) MiB"
result controller.idle_rss "$idle_kb" KiB
kill "$pid"; wait "$pid" || true

# N Backups, POSTed over one keep-alive connection (kubectl create -f of a List takes minutes).
server=$(awk '/server:/ {print $2; exit}' "$KUBECONFIG")
t0=$(now)
python3 - "$n" "$server" <<'PY'
import http.client, json, sys, urllib.parse
n, server = int(sys.argv[1]), urllib.parse.urlparse(sys.argv[2])
conn = http.client.HTTPConnection(server.hostname, server.port)
path = "/apis/kopiur.home-operations.com/v1alpha1/namespaces/default/backups"
for i in range(n):
    body = json.dumps({"apiVersion": "kopiur.home-operations.com/v1alpha1", "kind": "Backup",
                       "metadata": {"name": f"b-{i:05d}", "namespace": "default"},
                       "spec": {"configRef": {"name": "app-data"}, "deletionPolicy": "Retain"}})
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 201: sys.exit(f"create b-{i}: HTTP {r.status}")
PY
t1=$(now)
echo "created $n Backups in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
result controller.backups "$n" count
result controller.create_seconds "$(echo "$t1 - $t0" | bc)" s

for level in warn info; do
  port=$(free_port)
  t0=$(now)
  RUST_LOG=$level start_controller "$port"; pid=$!; pids+=("$pid")
  wait_for 120 ready "$port"
  t_ready=$(now)
  # Every Backup reconciled at least once (a status write can queue one more reconcile each).
  done_all() {
    local done
    done=$(metric "$port" 'kopiur_controller_reconciliations_total{kind="Backup"}')
    [[ -n "$done" ]] && awk -v d="$done" -v n="$n" 'BEGIN { exit !(d >= n) }'
  }
  wait_for 600 done_all
  t_done=$(now)
  sleep 2
  rss=$(rss_kb "$pid")
  echo "RUST_LOG=$level: ready after $(printf '%.2f' "$(echo "$t_ready - $t0" | bc)") s;" \
    "$n reconciles done $(printf '%.2f' "$(echo "$t_done - $t0" | bc)") s after start;" \
    "RSS $(( rss / 1024 )) MiB"
  result "controller.$level.ready_seconds" "$(echo "$t_ready - $t0" | bc)" s
  result "controller.$level.done_seconds" "$(echo "$t_done - $t0" | bc)" s
  result "controller.$level.rss" "$rss" KiB
  if [[ $level == info ]]; then  # throughput from the first to the last `reconciled` line
    python3 - "$work/controller-$port.log" <<'PY'
import datetime, json, sys
stamps = []
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("fields", {}).get("message") in ("reconciled", "reconcile failed"):
        stamps.append(datetime.datetime.fromisoformat(j["timestamp"].replace("Z", "+00:00")))
span = (stamps[-1] - stamps[0]).total_seconds()
print(f"  {len(stamps)} reconciles logged over {span:.3f} s: {len(stamps) / span:.0f} per second "
      "(one JSON log line each)")
print(f"@result controller.reconciles_per_second {len(stamps) / span:.1f} 1/s")
PY
  fi
  kill "$pid"; wait "$pid" || true
done
