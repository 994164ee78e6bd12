"""tests/compat_all.sh (`make compat`): unit and sanity core by core, then every core's scenario at once.

A fake tests/compat.sh in a copy of the script's directory records when each step of each core starts and ends.
"""
from __future__ import annotations

import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

FAKE = """#!/usr/bin/env bash
core=$1; shift
for step in "$@"; do
  echo "start $core $step $(date +%s.%N)" >> "$RECORD"
  [ "$step" = molecule ] && sleep 1
  echo "=== compat $core: $step output"
  echo "end $core $step $(date +%s.%N)" >> "$RECORD"
  if [ "$step" = molecule ] && [ "$core" = "$FAIL" ]; then echo "=== compat $core: molecule FAILED after 1s"; exit 1; fi
  [ "$step" != molecule ] || echo "=== compat $core: molecule passed in 1s"
done
"""


def run(tmp_path, *cores, fail="", **env):
    (tmp_path / "tests").mkdir()
    shutil.copy(os.path.join(ROOT, "tests", "compat_all.sh"), tmp_path / "tests" / "compat_all.sh")
    fake = tmp_path / "tests" / "compat.sh"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    record = tmp_path / "record.txt"
    done = subprocess.run([str(tmp_path / "tests" / "compat_all.sh"), *cores], capture_output=True, text=True,
                          env=dict(os.environ, RECORD=str(record), FAIL=fail, **env), check=False, timeout=60)
    rows = [line.split() for line in record.read_text().splitlines()] if record.exists() else []
    return done, {(r[0], r[1], r[2]): float(r[3]) for r in rows}


def test_unit_and_sanity_core_by_core_then_the_scenarios_at_once(tmp_path):
    done, at = run(tmp_path, "2.16", "2.21")
    assert done.returncode == 0, done.stdout + done.stderr
    # 2.21's unit starts after 2.16's sanity has ended; every scenario after every sanity step
    assert at[("start", "2.21", "unit")] >= at[("end", "2.16", "sanity")]
    assert at[("start", "2.16", "molecule")] >= at[("end", "2.21", "sanity")]
    # the two scenarios overlap
    assert at[("start", "2.21", "molecule")] < at[("end", "2.16", "molecule")]
    assert "=== compat 2.16: molecule output" in done.stdout and "=== compat 2.21: molecule output" in done.stdout
    assert "Compat summary:" in done.stdout and "compat 2.21: molecule passed in 1s" in done.stdout


def test_one_job_runs_the_scenarios_one_after_the_other(tmp_path):
    done, at = run(tmp_path, "2.16", "2.21", GOHOST_COMPAT_JOBS="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert at[("start", "2.21", "molecule")] >= at[("end", "2.16", "molecule")]


def test_a_failed_scenario_fails_the_run_after_the_others_end(tmp_path):
    done, at = run(tmp_path, "2.16", "2.21", fail="2.16")
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("end", "2.21", "molecule") in at and "compat 2.16: molecule FAILED" in done.stdout


def test_given_steps_run_core_by_core_only(tmp_path):
    done, at = run(tmp_path, "2.16", "2.21", COMPAT_STEPS="unit")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(at) == {(e, c, "unit") for e in ("start", "end") for c in ("2.16", "2.21")}
