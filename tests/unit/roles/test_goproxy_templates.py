# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""goproxy role: every template rendered by Ansible itself (ansible-playbook, the template lookup, the role's
defaults and vars files) for the Athens backend in each storage and single-flight type, and for the goproxy
backend with booleans given as `-e flag=true` strings. The Athens configuration must be TOML whose every key is
one Athens v0.18.0 reads (tests/unit/fixtures/goproxy/athens-v0.18.0-config-keys.json, from its config.dev.toml,
checked against the snapshot in shared/vendor/athens when that is there) with the same value type; the units
must pass `systemd-analyze verify` and rate "OK" offline with `systemd-analyze security`. The Athens and goproxy
binaries are not installed on this machine, so verify's complaint about that one missing executable is expected
and nothing else."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import athens_src  # noqa: E402  pylint: disable=wrong-import-position
import render_plays  # noqa: E402  pylint: disable=wrong-import-position

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "goproxy")
SCHEMA = os.path.join(ROOT, "tests", "unit", "fixtures", "goproxy", "athens-v0.18.0-config-keys.json")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
ATHENS_MODES = {"network": ("strict", "offline", "fallback"),
                "download": ("sync", "async", "redirect", "async_redirect", "none")}

# name -> variables (as strings where `-e` would give strings). Every Athens variant renders every template.
# No version: the role's default for the backend (v0.18.0 for athens, v0.21.0 for goproxy).
ATHENS = {"service_name": "athens", "backend": "athens", "listen_port": 3000}
ATHENS_VERSION = "v0.18.0"
VARIANTS = {
    "athens-defaults": dict(ATHENS, offline="false", private_users="true"),
    "athens-offline": dict(ATHENS, offline="true", listen_address="::", gonosumdb=["corp.example/*"],
                           goprivate=["git.corp.example/*"], cache_retention_days=30,
                           netrc=[{"machine": "git.corp.example", "login": "bot", "password": "s3cret"}],
                           athens_extra_config={"GoGetWorkers": 4, "Timeout": 120, "LogFormat": "json"}),
    "athens-s3-redis": dict(ATHENS, athens_storage="s3",
                            athens_storage_options={"Bucket": "mods", "Region": "eu-west-1", "Key": "k",
                                                    "Secret": "s", "ForcePathStyle": True},
                            athens_single_flight="redis",
                            athens_single_flight_options={"Endpoint": "redis:6379", "Password": "p",
                                                          "LockConfig": {"TTL": 900, "Timeout": 15,
                                                                         "MaxRetries": 10}}),
    "athens-minio-etcd": dict(ATHENS, athens_storage="minio",
                              athens_storage_options={"Endpoint": "minio:9000", "Key": "k", "Secret": "s",
                                                      "Bucket": "gomods", "EnableSSL": False},
                              athens_single_flight="etcd",
                              athens_single_flight_options={"Endpoints": "etcd1:2379,etcd2:2379"}),
    "athens-gcp-gcp": dict(ATHENS, athens_storage="gcp",
                           athens_storage_options={"ProjectID": "p", "Bucket": "b"},
                           athens_single_flight="gcp", athens_single_flight_options={"StaleThreshold": 120}),
    "athens-azure-azure": dict(ATHENS, athens_storage="azureblob",
                               athens_storage_options={"AccountName": "a", "AccountKey": "k",
                                                       "ContainerName": "c"},
                               athens_single_flight="azureblob"),
    "athens-minio-sentinel": dict(ATHENS, athens_storage="minio",
                                  athens_storage_options={"Endpoint": "minio:9000", "Key": "k", "Secret": "s"},
                                  athens_single_flight="redis-sentinel",
                                  athens_single_flight_options={"Endpoints": ["s1:26379", "s2:26379"],
                                                                "MasterName": "m"}),
    "goproxy-online-strings": dict(service_name="goproxy", offline="false", private_users="false",
                                   upstream="https://up.example"),
    "goproxy-offline-strings": dict(service_name="goproxy", offline="true", private_users="true",
                                    upstream="https://up.example"),
    "goproxy-private": dict(service_name="goproxy-private", offline="false", upstream="https://up.example",
                            goprivate=["git.corp.example/*"],
                            netrc=[{"machine": "git.corp.example", "login": "bot", "password": "s3cret"}]),
}
TEMPLATES = {"athens.toml.j2": "athens.toml", "goproxy.service.j2": "{svc}.service",
             "prune.service.j2": "{svc}-prune.service", "prune.timer.j2": "{svc}-prune.timer"}


