# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of noble.gohost.kernel_facts: what a Go host needs, judged from the probes.

Every check returns ``{"status": "pass"|"warn"|"fail", "why": "<one sentence>", "evidence": "<reading (source)>",
"needed_for": "<what depends on it>"}``. A check whose readings are missing (group not probed, file unreadable)
is ``warn`` with ``evidence: null``: roles should treat ``fail`` as "cannot", ``warn`` as "check first".
The names are a public interface (``gohost_kernel.readiness.<name>.status``): add checks, never rename them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASS, WARN, FAIL = "pass", "warn", "fail"

# Nanoseconds per clock_gettime above which time.Now() is considered slow (a vDSO read is ~20-60 ns; a syscall
# fallback several hundred).
SLOW_CLOCK_NS = 200


def _get(facts, group, name):
    """The probe ``facts[group][name]``, or a null probe saying why it is missing."""
    if group not in facts:
        return {"value": None, "source": None, "reason": "probe group %s not selected" % group}
    result = facts[group].get(name)
    if result is None:
        return {"value": None, "source": None, "reason": "%s.%s not probed" % (group, name)}
    return result


def _evidence(label, result):
    return "%s=%s (%s)" % (label, _short(result["value"]), result["source"])


def _short(value):
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join("%s: %s" % (k, _short(v)) for k, v in sorted(value.items()) if v is not None)
    return str(value)


def _unknown(needed_for, *results):
    reasons = "; ".join("%s" % r["reason"] for r in results if r["value"] is None and r["reason"])
    return {"status": WARN, "why": "Could not be determined (%s)." % (reasons or "no reading"),
            "evidence": None, "needed_for": needed_for}


def _result(status, why, evidence, needed_for):
    return {"status": status, "why": why, "evidence": evidence, "needed_for": needed_for}


def check_cgroup_v2_unified(facts):
    need = "systemd MemoryMax=, MemoryHigh=, CPUWeight=, IOWeight= limits of Go services"
    mode = _get(facts, "cgroup", "mode")
    if mode["value"] is None:
        return _unknown(need, mode)
    ev = _evidence("cgroup.mode", mode)
    if mode["value"] == "unified":
        return _result(PASS, "The unified cgroup v2 hierarchy is mounted: every v2 resource control works.", ev, need)
    if mode["value"] == "hybrid":
        return _result(WARN, "Hybrid cgroups: controllers sit on v1 hierarchies, so v2-only settings (MemoryHigh=, "
                             "CPUWeight= semantics, PSI per unit) are ignored or translated.", ev, need)
    return _result(FAIL, "Only cgroup v1 is mounted: v2 limits such as MemoryMax= are translated or ignored.", ev, need)


def check_cgroup_controllers(facts):
    need = "per-service CPU, memory, IO and task limits"
    ctl = _get(facts, "cgroup", "controllers")
    if ctl["value"] is None:
        mode = _get(facts, "cgroup", "mode")
        if mode["value"] in ("v1", "hybrid"):
            v1 = _get(facts, "cgroup", "v1_controllers")
            if v1["value"] is not None:
                missing = [c for c in ("cpu", "memory", "blkio", "pids") if c not in v1["value"]]
                status = WARN if missing else PASS
                why = ("cgroup v1 controllers attached: %s." % " ".join(v1["value"])) + (
                    " Missing: %s." % " ".join(missing) if missing else "")
                return _result(status, why, _evidence("cgroup.v1_controllers", v1), need)
        return _unknown(need, ctl)
    available = ctl["value"].get("available") or []
    missing = [c for c in ("cpu", "memory", "io", "pids") if c not in available]
    ev = _evidence("cgroup.controllers", ctl)
    if not missing:
        return _result(PASS, "The cpu, memory, io and pids controllers are available in cgroup v2.", ev, need)
    if _get(facts, "cgroup", "mode")["value"] == "hybrid":
        return _result(WARN, "In hybrid mode the v2 hierarchy lacks %s (they are bound to v1)." % " ".join(missing),
                       ev, need)
    return _result(FAIL, "cgroup v2 lacks the %s controller(s): those limits are not enforced." % " ".join(missing),
                   ev, need)


