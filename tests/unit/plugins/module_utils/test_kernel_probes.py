# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers, syscall wrappers and readiness rules of kernel_facts (module_utils/_kernel_*.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import sys

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _kernel_probes as probes
from ansible_collections.noble.gohost.plugins.module_utils import _kernel_readiness as readiness


@pytest.mark.parametrize("release,expected", [
    ("6.8.0-45-generic", (6, 8, 0, None, 45, "generic")),
    ("6.8.0-1012-raspi", (6, 8, 0, None, 1012, "raspi")),
    ("6.8.0-45-lowlatency-64k", (6, 8, 0, None, 45, "lowlatency-64k")),
    ("6.1.0-25-amd64", (6, 1, 0, None, 25, "amd64")),
    ("5.15.153.1-microsoft-standard-WSL2", (5, 15, 153, 1, None, "microsoft-standard-WSL2")),
    ("6.6.31+rpt-rpi-2712", (6, 6, 31, None, None, "rpt-rpi-2712")),
    ("6.10.3-arch1-1", (6, 10, 3, None, None, "arch1-1")),
    ("6.9.7-200.fc40.x86_64", (6, 9, 7, None, 200, "fc40.x86_64")),
    ("6.11", (6, 11, 0, None, None, None)),
])
def test_parse_release(release, expected):
    got = probes.parse_release(release + "\n")
    assert (got["major"], got["minor"], got["patch"], got["sublevel"], got["abi"], got["flavour"]) == expected
    assert got["string"] == release


@pytest.mark.parametrize("bad", ["", "Linux", "v6.8"])
def test_parse_release_rejects_garbage(bad):
    with pytest.raises(ValueError):
        probes.parse_release(bad)


def test_parse_mountinfo_unescapes_and_skips_optional_fields():
    text = ("36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
            "garbage line\n"
            "40 23 0:29 / /sys/fs/bpf rw,nosuid - bpf bpf rw,mode=700\n")
    mounts = probes.parse_mountinfo(text)
    assert mounts[0] == {"mountpoint": "/mnt/with space", "root": "/mnt1", "fstype": "ext3", "source": "/dev/root",
                         "super_options": ["rw", "errors=continue"]}
    assert [m["fstype"] for m in mounts] == ["ext3", "bpf"]


def test_bracketed_and_flags():
    assert probes.bracketed("none [integrity] confidentiality\n") == {
        "selected": "integrity", "available": ["none", "integrity", "confidentiality"]}
    assert probes.bracketed("lzo lzo-rle")["selected"] is None
    assert probes.as_yn("Y") is True and probes.as_yn("0") is False
    with pytest.raises(ValueError):
        probes.as_yn("maybe")


def test_apparmor_profiles_count_per_mode():
    text = "/usr/bin/man (enforce)\nfirefox (unconfined)\nsnap.lxd (complain)\nfoo//bar (enforce)\nbroken line\n"
    assert probes.parse_apparmor_profiles(text) == {"enforce": 2, "unconfined": 1, "complain": 1}


def test_reader_reasons(tmp_path):
    reader = probes.Reader(str(tmp_path))
    (tmp_path / "proc").mkdir()
    with pytest.raises(probes.ProbeError, match="^not present"):
        reader.read("/proc/nothing")
    with pytest.raises(probes.ProbeError, match="^unreadable .*directory"):
        reader.read("/proc")
    assert reader.path("/proc/x") == os.path.join(str(tmp_path), "proc/x")
    assert not reader.live and probes.Reader("/").live
    err = OSError(errno.EACCES, "Permission denied")
    assert probes._os_reason(err).startswith("permission denied")
    assert probes._os_reason(OSError(errno.EOPNOTSUPP, "x")).startswith("not supported")


def test_cgroup_mode_from_statfs_magic_hybrid_and_v1(tmp_path):
    class Fake(probes.NoSyscalls):
        def __init__(self, magic):
            self.magic = magic

        def statfs_magic(self, path):
            return self.magic.get(path, probes.TMPFS_MAGIC if path == "/sys/fs/cgroup" else 0xEF53), None
    reader = probes.Reader("/")
    mode = probes.cgroup_mode(probes.Context(reader, Fake({"/sys/fs/cgroup/unified": probes.CGROUP2_SUPER_MAGIC})))
    assert mode["value"] == "hybrid" and "statfs(/sys/fs/cgroup/unified) cgroup2" in mode["source"]
    mode = probes.cgroup_mode(probes.Context(reader, Fake({})))
    assert mode["value"] == "v1"
    mode = probes.cgroup_mode(probes.Context(reader, Fake({"/sys/fs/cgroup": probes.CGROUP_SUPER_MAGIC})))
    assert mode["value"] == "v1"


