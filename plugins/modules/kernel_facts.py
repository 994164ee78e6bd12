#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kernel_facts
short_description: Kernel capability facts of a Go host, with evidence and readiness checks
version_added: 1.0.0
description:
  - Reads what the running kernel really provides for Go services. This covers cgroup v2, eBPF with BTF, io_uring,
    zswap, the EEVDF scheduler, clocksources and the vDSO, the LSMs (AppArmor, lockdown, seccomp), Secure Boot, TPM,
    module signing and the platform (VM, container, WSL2, Raspberry Pi, NVIDIA).
  - Returns them as C(ansible_facts.gohost_kernel). Every reading is a probe C({value, source, reason}) with the
    value, where it was read, and C(value=null) with a C(reason) when it could not be read (missing file,
    permission, not mounted). The module never fails because a probe is unavailable.
  - Adds C(gohost_kernel.readiness), named checks of what a Go host needs, each C(pass), C(warn) or C(fail) with a
    sentence of why; roles use C(gohost_kernel.readiness.<name>.status) to skip what a platform cannot do.
  - Pure Python standard library on the managed host. It reads files only, except C(statfs), one
    C(io_uring_setup) (the ring is closed at once) and the opt-in clock timing, all through ctypes and only when
    O(root=/).
  - See C(docs/kernel_facts.md) for every probe and check.
author:
  - noble.gohost developers (@noble-gohost)
extends_documentation_fragment: []
attributes: {}
options:
  probes:
    description:
      - Probe groups to run. V(all) runs every group.
      - Readiness checks whose group was not run report C(warn) with C(evidence=null).
    type: list
    elements: str
    choices: [all, kernel, cgroup, ebpf, io_uring, memory, scheduler, time, security, platform]
    default: [all]
  root:
    description:
      - Read C(/proc), C(/sys), C(/etc) and C(/boot) under this directory instead of C(/) (a fixture tree, a
        mounted image). Syscall probes are skipped (null with a reason) unless this is C(/).
    type: path
    default: /
  config_options:
    description:
      - Kernel C(CONFIG_) options to report in addition to the default set, with or without the C(CONFIG_) prefix.
    type: list
    elements: str
    default: []
  cgroup_paths:
    description:
      - cgroup paths (relative to the cgroup root, for example C(system.slice/nginx.service)) whose limits
        (C(cpuset.cpus.effective), C(cpu.max), C(memory.max), ...) to report.
    type: list
    elements: str
    default: []
  cgroup_units:
    description:
      - systemd units whose cgroup limits to report. The cgroup path is the unit's default place when PID 1 is systemd
        at the root of the cgroup tree and that directory exists (C(system.slice/<unit>), a slice under its parents),
        else comes from C(systemctl show) on the live host (C(Slice=), stopped units, a nested systemd), else from a
        search of the cgroup tree.
    type: list
    elements: str
    default: []
  timing:
    description:
      - Measure nanoseconds per C(clock_gettime) call for C(CLOCK_MONOTONIC) and C(CLOCK_REALTIME) (a slow
        clocksource makes C(time.Now) and Go benchmarks slow). Off by default; takes about 0.1 s per 100000 calls.
    type: bool
    default: false
  timing_calls:
    description: Calls per timing round (best of 5 rounds is reported).
    type: int
    default: 100000
notes:
  - Facts only. It never changes the host, so check mode returns the same facts.
  - Some files need root (AppArmor profiles, C(/proc/1/environ), debugfs); without it those probes are null
    with C(reason=permission denied).
"""

EXAMPLES = r"""
- name: Read the kernel capabilities
  noble.gohost.kernel_facts:

- name: Skip cgroup v2 limits where the platform cannot enforce them
  ansible.builtin.debug:
    msg: "MemoryMax= is not enforced here: {{ gohost_kernel.readiness.cgroup_v2_unified.why }}"
  when: gohost_kernel.readiness.cgroup_v2_unified.status == 'fail'

- name: Only cgroup and time, with the clock timing probe and the limits of a unit
  noble.gohost.kernel_facts:
    probes: [cgroup, time]
    timing: true
    cgroup_units: [goproxy.service]
    config_options: [CONFIG_NUMA, HZ]

