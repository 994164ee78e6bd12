#!/usr/bin/env bash
# `make demo`: the Go host fleet of molecule/fleet (an apt mirror, a Go module proxy, two Go hosts; the same
# inventory and group variables as the scenario) on local systemd containers, provisioned by playbooks/site.yml.
# It runs the scenario's create (with its prepare) and converge under the fleet name "demo" (containers gohost-demo-*), leaves
# the fleet running, writes the fleet capability report and prints, per host, what it is and how to look at it.
# `make demo-clean` (tests/demo.sh clean) removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOHOST_FLEET=demo
work=$PWD/.cache/demo
export MOLECULE_EPHEMERAL_DIRECTORY=$work/molecule
export ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections
export PATH=$PWD/.venv/bin:$PATH
mkdir -p "$MOLECULE_EPHEMERAL_DIRECTORY"
platform() { .venv/bin/python tests/images/build.py --list | awk '{print $1}'; }

case "${1:-up}" in
  clean)
    [ -x .venv/bin/molecule ] || { echo "no demo fleet (no .venv)"; exit 0; }
    export GOHOST_PLATFORM=${GOHOST_PLATFORM:-$(platform)}
    molecule destroy -s fleet >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; exit 1; }
    rm -rf "$work"
    echo "removed the demo fleet (gohost-demo-*)"
    exit 0 ;;
  up) ;;
  *) echo "usage: $0 [up|clean]" >&2; exit 2 ;;
esac

timings=()
phase() {  # phase NAME COMMAND...: run it with its output in $work/NAME.log, time it, stop on failure
  local label=$1 start rc=0
  shift
  start=$(date +%s)
  echo "== demo: $label (log: .cache/demo/$label.log)"
  "$@" >"$work/$label.log" 2>&1 || rc=$?
  timings+=("$(printf '%-10s %4ss' "$label" $(( $(date +%s) - start )))")
  if [ "$rc" != 0 ]; then
    tail -n 60 "$work/$label.log"
    echo "demo: $label failed (exit $rc); the whole log is .cache/demo/$label.log" >&2
    exit "$rc"
  fi
}
# What a fresh machine needs first (each a no-op when it is there): packages and dockerd, the venv, the images.
phase setup make --no-print-directory deps venv collection images
export GOHOST_PLATFORM=${GOHOST_PLATFORM:-$(platform)}
[ -n "$GOHOST_PLATFORM" ] || { echo "no container image was built: see .cache/demo/setup.log" >&2; exit 1; }
# The scenario's create also runs its prepare (the controller's builds, fleet-inputs.json).
phase fleet molecule create -s fleet
phase site.yml molecule converge -s fleet
inventory=$(find "$MOLECULE_EPHEMERAL_DIRECTORY" -path '*/inventory/ansible_inventory.yml' | head -n 1)
phase report ansible-playbook -i "$inventory" playbooks/probe.yml -e "probe_report_dir=$work/report"
phase vulncheck ansible-playbook -i "$inventory" playbooks/vulncheck.yml -e "vulncheck_report_dir=$work/vulncheck" \
  -e '{"vulncheck_paths": ["/opt/langsvc"]}'

host() { echo "gohost-demo-$1-$GOHOST_PLATFORM"; }
x() { docker exec "$1" bash -c "$2" 2>/dev/null || true; }
ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{print $1}'; }
mirror=$(host mirror) proxy=$(host goproxy)
archive=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archive"]["id"])' \
  "$MOLECULE_EPHEMERAL_DIRECTORY/fleet-inputs.json")
recap=$(grep -A6 'PLAY RECAP' "$work/site.yml.log" | grep -E '^\s*gohost-demo' | sed 's/  */ /g' || true)

echo
echo "================ noble.gohost demo fleet ($GOHOST_PLATFORM), provisioned by playbooks/site.yml ================"
echo "$recap"
echo
echo "apt mirror     $mirror"
echo "  serves       http://$(ip "$mirror")/$archive/ (from this machine; the Go hosts use http://$mirror/$archive/)"
echo "  published    $(x "$mirror" 'runuser -u aptly -- /usr/local/sbin/gohost-apt-mirror status' | python3 -c '
import json, sys
try:
    pub = json.load(sys.stdin)["published"]
    print("; ".join("%s: snapshot %s" % (k, v.get("stamp")) for k, v in sorted(pub.items())) or "nothing")
except (ValueError, KeyError, AttributeError):
    print("(status not readable)")')"
echo "  look         docker exec -it $mirror bash; systemctl list-timers gohost-apt-mirror*"
echo
echo "module proxy   $proxy"
echo "  serves       http://$(ip "$proxy"):8080/ (the Go hosts' GOPROXY: http://$proxy:8080)"
echo "  cache        $(x "$proxy" 'find /var/cache/goproxy /var/cache/private/goproxy -name "*.zip" 2>/dev/null | wc -l') module zips"
echo "  look         docker exec $proxy journalctl -u goproxy -n 20"
echo "  vuln db      http://$(ip "$proxy"):8081/ ($(x "$proxy" 'cat /var/lib/gohost-vulndb/state.json' | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    print("%s entries of golang.org/x/vulndb@%s" % (s["entries"], s["version"]))
except ValueError:
    print("not built")'))"
for app in app1 app2; do
  h=$(host $app)
  echo
  echo "Go host        $h"
  echo "  go           $(x "$h" 'go version') (also: $(x "$h" 'ls /usr/local/lib/go | paste -sd " "'))"
  echo "  go env       $(x "$h" 'go env GOPROXY GOSUMDB | paste -sd " "')"
  # shellcheck disable=SC2016  # $(URI) is apt-get's own format field, for the container's shell to leave alone
  echo "  apt          $(x "$h" 'apt-get indextargets --format "\$(URI)" | sed "s#/dists/.*##" | sort -u | paste -sd " "')"
  echo "  service api  $(x "$h" 'systemctl is-active api') ($(x "$h" 'systemctl show api -p MemoryMax -p CPUQuotaPerSecUSec | paste -sd " "'))"
  echo "  look         docker exec $h systemctl status api"
  echo "               docker exec $h journalctl -u api -o json-pretty -n 3"
done
echo
echo "fleet report   $work/report/fleet-report.html (and .md, .json)"
echo "vulnerabilities $work/vulncheck/vulncheck-report.html (and .md, .json, sbom/): /opt/langsvc/langsvc on app1 carries GO-2022-1059"
echo "zap logs       ansible -i $inventory gohost -m noble.gohost.journal_query -a 'unit=api.service parse_zap=true lines=5'"
echo "remove it      make demo-clean"
echo
echo "phases:"
printf '  %s\n' "${timings[@]}"
