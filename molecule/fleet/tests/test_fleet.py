# -*- coding: utf-8 -*-
"""The fleet after playbooks/site.yml: across hosts, what a user of the example inventory expects.

The Go hosts get their packages from the apt mirror (signed by the key the mirror published), their Go modules from
the module proxy host, and run the Go service hardened and limited; its zap logs are found by journal_query; the
fleet playbooks (probe.yml, scan_go_binaries.yml) see every host and the service's binary. Check mode on the fresh
fleet and the second converge (changed=0 on every host) are Molecule's own steps of this scenario.
"""
import json
import os
import re
import subprocess
import tempfile

import pytest
import testinfra

PLATFORM = os.environ.get("GOHOST_PLATFORM", "bookworm")
FLEET = os.environ.get("GOHOST_FLEET", "fleet")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
RUN_DIR = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
INPUTS = json.load(open(os.path.join(RUN_DIR, "fleet-inputs.json"), encoding="utf-8"))  # written by prepare.yml


def name(role):
    return "gohost-%s-%s-%s" % (FLEET, role, PLATFORM)


def get(role):
    return testinfra.get_host("ansible://%s" % name(role), ansible_inventory=INVENTORY)


MIRROR, PROXY = get("mirror"), get("goproxy")
APPS = [get("app1"), get("app2")]
ALL = [MIRROR, PROXY] + APPS
ARCHIVE = INPUTS["archive"]
MIRROR_URL = "http://%s/%s" % (name("mirror"), ARCHIVE["id"])
PROXY_URL = "http://%s:8080" % name("goproxy")


def ansible(*args, playbook=False):
    """ansible (or ansible-playbook) against the scenario's inventory, from the controller; its output."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PROJECT, ".cache", "collections")
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    cmd = ["ansible-playbook" if playbook else "ansible", "-i", INVENTORY] + list(args)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


@pytest.mark.parametrize("host", ALL, ids=lambda h: h.backend.get_hostname())
def test_roles_started_from_empty_recent_package_lists(host):
    """prepare.yml left no package lists, younger than any cache_valid_time: every role had to update them itself."""
    seen = json.loads(host.file("/root/fleet-apt-lists.json").content_string)
    assert seen["lists"] == 0, seen
    assert seen["age_sec"] < 600, seen


def key_fingerprint(host, cmd):
    return host.check_output("%s | gpg --batch --with-colons --import-options show-only --import 2>/dev/null"
                             " | awk -F: '/^fpr/{print $10; exit}'" % cmd)


@pytest.mark.parametrize("app", APPS, ids=lambda h: h.backend.get_hostname())
def test_go_hosts_get_their_packages_from_the_mirror(app):
    sources = app.file(INPUTS.get("sources_file", "/etc/apt/sources.list.d/0000%s.sources" % ARCHIVE["id"]))
    text = sources.content_string
    assert "URIs: %s" % MIRROR_URL in text, text
    assert "Signed-By: /etc/apt/keyrings/gohost-apt-mirror.asc" in text, text
    # Nothing else left for apt to use: every index target is the mirror's.
    targets = app.check_output("apt-get indextargets --format '$(URI)' | sort -u")
    assert targets and all(line.startswith(MIRROR_URL + "/") for line in targets.splitlines()), targets
    # The key the Go host trusts is the one the mirror signs with (and publishes).
    served = key_fingerprint(MIRROR, "curl -fsS http://127.0.0.1/gohost-apt-mirror.asc")
    assert served and key_fingerprint(app, "cat /etc/apt/keyrings/gohost-apt-mirror.asc") == served
    # A package installs through it, and the mirror's web server served it to this host.
    app.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello")
    policy = app.check_output("apt-cache policy hello")
    assert MIRROR_URL in policy, policy
    assert app.run("hello").stdout.strip() == "Hello, world!"
    log = MIRROR.check_output("cat /var/log/nginx/gohost-apt-mirror.access.log")
    assert re.search(r"GET /%s/pool/\S+/hello_\S+\.deb HTTP/1\.1\" 200" % ARCHIVE["id"], log), log[-2000:]
    # apparmor (installed by the apparmor role) came from the mirror too.
    assert MIRROR_URL in app.check_output("apt-cache policy apparmor")


@pytest.mark.parametrize("app", APPS, ids=lambda h: h.backend.get_hostname())
def test_go_env_points_at_the_module_proxy(app):
    env = json.loads(app.check_output("go env -json GOPROXY GOSUMDB GOTOOLCHAIN GOFLAGS"))
    assert env["GOPROXY"].split(",")[0].split("|")[0] == PROXY_URL, env
    assert env["GOSUMDB"] == "%s %s/sumdb/%s" % (INPUTS["sumdb_name"], PROXY_URL, INPUTS["sumdb_name"]), env
    assert env["GOTOOLCHAIN"] == "local" and env["GOFLAGS"] == "-trimpath", env
    # Two versions side by side, the default on PATH.
    assert app.check_output("go version").startswith("go version go1.26.6 ")
    assert app.check_output("/usr/local/lib/go/go1.25.5/bin/go version").startswith("go version go1.25.5 ")


def test_go_mod_download_is_served_by_the_module_proxy():
    """A module nobody prefilled: app1 downloads it, the proxy host's cache then has it."""
    mod = "github.com/coreos/go-systemd/v22"  # the example service's dependency: this machine's proxy serves it
    cached = "/var/cache/goproxy/%s/@v/v22.7.0.zip" % mod
    app = APPS[0]
    out = app.check_output("cd $(mktemp -d) && GOMODCACHE=$PWD/mod GOFLAGS=-modcacherw go mod download -json %s@v22.7.0"
                           % mod)
    info = json.loads(out)
    assert info.get("Error") is None and info["Version"] == "v22.7.0", info
    assert info["Sum"].startswith("h1:")
    found = PROXY.run("find /var/cache/goproxy /var/cache/private/goproxy -path '*%s/@v/v22.7.0.zip'" % mod)
    assert found.stdout.strip(), "the proxy's cache has no %s (looked for %s)" % (mod, cached)


