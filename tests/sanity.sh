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
svenv=$top/.cache/sanity-venv
core=$(grep -E '^ansible-core==' "$top/tests/requirements-dev.txt")
if ! "$svenv/bin/python" -c "import ansible" 2>/dev/null; then
  python3 -m venv "$svenv"
  "$svenv/bin/pip" install -q --upgrade pip
  "$svenv/bin/pip" install -q "$core"
fi
# Seed ansible-test's pip bootstrap cache with tests/sanity_get_pip.py (see there why).
pipver=$(grep -oP "pip='\K[0-9.]+" "$svenv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1)
mkdir -p ~/.ansible/test/cache
cp "$top/tests/sanity_get_pip.py" ~/.ansible/test/cache/get_pip_"${pipver//./_}".py
cd "$dest"
git init -q && git add -A >/dev/null  # ansible-test lists the collection's files through git
py=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
PATH=$svenv/bin:$PATH "$svenv/bin/ansible-test" sanity --color no --local --requirements --python "$py" "$@"
