# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.filter import go_service as f

MIB = 1024 * 1024
GOOD = {"name": "api", "binary": {"source": "file", "src": "/tmp/api"}}


def svc(**kwargs):
    out = dict(GOOD)
    out.update(kwargs)
    return out


def test_filters_registered():
    names = f.FilterModule().filters()
    assert set(names) >= {"go_service_errors", "go_service_gomemlimit", "go_service_gomaxprocs", "go_service_exec",
                          "go_service_env"}


def test_valid_service_has_no_errors():
    assert f._errors([svc(memory_high="200M", memory_max="256M", cpu_weight=200, cpu_quota="150%", io_weight=10,
                          restart="always", restart_sec="500ms", tasks_max=64, allowed_cpus="0-1",
                          slice="go.slice", log_level_max="info", log_extra_fields={"TEAM": "x"},
                          pprof={"enabled": True, "address": "127.0.0.1:6061"},
                          health_check={"url": "http://127.0.0.1:8080/healthz"})]) == []


@pytest.mark.parametrize("bad, expect", [
    ({"restart": "sometimes"}, "go_service_services[0] (api).restart must be one of"),
    ({"memory_max": "12X"}, "go_service_services[0] (api).memory_max is not a valid size"),
    ({"memory_high": "1.5Q"}, "(api).memory_high is not a valid size"),
    ({"cpu_weight": 0}, "go_service_services[0] (api).cpu_weight must be between 1 and 10000"),
    ({"io_weight": 20000}, "(api).io_weight must be between 1 and 10000"),
    ({"cpu_quota": "1.5"}, "(api).cpu_quota must be a percentage"),
    ({"restart_sec": "soon"}, "(api).restart_sec is not a valid time span"),
    ({"slice": "go"}, "(api).slice must end with '.slice'"),
    ({"tasks_max": -1}, "(api).tasks_max must be a positive integer"),
    ({"allowed_cpus": "x"}, "(api).allowed_cpus is not a valid CPU set"),
    ({"type": "daemon"}, "(api).type must be one of"),
    ({"sandbox": "paranoid"}, "(api).sandbox must be one of"),
    ({"memory_high": "512M", "memory_max": "256M"}, "memory_high (512M) is above memory_max (256M)"),
    ({"gomaxprocs": 0}, "(api).gomaxprocs must be 'auto', 'off' or an integer"),
    ({"gomemlimit": "1GB"}, "(api).gomemlimit must be 'auto', 'off' or a Go size"),
    ({"pprof": {"enabled": True, "address": "0.0.0.0:6060"}}, "(api).pprof.address must be a loopback"),
    ({"health_check": {"url": "http://10.0.0.1/healthz"}}, "(api).health_check.url must be an http(s) URL on loopback"),
    ({"environment": {"1BAD": "x"}}, "(api).environment key is not a valid environment variable name"),
    ({"log_extra_fields": {"lower": "x"}}, "(api).log_extra_fields key is not a valid journal field name"),
    ({"log_level_max": "loud"}, "(api).log_level_max must be one of"),
    ({"user": "api", "dynamic_user": True}, "set dynamic_user: false"),
    ({"drop_ins": [{"name": "a b", "content": ""}]}, "(api).drop_ins[0] must be a dict"),
    ({"binary": {"source": "url", "url": "https://x/api"}}, "(api).binary.checksum must be a SHA-256"),
    ({"binary": {"source": "go_install", "package": "example.com/cmd/api@latest"}}, "must be a pinned"),
    ({"binary": {"source": "file"}}, "(api).binary.src (a file on the controller) is required"),
    ({"binary": {"source": "ftp"}}, "(api).binary.source must be one of"),
    ({"name": "Bad Name"}, "go_service_services[0].name must match"),
])
def test_bad_values_named(bad, expect):
    errors = f._errors([svc(**bad)])
    assert any(expect in e for e in errors), errors


def test_bus_name_with_type_dbus():
    assert f._errors([svc(type="dbus", bus_name="org.example.Api")]) == []
    assert f._errors([svc(type="dbus", bus_name="org.example.Api")], defaults={"type": "exec"}) == []
    # type dbus from the defaults needs a bus name too
    assert f._errors([svc(bus_name="org.example.Api")], defaults={"type": "dbus"}) == []
    assert f._errors([svc()], defaults={"type": "dbus"}) == [
        "go_service_services[0] (api): type dbus needs bus_name (the D-Bus name the service takes, BusName=)"]


@pytest.mark.parametrize("bus_name", [None, ""])
def test_bus_name_missing(bus_name):
    extra = {} if bus_name is None else {"bus_name": bus_name}
    errors = f._errors([GOOD, svc(name="web"), svc(name="api2", type="dbus", **extra)])
    assert errors == ["go_service_services[2] (api2): type dbus needs bus_name (the D-Bus name the service takes, "
                      "BusName=)"]


@pytest.mark.parametrize("stype, shown", [("exec", "'exec'"), ("notify", "'notify'"), ("simple", "'simple'"),
                                          (None, "unset")])
def test_bus_name_refused_without_type_dbus(stype, shown):
    extra = {} if stype is None else {"type": stype}
    errors = f._errors([svc(bus_name="org.example.Api", **extra)])
    assert errors == ["go_service_services[0] (api).bus_name is only for type dbus (BusName=, the name systemd "
                      "waits for), but type is %s" % shown]
    assert f._errors([svc(bus_name="org.example.Api")], defaults={"type": "exec"})[0].endswith("type is 'exec'")
    assert f._errors([svc(bus_name="", **extra)]) == []  # an empty one is no bus name


