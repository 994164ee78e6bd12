# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify of the kernel_facts scenario: the facts against readings inside the container, and the fleet report."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kernel_facts_checks import compare, gather  # noqa: E402  pylint: disable=wrong-import-position

REPORT = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "fleet-report")


@pytest.fixture(scope="module")
def facts(host):
    # One module run for every test (each run through testinfra costs seconds): limits of a unit, timing probe on.
    return gather(host, cgroup_units=["systemd-journald.service"], timing=True, timing_calls=20000)


def test_facts_agree_with_the_container(host, facts):
    problems = compare(host, facts)
    print("compared: %s" % ", ".join(problems.compared))
    print("skipped (no reading on this host): %s" % ", ".join(problems.skipped))
    assert not problems, "\n".join(problems)
    assert len(problems.compared) >= 12


def test_unit_limits_match_the_unit_cgroup(host, facts):
    unit = facts["cgroup"]["units"]["systemd-journald.service"]
    expected = host.run("systemctl show --property ControlGroup --value systemd-journald.service").stdout.strip()
    assert unit["path"]["value"] == expected


def test_timing_probe_in_the_container(facts):
    """The opt-in timing probe measures clock_gettime inside the container."""
    for name in ("timing_monotonic", "timing_realtime"):
        timing = facts["time"][name]["value"]
        assert timing is not None, facts["time"][name]
        assert 0 <= timing["ns_per_call"] <= timing["raw_ns_per_call"] < 100000


def test_fleet_report_lists_the_host(host, facts):
    with open(os.path.join(REPORT, "fleet-report.json")) as handle:
        report = json.load(handle)
    name = host.backend.get_hostname()
    entry = report["hosts"][name]
    assert entry["reachable"] is True
    assert entry["summary"]["kernel"] == facts["kernel"]["release"]["value"]["string"]
    # clocksource_tsc also weighs the timing probe, which this test's run has on and probe.yml's run has off
    assert dict((k, v["status"]) for k, v in entry["readiness"].items() if k != "clocksource_tsc") == dict(
        (k, v["status"]) for k, v in facts["readiness"].items() if k != "clocksource_tsc")
    assert sorted(report["checks"]) == sorted(facts["readiness"])
    with open(os.path.join(REPORT, "fleet-report.html")) as handle:
        html = handle.read()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html.split("<body>")[0]
    for check, result in entry["readiness"].items():
        assert 'class="status %s" data-check="%s"' % (result["status"], check) in html
    with open(os.path.join(REPORT, "fleet-report.md")) as handle:
        assert "| %s |" % name in handle.read()
