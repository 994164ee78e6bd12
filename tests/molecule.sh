#!/usr/bin/env bash
# Runs Molecule scenarios on the platforms whose images exist, and says which platform each one ran on.
#   tests/molecule.sh [SCENARIO ...]       (default: every scenario under molecule/)
#   GOHOST_PLATFORMS="noble bookworm"      platforms wanted (default: every image tests/images/build.py made);
#                                          a wanted platform without an image is reported and replaced by the
#                                          host's own (bookworm on CI).
#   MOLECULE_COMMAND=converge              another Molecule command than `test` (e.g. converge, verify, destroy)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
built=$($py tests/images/build.py --list)
host=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release)
wanted=${GOHOST_PLATFORMS:-$built}
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for d in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$d")")"); done
fi
summary=()
rc=0
for s in "${scenarios[@]}"; do
  # A scenario may pin its platforms (the VM tier does): molecule/<s>/platforms lists them, one per line.
  plats=$wanted
  if [ -f "molecule/$s/platforms" ]; then plats=$(grep -v '^#' "molecule/$s/platforms" | xargs); fi
  for p in $plats; do
    run=$p
    if [ ! -f "molecule/$s/platforms" ] && ! grep -qw "$p" <<<"$built"; then
      why=$(jq -r .reason ".cache/images/$p.json" 2>/dev/null || echo "no image built")
      echo "=== scenario $s: platform $p not available ($why); running on $host instead"
      run=$host
    fi
    echo "=== scenario $s: platform $run"
    start=$(date +%s)
    if GOHOST_PLATFORM=$run .venv/bin/molecule "${MOLECULE_COMMAND:-test}" -s "$s"; then
      summary+=("scenario $s on $run: passed in $(( $(date +%s) - start ))s")
    else
      summary+=("scenario $s on $run: FAILED after $(( $(date +%s) - start ))s")
      rc=1
    fi
  done
done
echo
echo "Molecule summary:"
printf '  %s\n' "${summary[@]}"
exit $rc
