# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""noble.gohost.kernel_facts against the fixture trees of tests/unit/fixtures/kernel (see make_trees.py there)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from unittest import mock

import pytest

from ansible_collections.noble.gohost.plugins.modules import kernel_facts
from ansible_collections.noble.gohost.plugins.module_utils import _kernel_probes as probes
from ansible_collections.noble.gohost.plugins.module_utils._kernel_readiness import CHECKS

from .utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kernel")


def tree(name):
    return os.path.abspath(os.path.join(FIXTURES, name))


def facts_of(name, **args):
    args.setdefault("root", tree(name))
    with set_module_args(args):
        result = run_module(kernel_facts.main)
    assert result["changed"] is False
    return result["ansible_facts"]["gohost_kernel"]


def value(facts, dotted):
    """The value at ``group.probe`` (keys may hold dots themselves: ``cgroup.self_limits.memory.max``)."""
    node, parts, i = facts, dotted.split("."), 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            if ".".join(parts[i:j]) in node:
                node, i = node[".".join(parts[i:j])], j
                break
        else:
            raise KeyError(dotted)
    return node["value"]


def status(facts):
    return dict((name, check["status"]) for name, check in facts["readiness"].items())


# (fixture, probe path, expected value)
EXPECTED = [
    ("noble-6.8", "kernel.release", {"string": "6.8.0-45-generic", "major": 6, "minor": 8, "patch": 0,
                                     "sublevel": None, "abi": 45, "flavour": "generic"}),
    ("noble-6.8", "kernel.distribution", {"id": "ubuntu", "version_id": "24.04", "codename": "noble",
                                          "pretty_name": "Ubuntu 24.04.1 LTS"}),
    ("noble-6.8", "cgroup.mode", "unified"),
    ("noble-6.8", "cgroup.controllers", {"available": ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma",
                                                       "misc"],
                                         "enabled": ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma",
                                                     "misc"]}),
    ("noble-6.8", "cgroup.v1_controllers", []),
    ("noble-6.8", "ebpf.btf", {"present": True, "size": 64}),
    ("noble-6.8", "ebpf.bpffs", {"mounted": True, "mountpoints": ["/sys/fs/bpf"]}),
    ("noble-6.8", "ebpf.unprivileged_bpf_disabled", 2),
    ("noble-6.8", "io_uring.disabled", 0),
    ("noble-6.8", "io_uring.apparmor_restrict_unprivileged", 0),
    ("noble-6.8", "memory.zswap.enabled", True),
    ("noble-6.8", "memory.zswap.compressor", "zstd"),
    ("noble-6.8", "memory.zswap.zpool", "zsmalloc"),
    ("noble-6.8", "memory.zswap.max_pool_percent", 20),
    ("noble-6.8", "memory.zram", []),
    ("noble-6.8", "memory.transparent_hugepage", "madvise"),
    ("noble-6.8", "scheduler.class", "EEVDF"),
    ("noble-6.8", "scheduler.autogroup", 1),
    ("noble-6.8", "scheduler.cpus", 8),
    ("noble-6.8", "security.apparmor_policy_abis", ["3.0", "4.0"]),
    ("bookworm-docker", "security.apparmor_policy_abis", ["3.0"]),
    ("wsl2", "security.apparmor_policy_abis", None),
    ("noble-6.8", "memory.total", 16303404 * 1024),
    ("noble-6.8", "time.clocksource", "tsc"),
    ("noble-6.8", "time.available_clocksources", ["tsc", "hpet", "acpi_pm"]),
    ("noble-6.8", "time.vdso", True),
    ("noble-6.8", "security.lsm", ["lockdown", "capability", "landlock", "yama", "apparmor", "ima", "evm"]),
    ("noble-6.8", "security.apparmor_enabled", True),
    ("noble-6.8", "security.apparmor_profiles", {"enforce": 10, "unconfined": 1, "complain": 1}),
    ("noble-6.8", "security.apparmor_restrict_unprivileged_userns", 1),
    ("noble-6.8", "security.lockdown", "integrity"),
    ("noble-6.8", "security.secure_boot", {"enabled": True, "setup_mode": False}),
    ("noble-6.8", "security.tpm", {"present": True, "version": 2}),
    ("noble-6.8", "security.module_sig_enforce", False),
    ("noble-6.8", "security.perf_event_paranoid", 4),
    ("noble-6.8", "security.user_namespaces", {"max": 127544, "unprivileged_clone": None,
                                               "unprivileged_allowed": True}),
    ("noble-6.8", "platform.virtualization", {"type": "none", "container": "none", "vm": "none"}),
    ("noble-6.8", "platform.wsl", "none"),
    ("noble-6.8", "platform.raspberry_pi", "none"),
    ("noble-6.8", "platform.nvidia", {"loaded": True, "version": "550.107.02"}),
    ("noble-6.8", "platform.nouveau", "blacklisted"),
    ("bookworm-docker", "kernel.release", {"string": "6.1.0-25-amd64", "major": 6, "minor": 1, "patch": 0,
                                           "sublevel": None, "abi": 25, "flavour": "amd64"}),
    ("bookworm-docker", "cgroup.mode", "hybrid"),
    ("bookworm-docker", "cgroup.controllers", {"available": [], "enabled": []}),
    ("bookworm-docker", "cgroup.v1_controllers", ["cpuset", "cpu", "cpuacct", "blkio", "memory", "devices",
                                                  "freezer", "net_cls", "perf_event", "pids"]),
    ("bookworm-docker", "cgroup.self", {"path": "/docker/9c1f0e/system.slice/ssh.service", "v1_paths": {
        "perf_event": "/docker/9c1f0e", "net_cls": "/docker/9c1f0e", "blkio": "/docker/9c1f0e",
        "cpuset": "/docker/9c1f0e", "pids": "/docker/9c1f0e/system.slice/ssh.service",
        "memory": "/docker/9c1f0e/system.slice/ssh.service", "cpu": "/docker/9c1f0e/system.slice/ssh.service",
        "cpuacct": "/docker/9c1f0e/system.slice/ssh.service",
        "name=systemd": "/docker/9c1f0e/system.slice/ssh.service"}}),
    ("bookworm-docker", "cgroup.self_limits.memory.limit_in_bytes", "536870912"),
    ("bookworm-docker", "cgroup.self_limits.cpuset.effective_cpus", "0-1"),
    ("bookworm-docker", "cgroup.self_limits.cpu.cfs_quota_us", "-1"),
    ("bookworm-docker", "ebpf.bpffs", {"mounted": False, "mountpoints": []}),
    ("bookworm-docker", "scheduler.class", "CFS"),
    ("bookworm-docker", "time.clocksource", "kvm-clock"),
    ("bookworm-docker", "memory.zswap.enabled", False),
    ("bookworm-docker", "security.user_namespaces", {"max": 127544, "unprivileged_clone": 1,
                                                     "unprivileged_allowed": True}),
    ("bookworm-docker", "platform.virtualization", {"type": "docker", "container": "docker", "vm": "qemu"}),
    ("wsl2", "kernel.release", {"string": "5.15.153.1-microsoft-standard-WSL2", "major": 5, "minor": 15,
                                "patch": 153, "sublevel": 1, "abi": None, "flavour": "microsoft-standard-WSL2"}),
    ("wsl2", "cgroup.mode", "unified"),
    ("wsl2", "cgroup.self_limits.memory.max", "max"),
    ("wsl2", "ebpf.btf", {"present": False, "size": None}),
    ("wsl2", "scheduler.class", "CFS"),
    ("wsl2", "time.clocksource", "hyperv_clocksource_tsc_page"),
    ("wsl2", "security.apparmor_enabled", False),
    ("wsl2", "platform.wsl", "WSL2"),
    ("wsl2", "platform.virtualization", {"type": "wsl", "container": "wsl", "vm": "microsoft"}),
    ("rpi5", "kernel.release", {"string": "6.6.31+rpt-rpi-2712", "major": 6, "minor": 6, "patch": 31,
                                "sublevel": None, "abi": None, "flavour": "rpt-rpi-2712"}),
    ("rpi5", "kernel.arch", "aarch64"),
    ("rpi5", "cgroup.controllers", {"available": ["cpuset", "cpu", "io", "pids"],
                                    "enabled": ["cpuset", "cpu", "io", "pids"]}),
    ("rpi5", "scheduler.class", "EEVDF"),
    ("rpi5", "scheduler.autogroup", 0),
    ("rpi5", "scheduler.cpus", 4),
    ("rpi5", "memory.total", 8245556 * 1024),
    ("rpi5", "time.clocksource", "arch_sys_counter"),
    ("rpi5", "time.vdso", False),
    ("rpi5", "memory.zram", [{"name": "zram0", "disksize": 2147483648, "algorithm": "zstd",
                              "swap": {"type": "partition", "size_kib": 2097136, "priority": 100}}]),
    ("rpi5", "platform.raspberry_pi", "Raspberry Pi 5 Model B Rev 1.0"),
    ("rpi5", "platform.device_tree_model", "Raspberry Pi 5 Model B Rev 1.0"),
    ("rpi5", "platform.virtualization", {"type": "none", "container": "none", "vm": "none"}),
    ("noconfig", "kernel.release", {"string": "5.15.0-105-generic", "major": 5, "minor": 15, "patch": 0,
                                    "sublevel": None, "abi": 105, "flavour": "generic"}),
    ("noconfig", "cgroup.mode", "v1"),
    ("noconfig", "cgroup.self_limits.cpu.cfs_quota_us", "50000"),
    ("noconfig", "cgroup.self_limits.memory.limit_in_bytes", "268435456"),
    ("noconfig", "cgroup.self_limits.pids.max", "512"),
    ("noconfig", "time.clocksource", "hpet"),
    ("noconfig", "ebpf.jit_enable", 0),
    ("noconfig", "security.tpm", {"present": True, "version": 1}),
    ("noconfig", "security.lockdown", "none"),
    ("noconfig", "security.user_namespaces", {"max": 0, "unprivileged_clone": None, "unprivileged_allowed": False}),
    ("noconfig", "platform.virtualization", {"type": "vmware", "container": "none", "vm": "vmware"}),
    ("noconfig", "platform.nouveau", "loaded"),
]


