# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' input checks run by the ansible-core of this Python (ansible-playbook beside sys.executable), on
localhost, without touching it: only the checks' task files are included. `make unit` runs them with the main
venv's ansible-core; `make compat CORE=2.16` (and 2.21) with the oldest and newest supported one, where templating
differs: before 2.19 a task variable templated from a loop item is "" for null and a string for a number (issue
14: journald refused its own null defaults on 2.16-2.18)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_apt_roles_typed_vars import unfiltered_uses  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def run_checks(tmp_path, role, tasks_from, extra_vars):
    """Run `role`'s tasks_from file on localhost with extra_vars; return (rc, failure messages, core version)."""
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "The checks", "ansible.builtin.include_role": {"name": "noble.gohost." + role, "tasks_from": tasks_from}}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    (tmp_path / "vars.json").write_text(json.dumps(extra_vars))
    (tmp_path / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable,
                           "-e", "@%s" % (tmp_path / "vars.json"), str(tmp_path / "play.yml")],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300, check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError((proc.stdout[-3000:], proc.stderr[-3000:]))
    messages = []
    for play_result in out["plays"]:
        for task in play_result["tasks"]:
            res = task["hosts"].get("localhost", {})
            if not res.get("failed"):
                continue
            # a failed item has "failed" before ansible-core 2.20; from then on only its "assertion"
            messages.extend(r.get("msg", "") for r in res.get("results", [res])
                            if r.get("failed") or "assertion" in r or "results" not in res)
    return proc.returncode, messages, proc.stderr


JOURNALD_GOOD = {
    "defaults": {},
    "every kind": {"journald_system_max_use": "2G", "journald_system_max_files": 100,
                   "journald_rate_limit_burst": 0, "journald_max_retention_sec": "1month",
                   "journald_compress": "512K", "journald_max_level_store": "info",
                   "journald_forward_to_wall": "false", "journald_forward_to_kmsg": True,
                   "journald_storage": "none"},
    "namespace with nulls": {"journald_namespaces": [
        {"name": "api", "storage": "volatile", "system_max_use": None, "runtime_max_files": 8,
         "max_level_store": None, "forward_to_syslog": False}]},
    # what `"{{ x | default(none) }}"` gives a role variable before ansible-core 2.19; an empty assignment resets
    # an option in systemd, so "" leaves the setting out, as null does
    "empty strings": {"journald_runtime_max_use": "", "journald_rate_limit_burst": "",
                      "journald_namespaces": [{"name": "api", "system_max_files": "", "max_level_store": ""}]},
}
JOURNALD_BAD = {
    "size word": ({"journald_system_max_use": "lots"}, "journald_system_max_use: \"lots\" is not valid for SystemMaxUse="),
    "bool as count": ({"journald_system_max_files": True}, "journald_system_max_files: true is not valid"),
    "word as count": ({"journald_rate_limit_burst": "many"}, "journald_rate_limit_burst: \"many\" is not valid"),
    "namespace level": ({"journald_namespaces": [{"name": "api", "system_max_use": None, "max_level_store": "loud"}]},
                        "journald_namespaces[0].max_level_store (namespace api): \"loud\" is not valid"),
}


@pytest.mark.parametrize("case", sorted(JOURNALD_GOOD))
def test_journald_checks_accept(tmp_path, case):
    rc, messages, stderr = run_checks(tmp_path, "journald", "validate", JOURNALD_GOOD[case])
    assert (rc, messages) == (0, []), stderr[-2000:]


@pytest.mark.parametrize("case", sorted(JOURNALD_BAD))
def test_journald_checks_refuse(tmp_path, case):
    extra, expected = JOURNALD_BAD[case]
    rc, messages, stderr = run_checks(tmp_path, "journald", "validate", extra)
    assert rc != 0, stderr[-2000:]
    assert len(messages) == 1 and expected in messages[0], messages


def tasks_named(path, *prefixes):
    """The tasks of a role's task file whose names start with one of prefixes, in file order."""
    import yaml
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        tasks = yaml.safe_load(fh)
    return [t for t in tasks if t.get("name", "").startswith(prefixes)]