def test_cgroup_mode_falls_back_to_mountinfo_when_statfs_fails(tmp_path):
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/mountinfo").write_text("27 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    mode = probes.cgroup_mode(probes.Context(probes.Reader(str(tmp_path)), probes.NoSyscalls()))
    assert mode == {"value": "unified", "source": "/proc/self/mountinfo: cgroup2 on /sys/fs/cgroup", "reason": None}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statfs magic numbers are Linux's")
def test_live_statfs_reads_real_magic_numbers():
    live = probes.LiveSyscalls()
    assert live.statfs_magic("/proc") == (0x9FA0, None)  # PROC_SUPER_MAGIC
    assert live.statfs_magic("/sys") == (0x62656572, None)  # SYSFS_MAGIC
    magic, reason = live.statfs_magic("/does/not/exist")
    assert magic is None and "No such file or directory" in reason


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="io_uring is Linux's")
def test_live_io_uring_setup_gives_a_known_outcome_and_closes_the_ring():
    before = len(os.listdir("/proc/self/fd"))
    value, reason = probes.LiveSyscalls().io_uring_setup()
    assert reason is None
    assert value in ("works", "ENOSYS", "EPERM", "EACCES", "ENOMEM", "EINVAL")
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auxv is Linux's")
def test_live_vdso_and_timing():
    live = probes.LiveSyscalls()
    address, reason = live.vdso_address()
    assert reason is None
    with open("/proc/self/maps") as handle:
        assert (address != 0) == ("[vdso]" in handle.read())
    result, reason = live.clock_ns_per_call("CLOCK_MONOTONIC", 1000)
    assert reason is None and result["calls"] == 1000
    assert 0 <= result["ns_per_call"] <= result["raw_ns_per_call"]
    assert live.clock_ns_per_call("CLOCK_NO_SUCH", 1000)[0] is None


def probe(value, source="/x"):
    return probes.probe(value, source)


def test_clocksource_check_uses_the_timing_probe():
    facts = {"time": {"clocksource": probe("tsc"), "timing_monotonic": probe({"ns_per_call": 950.0})}}
    result = readiness.check_clocksource_tsc(facts)
    assert result["status"] == "fail" and "950 ns" in result["why"]
    facts["time"]["timing_monotonic"] = probe({"ns_per_call": 22.0})
    assert readiness.check_clocksource_tsc(facts)["status"] == "pass"
    facts["time"]["clocksource"] = probe("xen")
    assert readiness.check_clocksource_tsc(facts)["status"] == "fail"


@pytest.mark.parametrize("setup,disabled,restrict,expected", [
    ("works", 0, None, "pass"),
    ("ENOSYS", None, None, "fail"),
    (None, 2, None, "fail"),
    ("EPERM", 0, None, "warn"),
    ("works", 1, None, "warn"),
    ("works", 0, 1, "warn"),
    (None, 0, None, "pass"),
    (None, None, None, "warn"),
])
def test_io_uring_check(setup, disabled, restrict, expected):
    facts = {"io_uring": {"setup": probe(setup) if setup else probes.missing("io_uring_setup(2)", "not attempted"),
                          "disabled": probe(disabled) if disabled is not None else probes.missing("/d", "absent"),
                          "apparmor_restrict_unprivileged": probe(restrict) if restrict is not None
                          else probes.missing("/r", "absent")}}
    assert readiness.check_io_uring(facts)["status"] == expected


def test_a_check_that_raises_is_a_warn():
    facts = {"security": {"perf_event_paranoid": probe("not a number")}}
    result = readiness.readiness(facts)["perf_events"]
    assert result["status"] == "warn" and "TypeError" in result["why"]


