#!/bin/sh
# A dnf-shaped front end to apt-get, for ansible-builder's build scripts on a Debian base (make ee: the CI
# definition sets options.package_manager_path to this file, copied to /usr/local/bin/apt-dnf). The scripts call
#   $PKGMGR install -y [--nodocs] [--setopt ...] PACKAGE...   (bindep's list of missing packages, one a word)
#   $PKGMGR clean all
# Nothing else is supported: anything else is an error, so that a new call in a future ansible-builder shows.
set -eu
[ $# -gt 0 ] || { echo "apt-dnf: usage: apt-dnf install -y PACKAGE... | apt-dnf clean all" >&2; exit 2; }
cmd=$1
shift
case $cmd in
  install)
    pkgs=""
    skip=false
    for arg in "$@"; do
      if $skip; then skip=false; continue; fi
      case $arg in
        -y | --assumeyes | --nodocs) ;;
        --setopt) skip=true ;;
        --setopt=* | --enablerepo=* | --disablerepo=*) ;;
        -*) echo "apt-dnf: unsupported option $arg" >&2; exit 2 ;;
        *) pkgs="$pkgs $arg" ;;
      esac
    done
    [ -n "$pkgs" ] || exit 0
    export DEBIAN_FRONTEND=noninteractive
    # the lists are removed by `clean all` (and are not in the base image): fetch them when missing
    ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
    # shellcheck disable=SC2086 # one package a word
    apt-get install -y -qq --no-install-recommends $pkgs
    ;;
  clean)
    apt-get clean
    rm -rf /var/lib/apt/lists/*
    ;;
  *)
    echo "apt-dnf: unsupported command $cmd" >&2
    exit 2
    ;;
esac