@pytest.mark.parametrize("existing", [0, 3], ids=["fresh host", "three releases"])
def test_go_service_old_releases_no_warning_on_a_fresh_host(tmp_path, existing):
    """go_service's release pruning (its tasks as service.yml and deploy.yml have them: one release_info read, the
    comparison that lists what to prune, then the removal) in
    check mode: on a fresh host, where /opt/go-services/<name>/releases does not exist yet, no warning (a `find`
    there used to warn "Skipped '...releases' path due to this access issue"); where releases exist, the oldest
    beyond go_service_keep_releases (the new release counts as one) are removed, never the one `current` names."""
    svc = tmp_path / "svc"
    for i in range(existing):
        (svc / "releases" / ("r%d" % i)).mkdir(parents=True)
        os.utime(str(svc / "releases" / ("r%d" % i)), (1000 + i, 1000 + i))
    if existing:
        os.symlink("releases/r0", str(svc / "current"))
    tasks = (tasks_named("roles/go_service/tasks/service.yml", "Read what is deployed", "Compare what is deployed")
             + tasks_named("roles/go_service/tasks/deploy.yml", "Remove releases beyond"))
    assert len(tasks) == 3
    release = svc / "releases" / "new"
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars": {"__go_service_svc": {"name": "api", "binary": {"source": "file"}, "dynamic_user": True,
                                           "enabled": True},
                      "__go_service_dir": str(svc), "go_service_keep_releases": 2,
                      "__go_service_release_dir": str(release), "__go_service_release_id": "new",
                      "__go_service_bin_path": str(release / "api"), "__go_service_src_sha256": "0" * 64,
                      "__go_service_unit_path": str(tmp_path / "api.service"), "__go_service_unit_content": "[Unit]\n",
                      "__go_service_dropin_files": {}, "__go_service_want_unit": "u", "__go_service_test_unit": "t",
                      "__go_service_threshold": 5.0, "go_service_verify": True,
                      "go_service_build_dir": str(tmp_path / "build")},
             "tasks": tasks}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    (tmp_path / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-c", "local", "--check",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(tmp_path / "play.yml")],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    out = json.loads(proc.stdout)
    results = {t["task"]["name"]: t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]}
    warnings = [w for r in results.values() for w in r.get("warnings", [])] + out.get("global_custom_stats", {}).get("warnings", [])
    assert warnings == [] and "WARNING" not in proc.stderr, (warnings, proc.stderr)
    removed = sorted(os.path.basename(r["_old"]["path"]) for name, res in results.items()
                     if name.startswith("Remove releases") for r in res.get("results", []))
    # kept: the new release and the newest old one (r2); r0 is what `current` names
    assert removed == (["r1"] if existing else [])


@pytest.mark.parametrize("value", [None, ""], ids=["null", "empty string"])
def test_journald_dropin_leaves_unset_settings_out(tmp_path, value):
    """The drop-in as the role's template renders it (with the role's defaults and vars): null and "" settings are
    not written, set ones are, booleans as yes/no."""
    role = os.path.join(ROOT, "roles", "journald")
    settings = {"journald_system_max_use": value, "journald_rate_limit_burst": 0, "journald_runtime_max_files": value,
                "journald_forward_to_kmsg": "true"}
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars_files": [os.path.join(role, "defaults", "main.yml"), os.path.join(role, "vars", "main.yml")],
             "vars": {"__journald_scope": "the test", "__journald_settings": "{{ __journald_main }}",
                      "__journald_extra": {"SplitMode": "uid"}},
             "tasks": [{"name": "Render", "ansible.builtin.debug": {
                 "msg": "{{ lookup('ansible.builtin.template', '%s') }}" % os.path.join(role, "templates", "journald.conf.j2")}}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    (tmp_path / "vars.json").write_text(json.dumps(settings))  # extra vars: above the role's defaults file
    (tmp_path / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", "@%s" % (tmp_path / "vars.json"),
                           str(tmp_path / "play.yml")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    text = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["[Journal]", "Storage=persistent", "Compress=yes", "RateLimitBurst=0", "ForwardToSyslog=no",
                     "ForwardToKMsg=yes", "SplitMode=uid"]


@pytest.mark.parametrize("role", sorted(os.listdir(os.path.join(ROOT, "roles"))))
def test_bool_options_go_through_bool(role):
    """Every role, as apt_mirror and apt_client (test_apt_roles_typed_vars.py): a bool option (by its type in
    meta/argument_specs.yml) is used through `| bool`, so that `-e name=false` means false on every ansible-core:
    2.19 and later refuse a string as a conditional, and before 2.19 "false" is a true string inside a Jinja
    expression."""
    assert [use for use in unfiltered_uses(role) if "(bool)" in use] == []