@pytest.mark.parametrize("name,path,expected", EXPECTED, ids=["%s:%s" % (e[0], e[1]) for e in EXPECTED])
def test_probe_values(name, path, expected):
    assert value(facts_of(name), path) == expected


READINESS = {
    "noble-6.8": {"cgroup_v2_unified": "pass", "cgroup_controllers": "pass", "psi": "pass", "btf": "pass",
                  "ebpf_jit": "pass", "bpffs": "pass", "io_uring": "pass", "zswap_zstd": "pass",
                  "scheduler_eevdf": "pass", "clocksource_tsc": "pass", "vdso": "pass", "apparmor": "pass",
                  "seccomp_filter": "pass", "user_namespaces": "warn", "lockdown_ebpf": "pass",
                  "module_signing": "pass", "perf_events": "warn"},
    "bookworm-docker": {"cgroup_v2_unified": "warn", "cgroup_controllers": "warn", "scheduler_eevdf": "warn",
                        "clocksource_tsc": "warn", "bpffs": "warn", "zswap_zstd": "warn", "perf_events": "warn"},
    "wsl2": {"btf": "fail", "zswap_zstd": "fail", "apparmor": "fail", "clocksource_tsc": "warn",
             "cgroup_v2_unified": "pass"},
    "rpi5": {"cgroup_controllers": "fail", "vdso": "fail", "clocksource_tsc": "pass", "btf": "fail",
             "scheduler_eevdf": "pass", "bpffs": "pass"},
    "noconfig": {"cgroup_v2_unified": "fail", "psi": "warn", "clocksource_tsc": "fail", "ebpf_jit": "warn",
                 "user_namespaces": "fail", "lockdown_ebpf": "pass", "apparmor": "pass"},
}


