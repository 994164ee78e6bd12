"""tests/molecule.sh: which scenarios each tier of a default run takes, and in what order.

`make test` runs the container tier (two jobs) and then the VM tier alone (one job): a scenario left out of both, or
run in both, would be a part of the mission CI never proves or proves twice beside the wrong neighbours. A fake
`molecule` in a fake venv records what it was asked to run.
"""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCENARIOS = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "molecule/*/molecule.yml")))
VM_TIER = sorted(s for s in SCENARIOS if os.path.exists(os.path.join(ROOT, "molecule", s, "platforms")))


def run(tmp_path, tier, *names, extra=None):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    record = tmp_path / "ran.txt"
    fake = venv / "bin" / "molecule"
    fake.write_text('#!/bin/sh\necho "$3 $GOHOST_PLATFORM" >> %s\n' % record)
    fake.chmod(0o755)
    env = dict(os.environ, GOHOST_VENV=str(venv), GOHOST_MOLECULE_LOGS=str(tmp_path / "logs"),
               GOHOST_PLATFORMS="bookworm")
    # `make test` exports these to every stage, this test's too: each test says what it wants
    for name in ("GOHOST_MOLECULE_ELSEWHERE", "GOHOST_MOLECULE_ELSEWHERE_WHY", "GOHOST_MOLECULE_TIER"):
        env.pop(name, None)
    if tier is not None:
        env["GOHOST_MOLECULE_TIER"] = tier
    env.update(extra or {})
    if not os.path.exists(os.path.join(ROOT, ".venv", "bin", "python")):
        pytest.skip("tests/molecule.sh reads the image list with .venv/bin/python: no .venv here (make venv)")
    done = subprocess.run(["tests/molecule.sh", *names], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    ran = record.read_text().split("\n") if record.exists() else []
    return done, [line.split()[0] for line in ran if line]


def test_the_two_tiers_take_every_scenario_once(tmp_path):
    assert VM_TIER, "no VM-tier scenario (molecule/<s>/platforms) found"
    done, container = run(tmp_path / "c", "container")
    assert done.returncode == 0, done.stdout + done.stderr
    done, vm = run(tmp_path / "v", "vm")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(vm) == VM_TIER
    assert not set(container) & set(VM_TIER)
    assert sorted(container + vm) == SCENARIOS
    assert "SKIPPED" not in done.stdout, done.stdout  # no scenario left out of make test by a skip file
    assert os.path.exists(tmp_path / "v" / "logs" / "summary-vm.txt")


def test_the_default_run_takes_the_vm_tier_first(tmp_path):
    done, ran = run(tmp_path, None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(ran[:len(VM_TIER)]) == VM_TIER and sorted(ran) == SCENARIOS


def test_a_named_scenario_runs_whatever_the_tier(tmp_path):
    done, ran = run(tmp_path, "container", VM_TIER[0])
    assert done.returncode == 0, done.stdout + done.stderr
    assert ran == [VM_TIER[0]]


def test_an_unknown_tier_is_refused(tmp_path):
    done, ran = run(tmp_path, "vms")
    assert done.returncode == 2 and "GOHOST_MOLECULE_TIER" in done.stderr and not ran


def test_a_scenario_left_to_another_stage_is_named_with_the_reason(tmp_path):
    """make test leaves fleet to its compat stage (the oldest and newest ansible-core): the container tier says so
    instead of running it, and a scenario named on the command line still runs."""
    extra = {"GOHOST_MOLECULE_ELSEWHERE": "fleet", "GOHOST_MOLECULE_ELSEWHERE_WHY": "in the compat stage"}
    done, container = run(tmp_path / "c", "container", extra=extra)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fleet" not in container and container, container
    assert "scenario fleet: not in this stage: in the compat stage" in done.stdout, done.stdout
    assert "fleet" in (tmp_path / "c" / "logs" / "summary-container.txt").read_text()
    done, named = run(tmp_path / "n", "container", "fleet", extra=extra)
    assert done.returncode == 0 and named == ["fleet"], done.stdout + done.stderr