def _play(name, variant, out):
    """One play per variant: the templates rendered by the template lookup (the templating of the template
    action, on the controller, with ansible_managed & co.) and shown by debug, read back from the json callback."""
    svc = variant["service_name"]
    files = {}
    for src, dest in TEMPLATES.items():
        if src == "athens.toml.j2" and variant.get("backend") != "athens":
            continue
        files[dest.format(svc=svc)] = "{{ lookup('ansible.builtin.template', %r) }}" % os.path.join(
            ROLE, "templates", src)
    varfile = os.path.join(out, name + ".json")
    with open(varfile, "w") as handle:
        json.dump(dict(("goproxy_" + key, value) for key, value in variant.items()), handle)
    return {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": [os.path.join(ROLE, "defaults", "main.yml"), os.path.join(ROLE, "vars", "main.yml"),
                           varfile],
            "tasks": [{"name": "render", "ansible.builtin.debug": {"msg": files}}]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not os.path.exists(PLAYBOOK):
        pytest.skip("ansible-playbook is not next to %s (run from the venv: make unit)" % sys.executable)
    out = str(tmp_path_factory.mktemp("goproxy-templates"))
    plays = [_play(name, variant, out) for name, variant in VARIANTS.items()]
    for play in render_plays.run_plays(plays, out):
        name = play["play"]["name"]
        os.mkdir(os.path.join(out, name))
        for filename, text in play["tasks"][0]["hosts"]["localhost"]["msg"].items():
            with open(os.path.join(out, name, filename), "w") as handle:
                handle.write(text + "\n")
    return out


def _read(rendered, name, filename):
    with open(os.path.join(rendered, name, filename)) as handle:
        return handle.read()


def _toml(rendered, name):
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads(_read(rendered, name, "athens.toml"))


def _schema_errors(doc, schema, where=""):
    errors = []
    types = {"str": str, "int": int, "bool": bool, "list": list, "float": float}
    for key, value in doc.items():
        path = where + key
        if key not in schema:
            errors.append("%s: not a setting Athens reads" % path)
        elif isinstance(schema[key], dict):
            if not isinstance(value, dict):
                errors.append("%s: a table in Athens, got %r" % (path, value))
            else:
                errors.extend(_schema_errors(value, schema[key], path + "."))
        elif isinstance(value, bool) != (schema[key] == "bool") or not isinstance(value, types[schema[key]]):
            errors.append("%s: Athens reads a %s, got %r" % (path, schema[key], value))
    return errors


def _unit_values(text, key):
    return [line.split("=", 1)[1] for line in text.replace("\\\n", " ").splitlines() if line.startswith(key + "=")]


ATHENS_NAMES = [name for name in VARIANTS if name.startswith("athens")]
# Athens v0.18.0 pkg/config/config.go: the fields tagged validate:"required" (TimeoutConf.Timeout included). v0.18.0
# starts from its defaults before reading the file (v0.15.4 applied none and refused to start when one was missing);
# the role writes them all, so the file says what runs.
ATHENS_REQUIRED = ("GoEnv", "GoBinary", "GoGetWorkers", "ProtocolWorkers", "LogLevel", "StorageType", "Timeout")


def _toml_types(doc):
    names = {bool: "bool", int: "int", str: "str", list: "list", float: "float"}
    return {key: _toml_types(value) if isinstance(value, dict) else names[type(value)] for key, value in doc.items()}


def test_athens_config_keys_fixture_is_the_snapshots():
    """The fixture's keys are those of the Athens source the scenario builds (config.dev.toml, every supported
    setting, plus StashTimeout, a config.go field the example leaves commented out)."""
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    snapshot = athens_src.find_snapshot(ATHENS_VERSION)
    if snapshot is None:
        pytest.skip("no athens-%s-src.tar.gz in %s" % (ATHENS_VERSION, " or ".join(athens_src.vendor_candidates())))
    top = "athens-%s/" % ATHENS_VERSION
    with tarfile.open(snapshot) as tar:
        example = tomllib.loads(tar.extractfile(top + "pkg/config/testdata/config.dev.toml").read().decode())
        config_go = tar.extractfile(top + "pkg/config/config.go").read().decode()
    assert re.search(r"(?m)^\s+StashTimeout\s+int\s", config_go)
    with open(SCHEMA) as handle:
        assert json.load(handle)["keys"] == dict(_toml_types(example), StashTimeout="int")


