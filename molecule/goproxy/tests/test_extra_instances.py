# -*- coding: utf-8 -*-
"""The install methods the mirror itself does not use, on the client (second-tier instances on loopback whose
upstream is the mirror): go (built with the go_toolchain Go) and archive (the release archive with its checksum);
and the Athens backend, which runs only when its binary could be obtained (else skipped, saying why)."""
import hashlib
import os

import pytest
import testinfra

PLATFORM = os.environ.get("GOHOST_PLATFORM", "bookworm")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
CLIENT = testinfra.get_host("ansible://gohost-goproxy-client-%s" % PLATFORM, ansible_inventory=INVENTORY)
BUILT = os.path.join(PROJECT, ".cache", "goproxy-build", "goproxy-v0.21.0")
ATHENS = os.path.join(PROJECT, ".cache", "athens-build", "athens-v0.15.4")
ATHENS_WHY = os.path.join(PROJECT, ".cache", "athens-build", "unavailable.txt")
# Prefilled on the mirror. This file runs before test_goproxy.py (file order), while the mirror is online, so
# the second tier can also check the module against the checksum database through it.
MOD_PATH = "go.uber.org/multierr/@v/v1.10.0.mod"


def fetch_through(port):
    return CLIENT.run("curl -fsS --max-time 60 http://127.0.0.1:%d/%s" % (port, MOD_PATH))


def sandbox_exposure(unit):
    out = CLIENT.check_output("systemd-analyze security --no-pager %s" % unit)
    return float(out.rsplit("Overall exposure level for %s: " % unit, 1)[1].split()[0])


def test_go_method_built_with_the_toolchain_go():
    info = CLIENT.check_output("go version -m /opt/goproxy-go/bin/goproxy")
    toolchain = CLIENT.check_output("go env GOVERSION")
    assert info.splitlines()[0].endswith(": " + toolchain), info
    assert "\tpath\tgithub.com/goproxy/goproxy/cmd/goproxy" in info, info
    assert "github.com/goproxy/goproxy\tv0.21.0\th1:" in info, info


@pytest.mark.parametrize("unit,port", [("goproxy-go", 8081), ("goproxy-archive", 8082)])
def test_instance_serves_through_the_mirror(unit, port):
    """The instances of the go and archive install methods serve the module graph through the main mirror."""
    assert CLIENT.service(unit).is_running
    res = fetch_through(port)
    assert res.rc == 0, res.stderr
    assert "module go.uber.org/multierr" in res.stdout
    assert sandbox_exposure(unit + ".service") <= 2.0


def test_archive_method_installed_the_archived_binary():
    with open(BUILT, "rb") as handle:
        want = hashlib.sha256(handle.read()).hexdigest()
    assert CLIENT.file("/opt/goproxy-archive/bin/goproxy").sha256sum == want
    assert CLIENT.file("/opt/goproxy-archive/bin/goproxy").mode == 0o755


def test_wrong_checksum_installed_nothing():
    assert not CLIENT.file("/opt/goproxy-badsum/bin/goproxy").exists
    assert not CLIENT.file("/etc/systemd/system/goproxy-badsum.service").exists


def _athens_missing():
    if os.path.exists(ATHENS):
        return None
    why = open(ATHENS_WHY).read().strip() if os.path.exists(ATHENS_WHY) else "prepare recorded no reason"
    return "Athens binary %s missing, Athens backend not run: %s" % (ATHENS, why)


@pytest.mark.skipif(_athens_missing() is not None, reason=str(_athens_missing()))
def test_athens_serves_a_module_through_the_mirror():
    assert CLIENT.service("athens").is_running
    assert CLIENT.run("curl -fsS http://127.0.0.1:3000/healthz").rc == 0
    res = fetch_through(3000)
    assert res.rc == 0, res.stderr
    assert "module go.uber.org/multierr" in res.stdout
    assert sandbox_exposure("athens.service") <= 2.0
