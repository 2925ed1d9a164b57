#!/usr/bin/env bash
# The whole kopiur system on one machine, from programs already built (tools/run-local.sh builds
# them and calls this; the end-to-end test calls it on the release tree):
#   kopiur-otlp-receiver   OTLP/gRPC in, every request as an OTLP/JSON line   ($STATE/otlp.jsonl)
#   kopiur-localkube       the local Kubernetes API server with the CRDs; Jobs run as processes
#   kopiur-webhook         HTTPS with a CA made here, registered as a ValidatingWebhookConfiguration
#   kopiur-controller      /metrics, /healthz, /readyz
#   prometheus             scraping controller and webhook, with the alert rules loaded
# then, unless KOPIUR_DEMO=0, the demo scenario (tools/demo-scenario.sh). Ctrl-C or SIGTERM stops
# everything, newest first, each process awaited.
#
# Usage: tools/local-system.sh --build DIR [--state DIR]
# Env: KOPIUR_DEMO (1; 0 for a quiet system), RUST_LOG (info), KOPIUR_LOG_FORMAT (text), and the
# addresses KOPIUR_HTTP_ADDR (127.0.0.1:8080), KOPIUR_WEBHOOK_ADDR (127.0.0.1:8443),
# KOPIUR_LOCALKUBE_ADDR (127.0.0.1:6443), KOPIUR_PROMETHEUS_ADDR (127.0.0.1:9090),
# KOPIUR_OTLP_ADDR (127.0.0.1:4317), KOPIUR_OTLP_PROMETHEUS_ADDR (127.0.0.1:8889). KOPIUR_DEMO_ALERT_FOR (15s): the `for:` every alert rule
# gets in this local Prometheus, so the demo's alerts fire within seconds; the shipped rules
# (deploy/prometheus/kopiur-rules.yaml) keep theirs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=""
STATE=$ROOT/build/local
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --state) STATE=$2; shift 2 ;;
    *) echo "local-system.sh: unknown argument $1 (usage: --build DIR [--state DIR])" >&2; exit 2 ;;
  esac