@pytest.mark.parametrize("name", sorted(READINESS))
def test_readiness(name):
    facts = facts_of(name)
    assert sorted(facts["readiness"]) == sorted(n for n, _f in CHECKS)
    got = status(facts)
    assert dict((k, got[k]) for k in READINESS[name]) == READINESS[name]
    for check in facts["readiness"].values():
        assert check["status"] in ("pass", "warn", "fail")
        assert check["why"].endswith(".") and check["needed_for"]
        if check["status"] != "warn":
            assert check["evidence"], check


def test_every_probe_has_the_shape_value_source_reason():
    """Every leaf is {value, source, reason}; a null value always comes with a reason."""
    def walk(node, where):
        if isinstance(node, dict) and set(node) == {"value", "source", "reason"}:
            assert node["source"], where
            if node["value"] is None:
                assert node["reason"], where
            return 1
        assert isinstance(node, dict), where
        return sum(walk(v, where + "." + k) for k, v in node.items())
    for name in ("noble-6.8", "bookworm-docker", "wsl2", "rpi5", "noconfig"):
        facts = facts_of(name, cgroup_units=["goproxy.service", "ssh.service"], cgroup_paths=["/"])
        count = sum(walk(facts[g], g) for g in facts["probes"])
        assert count > 60, (name, count)


