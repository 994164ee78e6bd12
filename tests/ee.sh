#!/usr/bin/env bash
# make ee: builds the example execution environment (examples/execution-environment/) with ansible-builder 3 and
# runs a playbook of the collection from inside it with ansible-runner, against a systemd container.
# docs/execution-environment.md says what CI does differently from a user's build (the base image, the offline
# collections and wheels: tests/support/ee_build.py). Steps:
#   tools        ansible-builder and ansible-runner (tests/requirements-ee.txt) into .cache/ee/venv
#   base         the Debian base image, gohost-ee/base:<recipe hash> (mmdebstrap from this machine's apt sources)
#   collections  noble.gohost's tarball (ansible-galaxy collection build), its dependencies and community.docker
#                repacked from .venv's `ansible` package (no Galaxy here)
#   introspect   ansible-builder introspect on them: what the collections ask for (meta/execution-environment.yml)
#   create       ansible-builder create: the CI definition (.cache/ee/def) rendered into .cache/ee/context
#   wheels       every Python package the build installs, as wheels made here (.cache/ee/wheels/<hash>)
#   build        docker build of the context: gohost-ee/noble-gohost:<version>
#   check        in the image: the collection, ansible-core, ansible-runner, jmespath, netaddr, go
#   target       a systemd container (gohost-ee-target) from noble-gohost/bookworm:latest (make images)
#   run          ansible-runner --process-isolation: tests/ee/project/ee.yml in the EE, over the Docker socket
#   verify       the result on the target, read with docker exec
# A step that cannot run here prints `ee: SKIPPED <step>: <reason>`; the others still run. Exit status 1 when a step
# failed. Every container, image and file made here is named gohost-ee*; the containers are removed at the end.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
top=$PWD
cache=$top/.cache/ee
py=$top/.venv/bin/python
eebuild=(env PYTHONDONTWRITEBYTECODE=1 "$py" "$top/tests/support/ee_build.py")
venv=$cache/venv
log=$cache/logs
mkdir -p "$cache" "$log"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1

target=gohost-ee-target
runner_name=gohost-ee-runner
target_image=noble-gohost/bookworm:latest
version=$("${eebuild[@]}" version) || { echo "ee: cannot read galaxy.yml's version" >&2; exit 2; }
ee_image=gohost-ee/noble-gohost:$version

rows=()
failed=()
skipped=()
t0=$(date +%s)
declare -A state=()

