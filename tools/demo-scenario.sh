#!/usr/bin/env bash
# The demo scenario of tools/local-system.sh, on the running system (KUBECONFIG set, STATE the
# run's state directory). Each step prints one "demo:" line; the last is "demo: done" or
# "demo: FAILED: why". The objects are deploy/examples/demo/.
#   1. two filesystem repositories, "main" with a Maintenance (full run every minute), "scratch"
#      without one; sample data in the claim app-data
#   2. a BackupConfig per repository, a BackupSchedule every minute, three manual Backups
#   3. a Backup the webhook denies, shown with the webhook's words
#   4. a Restore of app-data-manual into a new claim, compared file by file with the source
#   5. scratch's storage breaks: three Backups fail (KopiurBackupConsecutiveFailures) and the
#      deletion of scratch-first fails (kopiur_snapshot_deletion_failures_total)
#   6. deletions: app-data-manual with its snapshot, app-data-kept orphaned
#   7. waits for the schedule's first Backup and the first full maintenance run
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STATE:?STATE is the run's state directory}"
: "${KUBECONFIG:?KUBECONFIG is the local API server's kubeconfig}"
DEMO=deploy/examples/demo
NS=demo
VOLUMES=$STATE/data/volumes/$NS

say() { echo "demo: $*"; }
fail() {
  echo "demo: FAILED: $*"
  exit 1
}

# apply FILE: kubectl apply with the run's repository directory filled in.
apply() { sed "s#__REPOS__#$STATE/repos#g" "$DEMO/$1" | kubectl apply -f - >/dev/null; }

# wait_phase KIND NAME PHASE [SECONDS]: until .status.phase is PHASE; fails on timeout.
wait_phase() {
  local kind=$1 name=$2 want=$3 deadline=$((SECONDS + ${4:-90})) phase=""
  while [ $SECONDS -lt $deadline ]; do
    phase=$(kubectl get "$kind" "$name" -n $NS -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [ "$phase" = "$want" ] && return 0
    sleep 0.5
  done
  fail "$kind $name is \"$phase\", not $want, after ${4:-90}s"
}

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
  local what=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$what"
    sleep 0.5
  done
}

say "repositories main (with Maintenance) and scratch (without)"
apply 00-namespace.yaml
apply 10-repositories.yaml
apply 20-maintenance.yaml
wait_phase repository main Ready
wait_phase repository scratch Ready

say "sample data in claim app-data ($VOLUMES/app-data)"
mkdir -p "$VOLUMES/app-data/docs/nested" "$VOLUMES/scratch-data"
for i in $(seq 1 20); do
  printf 'record %d of the demo data set\n' "$i" >"$VOLUMES/app-data/record-$i.txt"
done
printf 'kopiur demo\n' >"$VOLUMES/app-data/docs/README"
head -c 65536 /dev/urandom >"$VOLUMES/app-data/docs/nested/blob.bin"
printf 'scratch\n' >"$VOLUMES/scratch-data/note.txt"

say "BackupConfigs, a BackupSchedule every minute, three manual Backups"
apply 30-sources.yaml
apply 40-backups.yaml
wait_phase backup app-data-manual Succeeded
wait_phase backup app-data-kept Succeeded
wait_phase backup scratch-first Succeeded

say "a Backup the webhook denies:"
if denied=$(kubectl apply -f "$DEMO/denied-backup.yaml" 2>&1); then
  fail "the webhook admitted deploy/examples/demo/denied-backup.yaml"
fi
echo "      $denied"

say "restore app-data-manual into claim app-data-restored"
apply 50-restore.yaml
wait_phase restore app-data-restore Completed
diff -r "$VOLUMES/app-data" "$VOLUMES/app-data-restored" >/dev/null ||
  fail "the restored files differ from the source ($VOLUMES/app-data-restored)"
say "restored files equal the source"

say "scratch's storage breaks (a file takes its directory's place): its Backups fail, and so does"
say "  the deletion of scratch-first's snapshot"
rm -rf "$STATE/repos/scratch"
printf 'not a kopia repository\n' >"$STATE/repos/scratch"
apply 60-failing-backups.yaml
for i in 1 2 3; do wait_phase backup "scratch-broken-$i" Failed; done
kubectl delete backup scratch-first -n $NS --wait=false >/dev/null
wait_for "no Warning Event for the failed deletion of scratch-first" 90 \
  sh -c "kubectl get events -n $NS -o json | grep -q SnapshotDeletionFailed"

say "deletions: app-data-manual with its snapshot, app-data-kept orphaned"
kubectl delete backup app-data-manual -n $NS --wait=false >/dev/null
kubectl delete backup app-data-kept -n $NS --wait=false >/dev/null
wait_for "app-data-manual was not deleted" 90 \
  sh -c "! kubectl get backup app-data-manual -n $NS"
wait_for "app-data-kept was not deleted" 90 sh -c "! kubectl get backup app-data-kept -n $NS"

say "waiting for the schedule's first Backup and the first full maintenance run (up to 2 min)"
wait_for "no scheduled Backup succeeded" 150 sh -c \
  "kubectl get backups -n $NS -l kopiur.io/schedule=app-data-every-minute \
     -o jsonpath='{.items[*].status.phase}' | grep -q Succeeded"
# lastContentReclaimedBytes comes with a finished run's result (lastRunAt is set when one starts).
wait_for "no full maintenance run finished" 150 sh -c \
  "kubectl get maintenance main -n $NS -o jsonpath='{.status.full.lastContentReclaimedBytes}' | grep -q ."
say "done"
