# -*- coding: utf-8 -*-
"""go_observability in a container: bpftrace skipped with the reason (converge asserts it), then installed anyway
(containers allowed) on package lists that were empty and recent; playbooks/trace.yml in check mode changes nothing;
a real run brings back a valid Go CPU profile and runtime trace (read with the controller's `go tool pprof` and
`go tool trace`) and reports that say why bpftrace did not run."""
import glob
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import testinfra

PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RESULTS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "trace-results")
HOST = testinfra.get_hosts(["all"], connection="ansible", ansible_inventory=INVENTORY)[0]
GO = "/usr/local/go/bin/go"
# A fresh results directory for this verify run (the ephemeral directory outlives converge runs).
shutil.rmtree(RESULTS, ignore_errors=True)


def trace(*extra):
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(PROJECT, ".cache", "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"  # molecule sets it true when run without make
    env["PATH"] = "/usr/local/go/bin:" + env.get("PATH", "")
    return subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(PROJECT, "playbooks", "trace.yml"),
                           "-e", "results_dir=" + RESULTS] + list(extra),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=900, check=False)


def runs():
    return sorted(glob.glob(os.path.join(RESULTS, "*", "obsdemo", "*-runqlat")))


def test_bpftrace_installed_on_package_lists_that_were_empty_and_recent():
    # what prepare.yml left before check mode and converge ran (issue 13: cache_valid_time skipped the update)
    record = json.loads(HOST.file("/var/lib/gohost-test/apt-lists-at-prepare.json").content_string)
    assert record["entries"] == ["/var/lib/apt/lists/partial"], record
    assert record["dir_age_sec"] < 3600, record
    assert HOST.package("bpftrace").is_installed
    assert HOST.exists("bpftrace")
    # noble.gohost.apt_install updated the lists to get it
    assert HOST.run("ls /var/lib/apt/lists/ | grep -q '_Packages'").rc == 0
    assert HOST.file("/usr/local/share/gohost/bpftrace/runqlat.bt").exists


def test_service_serves_pprof_on_loopback_only():
    env = HOST.check_output("systemctl show obsdemo.service -p Environment --value")
    assert "PPROF_ADDR=127.0.0.1:6061" in env
    listening = HOST.check_output("cat /proc/net/tcp")
    # 127.0.0.1:6061 is 0100007F:17AD in /proc/net/tcp (state 0A = LISTEN)
    assert "0100007F:17AD 00000000:0000 0A" in listening


def test_trace_in_check_mode_changes_nothing():
    proc = trace("--check", "-e", "service=obsdemo", "-e", "seconds=1")
    assert proc.returncode == 0, proc.stdout
    assert "Would trace obsdemo.service" in proc.stdout
    assert "bpftrace skipped (container: running in a container (docker)" in proc.stdout
    assert "changed=0" in proc.stdout
    assert not runs()
    assert not HOST.file("/var/lib/gohost-observability").exists


def test_trace_of_a_unit_that_does_not_run_fails_clearly():
    proc = trace("-e", "service=nonesuch", "-e", "seconds=1")
    assert proc.returncode != 0
    assert "nonesuch.service is not-found/inactive" in proc.stdout, proc.stdout


def test_trace_brings_back_profile_trace_and_reports():
    proc = trace("-e", "service=obsdemo", "-e", "seconds=2")
    assert proc.returncode == 0, proc.stdout
    found = runs()
    assert len(found) == 1, found
    run = found[0]
    assert sorted(os.listdir(run)) == ["cpu.pprof", "report.html", "report.md", "run.json", "summary.txt", "trace.out"]

    top = subprocess.run([GO, "tool", "pprof", "-top", os.path.join(run, "cpu.pprof")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert top.returncode == 0, top.stdout
    assert "Type: cpu" in top.stdout and "main.work" in top.stdout, top.stdout

    parsed = subprocess.run([GO, "tool", "trace", "-d=parsed", os.path.join(run, "trace.out")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    assert "GoStart" in parsed.stdout or "StateTransition" in parsed.stdout

    with open(os.path.join(run, "report.md")) as handle:
        md = handle.read()
    assert md.startswith("# Run-queue latency and context switches: obsdemo")
    assert "bpftrace did not run on this host: container: running in a container (docker)" in md
    assert "main.work" in md  # go tool pprof -top on the controller, in the report
    with open(os.path.join(run, "report.html")) as handle:
        html = handle.read()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    ET.fromstring(html[len("<!DOCTYPE html>"):].replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>"))
    # the run directory on the target is removed after the fetch
    assert HOST.file("/var/lib/gohost-observability/runs").listdir() == []
