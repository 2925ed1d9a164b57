#!/usr/bin/env bash
# tools/time-report.sh BUILD_DIR...: where the test command's time went, so the next regression
# is visible in CI's output. Prints the ten slowest compile units (wall seconds from each tree's
# .ninja_log, which ninja writes for every build) and the ten slowest tests (ctest's own cost
# data, Testing/Temporary/CTestCostData.txt: runs and average seconds per test).
set -eu  # no pipefail: `head` closing its pipe early is not a failure here
echo "ten slowest compile units (seconds, tree, object):"
for dir in "$@"; do
  [ -f "$dir/.ninja_log" ] || continue
  # .ninja_log v5: start_ms end_ms mtime output hash; a rebuilt output appears again later.
  awk -v tree="$(basename "$dir")" '
    /^#/ { next }
    $4 ~ /\.o$/ { t[$4] = ($2 - $1) / 1000 }
    END { for (o in t) printf "%8.1f  %-10s %s\n", t[o], tree, o }' "$dir/.ninja_log"
done | sort -rn | head -10
echo "ten slowest tests (seconds, tree, test):"
for dir in "$@"; do
  f="$dir/Testing/Temporary/CTestCostData.txt"
  [ -f "$f" ] || continue
  # Lines "name runs average_seconds" until a "---" line (failed tests follow it).
  awk -v tree="$(basename "$dir")" '
    /^---/ { exit }
    NF == 3 { printf "%8.1f  %-10s %s\n", $3, tree, $1 }' "$f"
done | sort -rn | head -10
