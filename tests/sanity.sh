#!/usr/bin/env bash
# ansible-test needs the collection at ansible_collections/<namespace>/<name>: copy the tracked and untracked
# (not ignored) files there and run sanity with empty ignore files.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
tmp=$(mktemp -d /tmp/gohost-sanity.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/ansible_collections/noble/gohost
mkdir -p "$dest"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | rsync -a --from0 --files-from=- ./ "$dest/"
# ansible-test installs its own pinned checkers (pylint, pycodestyle, ...): keep them out of the tools venv.
# (--venv would bootstrap pip from a host outside the package registries, so --local in a venv of our own.)
# The ansible-core comes from tests/requirements-dev.txt; `make compat` runs this with another one:
#   SANITY_REQUIREMENTS=tests/requirements-compat-2.16.txt SANITY_PYTHON=/path/to/python3.11 tests/sanity.sh
req=${SANITY_REQUIREMENTS:-tests/requirements-dev.txt}
core=$(grep -E '^ansible-core==' "$top/$req")
svenv=$top/.cache/sanity-venv
[ -z "${SANITY_REQUIREMENTS:-}" ] || svenv=$top/.cache/sanity-venv-${core#ansible-core==}
if ! "$svenv/bin/python" -c "import ansible.release as r, sys; sys.exit(r.__version__ != '${core#ansible-core==}')" 2>/dev/null; then
  rm -rf "$svenv"
  "${SANITY_PYTHON:-python3}" -m venv "$svenv"
  "$svenv/bin/pip" install -q --upgrade pip
  "$svenv/bin/pip" install -q "$core"
fi
# Seed ansible-test's pip bootstrap cache with tests/sanity_get_pip.py (see there why).
pipver=$(grep -oP "pip='\K[0-9.]+" "$svenv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1)
mkdir -p ~/.ansible/test/cache
cp "$top/tests/sanity_get_pip.py" ~/.ansible/test/cache/get_pip_"${pipver//./_}".py
cd "$dest"
git init -q && git add -A >/dev/null  # ansible-test lists the collection's files through git
py=$("$svenv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
PATH=$svenv/bin:$PATH "$svenv/bin/ansible-test" sanity --color no --local --requirements --python "$py" "$@"
