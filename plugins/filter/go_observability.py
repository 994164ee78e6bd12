# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the go_observability role: can this host run bpftrace (judged from the gohost_kernel fact of
noble.gohost.kernel_facts), and the reports of a tracing run (bpftrace JSON to text, Markdown and HTML)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.module_utils import _bpftrace_report as br

PROGRAMS = tuple(sorted(br.PROGRAMS))


def bpftrace_support(kernel, required=("btf", "lockdown_ebpf"), allow_container=False):
    """``{"supported": bool, "reasons": [...], "cgroup_root": path|None}`` for a ``gohost_kernel`` fact.

    A required readiness check that is ``fail``, or ``warn`` without evidence (could not be read), is a reason not
    to run. The programs select threads by cgroup v2 id, so a host with cgroup v1 only cannot run them; on a hybrid
    host they use the unified hierarchy at /sys/fs/cgroup/unified. In a container, bpftrace would need the host's
    privileges (CAP_BPF and CAP_PERFMON in the initial user namespace, tracefs): skipped unless allowed.
    """
    if not isinstance(kernel, dict) or "readiness" not in kernel:
        raise AnsibleFilterError("bpftrace_support wants the gohost_kernel fact of noble.gohost.kernel_facts "
                                 "(with its readiness section), got %r" % (type(kernel).__name__,))
    reasons = []
    readiness = kernel.get("readiness") or {}
    for name in required:
        check = readiness.get(name)
        if check is None:
            reasons.append("%s: no such readiness check in gohost_kernel" % name)
        elif check.get("status") == "fail":
            reasons.append("%s: %s (%s)" % (name, check.get("why"), check.get("evidence")))
        elif check.get("status") == "warn" and check.get("evidence") is None:
            reasons.append("%s: %s" % (name, check.get("why")))
    mode = ((kernel.get("cgroup") or {}).get("mode") or {}).get("value")
    cgroup_root = {"unified": "/sys/fs/cgroup", "hybrid": "/sys/fs/cgroup/unified"}.get(mode)
    if cgroup_root is None:
        reasons.append("cgroup: the programs select a service's threads by cgroup v2 id, and this host has %s"
                       % ("cgroup v1 only" if mode == "v1" else "no readable cgroup mode (%s)"
                          % mode))
    virt = ((kernel.get("platform") or {}).get("virtualization") or {}).get("value") or {}
    container = virt.get("container")
    if container not in (None, "none", "wsl") and not allow_container:  # WSL 2 is a VM with its own kernel
        reasons.append("container: running in a container (%s); bpftrace traces the shared host kernel and needs "
                       "the host's privileges (go_observability_allow_containers: true to try anyway)" % container)
    return {"supported": not reasons, "reasons": reasons, "cgroup_root": cgroup_root}


def bpftrace_parse(text):
    """``bpftrace -f json`` output parsed into maps, hists, stats, printf (see module_utils/_bpftrace_report)."""
    try:
        return br.parse_events(text)
    except br.BpftraceOutputError as exc:
        raise AnsibleFilterError("bpftrace_parse: %s" % exc)


def syscall_names(text):
    """``{number: name}`` from the text of a kernel ``asm/unistd_64.h``."""
    return br.parse_unistd(text)


def _summary(run):
    if not isinstance(run, dict) or run.get("program") not in PROGRAMS:
        raise AnsibleFilterError("a go_observability run needs program (one of %s), got %r"
                                 % (", ".join(PROGRAMS), (run or {}).get("program") if isinstance(run, dict) else run))
    # null, or "": what a templated null becomes in a task variable before ansible-core 2.19
    if run.get("bpftrace_output") in (None, ""):
        info = br.PROGRAMS[run["program"]]
        return {"program": run["program"], "title": info["title"], "about": info["about"], "unit": info["unit"],
                "main": info["main"], "figures": {}, "sections": [],
                "findings": ["bpftrace did not run on this host: %s."
                             % ("; ".join(run.get("skipped") or []) or "no output")]}
    parsed = br.parse_events(run["bpftrace_output"])
    names = dict((int(k), v) for k, v in (run.get("syscall_names") or {}).items())
    return br.summarise(parsed, run["program"], names)


def go_observability_summary(run):
    """Numbers and findings of a run (dict: program, bpftrace_output, syscall_names, skipped)."""
    return _summary(run)


def go_observability_report(run, fmt="markdown"):
    """The report of a run: ``text`` (the human summary with bpftrace-style histograms), ``markdown`` or ``html``.

    ``run``: program, service, unit, host, cgroup, duration, started, cpu_quota, kernel, clocksource,
    bpftrace_output (text or None when bpftrace was skipped), skipped (reasons), syscall_names, files
    (bpftrace_json, summary, cpu_profile, runtime_trace: paths), notes, pprof_top.
    """
    summary = _summary(run)
    if fmt == "text":
        return br.render_text(summary)
    if fmt == "markdown":
        return br.render_markdown(run, summary)
    if fmt == "html":
        return br.render_html(run, summary)
    raise AnsibleFilterError("go_observability_report: fmt must be text, markdown or html, got %r" % (fmt,))


class FilterModule(object):
    def filters(self):
        return {
            "go_observability_bpftrace_support": bpftrace_support,
            "go_observability_summary": go_observability_summary,
            "go_observability_report": go_observability_report,
            "bpftrace_parse": bpftrace_parse,
            "bpftrace_syscall_names": syscall_names,
        }
