# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_observability filters: the bpftrace decision on gohost_kernel facts gathered by the real kernel_facts module
from its fixture trees, and the reports."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.filter import go_observability as f
from ansible_collections.noble.gohost.plugins.modules import kernel_facts

KERNEL_FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kernel")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "bpftrace")


def kernel(name):
    return kernel_facts.gather_facts({"probes": ["all"], "root": os.path.abspath(os.path.join(KERNEL_FIXTURES, name)),
                                      "config_options": [], "cgroup_paths": [], "cgroup_units": [],
                                      "timing": False, "timing_calls": 10})


def sample(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def test_filters_registered():
    assert set(f.FilterModule().filters()) == {"go_observability_bpftrace_support", "go_observability_summary",
                                               "go_observability_report", "bpftrace_parse", "bpftrace_syscall_names"}


def test_noble_host_can_run_bpftrace():
    out = f.bpftrace_support(kernel("noble-6.8"))
    assert out == {"supported": True, "reasons": [], "cgroup_root": "/sys/fs/cgroup"}


def test_docker_container_is_skipped_unless_allowed():
    facts = kernel("bookworm-docker")
    out = f.bpftrace_support(facts)
    assert not out["supported"]
    assert out["cgroup_root"] == "/sys/fs/cgroup/unified"
    assert len(out["reasons"]) == 1 and out["reasons"][0].startswith("container: running in a container (docker)")
    assert f.bpftrace_support(facts, allow_container=True)["supported"]


@pytest.mark.parametrize("tree", ["rpi5", "wsl2"])
def test_no_btf_is_a_reason(tree):
    out = f.bpftrace_support(kernel(tree))
    assert not out["supported"]
    assert [r for r in out["reasons"] if r.startswith("btf: No kernel BTF")]


def test_cgroup_v1_only_and_missing_btf_are_both_reported():
    out = f.bpftrace_support(kernel("noconfig"))
    assert not out["supported"] and out["cgroup_root"] is None
    assert any(r.startswith("btf:") for r in out["reasons"])
    assert any("cgroup v1 only" in r for r in out["reasons"])


def test_lockdown_confidentiality_is_a_reason():
    facts = copy.deepcopy(kernel("noble-6.8"))
    facts["security"]["lockdown"]["value"] = "confidentiality"
    from ansible_collections.noble.gohost.plugins.module_utils._kernel_readiness import readiness
    facts["readiness"] = readiness(facts)
    out = f.bpftrace_support(facts)
    assert out["reasons"] == ["lockdown_ebpf: Lockdown confidentiality blocks eBPF reads of kernel memory. "
                              "(security.lockdown=confidentiality (/sys/kernel/security/lockdown))"]


def test_unreadable_check_and_unknown_check_names():
    facts = copy.deepcopy(kernel("noble-6.8"))
    facts["readiness"]["btf"] = {"status": "warn", "why": "Could not be determined (x).", "evidence": None,
                                 "needed_for": "bpftrace"}
    facts["readiness"]["bpffs"] = {"status": "warn", "why": "No bpf filesystem", "evidence": "e", "needed_for": "x"}
    out = f.bpftrace_support(facts, required=["btf", "bpffs", "nonesuch"])
    assert out["reasons"] == ["btf: Could not be determined (x).", "nonesuch: no such readiness check in gohost_kernel"]


def test_support_wants_the_fact():
    with pytest.raises(AnsibleFilterError, match="gohost_kernel"):
        f.bpftrace_support({"kernel": {}})


@pytest.mark.parametrize("output", [None, ""], ids=["null", "empty string"])
def test_report_of_a_skipped_run_says_why(output):
    # "" is what the role's `{{ ... else none }}` gives before ansible-core 2.19
    run = {"program": "runqlat", "service": "api", "bpftrace_output": output,
           "skipped": ["container: running in a container (docker)"],
           "files": {"cpu_profile": "cpu.pprof", "runtime_trace": "trace.out"}}
    md = f.go_observability_report(run, "markdown")
    assert "bpftrace did not run on this host: container: running in a container (docker)." in md
    assert "go tool trace trace.out" in md
    assert "<svg" not in f.go_observability_report(run, "html")


def test_report_formats_and_syscall_names_with_string_keys():
    names = f.syscall_names(sample("unistd_64.h"))
    # names come back from Ansible facts with string keys: the filter accepts both
    run = {"program": "syscalls", "service": "api", "bpftrace_output": sample("syscalls.json"),
           "syscall_names": dict((str(k), v) for k, v in names.items())}
    text = f.go_observability_report(run, "text")
    assert "futex" in text and "syscall 202" not in text
    assert "<svg" in f.go_observability_report(run, "html")
    with pytest.raises(AnsibleFilterError, match="fmt must be"):
        f.go_observability_report(run, "pdf")
    with pytest.raises(AnsibleFilterError, match="program"):
        f.go_observability_report({"program": "nope"})
    assert f.go_observability_summary(run)["figures"]["syscalls"] > 0


def test_bpftrace_parse_filter_wraps_errors():
    assert f.bpftrace_parse(sample("clock_vdso.json"))["attached_probes"] == 6
    with pytest.raises(AnsibleFilterError, match="bpftrace_parse"):
        f.bpftrace_parse('{"type": "map", "data": 3}')