def test_check_names_are_stable():
    """Roles and playbooks use these names: renaming one is a breaking change."""
    assert [name for name, _f in readiness.CHECKS] == [
        "cgroup_v2_unified", "cgroup_controllers", "psi", "btf", "ebpf_jit", "bpffs", "io_uring", "zswap_zstd",
        "scheduler_eevdf", "clocksource_tsc", "vdso", "apparmor", "seccomp_filter", "user_namespaces",
        "lockdown_ebpf", "module_signing", "perf_events"]


CONFIG_TEXT = ("#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_ZSWAP=y\nCONFIG_ZSWAP_DEFAULT_ON=y\n"
               "# CONFIG_MODULE_SIG_FORCE is not set\n# CONFIG_MODULE_SIG_FORCE_X is not set\n"
               'CONFIG_DEFAULT_HOSTNAME="(none)"\nCONFIG_HZ=250\nCONFIG_NR_CPUS=8192')


def test_config_values_reads_only_the_names_asked_for():
    names = ["CONFIG_ZSWAP", "CONFIG_MODULE_SIG_FORCE", "CONFIG_DEFAULT_HOSTNAME", "CONFIG_HZ", "CONFIG_NR_CPUS",
             "CONFIG_IO_URING"]
    assert probes.config_values(CONFIG_TEXT, names) == {
        "CONFIG_ZSWAP": "y", "CONFIG_MODULE_SIG_FORCE": "n", "CONFIG_DEFAULT_HOSTNAME": "(none)",
        "CONFIG_HZ": "250", "CONFIG_NR_CPUS": "8192"}  # unmentioned: left out; the last line has no newline


def test_config_values_does_not_match_a_longer_name_or_a_comment():
    assert probes.config_values(CONFIG_TEXT, ["CONFIG_ZSWAP_DEFAULT", "CONFIG_MODULE_SIG", "Automatically"]) == {}
    assert probes.config_values("# CONFIG_ZSWAP=y\n", ["CONFIG_ZSWAP"]) == {}


def test_read_kernel_config_gz_and_garbage(tmp_path):
    import gzip  # pylint: disable=import-outside-toplevel
    (tmp_path / "proc" / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "proc" / "sys" / "kernel" / "osrelease").write_text("6.8.0-45-generic\n")
    (tmp_path / "proc" / "config.gz").write_bytes(gzip.compress(CONFIG_TEXT.encode()))
    ctx = probes.Context(probes.Reader(str(tmp_path)), probes.NoSyscalls())
    assert probes.read_kernel_config(ctx, ["CONFIG_HZ"]) == ("/proc/config.gz", {"CONFIG_HZ": "250"})
    (tmp_path / "proc" / "config.gz").write_bytes(b"not gzip at all")
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "config-6.8.0-45-generic").write_text(CONFIG_TEXT)
    ctx = probes.Context(probes.Reader(str(tmp_path)), probes.NoSyscalls())
    assert probes.read_kernel_config(ctx, ["CONFIG_HZ"]) == ("/boot/config-6.8.0-45-generic", {"CONFIG_HZ": "250"})
    (tmp_path / "boot" / "config-6.8.0-45-generic").unlink()
    ctx = probes.Context(probes.Reader(str(tmp_path)), probes.NoSyscalls())
    path, reason = probes.read_kernel_config(ctx, ["CONFIG_HZ"])
    assert path is None and "/proc/config.gz: not gzip" in reason


@pytest.mark.parametrize("text,count", [("0-7", 8), ("0", 1), ("0-3,5,8-9", 7), ("", 0)])
def test_parse_cpu_list(text, count):
    assert probes.parse_cpu_list(text) == count


def test_parse_memtotal_in_bytes_and_garbage():
    assert probes.parse_memtotal("MemTotal:       2048 kB\nMemFree: 1 kB") == 2048 * 1024
    with pytest.raises(ValueError):
        probes.parse_memtotal("MemFree: 1 kB")


def test_live_cpus_and_memory_match_what_the_os_says():
    ctx = probes.Context(probes.Reader("/"), probes.LiveSyscalls())
    assert probes.probe_scheduler(ctx)["cpus"] == {"value": len(os.sched_getaffinity(0)),
                                                   "source": "sched_getaffinity(0)", "reason": None}
    with open("/proc/meminfo") as handle:
        kib = int(handle.readline().split()[1])
    assert probes.probe_memory(ctx)["total"]["value"] == kib * 1024