@pytest.mark.parametrize("bus_name, reason", [
    ("api", "at least two elements"),
    ("org.1api", "starts with a digit"),
    ("org..api", "empty element"),
    ("org.example.api$", "characters other than"),
    ("org." + "a" * 252, "longer than 255"),
    (7, "not a string"),
])
def test_bad_bus_names(bus_name, reason):
    errors = f._errors([svc(type="dbus", bus_name=bus_name)])
    assert len(errors) == 1, errors
    assert errors[0].startswith("go_service_services[0] (api).bus_name is not a valid D-Bus well-known name"), errors
    assert reason in errors[0]


def test_errors_merge_defaults_and_index():
    errors = f._errors([GOOD, svc(name="web")], defaults={"restart": "bogus"})
    assert len(errors) == 2
    assert errors[1].startswith("go_service_services[1] (web).restart")
    assert f._errors([GOOD, GOOD])[0].endswith("the name is used twice")
    assert f._errors("nope") == ["go_service_services must be a list of dicts, got str"]


def test_gomemlimit():
    assert f.gomemlimit(svc(memory_high="200M", memory_max="256M")) == "180MiB"
    assert f.gomemlimit(svc(memory_max="1G"), fraction=0.5) == "512MiB"
    assert f.gomemlimit(svc(memory_max="50%"), memtotal=4096 * MIB) == "1843MiB"
    assert f.gomemlimit(svc(memory_max="32M")) == str(int(32 * MIB * 0.9))  # below 64 MiB: exact bytes
    assert f.gomemlimit(svc(memory_max="infinity")) is None
    assert f.gomemlimit(svc()) is None
    assert f.gomemlimit(svc(memory_max="1G", gomemlimit="off")) is None
    assert f.gomemlimit(svc(memory_max="1G", gomemlimit="700MiB")) == "700MiB"
    with pytest.raises(AnsibleFilterError):
        f.gomemlimit(svc(memory_max="1G"), fraction=1.5)
    with pytest.raises(AnsibleFilterError):
        f.gomemlimit(svc(memory_max="50%"))  # no memtotal


def test_gomaxprocs():
    assert f.gomaxprocs(svc(cpu_quota="100%"), host_cpus=8) == 1
    assert f.gomaxprocs(svc(cpu_quota="150%"), host_cpus=8) == 2
    assert f.gomaxprocs(svc(cpu_quota="800%"), host_cpus=2) == 2
    assert f.gomaxprocs(svc(allowed_cpus="0-3,8"), host_cpus=16) == 5
    assert f.gomaxprocs(svc(allowed_cpus="0-3", cpu_quota="150%")) == 2
    assert f.gomaxprocs(svc()) is None
    assert f.gomaxprocs(svc(cpu_quota="100%", gomaxprocs="off")) is None
    assert f.gomaxprocs(svc(cpu_quota="100%", gomaxprocs=6)) == 6


def test_exec_and_env():
    assert f.exec_line("/opt/a/current/api", ["-listen", "127.0.0.1:8080", "hello world"]) == \
        '/opt/a/current/api -listen 127.0.0.1:8080 "hello world"'
    assert f.exec_line("/opt/a/api") == "/opt/a/api"
    assert f.env_line("GOMEMLIMIT", "180MiB") == '"GOMEMLIMIT=180MiB"'


def test_size_bytes():
    assert f.size_bytes("1K") == 1024
    with pytest.raises(AnsibleFilterError):
        f.size_bytes("1Q")


@pytest.mark.parametrize("svc, exe", [
    ({"name": "api", "binary": {"source": "go_install", "package": "example.com/hello/cmd/hello@v1.2.0"}}, "hello"),
    ({"name": "api", "binary": {"source": "go_install", "package": "example.com/hello/v2@v2.1.0"}}, "hello"),
    ({"name": "api", "binary": {"source": "go_install", "package": "example.com/tool/v10@v10.0.1"}}, "tool"),
    ({"name": "api", "binary": {"source": "url", "name": "api-server"}}, "api-server"),
    ({"name": "api", "binary": {"source": "file", "name": ""}}, "api"),
    ({"name": "api"}, "api"),
])
def test_executable_is_the_one_rule_of_the_binary_name(svc, exe):
    assert f.executable(svc) == exe


def test_executable_needs_a_service_entry():
    with pytest.raises(AnsibleFilterError, match="expected a go_service_services entry"):
        f.executable({"binary": {}})


def test_dropins_are_paths_to_content_under_the_managed_header():
    svc = {"name": "api", "drop_ins": [{"name": "50-nofile", "content": "[Service]\nLimitNOFILE=65536"},
                                       {"name": "60-env.conf", "content": "[Service]\nEnvironment=A=1\n"}]}
    assert f.dropin_files(svc) == {
        "/etc/systemd/system/api.service.d/50-nofile.conf": f.DROPIN_HEADER + "[Service]\nLimitNOFILE=65536\n",
        "/etc/systemd/system/api.service.d/60-env.conf": f.DROPIN_HEADER + "[Service]\nEnvironment=A=1\n\n",
    }
    assert f.DROPIN_HEADER.startswith("# Managed by Ansible (noble.gohost.go_service)")
    assert f.dropin_files({"name": "api", "drop_ins": []}) == {} == f.dropin_files({"name": "api"})
    assert list(f.dropin_files(svc, unit_dir="/run/systemd/system/"))[0] == "/run/systemd/system/api.service.d/50-nofile.conf"
    with pytest.raises(AnsibleFilterError, match="go_service_dropins: expected a go_service_services entry"):
        f.dropin_files({"drop_ins": []})