cleanup() {
  local c
  for c in "$runner_name" "$target"; do
    docker rm -f "$c" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() {  # step reason
  echo "ee: SKIPPED $1: $2"
  skipped+=("$1")
  state[$1]=skipped
  rows+=("$(printf '%-12s %5s   SKIPPED: %s' "$1" - "$2")")
}

why=
cannot() {  # step reason: a step function's SKIPPED line (it then returns 3)
  why=$2
  echo "ee: SKIPPED $1: $2"
}

# run STEP FUNCTION: the function's time and outcome; a step whose prerequisites did not succeed is skipped.
run() {  # step function [needs...]
  local name=$1 fn=$2 need start rc
  shift 2
  for need in "$@"; do
    if [ "${state[$need]:-}" != ok ]; then
      skip "$name" "needs step $need, which ${state[$need]:-did not run}"
      return
    fi
  done
  echo
  echo "=== ee: $name"
  start=$(date +%s)
  "$fn"
  rc=$?
  if [ "$rc" = 0 ]; then
    state[$name]=ok
    rows+=("$(printf '%-12s %5ss  ok' "$name" $(( $(date +%s) - start )))")
  elif [ "$rc" = 3 ]; then  # the function said why (cannot)
    state[$name]=skipped
    skipped+=("$name")
    rows+=("$(printf '%-12s %5ss  SKIPPED: %s' "$name" $(( $(date +%s) - start )) "$why")")
  else
    state[$name]=failed
    failed+=("$name")
    rows+=("$(printf '%-12s %5ss  FAILED (exit %s)' "$name" $(( $(date +%s) - start )) "$rc")")
    echo "ee: FAILED $name (exit $rc)"
  fi
}

step_tools() {
  local stamp want
  want=$(sha256sum tests/requirements-ee.txt | cut -c1-16)
  stamp=$venv/.stamp-$want
  if [ -f "$stamp" ] && "$venv/bin/ansible-builder" --version >/dev/null 2>&1; then
    echo "reusing $venv"
  else
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q -r tests/requirements-ee.txt || return 1
    touch "$stamp"
  fi
  echo "ansible-builder $("$venv/bin/ansible-builder" --version), ansible-runner $("$venv/bin/ansible-runner" --version)"
}

have_docker() {
  docker info >/dev/null 2>&1
}

step_base() {
  local out
  if ! have_docker; then
    cannot base "the Docker engine does not answer (make deps starts it)"; return 3
  fi
  if ! command -v mmdebstrap >/dev/null; then
    cannot base "mmdebstrap is not installed (make deps installs it)"; return 3
  fi
  out=$("${eebuild[@]}" base) || return 1
  base_image=${out%% *}
  echo "base image: $base_image (${out#* })"
}

deps_dir=$cache/collections
step_collections() {
  local c deps
  rm -rf "$deps_dir" && mkdir -p "$deps_dir/deps" || return 1
  .venv/bin/ansible-galaxy collection build --force --output-path "$deps_dir" . >/dev/null || return 1
  tarball=$deps_dir/noble-gohost-$version.tar.gz
  "${eebuild[@]}" normalize "$tarball" || return 1
  dep_tarballs=()
  # noble.gohost's dependencies (galaxy.yml) and the connection the EE reaches the test container with
  deps=$("${eebuild[@]}" closure community.docker) || return 1
  for c in $deps; do
    dep_tarballs+=("$("${eebuild[@]}" repack "$c" "$deps_dir/deps")") || return 1
  done
  du -h "$tarball" "${dep_tarballs[@]}"
}

step_introspect() {
  local d
  rm -rf "$cache/introspect"
  { echo "collections:"; for d in "$tarball" "${dep_tarballs[@]}"; do echo "  - {name: '$d', type: file}"; done; } \
    >"$cache/introspect.yml"
  # as in the build: only the tarballs, not the collections of .venv's `ansible` package
  ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_COLLECTIONS_PATH=$cache/introspect ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 \
    .venv/bin/ansible-galaxy collection install --offline --force \
    -p "$cache/introspect" -r "$cache/introspect.yml" >"$log/introspect-install.log" 2>&1 || {
    cat "$log/introspect-install.log"; return 1; }
  "$venv/bin/ansible-builder" introspect --write-pip "$cache/introspect-requirements.txt" \
    --write-bindep "$cache/introspect-bindep.txt" "$cache/introspect" >"$log/introspect.log" 2>&1 || { cat "$log/introspect.log"; return 1; }
  echo "Python packages the collections ask for:"; sed 's/^/  /' "$cache/introspect-requirements.txt"
  echo "system packages:"; sed 's/^/  /' "$cache/introspect-bindep.txt"
  # this collection's own metadata must be among them
  for d in jmespath netaddr; do
    grep -q "^$d.*noble.gohost" "$cache/introspect-requirements.txt" || { echo "ee: $d (requirements.txt) not introspected"; return 1; }
  done
  grep -q "^golang-go .*noble.gohost" "$cache/introspect-bindep.txt" || { echo "ee: golang-go (bindep.txt) not introspected"; return 1; }
}

render() {  # the CI definition and the build context, with the wheels of $1
  local d args=()
  for d in "${dep_tarballs[@]}"; do args+=(--dep "$d"); done
  "${eebuild[@]}" definition --example examples/execution-environment --out "$cache/def" --tarball "$tarball" \
    "${args[@]}" --base "$base_image" --wheels "$1" --shim "$top/tests/ee/apt-dnf.sh" --tag "$ee_image" || return 1
  rm -rf "$cache/context"
  "$venv/bin/ansible-builder" create -f "$cache/def/execution-environment.yml" -c "$cache/context" \
    --output-filename Dockerfile >"$log/create.log" 2>&1 || { cat "$log/create.log"; return 1; }
}

step_create() {
  mkdir -p "$cache/wheels/none"
  render "$cache/wheels/none" || return 1
  "${eebuild[@]}" pip-requirements "$cache/context/Dockerfile" "$cache/introspect-requirements.txt" \
    >"$cache/build-requirements.txt" || return 1
  echo "rendered $cache/context/Dockerfile ($(grep -c '^FROM' "$cache/context/Dockerfile") stages) from $cache/def/execution-environment.yml"
}

step_wheels() {
  local hash dir
  hash=$( (cat "$cache/build-requirements.txt"; python3 -V) | sha256sum | cut -c1-12)
  dir=$cache/wheels/$hash
  if [ -f "$dir/.complete" ]; then
    echo "reusing $dir ($(find "$dir" -name '*.whl' | wc -l) wheels)"
  else
    rm -rf "$dir"
    # the Python of the base is this machine's (Debian 12 both): wheels made here install there
    "$venv/bin/pip" wheel -q --wheel-dir "$dir" -r "$cache/build-requirements.txt" || return 1
    touch "$dir/.complete"
    echo "made $dir ($(find "$dir" -name '*.whl' | wc -l) wheels)"
  fi
  find "$cache/wheels" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" ! -name none -exec rm -rf {} +
  render "$dir"
}

step_build() {
  echo "docker build -t $ee_image (base $base_image; log: $log/build.log)"
  if ! docker build -t "$ee_image" -f "$cache/context/Dockerfile" "$cache/context" >"$log/build.log" 2>&1; then
    tail -n 40 "$log/build.log"
    return 1
  fi
  grep -E '^Step [0-9]+/|Using cache' "$log/build.log" | grep -c 'Using cache' | sed 's/^/layers from the cache: /'
  docker image inspect -f '{{.Config.Labels}} {{.Size}} bytes' "$ee_image"
}

step_check() {
  # through the image's entrypoint, as AWX runs it (it gives the arbitrary user a home)
  docker run --rm --name gohost-ee-check "$ee_image" bash -c '
    set -e
    ansible --version | head -1
    ansible-runner --version
    ansible-galaxy collection list 2>/dev/null | grep -E "^(noble\.gohost|community\.general|ansible\.utils|community\.docker) "
    ansible-doc -t module noble.gohost.kernel_facts >/dev/null
    ansible-doc -t role noble.gohost.journald >/dev/null
    python3 -c "import jmespath, netaddr; print(\"jmespath\", jmespath.__version__, \"netaddr\", netaddr.__version__)"
    go version; ssh -V; git --version
    test "$(id -u)" != 0  # the image runs as a user, like ee-minimal
    test ! -e /opt/gohost-ee  # the wheels of the build are gone
  '
}

step_target() {
  if ! have_docker; then
    cannot target "the Docker engine does not answer (make deps starts it)"; return 3
  fi
  if ! docker image inspect "$target_image" >/dev/null 2>&1; then
    cannot target "$target_image is missing (make images builds it)"; return 3
  fi
  docker rm -f "$target" >/dev/null 2>&1
  # as the Molecule scenarios run it (.config/molecule/config.yml): systemd as PID 1 without --privileged
  docker run -d --name "$target" --hostname "$target" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    "$target_image" /lib/systemd/systemd >/dev/null || return 1
  local i s
  for ((i = 0; i < 60; i++)); do
    s=$(docker exec "$target" systemctl is-system-running 2>/dev/null) || true
    case $s in running | degraded) echo "$target: systemd $s"; return 0 ;; esac
    sleep 1
  done
  echo "$target: systemd did not come up (state: ${s:-none})"
  return 1
}