done
[ -n "$BUILD" ] || { echo "local-system.sh: --build DIR is required" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
BIN=$BUILD/src/bin
HTTP_ADDR=${KOPIUR_HTTP_ADDR:-127.0.0.1:8080}
WEBHOOK_ADDR=${KOPIUR_WEBHOOK_ADDR:-127.0.0.1:8443}
API_ADDR=${KOPIUR_LOCALKUBE_ADDR:-127.0.0.1:6443}
PROM_ADDR=${KOPIUR_PROMETHEUS_ADDR:-127.0.0.1:9090}
OTLP_ADDR=${KOPIUR_OTLP_ADDR:-127.0.0.1:4317}
OTLP_PROM_ADDR=${KOPIUR_OTLP_PROMETHEUS_ADDR:-127.0.0.1:8889}
export RUST_LOG=${RUST_LOG:-info}
export KOPIUR_LOG_FORMAT=${KOPIUR_LOG_FORMAT:-text}

for program in localkube/kopiur-localkube kopiur-controller kopiur-webhook kopiur-mover \
               otlp_receiver/kopiur-otlp-receiver kopia_standin/kopiur-kopia-standin; do
  [ -x "$BIN/$program" ] || { echo "local-system.sh: $BIN/$program is not built" >&2; exit 1; }
done
for tool in kubectl prometheus openssl curl; do
  command -v "$tool" >/dev/null || { echo "local-system.sh: $tool is not installed (tools/setup-deps.sh)" >&2; exit 1; }
done

# A fresh state each run: the demo starts from nothing, and nothing of an older run confuses it.
rm -rf "$STATE"
mkdir -p "$STATE/bin" "$STATE/tls" "$STATE/repos"
LOGS=$STATE/logs
mkdir -p "$LOGS"

pids=()
names=()
# stop_one PID: SIGTERM, then SIGKILL if it has not exited within 15 s; awaited either way.
stop_one() {
  kill -TERM "$1" 2>/dev/null || return 0
  local deadline=$((SECONDS + 15))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  # Further signals must not cut the stop short and leave programs running without this script.
  trap '' INT TERM
  trap - EXIT
  echo "==> stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    stop_one "${pids[$i]}"
    echo "    stopped ${names[$i]}"
  done
  echo "==> stopped; logs are in $LOGS"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# start NAME COMMAND...: in its own session (Ctrl-C reaches only this script, which stops
# everything in order), output to $LOGS/NAME.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# await WHAT SECONDS COMMAND...: polls COMMAND until it succeeds; on timeout, shows the log.
await() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "local-system.sh: $what did not come up within ${seconds}s; its log:" >&2
      tail -n 30 "$LOGS/$what.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# Mover Jobs run `kopia` from PATH: real kopia when installed, else the project's stand-in.
JOB_PATH="$BIN:$PATH"
if ! command -v kopia >/dev/null 2>&1; then
  ln -sf "$BIN/kopia_standin/kopiur-kopia-standin" "$STATE/bin/kopia"
  JOB_PATH="$STATE/bin:$JOB_PATH"
fi

echo "==> certificates for the webhook ($STATE/tls)"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kopiur local CA" \
  -keyout "$STATE/tls/ca.key" -out "$STATE/tls/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kopiur-webhook" \
  -keyout "$STATE/tls/tls.key" -out "$STATE/tls/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$STATE/tls/san.ext"
openssl x509 -req -in "$STATE/tls/tls.csr" -CA "$STATE/tls/ca.crt" -CAkey "$STATE/tls/ca.key" \
  -CAcreateserial -days 30 -extfile "$STATE/tls/san.ext" -out "$STATE/tls/tls.crt" 2>/dev/null

echo "==> kopiur-otlp-receiver on $OTLP_ADDR"
start otlp-receiver "$BIN/otlp_receiver/kopiur-otlp-receiver" --listen "$OTLP_ADDR" \
  --out "$STATE/otlp.jsonl" --prometheus "$OTLP_PROM_ADDR"
await otlp-receiver 20 grep -q 'serving received metrics' "$LOGS/otlp-receiver.log"
export OTEL_EXPORTER_OTLP_ENDPOINT=http://$OTLP_ADDR
export OTEL_EXPORTER_OTLP_PROTOCOL=grpc
# Short intervals, so what happens locally shows in the receiver within seconds.
export OTEL_METRIC_EXPORT_INTERVAL=${OTEL_METRIC_EXPORT_INTERVAL:-5000}
export OTEL_BSP_SCHEDULE_DELAY=${OTEL_BSP_SCHEDULE_DELAY:-1000}
export OTEL_BLRP_SCHEDULE_DELAY=${OTEL_BLRP_SCHEDULE_DELAY:-1000}

echo "==> kopiur-localkube on $API_ADDR"
export KUBECONFIG=$STATE/kubeconfig
PATH="$JOB_PATH" start localkube "$BIN/localkube/kopiur-localkube" --listen "$API_ADDR" \
  --kubeconfig-out "$KUBECONFIG" --data-dir "$STATE/data" --run-jobs
await localkube 30 grep -q '^kubeconfig:' "$LOGS/localkube.log"
kubectl apply -f deploy/crds/ >/dev/null

echo "==> kopiur-webhook on https://$WEBHOOK_ADDR"
start webhook "$BIN/kopiur-webhook" --listen "$WEBHOOK_ADDR" --tls-cert "$STATE/tls/tls.crt" \
  --tls-key "$STATE/tls/tls.key" --kubeconfig "$KUBECONFIG"
await webhook 30 curl -fsS --cacert "$STATE/tls/ca.crt" "https://$WEBHOOK_ADDR/readyz"
CA_BUNDLE=$(base64 -w0 <"$STATE/tls/ca.crt")
kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kopiur
webhooks:
  - name: validate.kopiur.home-operations.com
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 5
    clientConfig:
      url: https://$WEBHOOK_ADDR/validate
      caBundle: $CA_BUNDLE
    rules:
      - apiGroups: ["kopiur.home-operations.com"]
        apiVersions: ["v1alpha1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["*"]
YAML

echo "==> kopiur-controller on http://$HTTP_ADDR"
start controller "$BIN/kopiur-controller" --http-addr "$HTTP_ADDR" --kubeconfig "$KUBECONFIG"
await controller 30 curl -fsS "http://$HTTP_ADDR/readyz"

echo "==> prometheus on http://$PROM_ADDR"
mkdir -p "$STATE/prometheus"
sed -E "s/^( +for: ).*/\1${KOPIUR_DEMO_ALERT_FOR:-15s}/" deploy/prometheus/kopiur-rules.yaml \
  >"$STATE/prometheus/rules.yaml"
cat >"$STATE/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files: ["rules.yaml"]
scrape_configs:
  - job_name: kopiur-controller
    honor_labels: true
    static_configs: [{targets: ["$HTTP_ADDR"]}]
  - job_name: kopiur-webhook
    honor_labels: true
    scheme: https
    tls_config: {ca_file: "$STATE/tls/ca.crt"}
    static_configs: [{targets: ["$WEBHOOK_ADDR"]}]
  # What the programs push over OTLP (the mover's metrics above all), as a collector's Prometheus
  # exporter would serve it; job and instance are the pushing program's service name and id.
  - job_name: kopiur-otlp
    honor_labels: true
    static_configs: [{targets: ["$OTLP_PROM_ADDR"]}]
YAML
start prometheus prometheus --config.file="$STATE/prometheus/prometheus.yml" \
  --storage.tsdb.path="$STATE/prometheus/data" --web.listen-address="$PROM_ADDR"
await prometheus 30 curl -fsS "http://$PROM_ADDR/-/ready"

cat <<INFO

kopiur is running (state: $STATE).
  kubectl:      export KUBECONFIG=$KUBECONFIG; kubectl get kopiur -A
  controller:   http://$HTTP_ADDR/metrics   /healthz   /readyz
  webhook:      https://$WEBHOOK_ADDR/metrics (CA: $STATE/tls/ca.crt)
  prometheus:   http://$PROM_ADDR  (alerts: http://$PROM_ADDR/alerts)
  otlp:         $OTLP_ADDR -> $STATE/otlp.jsonl (one OTLP/JSON request per line)
                pushed metrics as Prometheus text: http://$OTLP_PROM_ADDR/metrics
  logs:         $LOGS/{localkube,controller,webhook,prometheus,otlp-receiver}.log
  mover Jobs:   local processes; kubectl get jobs -A, kubectl logs job/NAME -n NAMESPACE
INFO
echo "system: ready"

if [ "${KOPIUR_DEMO:-1}" != "0" ]; then
  echo "==> demo scenario (tools/demo-scenario.sh; KOPIUR_DEMO=0 turns it off)"
  STATE="$STATE" PROM_ADDR="$PROM_ADDR" ./tools/demo-scenario.sh &
  pids+=($!)
  names+=(demo)
fi
echo "Press Ctrl-C to stop."
# Runs until a signal; a program that dies is reported (and ends the run) instead of hiding.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null && [ "${names[$i]}" != demo ]; then
      echo "local-system.sh: ${names[$i]} exited; its log ($LOGS/${names[$i]}.log):" >&2
      tail -n 20 "$LOGS/${names[$i]}.log" >&2 || true
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
