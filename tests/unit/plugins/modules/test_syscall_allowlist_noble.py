# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""syscall_allowlist against the group tables of bookworm (systemd 252) and noble (systemd 255).

``syscall-filter-noble.txt`` is what ``systemd-analyze syscall-filter --no-pager`` of systemd 255.4 prints, derived
from the upstream tag v255.4: src/shared/seccomp-util.c (the syscall_filter_sets[] table, @known from
src/basic/syscall-list.txt) and src/analyze/analyze-syscall-filter.c (the layout, the "Ungrouped" and "Unlisted"
sections). Its "Unlisted System Calls" section depends on the kernel and is written for x86_64 Linux 6.8 run as
root. tests/unit/fixtures/syscall_allowlist/README.md tells how it was derived and checked.

The expected differences below come from the two systemd sources, not from running the code under test:

- v255 has a group v252 does not: @sandbox (landlock_add_rule, landlock_create_ruleset, landlock_restrict_self,
  seccomp), which were "ungrouped" (only in @known) in 252;
- cachestat (Linux 6.5) is known to 255 (in no group but @known) and unknown to bookworm's 252;
- bookworm's 252 has a later stable backport in @default, uretprobe, that v255.4 does not have (it did not
  reach bookworm's @known);
- fchmodat2 (in @file-system), map_shadow_stack and futex_wake/futex_wait/futex_requeue (ungrouped) are in both:
  bookworm's 252 got them through stable updates;
- Linux 6.8's statmount, listmount and lsm_* are unknown to 255.4: they only show up as "unlisted".
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from unittest import mock

from ansible.module_utils import basic
from ansible_collections.noble.gohost.plugins.modules import syscall_allowlist as mod
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import run_module, set_module_args

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "syscall_allowlist")

SANDBOX = {"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp"}
LINUX_68_UNKNOWN_TO_255 = {"statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"}
# The groups of systemd 252 in the order of its syscall_filter_sets[] (@default first, @known last).
GROUPS_252 = ["@default", "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@file-system",
              "@io-event", "@ipc", "@keyring", "@memlock", "@module", "@mount", "@network-io", "@obsolete", "@pkey",
              "@privileged", "@process", "@raw-io", "@reboot", "@resources", "@setuid", "@signal", "@swap", "@sync",
              "@system-service", "@timer", "@known"]
GROUPS_255 = GROUPS_252[:22] + ["@sandbox"] + GROUPS_252[22:]


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


TEXTS = {"bookworm": fixture("syscall-filter-bookworm.txt"), "noble": fixture("syscall-filter-noble.txt")}
STRACE_TEXT = fixture("zap-service.strace")


@pytest.fixture(scope="module")
def tables():
    return dict((name, mod.parse_groups(text)) for name, text in TEXTS.items())


def trailing_section(text, title):
    """The names listed under the ``# <title> ...`` comment section of the output, or None without it."""
    names, inside = None, False
    for line in text.splitlines():
        if line.startswith("#   "):
            if inside:
                names.add(line[4:].strip())
        elif line.startswith("# "):
            inside = line[2:].startswith(title)
            if inside:
                names = set()
        else:
            inside = False
    return names


def group_headers(text):
    return [line for line in text.splitlines() if line.startswith("@")]


def direct(groups, name):
    return set(m for m in groups[name] if not m.startswith("@"))


def check_valid(filt, used, seen, groups):
    """What systemd needs of a SystemCallFilter= allow list built for ``groups``: every group named exists in that
    table (and is neither @default nor @known), every single name is a system call that systemd knows, and every
    call seen is allowed (by a group, by name, or by @default which systemd always adds)."""
    group_items = [item for item in filt if item.startswith("@")]
    singles = [item for item in filt if not item.startswith("@")]
    assert group_items == used
    for name in group_items:
        assert name in groups, name
        assert name not in ("@default", "@known"), name
    known = mod.expand(groups, "@known")
    assert set(singles) <= known, sorted(set(singles) - known)
    allowed = set(singles) | mod.expand(groups, "@default")
    for name in group_items:
        allowed |= mod.expand(groups, name)
    assert set(seen) <= allowed, sorted(set(seen) - allowed)


def test_noble_output_layout():
    text = TEXTS["noble"]
    assert group_headers(text) == GROUPS_255
    assert group_headers(TEXTS["bookworm"]) == GROUPS_252
    # every header is followed by its help comment, and groups are separated by exactly one empty line
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("@"):
            assert lines[i + 1].startswith("    # "), line
            assert i == 0 or lines[i - 1] == "", line
    assert lines[lines.index("@sandbox") + 1] == "    # Sandbox functionality"
    # the kernel-dependent section is there (tracefs readable), and ends the output
    assert lines[-1].startswith("#   ")
    assert trailing_section(text, "Unlisted System Calls") is not None
    assert trailing_section(TEXTS["bookworm"], "Unlisted System Calls") is None  # captured without tracefs


def test_parse_noble_groups(tables):
    noble = tables["noble"]
    assert list(noble) == GROUPS_255
    assert noble["@sandbox"] == SANDBOX
    assert "@signal" in noble["@system-service"] and "@default" in noble["@system-service"]
    assert "@obsolete" in noble["@known"]
    assert not any(name.startswith("#") or " " in name for members in noble.values() for name in members)
    # nothing of the trailing comment sections leaks into the last group
    assert not LINUX_68_UNKNOWN_TO_255 & mod.expand(noble, "@known")


