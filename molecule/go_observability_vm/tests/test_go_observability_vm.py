# -*- coding: utf-8 -*-
"""go_observability in the VM: bpftrace from the image, loaded by root, its programs installed; the run-queue latency
of the busy zap service measured by side_effect.yml through playbooks/trace.yml is clearly higher under a 5%
CPUQuota= than without a limit; both runs came back to the controller with their reports, and the Go CPU profile
and runtime trace fetched from the service's pprof endpoint are read by the controller's `go tool pprof` and
`go tool trace`."""
import glob
import json
import os
import re
import subprocess

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RESULTS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "trace-results")
HOST = testinfra.get_hosts(["gohost"], connection="ansible", ansible_inventory=INVENTORY)[0]
GO = "/usr/local/go/bin/go"
CONDITIONS = ("unlimited", "quota")


def run_dir(condition):
    found = sorted(glob.glob(os.path.join(RESULTS, condition, "*", "zap-service", "*-runqlat")))
    assert len(found) == 1, "side_effect.yml should have left exactly one %s run, found %s" % (condition, found)
    return found[0]


def run_json(condition):
    with open(os.path.join(run_dir(condition), "run.json")) as handle:
        return json.load(handle)


def test_bpftrace_from_the_image_and_the_programs():
    assert HOST.package("bpftrace").is_installed
    assert HOST.file("/sys/kernel/btf/vmlinux").exists
    for prog in ("runqlat", "offcpu", "syscalls", "clock"):
        assert HOST.file("/usr/local/share/gohost/bpftrace/%s.bt" % prog).exists
    # nothing was fetched by apt at test time: the image ships no package lists and the role ran no update
    assert HOST.run("ls /var/lib/apt/lists/ | grep -c _Packages").stdout.strip() in ("", "0")


def test_service_runs_with_pprof_on_loopback_and_the_quota_lifted():
    props = HOST.check_output("systemctl show zap-service.service -p ActiveState -p CPUQuotaPerSecUSec -p Environment")
    assert "ActiveState=active" in props
    assert "CPUQuotaPerSecUSec=infinity" in props
    assert "PPROF_ADDR=127.0.0.1:6060" in props
    assert HOST.run("systemctl is-active gohost-load.service").stdout.strip() != "active"


@pytest.mark.parametrize("condition", CONDITIONS)
def test_run_came_back_with_results_and_reports(condition):
    run = run_dir(condition)
    assert sorted(os.listdir(run)) == ["bpftrace.json", "cpu.pprof", "report.html", "report.md", "run.json",
                                       "summary.txt", "trace.out"]
    data = run_json(condition)
    assert data["program"] == "runqlat" and data["unit"] == "zap-service.service"
    assert data["skipped"] == []
    assert data["cgroup"] == "/sys/fs/cgroup/system.slice/zap-service.service"
    assert data["summary"]["figures"]["samples"] >= 20, data["summary"]
    if condition == "quota":
        assert data["cpu_quota"] == "50ms of CPU time per second"
    else:
        assert data["cpu_quota"] == ""
    with open(os.path.join(run, "summary.txt")) as handle:
        text = handle.read()
    assert "\nrunq_latency_us (" in text and "|@" in text, text  # the histogram, drawn
    with open(os.path.join(run, "report.md")) as handle:
        md = handle.read()
    assert md.startswith("# Run-queue latency and context switches: zap-service"), md[:200]
    assert "bpftrace did not run" not in md
    # the run directory on the target is removed after the fetch
    assert HOST.file("/var/lib/gohost-observability/runs").listdir() == []


def test_low_quota_clearly_raises_run_queue_latency():
    free = run_json("unlimited")["summary"]["figures"]
    limited = run_json("quota")["summary"]["figures"]
    print("run-queue latency without a limit: average %s us, p90 %s us, p99 %s us, %s samples"
          % (free["average"], free["p90"], free["p99"], free["samples"]))
    print("run-queue latency with CPUQuota=5%%: average %s us, p90 %s us, p99 %s us, %s samples"
          % (limited["average"], limited["p90"], limited["p99"], limited["samples"]))
    # Throttled at 5%, a runnable thread waits for the next 100 ms period: waits of milliseconds, several times
    # the unlimited average, and a tail (p99) above the unlimited one.
    assert limited["average"] >= 3 * max(free["average"], 1), (free, limited)
    assert limited["p99"] > free["p99"], (free, limited)
    assert limited["p99"] >= 1024, limited


@pytest.mark.parametrize("condition", CONDITIONS)
def test_go_profile_and_trace_are_valid(condition):
    run = run_dir(condition)
    top = subprocess.run([GO, "tool", "pprof", "-top", os.path.join(run, "cpu.pprof")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert top.returncode == 0, top.stdout
    assert "Type: cpu" in top.stdout, top.stdout
    if condition == "unlimited":  # a busy service without a limit: samples, in its HTTP server
        total = re.search(r"Total samples = ([0-9.]+)(ms|s)", top.stdout)
        assert total and float(total.group(1)) > 0, top.stdout
        assert "net/http" in top.stdout, top.stdout
    parsed = subprocess.run([GO, "tool", "trace", "-d=parsed", os.path.join(run, "trace.out")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    assert "GoStart" in parsed.stdout or "StateTransition" in parsed.stdout