- name: Read a fixture tree
  noble.gohost.kernel_facts:
    root: /srv/images/noble-rootfs
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    gohost_kernel:
      description:
        - Kernel capabilities. Every leaf below a group is a probe C({value, source, reason}) (C(reason) is null when
          the value was read). See C(docs/kernel_facts.md) for the full list.
      returned: always
      type: dict
      contains:
        root:
          description: The root the files were read under.
          type: str
          returned: always
          sample: /
        probes:
          description: The probe groups that ran.
          type: list
          elements: str
          returned: always
          sample: [kernel, cgroup, ebpf, io_uring, memory, scheduler, time, security, platform]
        kernel:
          description: C(release) (parsed major, minor, patch, abi, flavour), C(version), C(arch), C(cmdline),
            C(distribution), C(config) (where the kernel config was found and the chosen C(CONFIG_) options).
          type: dict
          returned: when the kernel group ran
          sample:
            release:
              value: {string: 6.8.0-45-generic, major: 6, minor: 8, patch: 0, sublevel: null, abi: 45,
                      flavour: generic}
              source: /proc/sys/kernel/osrelease
              reason: null
        cgroup:
          description: C(mode) (v1, hybrid, unified), C(controllers) (available, enabled), C(v1_controllers),
            C(psi), C(self), C(self_limits), C(paths) and C(units) (limits of O(cgroup_paths) and O(cgroup_units)).
          type: dict
          returned: when the cgroup group ran
        ebpf:
          description: C(bpf_stats_enabled), C(unprivileged_bpf_disabled), C(jit_enable), C(jit_harden), C(btf),
            C(bpffs).
          type: dict
          returned: when the ebpf group ran
        io_uring:
          description: C(disabled) (kernel.io_uring_disabled), C(group), C(apparmor_restrict_unprivileged),
            C(setup) (works, ENOSYS, EPERM, ... from a real io_uring_setup call).
          type: dict
          returned: when the io_uring group ran
        memory:
          description: C(zswap) (enabled, compressor, zpool, max_pool_percent, shrinker_enabled), C(zram) devices,
            C(transparent_hugepage), C(total) (MemTotal in bytes; what go_service's percentage limits and GOMEMLIMIT
            are worked out from).
          type: dict
          returned: when the memory group ran
        scheduler:
          description: C(class) (EEVDF or CFS), C(features), C(autogroup), C(sched_ext), C(cpus) (the CPUs this
            process may run on, as C(nproc) counts them; the online CPUs when O(root) is not C(/)).
          type: dict
          returned: when the scheduler group ran
        time:
          description: C(clocksource), C(available_clocksources), C(vdso), C(timing_monotonic) and
            C(timing_realtime) (with O(timing=true)).
          type: dict
          returned: when the time group ran
        security:
          description: C(lsm), C(apparmor_enabled), C(apparmor_profiles) (count per mode),
            C(apparmor_restrict_unprivileged_userns), C(seccomp_actions), C(lockdown), C(secure_boot), C(tpm),
            C(module_sig_enforce), C(modules_disabled), C(ptrace_scope), C(perf_event_paranoid), C(kptr_restrict),
            C(dmesg_restrict), C(user_namespaces), C(apparmor_policy_abis) (the policy ABIs in
            C(/etc/apparmor.d/abi), which the installed AppArmor parser compiles for; the apparmor role picks from
            them).
          type: dict
          returned: when the security group ran
        platform:
          description: C(virtualization) (type, container, vm), C(wsl), C(device_tree_model), C(raspberry_pi),
            C(nvidia), C(nouveau).
          type: dict
          returned: when the platform group ran
        readiness:
          description:
            - Named checks, each C({status, why, evidence, needed_for}) with C(status) one of C(pass), C(warn),
              C(fail). C(warn) with C(evidence=null) means the inputs could not be read.
            - Names are stable. C(cgroup_v2_unified), C(cgroup_controllers), C(psi), C(btf), C(ebpf_jit), C(bpffs),
              C(io_uring), C(zswap_zstd), C(scheduler_eevdf), C(clocksource_tsc), C(vdso), C(apparmor),
              C(seccomp_filter), C(user_namespaces), C(lockdown_ebpf), C(module_signing), C(perf_events).
          type: dict
          returned: always
          sample:
            cgroup_v2_unified:
              status: pass
              why: "The unified cgroup v2 hierarchy is mounted: every v2 resource control works."
              evidence: "cgroup.mode=unified (statfs(/sys/fs/cgroup) f_type=0x63677270 (cgroup2))"
              needed_for: "systemd MemoryMax=, MemoryHigh=, CPUWeight=, IOWeight= limits of Go services"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.noble.gohost.plugins.module_utils import _kernel_probes as probes
from ansible_collections.noble.gohost.plugins.module_utils._kernel_readiness import readiness


def gather_facts(params, run_command=None, syscalls=None):
    """The gohost_kernel fact for the module parameters (also used by tests and the benchmark)."""
    groups = params.get("probes") or ["all"]
    if "all" in groups:
        groups = list(probes.GROUPS)
    groups = [g for g in probes.GROUPS if g in groups]
    reader = probes.Reader(params.get("root") or "/")
    if syscalls is None:
        syscalls = probes.LiveSyscalls() if reader.live else probes.NoSyscalls()
    ctx = probes.Context(reader, syscalls, params, run_command)
    facts = {"root": reader.root, "probes": groups}
    facts.update(probes.gather(ctx, groups))
    facts["readiness"] = readiness(facts)
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            probes=dict(type="list", elements="str", default=["all"], choices=["all"] + list(probes.GROUPS)),
            root=dict(type="path", default="/"),
            config_options=dict(type="list", elements="str", default=[]),
            cgroup_paths=dict(type="list", elements="str", default=[]),
            cgroup_units=dict(type="list", elements="str", default=[]),
            timing=dict(type="bool", default=False),
            timing_calls=dict(type="int", default=100000),
        ),
        supports_check_mode=True,
    )

    def run_command(args):
        if module.get_bin_path(args[0]) is None:
            return 127, "", "%s not found" % args[0]
        return module.run_command(args)

    facts = gather_facts(module.params, run_command=run_command)
    module.exit_json(changed=False, ansible_facts={"gohost_kernel": facts})


if __name__ == "__main__":
    main()