@pytest.mark.parametrize("name", ["bookworm", "noble"])
def test_ungrouped_section_matches_the_groups(tables, name):
    """systemd lists as "ungrouped" the direct members of @known in no other group: the parsed groups must agree
    with the section (a check of the noble fixture against itself, and of the parser on both)."""
    groups = tables[name]
    others = set()
    for group in groups:
        if group != "@known":
            others |= direct(groups, group)
    ungrouped = trailing_section(TEXTS[name], "Ungrouped System Calls")
    assert ungrouped == direct(groups, "@known") - others


def test_unlisted_section_is_the_linux_68_calls_255_does_not_know(tables):
    unlisted = trailing_section(TEXTS["noble"], "Unlisted System Calls")
    assert unlisted == LINUX_68_UNKNOWN_TO_255
    everything = set()
    for group in tables["noble"]:
        everything |= mod.expand(tables["noble"], group)
    assert not unlisted & everything


def test_differences_between_252_and_255(tables):
    bookworm, noble = tables["bookworm"], tables["noble"]
    assert set(noble) - set(bookworm) == {"@sandbox"}
    assert set(bookworm) - set(noble) == set()
    # @sandbox's members were ungrouped in 252
    ungrouped = {name: trailing_section(TEXTS[name], "Ungrouped System Calls") for name in TEXTS}
    assert SANDBOX <= ungrouped["bookworm"]
    assert not SANDBOX & ungrouped["noble"]
    # cachestat: new to @known, in no group
    assert "cachestat" in direct(noble, "@known") and "cachestat" in ungrouped["noble"]
    assert "cachestat" not in mod.expand(bookworm, "@known")
    # uretprobe: bookworm's stable backport into @default; not in v255.4 at all
    assert direct(bookworm, "@default") - direct(noble, "@default") == {"uretprobe"}
    assert direct(noble, "@default") - direct(bookworm, "@default") == set()
    assert "uretprobe" not in mod.expand(noble, "@known")
    # in both
    for groups in (bookworm, noble):
        assert "fchmodat2" in groups["@file-system"]
        for name in ("map_shadow_stack", "futex_wake", "futex_wait", "futex_requeue"):
            assert name in direct(groups, "@known")
    for name in ("map_shadow_stack", "futex_wake", "fchmodat2"):
        assert (name in ungrouped["bookworm"]) == (name in ungrouped["noble"]), name
    # every other group (and @system-service with its nested groups) is the same in both
    for group in bookworm:
        if group not in ("@default", "@known"):
            assert bookworm[group] == noble[group], group
    assert mod.expand(bookworm, "@system-service") - mod.expand(noble, "@system-service") == {"uretprobe"}
    # @known: one call more (the backport put uretprobe in bookworm's @default, not in its @known)
    assert mod.expand(noble, "@known") - mod.expand(bookworm, "@known") == {"cachestat"}
    assert mod.expand(bookworm, "@known") - mod.expand(noble, "@known") == set()


@pytest.mark.parametrize("name", ["bookworm", "noble"])
def test_filter_for_the_zap_service(tables, name):
    groups = tables[name]
    seen = mod.parse_strace(STRACE_TEXT)
    assert len(seen) > 20
    filt, used = mod.build_filter(seen, groups)
    check_valid(filt, used, seen, groups)
    assert "execve" not in filt and "futex" not in filt  # @default


def test_check_valid_can_fail(tables):
    noble = tables["noble"]
    seen = {"openat", "socket"}
    with pytest.raises(AssertionError):
        check_valid(["openat"], [], seen, noble)  # socket not allowed
    with pytest.raises(AssertionError):
        check_valid(["@sandbox", "openat", "socket"], ["@sandbox"], seen, tables["bookworm"])  # no such group
    with pytest.raises(AssertionError):
        check_valid(["openat", "socket", "statmount"], [], seen, noble)  # unknown to 255.4


@pytest.mark.parametrize("name", ["bookworm", "noble"])
def test_filter_for_a_service_that_sandboxes_itself(tables, name):
    """A service that applies landlock and seccomp to itself: with 255's table its calls collapse into @sandbox;
    252 has no group for them, they are listed one by one."""
    groups = tables[name]
    seen = mod.parse_strace(STRACE_TEXT) | SANDBOX
    filt, used = mod.build_filter(seen, groups)
    check_valid(filt, used, seen, groups)
    if name == "noble":
        assert "@sandbox" in used
        assert not SANDBOX & set(filt)
    else:
        assert "@sandbox" not in filt
        assert SANDBOX <= set(filt)
    # the same filter does not do for the other systemd
    other = tables["bookworm" if name == "noble" else "noble"]
    if name == "noble":
        with pytest.raises(AssertionError):
            check_valid(filt, used, seen, other)


@pytest.fixture
def bins():
    with mock.patch.object(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/usr/bin/" + name):
        yield


@pytest.mark.parametrize("name", ["bookworm", "noble"])
def test_module_reads_each_table(tmp_path, bins, tables, name):
    log = tmp_path / "svc.strace"
    log.write_text(STRACE_TEXT + "".join("1 %s() = 0\n" % call for call in sorted(SANDBOX)))

    def run(cmd, *args, **kwargs):  # pylint: disable=unused-argument
        assert cmd[:2] == ["/usr/bin/systemd-analyze", "syscall-filter"], cmd
        return 0, TEXTS[name], ""

    with mock.patch.object(basic.AnsibleModule, "run_command", side_effect=run):
        with set_module_args({"strace_logs": [str(log)], "arch_syscalls": sorted(mod.expand(tables[name], "@known"))}):
            result = run_module(mod.main)
    check_valid(result["filter"], result["groups"], result["syscalls"], tables[name])
    assert ("@sandbox" in result["groups"]) == (name == "noble")