def check_psi(facts):
    need = "systemd-oomd and pressure-based alerting"
    psi = _get(facts, "cgroup", "psi")
    if psi["value"] is None:
        if psi["reason"] and "not selected" in psi["reason"]:
            return _unknown(need, psi)
        return _result(WARN, "Pressure stall information is unavailable (%s)." % psi["reason"], None, need)
    available = psi["value"].get("available") or []
    ev = "psi=%s (%s)" % (" ".join(available), psi["source"])
    if len(available) == 3:
        return _result(PASS, "PSI is readable for cpu, memory and io.", ev, need)
    return _result(WARN, "PSI is readable only for %s." % " ".join(available), ev, need)


def check_btf(facts):
    need = "bpftrace and CO-RE eBPF tools (libbpf, bpftool, Go's cilium/ebpf)"
    btf = _get(facts, "ebpf", "btf")
    if btf["value"] is None:
        return _unknown(need, btf)
    ev = _evidence("ebpf.btf.present", {"value": btf["value"]["present"], "source": btf["source"]})
    if btf["value"]["present"]:
        return _result(PASS, "Kernel BTF is exported at /sys/kernel/btf/vmlinux.", ev, need)
    return _result(FAIL, "No kernel BTF: CO-RE programs and bpftrace's struct access cannot work.", ev, need)


def check_ebpf_jit(facts):
    need = "fast eBPF programs (tracing, seccomp-bpf, socket filters)"
    jit = _get(facts, "ebpf", "jit_enable")
    if jit["value"] is None:
        return _unknown(need, jit)
    ev = _evidence("ebpf.jit_enable", jit)
    if jit["value"] >= 1:
        return _result(PASS, "The eBPF JIT is on.", ev, need)
    return _result(WARN, "The eBPF JIT is off: programs run in the interpreter, several times slower.", ev, need)


def check_bpffs(facts):
    need = "pinned eBPF maps and programs"
    fs = _get(facts, "ebpf", "bpffs")
    if fs["value"] is None:
        return _unknown(need, fs)
    ev = _evidence("ebpf.bpffs.mountpoints", {"value": fs["value"]["mountpoints"], "source": fs["source"]})
    if fs["value"]["mounted"]:
        return _result(PASS, "A bpf filesystem is mounted.", ev, need)
    return _result(WARN, "No bpf filesystem is mounted (systemd mounts /sys/fs/bpf on a normal boot).", ev, need)


def check_io_uring(facts):
    need = "Go libraries that use io_uring (the Go runtime itself uses epoll)"
    disabled = _get(facts, "io_uring", "disabled")
    setup = _get(facts, "io_uring", "setup")
    restrict = _get(facts, "io_uring", "apparmor_restrict_unprivileged")
    evidence = "; ".join(_evidence("io_uring." + n, r) for n, r in
                         (("disabled", disabled), ("setup", setup), ("apparmor_restrict_unprivileged", restrict))
                         if r["value"] is not None) or None
    if setup["value"] == "ENOSYS" or disabled["value"] == 2:
        return _result(FAIL, "io_uring is unavailable (not built, disabled by kernel.io_uring_disabled=2, or "
                             "filtered by seccomp).", evidence, need)
    if setup["value"] not in (None, "works"):
        return _result(WARN, "io_uring_setup fails with %s here (seccomp filter or policy)." % setup["value"],
                       evidence, need)
    if disabled["value"] == 1 or restrict["value"] == 1:
        return _result(WARN, "io_uring is restricted for unprivileged processes (io_uring_disabled=1 or the "
                             "AppArmor restriction).", evidence, need)
    if setup["value"] == "works":
        return _result(PASS, "A real io_uring_setup call succeeded.", evidence, need)
    if disabled["value"] == 0:
        return _result(PASS, "kernel.io_uring_disabled=0 (no live io_uring_setup attempt was made).", evidence, need)
    return _unknown(need, setup, disabled)


def check_zswap_zstd(facts):
    need = "compressed swap in RAM for memory spikes of Go services"
    enabled = _get(facts, "memory", "zswap")
    if "memory" not in facts:
        return _unknown(need, enabled)
    zswap = facts["memory"]["zswap"]
    on, comp = zswap["enabled"], zswap["compressor"]
    if on["value"] is None:
        if on["reason"] and "CONFIG_ZSWAP" in on["reason"]:
            return _result(FAIL, "The kernel has no zswap.", "memory.zswap.enabled=null (%s)" % on["reason"], need)
        return _unknown(need, on)
    ev = "; ".join(_evidence("memory.zswap." + n, r) for n, r in (("enabled", on), ("compressor", comp))
                   if r["value"] is not None)
    if on["value"] and comp["value"] == "zstd":
        return _result(PASS, "zswap is on with the zstd compressor.", ev, need)
    if on["value"]:
        return _result(WARN, "zswap is on but compresses with %s, not zstd." % comp["value"], ev, need)
    return _result(WARN, "zswap is built in but off (zswap.enabled=N).", ev, need)