step_run() {
  local pdd=$cache/runner rc=0
  rm -rf "$pdd" && mkdir -p "$pdd/env" || return 1
  cp -r tests/ee/project tests/ee/inventory "$pdd/" || return 1
  printf '%s\n' '---' 'ANSIBLE_FORCE_COLOR: "0"' 'ANSIBLE_NOCOLOR: "1"' >"$pdd/env/envvars"
  "$venv/bin/ansible-runner" run "$pdd" -p ee.yml --ident gohost-ee --process-isolation \
    --process-isolation-executable docker --container-image "$ee_image" \
    --container-volume-mount /var/run/docker.sock:/var/run/docker.sock \
    --container-option="--name=$runner_name" || rc=$?
  echo "ansible-runner: exit $rc, status $(cat "$pdd/artifacts/gohost-ee/status" 2>/dev/null || echo unknown)"
  return "$rc"
}

step_verify() {
  local result
  result=$(docker exec "$target" cat /var/lib/gohost-ee/result.json) || return 1
  echo "$result"
  RESULT=$result "$py" - <<'EOF' || return 1
import json, os
r = json.loads(os.environ["RESULT"])
assert r["probes"] == ["kernel", "cgroup"], r
assert r["journal_formats"] == ["zap-json"], r
assert r["controller_go"].startswith("go version go1."), r
assert r["controller_python"].startswith("/usr/"), r  # the EE's python, not .venv's
assert r["kernel_release"] == os.uname().release, (r["kernel_release"], os.uname().release)
EOF
  docker exec "$target" grep -qx 'Storage=volatile' /etc/systemd/journald.conf.d/50-noble-gohost.conf || {
    echo "ee: the journald drop-in is not on the target"; return 1; }
  echo "the target has the journald drop-in; the result matches"
}

tarball=
dep_tarballs=()
base_image=
run tools step_tools
run base step_base
run collections step_collections tools
run introspect step_introspect tools collections
run create step_create tools base introspect
run wheels step_wheels create
run build step_build wheels
run check step_check build
run target step_target
run run step_run build target
run verify step_verify run

echo
echo "Execution environment (make ee): $ee_image from base ${base_image:-(none)}"
printf '  %s\n' "${rows[@]}"
printf '  %-12s %5ss\n' total $(( $(date +%s) - t0 ))
[ ${#skipped[@]} -eq 0 ] || echo "  skipped: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "  failed: ${failed[*]}"
  exit 1
fi