@pytest.mark.parametrize("app", APPS, ids=lambda h: h.backend.get_hostname())
def test_the_service_runs_hardened_with_its_limits(app):
    svc = app.service("api")
    assert svc.is_running and svc.is_enabled
    raw = app.check_output("systemctl show api -p MemoryMax -p CPUQuotaPerSecUSec -p MainPID")
    props = dict(line.split("=", 1) for line in raw.splitlines())
    assert props["MemoryMax"] == str(512 * 1024 ** 2)
    assert props["CPUQuotaPerSecUSec"] == "2s"
    env = dict(line.split("=", 1) for line in
               app.check_output("tr '\\0' '\\n' < /proc/%s/environ" % props["MainPID"]).splitlines() if "=" in line)
    assert env["GOMAXPROCS"] == "2", env  # ceil(CPUQuota=200% / 100)
    limit = re.fullmatch(r"(\d+)MiB", env["GOMEMLIMIT"])
    assert limit and int(limit.group(1)) == int(0.9 * 512), env  # 0.9 of MemoryMax=512M
    out = app.check_output("SYSTEMD_COLORS=0 systemd-analyze security --no-pager api.service")
    level = re.search(r"Overall exposure level for api.service: ([0-9.]+) (\w+)", out)
    assert level and float(level.group(1)) <= 3.0, out[-600:]
    assert app.run("curl -fsS http://127.0.0.1:8081/healthz").rc == 0


def test_journal_query_finds_the_service_zap_logs():
    """A warning the service writes as zap JSON on stdout (journald stores it at priority 6) is found by its zap
    message, with zap's level mapped to priority 4."""
    for app in APPS:
        app.check_output("curl -fsS 'http://127.0.0.1:8081/log?level=warn&msg=fleet-check&k=v'")
    out = ansible("gohost", "-o", "-m", "noble.gohost.journal_query",
                  "-a", "unit=api.service priority=warning query=\"[?message=='fleet-check']\"")
    results = {}
    for line in out.splitlines():
        host, _sep, rest = line.partition(" | ")
        if "=> {" in rest:
            results[host.strip()] = json.loads(rest[rest.index("=> ") + 3:])
    assert sorted(results) == sorted(name(r) for r in ("app1", "app2")), out[-2000:]
    for host, res in results.items():
        found = res["query_result"]
        assert found, (host, res["entries"][-3:])
        assert all(e["format"] == "zap-json" and e["priority"] == 4 and e["zap"]["k"] == "v" for e in found), found


def test_probe_and_scan_playbooks_see_the_whole_fleet():
    with tempfile.TemporaryDirectory() as tmp:
        ansible(os.path.join(PROJECT, "playbooks", "probe.yml"), "-e", "probe_report_dir=%s" % tmp, playbook=True)
        report = json.load(open(os.path.join(tmp, "fleet-report.json"), encoding="utf-8"))
        hosts = report["hosts"] if isinstance(report["hosts"], list) else list(report["hosts"])
        listed = sorted(h["host"] if isinstance(h, dict) else h for h in hosts)
        assert listed == sorted(h.backend.get_hostname() for h in ALL), listed
        for ext in ("md", "html"):
            assert os.path.getsize(os.path.join(tmp, "fleet-report.%s" % ext)) > 0
        ansible(os.path.join(PROJECT, "playbooks", "scan_go_binaries.yml"), "-e", "go_scan_hosts=gohost",
                "-e", "go_scan_report_dir=%s" % tmp, playbook=True)
        scan = json.load(open(os.path.join(tmp, "go-binaries.json"), encoding="utf-8"))
    assert sorted(scan) == sorted(h.backend.get_hostname() for h in APPS), list(scan)
    for app in APPS:
        binary = app.check_output("readlink -f /opt/go-services/api/current/zap-service")
        built_with = app.check_output("go version %s" % binary).split()[-1]  # e.g. go1.26.8
        found = [b for b in scan[app.backend.get_hostname()]["binaries"] if b["path"] == binary]
        assert found, (binary, [b["path"] for b in scan[app.backend.get_hostname()]["binaries"]])
        assert "go" + found[0]["go_version"].lstrip("go") == built_with, (found[0], built_with)