def test_kernel_config_found_in_boot_and_extra_options():
    facts = facts_of("noble-6.8", config_options=["hz", "CONFIG_LSM", "CONFIG_NOT_IN_THIS_KERNEL"])
    config = facts["kernel"]["config"]
    assert config["source"] == "/boot/config-6.8.0-45-generic"
    assert config["value"]["CONFIG_DEBUG_INFO_BTF"] == "y"
    assert config["value"]["CONFIG_MODULE_SIG_FORCE"] == "n"
    assert config["value"]["CONFIG_ZRAM"] == "m"
    assert config["value"]["CONFIG_HZ"] == "1000"
    assert config["value"]["CONFIG_LSM"] == "landlock,lockdown,yama,integrity,apparmor"
    assert config["value"]["CONFIG_NOT_IN_THIS_KERNEL"] is None


def test_kernel_config_from_proc_config_gz():
    config = facts_of("wsl2")["kernel"]["config"]
    assert config["source"] == "/proc/config.gz"
    assert config["value"]["CONFIG_IKCONFIG_PROC"] == "y"
    assert config["value"]["CONFIG_ZSWAP"] == "n"


@pytest.mark.parametrize("name", ["noconfig", "bookworm-docker"])
def test_no_kernel_config_is_null_with_reason(name):
    config = facts_of(name)["kernel"]["config"]
    assert config["value"] is None
    assert "no kernel config found" in config["reason"]
    assert "/proc/config.gz: not present" in config["reason"]
    assert "/boot/config-" in config["reason"]


def test_unit_limits_found_in_the_tree():
    facts = facts_of("noble-6.8", cgroup_units=["goproxy.service", "absent.service"])
    unit = facts["cgroup"]["units"]["goproxy.service"]
    assert unit["path"]["value"] == "/system.slice/goproxy.service"
    assert unit["limits"]["memory.max"]["value"] == "2147483648"
    assert unit["limits"]["cpu.max"]["value"] == "150000 100000"
    assert unit["limits"]["cpuset.cpus.effective"]["value"] == "2-3"
    assert unit["limits"]["cpuset.cpus.effective"]["source"] == \
        "/sys/fs/cgroup/system.slice/goproxy.service/cpuset.cpus.effective"
    absent = facts["cgroup"]["units"]["absent.service"]
    assert absent["path"]["value"] is None and "no cgroup named absent.service" in absent["path"]["reason"]


def test_unit_in_hybrid_container_and_v1_host():
    unit = facts_of("bookworm-docker", cgroup_units=["ssh.service"])["cgroup"]["units"]["ssh.service"]
    assert unit["path"]["value"] == "/docker/9c1f0e/system.slice/ssh.service"
    assert unit["limits"]["memory.limit_in_bytes"]["value"] == "536870912"
    unit = facts_of("noconfig", cgroup_units=["cron.service"])["cgroup"]["units"]["cron.service"]
    assert unit["limits"]["cpu.cfs_quota_us"]["value"] == "50000"


def test_cgroup_paths_option():
    paths = facts_of("noble-6.8", cgroup_paths=["system.slice/goproxy.service", "/"])["cgroup"]["paths"]
    assert paths["/system.slice/goproxy.service"]["pids.max"]["value"] == "4096"
    assert paths["/"]["cpuset.cpus.effective"]["value"] == "0-7"
    assert paths["/"]["memory.max"]["value"] is None


def test_probes_option_selects_groups():
    facts = facts_of("noble-6.8", probes=["time", "cgroup"])
    assert facts["probes"] == ["cgroup", "time"]
    assert "security" not in facts and "kernel" not in facts
    assert facts["readiness"]["cgroup_v2_unified"]["status"] == "pass"
    apparmor = facts["readiness"]["apparmor"]
    assert apparmor["status"] == "warn" and apparmor["evidence"] is None
    assert "probe group security not selected" in apparmor["why"]


def test_bad_probe_name_fails_before_reading_anything():
    with set_module_args({"probes": ["kernel", "gpu"], "root": tree("noble-6.8")}):
        with mock.patch.object(probes.Reader, "read_bytes") as read:
            result = run_module(kernel_facts.main, expect_fail=True)
    assert "gpu" in result["msg"]
    read.assert_not_called()


def test_check_mode_returns_the_same_facts():
    plain = facts_of("rpi5")
    checked = facts_of("rpi5", _ansible_check_mode=True)
    assert plain == checked


