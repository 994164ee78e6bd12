#!/usr/bin/env bash
# `make test`: each stage as its own `make <stage>`, in order, stopping at the first that fails; at the end (also
# after a failure) the time of every stage that ran, and the Molecule summary with each scenario's time.
#   tests/stages.sh STAGE...      e.g. tests/stages.sh lint sanity unit build-check docs molecule
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
rm -f .cache/molecule-logs/summary*.txt .cache/compat*/logs/summary*.txt  # the Molecule summaries shown at the end are this run's
rows=()
rc=0
t0=$(date +%s)
report() {
  echo
  echo "Stages (make test):"
  printf '  %s\n' "${rows[@]}"
  printf '  %-12s %5ss\n' total $(( $(date +%s) - t0 ))
  for f in .cache/molecule-logs/summary-container.txt .cache/molecule-logs/summary-vm.txt .cache/molecule-logs/summary.txt; do
    [ -f "$f" ] && sed 's/^/  /' "$f"
  done
  for f in .cache/compat*/logs/summary.txt; do  # make compat's scenario on each core
    [ -f "$f" ] && sed "1s/^Molecule summary/Molecule summary (ansible-core $(basename "$(dirname "$(dirname "$f")")" | sed 's/compat//;s/^\(.\)/\1./'))/; s/^/  /" "$f"
  done
  return 0
}
for stage in "$@"; do
  start=$(date +%s)
  echo
  echo "=== make $stage"
  make --no-print-directory "$stage" || rc=$?
  rows+=("$(printf '%-12s %5ss  %s' "$stage" $(( $(date +%s) - start )) "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  [ "$rc" = 0 ] || break
done
report
exit "$rc"