def check_scheduler_eevdf(facts):
    need = "lower scheduling latency for many-goroutine services"
    cls = _get(facts, "scheduler", "class")
    if cls["value"] is None:
        return _unknown(need, cls)
    ev = _evidence("scheduler.class", cls)
    if cls["value"] == "EEVDF":
        return _result(PASS, "The EEVDF scheduler (Linux 6.6+) is in use.", ev, need)
    return _result(WARN, "The older CFS scheduler is in use (EEVDF arrived in 6.6).", ev, need)


FAST_CLOCKS = ("tsc", "arch_sys_counter")
VDSO_CLOCKS = ("kvm-clock", "hyperv_clocksource_tsc_page", "riscv_clocksource", "timer")


def check_clocksource_tsc(facts):
    need = "fast time.Now() and accurate Go benchmarks"
    cur = _get(facts, "time", "clocksource")
    if cur["value"] is None:
        return _unknown(need, cur)
    ev = _evidence("time.clocksource", cur)
    timing = _get(facts, "time", "timing_monotonic")
    if timing["value"] is not None:
        ev += "; %.0f ns per clock_gettime(CLOCK_MONOTONIC)" % timing["value"]["ns_per_call"]
        if timing["value"]["ns_per_call"] > SLOW_CLOCK_NS:
            return _result(FAIL, "clock_gettime takes %.0f ns: time.Now() is slow here." %
                           timing["value"]["ns_per_call"], ev, need)
    if cur["value"] in FAST_CLOCKS:
        return _result(PASS, "The %s clocksource is read in user space through the vDSO." % cur["value"], ev, need)
    if cur["value"] in VDSO_CLOCKS:
        return _result(WARN, "The %s clocksource works through the vDSO but is slower and less stable than tsc."
                       % cur["value"], ev, need)
    return _result(FAIL, "The %s clocksource cannot be read in user space: every time.Now() is a syscall."
                   % cur["value"], ev, need)


def check_vdso(facts):
    need = "syscall-free time.Now()"
    vdso = _get(facts, "time", "vdso")
    if vdso["value"] is None:
        return _unknown(need, vdso)
    ev = _evidence("time.vdso", vdso)
    if vdso["value"]:
        return _result(PASS, "The vDSO is mapped into processes.", ev, need)
    return _result(FAIL, "No vDSO is mapped: clock_gettime is a real syscall.", ev, need)


def check_apparmor(facts):
    need = "the AppArmor profiles of noble.gohost's Go services"
    enabled = _get(facts, "security", "apparmor_enabled")
    if enabled["value"] is None:
        return _unknown(need, enabled)
    ev = _evidence("security.apparmor_enabled", enabled)
    lsm = _get(facts, "security", "lsm")
    if lsm["value"] is not None:
        ev += "; " + _evidence("security.lsm", lsm)
    if not enabled["value"]:
        return _result(FAIL, "AppArmor is not enabled: profiles cannot be loaded.", ev, need)
    if lsm["value"] is not None and "apparmor" not in lsm["value"]:
        return _result(FAIL, "AppArmor is built in but not an active LSM.", ev, need)
    profiles = _get(facts, "security", "apparmor_profiles")
    if profiles["value"] is not None:
        ev += "; " + _evidence("security.apparmor_profiles", profiles)
    return _result(PASS, "AppArmor is enabled.", ev, need)


def check_seccomp_filter(facts):
    need = "systemd SystemCallFilter= of Go service units"
    actions = _get(facts, "security", "seccomp_actions")
    if actions["value"] is None:
        return _unknown(need, actions)
    ev = _evidence("security.seccomp_actions", actions)
    missing = [a for a in ("errno", "kill_process", "allow") if a not in actions["value"]]
    if not missing:
        return _result(PASS, "seccomp filters can return errno and kill the process.", ev, need)
    return _result(FAIL, "seccomp lacks the %s action(s)." % " ".join(missing), ev, need)


