#!/usr/bin/env bash
# Compatibility run on another ansible-core than the main venv's (issue 14): the oldest supported (2.16, noble's
# own package) and the newest release (2.21). `make compat` runs every tests/requirements-compat-*.txt, `make
# compat CORE=2.16` one of them.
#   tests/compat.sh CORE [STEP ...]     STEP: unit, sanity, molecule (default: all three, in that order)
#   GOHOST_COMPAT_SCENARIO=fleet        the Molecule scenario (default fleet: playbooks/site.yml over four hosts, so
#                                       every role's checks run on that core); it runs under its own fleet name,
#                                       state and log directories, so it can run beside the main venv's.
# Per CORE: .venv-CORE from tests/requirements-compat-CORE.txt (rebuilt when that file changes), with a controller
# Python from its `# controller-python:` line (on PATH, or pyenv's); where none is on this machine the run is
# SKIPPED with the reason (exit 0). Each step prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
core=${1:?usage: tests/compat.sh CORE [unit|sanity|molecule ...]}
shift
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(unit sanity molecule)
req=tests/requirements-compat-$core.txt
if [ ! -f "$req" ]; then
  have=(tests/requirements-compat-*.txt)
  echo "compat: no $req (have: ${have[*]})" >&2
  exit 2
fi
venv=.venv-$core
scenario=${GOHOST_COMPAT_SCENARIO:-fleet}

# A controller Python that this ansible-core supports: the first of the listed versions found.
read -r -a wanted <<<"$(sed -n 's/^# controller-python: *//p' "$req")"
python=
pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for v in "${wanted[@]}"; do
  for cand in "$(command -v "python$v" 2>/dev/null || true)" "$pyenv_root"/versions/"$v".*/bin/"python$v"; do
    if [ -z "$cand" ] || [ ! -x "$cand" ]; then continue; fi
    if [ "$("$cand" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$v" ]; then
      python=$cand
      break 2
    fi
  done
done
if [ -z "$python" ]; then
  echo "=== compat $core: SKIPPED: ansible-core $core needs a controller Python ${wanted[*]}; none on this machine (PATH, $pyenv_root/versions)"
  exit 0
fi

if [ ! -f "$venv/.stamp" ] || [ "$req" -nt "$venv/.stamp" ] || [ requirements.txt -nt "$venv/.stamp" ]; then
  start=$(date +%s)
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r "$req"
  touch "$venv/.stamp"
  echo "=== compat $core: $venv built with $("$python" --version) in $(( $(date +%s) - start ))s"
fi
echo "=== compat $core: $("$venv/bin/ansible" --version | sed -n 1p), $("$venv/bin/python" --version)"

results=()
rc=0
for step in "${steps[@]}"; do
  start=$(date +%s)
  code=0
  case $step in
    # The roles' checks and templates rendered by this core (tests/unit/roles), the plugins' unit tests and the
    # dependencies' versions (tests/unit/test_dependencies.py).
    unit)
      ignore=()
      if ! "$venv/bin/python" -c 'from ansible.template import trust_as_template' 2>/dev/null; then
        echo "=== compat $core: not run: tests/unit/roles/test_go_observability_install.py (it drives ansible-core 2.19's Templar API, trust_as_template)"
        ignore=(--ignore tests/unit/roles/test_go_observability_install.py)
      fi
      PYTHONPATH=$PWD/.cache/collections "$venv/bin/pytest" -q -rs -p no:cacheprovider "${ignore[@]}" \
        tests/unit/roles tests/unit/plugins tests/unit/test_dependencies.py || code=$? ;;
    # Only the sanity tests whose result depends on the ansible-core (its docs schema, its pylint and import
    # rules, the Python versions it knows); the others (shellcheck, line endings, ...) are the same on every core.
    sanity) SANITY_REQUIREMENTS=$req SANITY_PYTHON=$python tests/sanity.sh \
              --test ansible-doc --test validate-modules --test import --test compile --test pylint \
              --test runtime-metadata --test yamllint --test action-plugin-docs || code=$? ;;
    molecule)
      tag=compat${core//./}
      mkdir -p ".cache/$tag/molecule"
      GOHOST_VENV=$venv PATH=$PWD/$venv/bin:$PATH GOHOST_FLEET=$tag GOHOST_MOLECULE_LOGS=.cache/$tag/logs \
        MOLECULE_EPHEMERAL_DIRECTORY=$PWD/.cache/$tag/molecule tests/molecule.sh "$scenario" || code=$? ;;
    *) echo "compat: unknown step $step" >&2; exit 2 ;;
  esac
  secs=$(( $(date +%s) - start ))
  if [ $code = 0 ]; then results+=("$step passed in ${secs}s"); else results+=("$step FAILED after ${secs}s"); rc=1; fi
  echo "=== compat $core: ${results[-1]}"
done
echo "=== compat $core summary: $(IFS=";"; echo "${results[*]}")"
exit $rc
