#!/usr/bin/env bash
# Builds the collection tarball, checks that no test or CI file is in it, installs it into a temporary path and
# checks that `ansible-doc -l noble.gohost` lists every module and filter of plugins/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/gohost-build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
.venv/bin/ansible-galaxy collection build --force --output-path "$tmp" . >/dev/null
tarball=$(ls "$tmp"/noble-gohost-*.tar.gz)
echo "built $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
bad=$(tar -tzf "$tarball" | grep -E '^(tests|molecule|\.ci|\.config|benchmarks|examples|\.venv|\.cache)/' || true)
if [ -n "$bad" ]; then
  echo "the tarball holds files that build_ignore should keep out:"; echo "$bad" | head -20; exit 1
fi
ANSIBLE_COLLECTIONS_PATH=$tmp/install .venv/bin/ansible-galaxy collection install --force --offline --no-deps \
  -p "$tmp/install" "$tarball" >/dev/null 2>&1
listed=$(ANSIBLE_COLLECTIONS_PATH=$tmp/install .venv/bin/ansible-doc -l noble.gohost 2>/dev/null | awk '{print $1}')
missing=0
for f in plugins/modules/*.py; do
  name=noble.gohost.$(basename "$f" .py)
  [ "$(basename "$f")" = "__init__.py" ] && continue
  grep -qx "$name" <<<"$listed" || { echo "ansible-doc -l does not list $name"; missing=1; }
done
echo "ansible-doc -l noble.gohost lists: $(echo "$listed" | paste -sd ' ')"
exit $missing