def check_user_namespaces(facts):
    need = "systemd PrivateUsers=, rootless containers and sandboxed go test"
    userns = _get(facts, "security", "user_namespaces")
    if userns["value"] is None:
        return _unknown(need, userns)
    ev = _evidence("security.user_namespaces", userns)
    restrict = _get(facts, "security", "apparmor_restrict_unprivileged_userns")
    if restrict["value"] is not None:
        ev += "; " + _evidence("security.apparmor_restrict_unprivileged_userns", restrict)
    if userns["value"]["max"] == 0:
        return _result(FAIL, "user.max_user_namespaces=0: no process can create a user namespace.", ev, need)
    if not userns["value"]["unprivileged_allowed"]:
        return _result(WARN, "Unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0).",
                       ev, need)
    if restrict["value"] == 1:
        return _result(WARN, "AppArmor restricts unprivileged user namespaces to programs with a profile that "
                             "allows them.", ev, need)
    return _result(PASS, "Unprivileged user namespaces are allowed.", ev, need)


def check_lockdown_ebpf(facts):
    need = "bpftrace and eBPF tracing that read kernel memory"
    lock = _get(facts, "security", "lockdown")
    if lock["value"] is None:
        if lock["reason"] and lock["reason"].startswith("not present"):
            return _result(PASS, "No lockdown LSM is active.", "security.lockdown absent (%s)" % lock["source"], need)
        return _unknown(need, lock)
    ev = _evidence("security.lockdown", lock)
    if lock["value"] == "confidentiality":
        return _result(FAIL, "Lockdown confidentiality blocks eBPF reads of kernel memory.", ev, need)
    if lock["value"] == "integrity":
        return _result(PASS, "Lockdown integrity (Secure Boot) still allows eBPF tracing.", ev, need)
    return _result(PASS, "Lockdown is off.", ev, need)


def check_module_signing(facts):
    need = "a kernel that loads only signed modules"
    enforce = _get(facts, "security", "module_sig_enforce")
    boot = _get(facts, "security", "secure_boot")
    lock = _get(facts, "security", "lockdown")
    ev = "; ".join(_evidence("security." + n, r) for n, r in
                   (("module_sig_enforce", enforce), ("secure_boot", boot), ("lockdown", lock))
                   if r["value"] is not None) or None
    if enforce["value"] or (boot["value"] or {}).get("enabled") or lock["value"] in ("integrity", "confidentiality"):
        return _result(PASS, "Only signed kernel modules load (enforced, or implied by Secure Boot lockdown).",
                       ev, need)
    if enforce["value"] is None and boot["value"] is None:
        return _unknown(need, enforce, boot)
    return _result(WARN, "Unsigned kernel modules can be loaded (no sig_enforce, no Secure Boot).", ev, need)


def check_perf_events(facts):
    need = "perf and eBPF profiling of Go services by non-root users"
    para = _get(facts, "security", "perf_event_paranoid")
    if para["value"] is None:
        return _unknown(need, para)
    ev = _evidence("security.perf_event_paranoid", para)
    if para["value"] <= 2:
        return _result(PASS, "Users may profile their own processes with perf.", ev, need)
    return _result(WARN, "perf_event_paranoid=%d: only root (or CAP_PERFMON) can use perf." % para["value"],
                   ev, need)


CHECKS = (
    ("cgroup_v2_unified", check_cgroup_v2_unified),
    ("cgroup_controllers", check_cgroup_controllers),
    ("psi", check_psi),
    ("btf", check_btf),
    ("ebpf_jit", check_ebpf_jit),
    ("bpffs", check_bpffs),
    ("io_uring", check_io_uring),
    ("zswap_zstd", check_zswap_zstd),
    ("scheduler_eevdf", check_scheduler_eevdf),
    ("clocksource_tsc", check_clocksource_tsc),
    ("vdso", check_vdso),
    ("apparmor", check_apparmor),
    ("seccomp_filter", check_seccomp_filter),
    ("user_namespaces", check_user_namespaces),
    ("lockdown_ebpf", check_lockdown_ebpf),
    ("module_signing", check_module_signing),
    ("perf_events", check_perf_events),
)


def readiness(facts):
    """Every check, by name; a check that errors is a warn naming the error, never an exception."""
    out = {}
    for name, func in CHECKS:
        try:
            out[name] = func(facts)
        except Exception as exc:  # pylint: disable=broad-except
            out[name] = _result(WARN, "The check failed: %s: %s." % (type(exc).__name__, exc), None, name)
    return out
