#!/usr/bin/env bash
# Throughput of kopiur-kopia-standin (backup and restore) on SIZE_MB of data, half in many small
# files and half in one large file, against `tar | sha256sum` of the same data as the floor; and
# kopiur-mover's own cost over the kopia process it runs (wall time, its own peak RSS).
#
#   bench/mover/standin_throughput.sh BUILD_DIR [SIZE_MB]     (default 1024)
#
# Build BUILD_DIR in Release for meaningful numbers. Uses $TMPDIR (needs ~3 x SIZE_MB).
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [SIZE_MB]}
size_mb=${2:-1024}
standin=$build/src/bin/kopia_standin/kopiur-kopia-standin
mover=$build/src/bin/kopiur-mover
work=$(mktemp -d "${TMPDIR:-/tmp}/standin-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
export KOPIA_PASSWORD=bench KOPIA_CONFIG_PATH=$work/config/repository.config

small_mb=$((size_mb / 2))
files=$((small_mb * 1024 / 16))  # 16 KiB files
echo "data: ${small_mb} MiB in ${files} files of 16 KiB + one $((size_mb - small_mb)) MiB file"
mkdir -p "$work/data/small"
head -c $((small_mb * 1024 * 1024)) /dev/urandom > "$work/blob"
(cd "$work/data/small" && split -a 5 -b 16384 "$work/blob" f && rm "$work/blob")
head -c $(((size_mb - small_mb) * 1024 * 1024)) /dev/urandom > "$work/data/large.bin"
sync

seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
result() { echo "@result mover.$1 $2 $3"; }  # machine-readable (tools/bench_report.py)
rate() { echo "scale=1; $size_mb / $1" | bc; }

floor=$(seconds sh -c "tar -C '$work' -cf - data | sha256sum")
echo "floor  tar | sha256sum:     ${floor} s  ($(rate "$floor") MiB/s)"
result size_mb "$size_mb" MiB
result floor_seconds "$floor" s

"$standin" repository create filesystem --path "$work/repo" 2> /dev/null
backup=$(seconds "$standin" snapshot create "$work/data" --json)
echo "stand-in backup:            ${backup} s  ($(rate "$backup") MiB/s)"
result backup_seconds "$backup" s
again=$(seconds "$standin" snapshot create "$work/data" --json)
echo "stand-in backup, unchanged: ${again} s  ($(rate "$again") MiB/s; no new blobs)"
result unchanged_seconds "$again" s
id=$("$standin" snapshot list --json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' | head -1)
restore=$(seconds "$standin" snapshot restore "$id" "$work/restored")
echo "stand-in restore:           ${restore} s  ($(rate "$restore") MiB/s)"
result restore_seconds "$restore" s
diff -r "$work/data" "$work/restored" > /dev/null && echo "restore: identical" && result restore_identical 1 bool
rm -rf "$work/restored"

# The mover over the same backup: its wall time minus the stand-in's alone, and its own peak RSS
# (VmHWM of the mover process itself, sampled until it exits; kopia's memory is not included).
mkdir -p "$work/secret"
printf bench > "$work/secret/KOPIA_PASSWORD"
printf '{"repository":{"filesystem":{"path":"%s"}},"backup":{"sourcePath":"%s"}}' \
  "$work/repo" "$work/data" > "$work/work.json"
start=$(date +%s.%N)
KOPIA_BIN=$standin RUST_LOG=warn "$mover" backup --work-spec "$work/work.json" \
  --secret-dir "$work/secret" --termination-message-path "$work/result.json" &
pid=$!
hwm=0
while kill -0 "$pid" 2> /dev/null; do
  v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
  [ -n "$v" ] && hwm=$v
  sleep 0.05
done
wait "$pid"
end=$(date +%s.%N)
mover_s=$(echo "$end - $start" | bc)
echo "mover backup (connect + snapshot create): ${mover_s} s; stand-in alone: ${again} s" \
  "(+ connect); mover peak RSS ${hwm} KiB"
result mover_seconds "$mover_s" s
result mover_peak_rss "$hwm" KiB