def test_syscalls_are_not_made_under_another_root():
    with mock.patch.object(probes, "LiveSyscalls") as live:
        facts = facts_of("noble-6.8", timing=True)
    live.assert_not_called()
    assert facts["io_uring"]["setup"]["value"] is None
    assert "root is not /" in facts["io_uring"]["setup"]["reason"]
    assert "root is not /" in facts["time"]["timing_monotonic"]["reason"]


def test_timing_is_off_by_default():
    timing = facts_of("noble-6.8")["time"]["timing_monotonic"]
    assert timing["value"] is None and "timing probe off" in timing["reason"]


def injected_errors(name):
    """{path: errno} from the fixture's UNREADABLE list."""
    errors = {}
    with open(os.path.join(tree(name), "UNREADABLE")) as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                path, code = line.split()
                errors[path] = getattr(errno, code)
    return errors


@pytest.fixture
def unreadable():
    errors = injected_errors("unreadable")
    real_open = probes.Reader._open

    def fake_open(self, path, mode):
        if path in errors:
            raise OSError(errors[path], os.strerror(errors[path]), path)
        return real_open(self, path, mode)
    with mock.patch.object(probes.Reader, "_open", fake_open):
        yield errors


def test_unreadable_files_become_reasons(unreadable):
    facts = facts_of("unreadable")
    assert facts["security"]["apparmor_profiles"]["value"] is None
    assert facts["security"]["apparmor_profiles"]["reason"].startswith("permission denied")
    # osrelease unreadable: the release (and everything derived from it) is null, not an exception
    assert facts["kernel"]["release"]["reason"].startswith("permission denied")
    assert facts["kernel"]["config"]["value"] is None
    assert facts["scheduler"]["class"]["value"] is None
    assert "sched_features" in facts["scheduler"]["class"]["reason"]
    # PSI: memory gives EOPNOTSUPP (psi=0 style), cpu and io still read
    psi = facts["cgroup"]["psi"]
    assert psi["value"]["available"] == ["cpu", "io"]
    assert "not supported by this kernel" in psi["reason"]
    # efivar EIO
    assert facts["security"]["secure_boot"]["value"] is None
    assert "EFI boot but unreadable" in facts["security"]["secure_boot"]["reason"]
    # mountinfo unreadable and no statfs under root: cgroup mode and bpffs are null with the reason
    assert facts["cgroup"]["mode"]["value"] is None
    assert "permission denied" in facts["cgroup"]["mode"]["reason"]
    assert facts["ebpf"]["bpffs"]["value"] is None
    # what is readable is still read
    assert facts["security"]["lockdown"]["value"] == "integrity"
    assert facts["platform"]["virtualization"]["value"]["container"] == "none"
    assert status(facts)["cgroup_v2_unified"] == "warn"
    assert facts["readiness"]["cgroup_v2_unified"]["evidence"] is None


def test_a_group_that_crashes_is_reported_not_fatal():
    with mock.patch.dict(probes.PROBES, {"memory": mock.Mock(side_effect=RuntimeError("boom"))}):
        facts = facts_of("noble-6.8")
    assert facts["memory"]["error"]["value"] is None
    assert "RuntimeError: boom" in facts["memory"]["error"]["reason"]
    assert facts["readiness"]["zswap_zstd"]["status"] == "warn"
    assert facts["cgroup"]["mode"]["value"] == "unified"


class FakeSyscalls:
    def __init__(self, magic=None, uring=("works", None)):
        self.magic = magic or {}
        self.uring = uring
        self.calls = []

    def statfs_magic(self, path):
        self.calls.append(path)
        if path in self.magic:
            return self.magic[path], None
        return None, "statfs(%s) failed: No such file or directory" % path

    def io_uring_setup(self):
        return self.uring

    def vdso_address(self):
        return 0x7FFD5B3DA000, None

    def clock_ns_per_call(self, clock_name, calls):
        return {"ns_per_call": 25.0 if clock_name == "CLOCK_MONOTONIC" else 27.0, "raw_ns_per_call": 60.0,
                "calls": calls}, None


