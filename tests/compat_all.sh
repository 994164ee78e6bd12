#!/usr/bin/env bash
# `make compat`: tests/compat.sh for every ansible-core given (the oldest and the newest supported).
#   tests/compat_all.sh CORE...            unit and sanity core by core (CPU-bound: nothing gains from running them
#                                          side by side), then every core's Molecule scenario at once: each one runs
#                                          under a fleet name, state and logs of its own (tests/compat.sh), and most
#                                          of a scenario's time is waiting on its hosts, so two take far less than
#                                          twice one. Each log is kept in .cache/compat-CORE-molecule.log and printed
#                                          whole when all have ended.
#   COMPAT_STEPS="unit sanity"             the given steps only, core by core (no parallel phase)
#   GOHOST_COMPAT_JOBS=1                   the Molecule scenarios one at a time (default: all cores at once)
# At the end: each core's summary line; the exit status is 1 when any step of any core failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
cores=("$@")
[ ${#cores[@]} -gt 0 ] || { echo "usage: tests/compat_all.sh CORE..." >&2; exit 2; }
rc=0
if [ -n "${COMPAT_STEPS:-}" ]; then
  read -r -a steps <<<"$COMPAT_STEPS"
  for c in "${cores[@]}"; do tests/compat.sh "$c" "${steps[@]}" || rc=1; done
  exit $rc
fi

for c in "${cores[@]}"; do tests/compat.sh "$c" unit sanity || rc=1; done

jobs=${GOHOST_COMPAT_JOBS:-${#cores[@]}}
mkdir -p .cache
running() { local n=0 c; for c in "${cores[@]}"; do [ -f ".cache/compat-$c-molecule.log" ] && ! [ -f ".cache/compat-$c-molecule.rc" ] && n=$((n + 1)); done; echo $n; }
for c in "${cores[@]}"; do rm -f ".cache/compat-$c-molecule.log" ".cache/compat-$c-molecule.rc"; done
for c in "${cores[@]}"; do
  while [ "$(running)" -ge "$jobs" ]; do wait -n || true; done
  echo "=== compat $c: molecule started (log: .cache/compat-$c-molecule.log)"
  : >".cache/compat-$c-molecule.log"
  { code=0; tests/compat.sh "$c" molecule >".cache/compat-$c-molecule.log" 2>&1 || code=$?; echo $code >".cache/compat-$c-molecule.rc"; } &
done
wait
for c in "${cores[@]}"; do [ "$(cat ".cache/compat-$c-molecule.rc")" = 0 ] || rc=1; done
for c in "${cores[@]}"; do
  echo "=== compat $c: molecule output"
  cat ".cache/compat-$c-molecule.log"
done
echo
echo "Compat summary:"
for c in "${cores[@]}"; do
  grep -h "^=== compat $c: \(molecule \|SKIPPED\)" ".cache/compat-$c-molecule.log" | sed 's/^=== /  /' || true
done
exit $rc
