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
cd "$dest"
git init -q && git add -A >/dev/null  # ansible-test lists the collection's files through git
py=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
"$top/.venv/bin/ansible-test" sanity --color no --venv --requirements --python "$py" "$@"