def test_live_root_uses_syscalls_for_cgroup_mode_and_io_uring():
    fake = FakeSyscalls(magic={"/sys/fs/cgroup": probes.CGROUP2_SUPER_MAGIC}, uring=("EPERM", None))
    facts = kernel_facts.gather_facts({"probes": ["cgroup", "io_uring", "time"], "timing": True,
                                       "timing_calls": 5000}, syscalls=fake)
    assert facts["cgroup"]["mode"] == {"value": "unified", "reason": None,
                                       "source": "statfs(/sys/fs/cgroup) f_type=0x63677270 (cgroup2)"}
    assert facts["io_uring"]["setup"]["value"] == "EPERM"
    assert facts["readiness"]["io_uring"]["status"] == "warn"
    assert facts["time"]["timing_monotonic"]["value"]["ns_per_call"] == 25.0
    assert facts["time"]["timing_monotonic"]["source"] == "clock_gettime(CLOCK_MONOTONIC) x 5000, best of 5"


class LiveReader(probes.Reader):
    """A reader of a temporary tree that the probes take for the live host (so they may run commands)."""

    @property
    def live(self):
        return True

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))


@pytest.mark.parametrize("unit,path", [
    ("goproxy.service", "/system.slice/goproxy.service"),
    ("docker.socket", "/system.slice/docker.socket"),
    ("machine.slice", "/machine.slice"),
    ("user-1000.slice", "/user.slice/user-1000.slice"),
    ("-.slice", "/"),
    ("session-3.scope", None),
])
def test_unit_default_path(unit, path):
    assert probes.unit_default_path(unit) == path


def test_unit_path_from_sys_without_a_subprocess(tmp_path):
    (tmp_path / "sys" / "fs" / "cgroup" / "system.slice" / "goproxy.service").mkdir(parents=True)
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("0::/init.scope\n")
    run = mock.Mock(side_effect=AssertionError("no command may run when /sys answers"))
    ctx = probes.Context(LiveReader(str(tmp_path)), FakeSyscalls(), {}, run)
    path, how = probes.find_unit_path(ctx, "unified", "goproxy.service")
    assert (path, how) == ("/system.slice/goproxy.service", "/sys/fs/cgroup/system.slice/goproxy.service exists")
    run.assert_not_called()


@pytest.mark.parametrize("pid1_cgroup", ["0::/system.slice/docker-0123.scope/init.scope\n", None])
def test_unit_path_asks_systemctl_when_systemd_is_not_at_the_root(tmp_path, pid1_cgroup):
    """A container sharing the host's cgroup namespace: the host's system.slice is not its systemd's."""
    (tmp_path / "sys" / "fs" / "cgroup" / "system.slice" / "goproxy.service").mkdir(parents=True)
    if pid1_cgroup is not None:
        (tmp_path / "proc" / "1").mkdir(parents=True)
        (tmp_path / "proc" / "1" / "cgroup").write_text(pid1_cgroup)
    run = mock.Mock(return_value=(0, "/system.slice/docker-0123.scope/system.slice/goproxy.service\n", ""))
    ctx = probes.Context(LiveReader(str(tmp_path)), FakeSyscalls(), {}, run)
    path, _how = probes.find_unit_path(ctx, "unified", "goproxy.service")
    assert path == "/system.slice/docker-0123.scope/system.slice/goproxy.service"
    run.assert_called_once()


def test_systemd_at_root_in_v1_reads_the_named_hierarchy(tmp_path):
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("12:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/init.scope\n")
    ctx = probes.Context(LiveReader(str(tmp_path)), FakeSyscalls(), {}, None)
    assert probes.systemd_at_root(ctx, "v1") and probes.systemd_at_root(ctx, "hybrid")
    (tmp_path / "proc" / "1" / "cgroup").write_text("1:name=systemd:/docker/abc/init.scope\n0::/\n")
    assert not probes.systemd_at_root(ctx, "v1") and not probes.systemd_at_root(ctx, "unified")


def test_unit_path_from_systemctl_on_the_live_host(tmp_path):
    # Not in its default place (Slice=, or stopped): systemctl knows.
    run = mock.Mock(return_value=(0, "/system.slice/goproxy.service\n", ""))
    ctx = probes.Context(LiveReader(str(tmp_path)), FakeSyscalls(), {}, run)
    path, how = probes.find_unit_path(ctx, "unified", "goproxy.service")
    assert path == "/system.slice/goproxy.service"
    run.assert_called_once_with(["systemctl", "show", "--property", "ControlGroup", "--value", "goproxy.service"])
    assert "systemctl show" in how
    run.return_value = (0, "\n", "")
    path, how = probes.find_unit_path(ctx, "unified", "stopped.service")
    assert path is None and "not running" in how