@pytest.mark.parametrize("name", ATHENS_NAMES)
def test_athens_config_is_toml_athens_reads(rendered, name):
    with open(SCHEMA) as handle:
        schema = json.load(handle)["keys"]
    doc = _toml(rendered, name)
    assert _schema_errors(doc, schema) == []
    variant = VARIANTS[name]
    storage = variant.get("athens_storage", "disk")
    section = {"disk": "Disk", "s3": "S3", "minio": "Minio", "gcp": "GCP", "azureblob": "AzureBlob"}[storage]
    # What Athens' validator requires, and the values the role means.
    assert [key for key in ATHENS_REQUIRED if not doc.get(key)] == []
    assert doc.get("CloudRuntime") or doc.get("LogFormat")  # validate:"required_without=LogFormat"
    assert doc.get("LogFormat", "") in ("", "json", "plain") and doc.get("IndexType", "") in ("", "none", "memory")
    assert all(url.startswith("https://") for url in doc["SumDBs"])  # Athens refuses any other scheme at start
    assert doc["GoEnv"] == "production" and doc["GoBinary"] == "/usr/local/bin/go"
    assert doc["StorageType"] == storage and section in doc["Storage"]
    assert doc["NetworkMode"] in ATHENS_MODES["network"] and doc["DownloadMode"] in ATHENS_MODES["download"]
    assert doc["SingleFlightType"] == variant.get("athens_single_flight", "memory")
    for key, value in variant.get("athens_storage_options", {}).items():
        assert doc["Storage"][section][key] == value
    sf_options = variant.get("athens_single_flight_options", {})
    if sf_options:
        sf_section = {"etcd": "Etcd", "redis": "Redis", "redis-sentinel": "RedisSentinel",
                      "gcp": "GCP"}[variant["athens_single_flight"]]
        assert doc["SingleFlight"][sf_section] == sf_options
    else:
        assert "SingleFlight" not in doc
    for key, value in variant.get("athens_extra_config", {}).items():
        assert doc[key] == value
    assert doc["Port"] == ("[::]:3000" if variant.get("listen_address") == "::" else "0.0.0.0:3000")


def test_athens_offline_string_true_is_offline(rendered):
    doc = _toml(rendered, "athens-offline")
    assert (doc["NetworkMode"], doc["DownloadMode"], doc["SumDBs"]) == ("offline", "none", [])
    assert "GOPROXY=off" in doc["GoBinaryEnvVars"]
    assert "GONOSUMDB=corp.example/*" in doc["GoBinaryEnvVars"]
    assert doc["NoSumPatterns"] == ["corp.example/*", "git.corp.example/*"]
    assert doc["NETRCPath"] == "/run/athens/netrc"


def test_athens_offline_string_false_is_online(rendered):
    doc = _toml(rendered, "athens-defaults")
    assert (doc["NetworkMode"], doc["DownloadMode"], doc["SumDBs"]) == ("strict", "sync", ["https://sum.golang.org"])
    assert not [env for env in doc["GoBinaryEnvVars"] if env.startswith("GOPROXY=")]
    assert "GOSUMDB=sum.golang.org" in doc["GoBinaryEnvVars"]
    assert doc["NETRCPath"] == ""


def test_athens_disk_root_is_made_by_systemd(rendered):
    """Athens refuses a disk RootPath that does not exist: it must be one of the unit's CacheDirectory= entries."""
    root = _toml(rendered, "athens-defaults")["Storage"]["Disk"]["RootPath"]
    unit = _read(rendered, "athens-defaults", "athens.service")
    cache_dirs = " ".join(_unit_values(unit, "CacheDirectory")).split()
    assert root in ["/var/cache/" + entry for entry in cache_dirs], (root, cache_dirs)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_version_defaults_to_the_backends(rendered, name):
    """goproxy_version empty (the default): each backend gets the version the role is tested with."""
    variant = VARIANTS[name]
    svc = variant["service_name"]
    backend = variant.get("backend", "goproxy")
    description = _unit_values(_read(rendered, name, svc + ".service"), "Description")
    expected = ATHENS_VERSION if backend == "athens" else "v0.21.0"
    assert description and description[0].startswith("Go module proxy mirror (%s %s" % (backend, expected)), description


