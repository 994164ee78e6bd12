#!/usr/bin/env bash
# Runs Molecule scenarios on the platforms whose images exist, and says which platform each one ran on.
#   tests/molecule.sh [SCENARIO ...]       (default: every scenario under molecule/)
#   GOHOST_PLATFORMS="noble bookworm"      platforms wanted (default: every image tests/images/build.py made);
#                                          a wanted platform without an image is reported and replaced by the
#                                          host's own (bookworm on CI).
#   GOHOST_MOLECULE_JOBS=2                 scenarios run at once (default 1); each one's output is kept in
#                                          .cache/molecule-logs/ and printed whole when it ends.
#   GOHOST_MOLECULE_LOGS=DIR               where the logs and summary go (default .cache/molecule-logs)
#   MOLECULE_COMMAND=converge              another Molecule command than `test` (e.g. converge, verify, destroy)
#   GOHOST_VENV=.venv-2.16                 the venv whose molecule and ansible-core run the scenarios (default .venv;
#                                          `make compat` sets it)
#   GOHOST_MOLECULE_ELSEWHERE="fleet"      scenarios the default run leaves to another stage, each named in the output
#                                          with GOHOST_MOLECULE_ELSEWHERE_WHY (`make test` runs fleet in its compat
#                                          stage, on the oldest and the newest ansible-core, instead of on .venv's)
#   GOHOST_MOLECULE_TIER=container|vm|all  which scenarios the default run (no SCENARIO named) takes (default all):
#                                          the VM tier is the scenarios with a molecule/<s>/platforms file. `make
#                                          test` runs the container tier (`make molecule`, two jobs), then the VM
#                                          tier alone (`make molecule-vm`, one at a time: software emulation gets
#                                          only the CPU that is left, so nothing runs beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
venv=${GOHOST_VENV:-.venv}
[ -x "$venv/bin/molecule" ] || { echo "no molecule in $venv" >&2; exit 2; }
# molecule runs ansible-playbook (and the verifier pytest) by name: the chosen venv's first.
PATH=$PWD/$venv/bin:$PATH
built=$($py tests/images/build.py --list)
host=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release)
wanted=${GOHOST_PLATFORMS:-$built}
jobs=${GOHOST_MOLECULE_JOBS:-1}
logs=${GOHOST_MOLECULE_LOGS:-.cache/molecule-logs}
mkdir -p "$logs"
tier=${GOHOST_MOLECULE_TIER:-all}
case $tier in container|vm|all) ;; *) echo "GOHOST_MOLECULE_TIER must be container, vm or all, not '$tier'" >&2; exit 2;; esac
scenarios=("$@")
LONGEST_FIRST="fleet apt_mirror go_service goproxy go_toolchain journald go_observability kernel_facts"
if [ ${#scenarios[@]} -eq 0 ]; then
  # Scenarios that pin their platforms (the VM tier: the longest runs) start first, so that with several jobs the
  # container scenarios fill the time beside them instead of after them.
  if [ "$tier" != container ]; then
    for d in molecule/*/molecule.yml; do [ -f "$(dirname "$d")/platforms" ] && scenarios+=("$(basename "$(dirname "$d")")"); done
  fi
  # Then the container scenarios, longest first (as measured on CI), so that the last job to start is a short one.
  if [ "$tier" != vm ]; then
    for s in $LONGEST_FIRST; do [ -f "molecule/$s/molecule.yml" ] && ! [ -f "molecule/$s/platforms" ] && scenarios+=("$s"); done
    for d in molecule/*/molecule.yml; do
      s=$(basename "$(dirname "$d")")
      [ -f "molecule/$s/platforms" ] || [[ " $LONGEST_FIRST " == *" $s "* ]] || scenarios+=("$s")
    done
  fi
  [ ${#scenarios[@]} -gt 0 ] || { echo "no scenario in tier $tier" >&2; exit 2; }
fi

# The runs: "scenario platform" pairs.
summary=()
runs=()
for s in "${scenarios[@]}"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "no scenario molecule/$s" >&2; exit 2; }
  if [ $# -eq 0 ] && [[ " ${GOHOST_MOLECULE_ELSEWHERE:-} " == *" $s "* ]]; then
    summary+=("scenario $s: not in this stage: ${GOHOST_MOLECULE_ELSEWHERE_WHY:-GOHOST_MOLECULE_ELSEWHERE names it}")
    echo "=== ${summary[-1]}"
    continue
  fi
  # molecule/<s>/skip holds the reason a scenario is left out of the default run (named scenarios always run).
  if [ $# -eq 0 ] && [ -f "molecule/$s/skip" ]; then
    summary+=("scenario $s: SKIPPED: $(grep -v '^#' "molecule/$s/skip" | tr -s '\n' ' ')")
    echo "=== ${summary[-1]}"
    continue
  fi
  # A scenario may pin its platforms (the VM tier does): molecule/<s>/platforms lists them, one per line.
  if [ -f "molecule/$s/platforms" ]; then
    for p in $(grep -v '^#' "molecule/$s/platforms" | xargs); do runs+=("$s $p"); done
    continue
  fi
  # No image at all: nothing could run, and nothing must pass for it.
  [ -n "$wanted" ] || { echo "scenario $s: no platform image is built (make images)" >&2; exit 2; }
  for p in $wanted; do
    if ! grep -qw "$p" <<<"$built"; then
      why=$(jq -r .reason ".cache/images/$p.json" 2>/dev/null || echo "no image built")
      echo "=== scenario $s: platform $p not available ($why); running on $host instead"
      p=$host
    fi
    runs+=("$s $p")
  done
done

run_one() {  # scenario platform -> writes the log and a result line
  local s=$1 p=$2 start rc=0
  start=$(date +%s)
  GOHOST_PLATFORM=$p "$venv/bin/molecule" "${MOLECULE_COMMAND:-test}" -s "$s" >"$logs/$s@$p.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - start ))" >"$logs/$s@$p.result"
}

rc=0
finish() {  # print a finished run's log and record its result
  local s=$1 p=$2 code secs
  read -r code secs <"$logs/$s@$p.result"
  echo "=== scenario $s: platform $p: output"
  cat "$logs/$s@$p.log"
  if [ "$code" = 0 ]; then
    summary+=("scenario $s on $p: passed in ${secs}s")
  else
    summary+=("scenario $s on $p: FAILED after ${secs}s (log: $logs/$s@$p.log)")
    rc=1
  fi
  echo "=== ${summary[-1]}"
}

declare -A pids=()
for r in "${runs[@]}"; do
  read -r s p <<<"$r"
  rm -f "$logs/$s@$p.result"
  while [ "${#pids[@]}" -ge "$jobs" ]; do
    wait -n || true
    for k in "${!pids[@]}"; do
      if [ -f "$logs/$k.result" ]; then finish "${k%@*}" "${k#*@}"; unset "pids[$k]"; fi
    done
  done
  echo "=== scenario $s: platform $p: started"
  run_one "$s" "$p" &
  pids["$s@$p"]=$!
done
while [ "${#pids[@]}" -gt 0 ]; do
  wait -n || true
  for k in "${!pids[@]}"; do
    if [ -f "$logs/$k.result" ]; then finish "${k%@*}" "${k#*@}"; unset "pids[$k]"; fi
  done
done

# One summary per tier of a default run (make test prints them all at its end), else one for the named scenarios.
name=summary
[ $# -gt 0 ] || [ "$tier" = all ] || name=summary-$tier
{
  echo "Molecule summary${name#summary}:"
  printf '  %s\n' "${summary[@]}"
} > "$logs/$name.txt"
echo
cat "$logs/$name.txt"
exit $rc
