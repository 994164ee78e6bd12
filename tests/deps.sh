#!/usr/bin/env bash
# make deps: what `make test` and `make demo` need from the machine (Debian 12, Ubuntu 24.04), installed when it is
# missing, and a running Docker engine. Fast and quiet when everything is there (no apt-get update): it runs first
# in every make test/demo/molecule/images/venv.
#   As root where apt-get exists: installs what is missing, starts dockerd when `docker info` fails.
#   Otherwise: prints the exact command to run and exits 1.
# Overrides for tests (tests/unit/support/test_deps.py): GOHOST_DEPS_UID (the uid to act as),
# GOHOST_DEPS_DOCKER_WAIT (seconds to wait for dockerd, 60), GOHOST_DEPS_DOCKERD_LOG (/var/log/gohost-dockerd.log),
# GOHOST_DEPS_SYSTEMD (the directory that says systemd runs, /run/systemd/system).
set -euo pipefail

# The packages, one a line: "<Debian package>|<shell test that passes when it is there>" (a bare word: a command
# on PATH). Adding a package is adding a line.
PACKAGES=(
  # Docker engine for Molecule and the demo; a Docker client alone (some images ship one) is not an engine
  "docker.io|command -v dockerd || docker info"
  # the container and VM images (tests/images/build.py, tests/vm/build.py), the base of make ee's image
  "mmdebstrap|mmdebstrap"
  # the VM tier: qemu, its disk tool, the cloud-init seed ISO, ssh into the guests
  "qemu-system-x86|qemu-system-x86_64"
  "qemu-utils|qemu-img"
  "genisoimage|genisoimage"
  "openssh-client|ssh"
  # tests and tools: make lint (shellcheck), file copies, JSON, syscall traces, ext4 images
  "shellcheck|shellcheck"
  "rsync|rsync"
  "jq|jq"
  "strace|strace"
  "e2fsprogs|mkfs.ext4"
  # apparmor_parser and the profiles the apparmor packages ship: the integration test of apparmor_profile
  "apparmor|test -x /sbin/apparmor_parser || command -v apparmor_parser"
  "apparmor-utils|command -v aa-complain"
  "apparmor-profiles|test -d /usr/share/apparmor/extra-profiles"
  "apparmor-profiles-extra|test -e /usr/share/doc/apparmor-profiles-extra"
  # `python3 -m venv` for make venv (Debian splits ensurepip out of python3)
  "python3-venv|python3 -c 'import ensurepip, venv'"
)

uid=${GOHOST_DEPS_UID:-$(id -u)}
wait_sec=${GOHOST_DEPS_DOCKER_WAIT:-60}
dockerd_log=${GOHOST_DEPS_DOCKERD_LOG:-/var/log/gohost-dockerd.log}
systemd_dir=${GOHOST_DEPS_SYSTEMD:-/run/systemd/system}

present() {  # test -> status
  case $1 in
    *[[:space:]]*) eval "$1" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing_packages() {
  local entry
  for entry in "${PACKAGES[@]}"; do
    present "${entry#*|}" || echo "${entry%%|*}"
  done
}

mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -gt 0 ]; then
  install=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [ "$uid" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "make deps: missing: ${missing[*]}" >&2
    if command -v apt-get >/dev/null; then
      echo "make deps: run: sudo apt-get update && sudo ${install[*]}" >&2
    else
      echo "make deps: no apt-get here; on Debian/Ubuntu: apt-get update && ${install[*]}" >&2
    fi
    exit 1
  fi
  echo "make deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  mapfile -t still < <(missing_packages)
  if [ ${#still[@]} -gt 0 ]; then
    echo "make deps: still missing after apt-get install: ${still[*]}" >&2
    exit 1
  fi
fi

if ! err=$(docker info 2>&1 >/dev/null); then
  if [[ $err == *"permission denied"* ]]; then
    echo "make deps: docker is running but this user may not use it: run as root, or" \
      "sudo usermod -aG docker $(id -un) and log in again" >&2
    exit 1
  fi
  # systemd's docker.service where there is one (Ubuntu/Debian hosts), else dockerd in the background (containers, CI)
  unit=false
  [ -d "$systemd_dir" ] && systemctl cat docker.service >/dev/null 2>&1 && unit=true
  if [ "$uid" != 0 ]; then
    if $unit; then
      echo "make deps: the Docker engine is not running; run: sudo systemctl start docker.service" >&2
    else
      echo "make deps: the Docker engine is not running; run: sudo sh -c 'dockerd >$dockerd_log 2>&1 &'" >&2
    fi
    exit 1
  fi
  if $unit; then
    echo "make deps: starting docker.service"
    systemctl start docker.service
  else
    echo "make deps: starting dockerd (log: $dockerd_log)"
    (dockerd >"$dockerd_log" 2>&1 </dev/null &)
  fi
  for ((i = 0; i < wait_sec; i++)); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "make deps: the Docker engine did not answer within ${wait_sec}s; see $dockerd_log" >&2
    exit 1
  fi
fi
docker info --format 'make deps: docker {{.ServerVersion}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'
