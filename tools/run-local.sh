#!/usr/bin/env bash
# Command A: runs kopiur locally on its embedded default, from a fresh Debian 12 machine.
#   1. installs what it needs (tools/setup-deps.sh, apt-get) and builds the programs (build/run)
#   2. starts kopiur-localkube, the project's local Kubernetes API server, on 127.0.0.1
#   3. applies deploy/crds/ and deploy/examples/ with kubectl
#   4. starts kopiur-controller against it, serving /metrics, /healthz, /readyz on :8080
# Ctrl-C stops everything cleanly. State and logs: build/local/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/build/local
HTTP_ADDR=${KOPIUR_HTTP_ADDR:-127.0.0.1:8080}
API_ADDR=${KOPIUR_LOCALKUBE_ADDR:-127.0.0.1:6443}

echo "==> installing dependencies"
./tools/setup-deps.sh
# Its own tree: tools/test.sh configures build/release with other flags, so sharing it would
# rebuild everything whenever one command follows the other.
BUILD=build/run
echo "==> building ($BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets="kopiur-controller kopiur-webhook kopiur-mover kopiur-kopia-standin"
if [ -f src/bin/localkube/CMakeLists.txt ]; then targets="$targets kopiur-localkube"; fi
cmake --build "$BUILD" -j "$(nproc)" --target $targets

mkdir -p "$STATE"
# Mover Jobs run `kopia` from PATH. kopia is not packaged for Debian: without a real one, the
# project's kopia-compatible stand-in answers to that name (src/bin/kopia_standin/README.md).
JOB_PATH="$PWD/$BUILD/src/bin:$PATH"
if ! command -v kopia >/dev/null 2>&1; then
  mkdir -p "$STATE/bin"
  ln -sf "$PWD/$BUILD/src/bin/kopia_standin/kopiur-kopia-standin" "$STATE/bin/kopia"
  JOB_PATH="$STATE/bin:$JOB_PATH"
  echo "==> no kopia on PATH: mover Jobs use kopiur-kopia-standin as kopia"
fi
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "==> stopping"
  # Newest first, each awaited: the controller stops before the API server it watches.
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  echo "==> stopped; logs are in $STATE"
}
trap cleanup INT TERM EXIT

controller_args=(--http-addr "$HTTP_ADDR")
if [ -x "$BUILD"/src/bin/localkube/kopiur-localkube ]; then
  export KUBECONFIG=$STATE/kubeconfig
  echo "==> starting kopiur-localkube on $API_ADDR (log: $STATE/localkube.log)"
  # setsid: Ctrl-C reaches this script only, which then stops everything in order.
  # --run-jobs: Jobs (the mover's included) run as local processes; the programs just built are
  # first on their PATH, so a pod whose command is `kopiur-mover` runs this build.
  PATH="$JOB_PATH" setsid "$BUILD"/src/bin/localkube/kopiur-localkube \
    --listen "$API_ADDR" --kubeconfig-out "$KUBECONFIG" --data-dir "$STATE/data" --run-jobs \
    >"$STATE/localkube.log" 2>&1 &
  pids+=($!)
  # It prints "kubeconfig: PATH" once it serves and the kubeconfig is written.
  for _ in $(seq 1 200); do
    grep -q '^kubeconfig:' "$STATE/localkube.log" 2>/dev/null && break
    sleep 0.05
  done
  grep -q '^kubeconfig:' "$STATE/localkube.log" || { echo "kopiur-localkube did not start:"; cat "$STATE/localkube.log"; exit 1; }
  echo "==> kubectl apply -f deploy/crds/ and deploy/examples/"
  kubectl apply -f deploy/crds/
  kubectl apply -f deploy/examples/
  controller_args+=(--kubeconfig "$KUBECONFIG")
else
  controller_args+=(--standalone)
fi

echo "==> starting kopiur-controller (log: $STATE/controller.log)"
setsid "$BUILD"/src/bin/kopiur-controller "${controller_args[@]}" > >(tee "$STATE/controller.log") 2>&1 &
pids+=($!)

cat <<INFO

kopiur is running.
  metrics:     curl http://$HTTP_ADDR/metrics
  health:      curl http://$HTTP_ADDR/healthz   curl http://$HTTP_ADDR/readyz
INFO
if [ -n "${KUBECONFIG:-}" ]; then
  cat <<INFO
  kubeconfig:  export KUBECONFIG=$KUBECONFIG
               kubectl get backups -A
  jobs:        run as local processes; kubectl get jobs,pods and kubectl logs job/NAME
INFO
fi
echo "Press Ctrl-C to stop."
wait