@pytest.mark.parametrize("name", ATHENS_NAMES)
def test_athens_unit_reads_a_root_copy_of_the_config(rendered, name):
    unit = _read(rendered, name, "athens.service")
    assert _unit_values(unit, "ExecStart") == ["/usr/local/bin/athens -config_file=%t/athens/athens.toml"]
    assert _unit_values(unit, "RuntimeDirectory") == ["athens"] and _unit_values(unit, "RuntimeDirectoryMode") == ["0700"]
    copies = _unit_values(unit, "ExecStartPre")
    wanted = ["athens.toml"] + (["netrc"] if VARIANTS[name].get("netrc") else [])
    assert len(copies) == len(wanted)
    for line, file in zip(copies, wanted):
        # run as root outside the sandbox ('+'), owned by the service user, read-only for it alone
        assert line.startswith("+/bin/sh -c ") and "install -m 0400" in line, line
        assert line.endswith(" /etc/athens/%s %%t/athens/%s\"" % (file, file)), line
    assert _unit_values(unit, "LoadCredential") == []
    assert _unit_values(unit, "PrivateUsers") == ["yes"]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_home_and_netrc_follow_the_credentials(rendered, name):
    """With credentials, HOME is the RuntimeDirectory (git reads only $HOME/.netrc; Athens copies NETRCPath there):
    no copy lands in the state directory. goproxy's copy is $HOME/.netrc itself (the go command: NETRC)."""
    variant = VARIANTS[name]
    svc = variant["service_name"]
    unit = _read(rendered, name, svc + ".service")
    env = _unit_values(unit, "Environment")
    copies = [line for line in _unit_values(unit, "ExecStartPre") if " /etc/%s/netrc " % svc in line]
    if variant.get("netrc"):
        netrc = ".netrc" if variant.get("backend", "goproxy") == "goproxy" else "netrc"
        assert "HOME=%%t/%s" % svc in env, env
        assert "NETRC=%%t/%s/%s" % (svc, netrc) in env, env
        assert len(copies) == 1 and copies[0].endswith(" %%t/%s/%s\"" % (svc, netrc)), copies
        assert _unit_values(unit, "RuntimeDirectory") == [svc]
        assert "s3cret" not in unit
    else:
        assert "HOME=%%S/%s" % svc in env, env
        assert not [e for e in env if e.startswith("NETRC=")] and not copies, (env, copies)


def test_goproxy_unit_booleans_given_as_strings(rendered):
    online = _read(rendered, "goproxy-online-strings", "goproxy.service")
    offline = _read(rendered, "goproxy-offline-strings", "goproxy.service")
    assert "Environment=GOPROXY=https://up.example" in online.splitlines()
    assert "Environment=GOPROXY=off" in offline.splitlines()
    assert _unit_values(online, "PrivateUsers") == ["no"]
    assert _unit_values(offline, "PrivateUsers") == ["yes"]
    assert "offline" not in online.splitlines()[3] and "offline" in offline.splitlines()[3]


def _units(rendered):
    for name, variant in VARIANTS.items():
        svc = variant["service_name"]
        yield name, os.path.join(rendered, name, svc + ".service")
        if variant.get("cache_retention_days"):
            yield name, os.path.join(rendered, name, svc + "-prune.service")
            yield name, os.path.join(rendered, name, svc + "-prune.timer")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_units_pass_systemd_analyze_verify(rendered):
    problems = []
    for name, path in _units(rendered):
        proc = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        binary = "/usr/local/bin/" + VARIANTS[name].get("backend", "goproxy")
        # The backends' binaries are not installed here; that is the only complaint allowed.
        lines = [line for line in proc.stdout.splitlines()
                 if line.strip() and not re.search(r"Command %s is not executable: No such file" % binary, line)
                 and not line.endswith(".service: Failed to create %s/start: Invalid argument"
                                       % os.path.basename(path))]
        if lines:
            problems.append("%s: %s" % (path, " | ".join(lines)))
    assert problems == []


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("name", list(VARIANTS))
def test_service_unit_rates_ok_offline(rendered, name):
    path = os.path.join(rendered, name, VARIANTS[name]["service_name"] + ".service")
    proc = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout)
    assert match, proc.stdout[-2000:]
    # PrivateUsers=no (containers without user namespaces) costs a little; the role's limit is 2.0 either way.
    assert float(match.group(1)) <= 2.0, proc.stdout
