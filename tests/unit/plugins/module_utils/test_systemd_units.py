# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _systemd_units as su


@pytest.mark.parametrize("value, total, expected", [
    ("512M", None, 512 * 1024 ** 2),
    ("1.5G", None, int(1.5 * 1024 ** 3)),
    ("1073741824", None, 1073741824),
    (4096, None, 4096),
    ("64K", None, 65536),
    ("2T", None, 2 * 1024 ** 4),
    ("100B", None, 100),
    ("infinity", None, None),
    ("50%", 1000, 500),
])
def test_parse_size(value, total, expected):
    assert su.parse_size(value, total=total) == expected


@pytest.mark.parametrize("value", ["12X", "512m", "1.5", "-1", "M", "", "50%", "150%", True, [1]])
def test_parse_size_rejects(value):
    with pytest.raises(ValueError):
        su.parse_size(value)  # 50% has no total to apply it to; 150% is above 100%


def test_check_size_messages():
    assert su.check_size("256M") is None
    assert su.check_size("infinity") is None
    assert su.check_size(None) is None
    assert "not a valid size" in su.check_size("12X")
    assert "'12X'" in su.check_size("12X")
    assert "absolute size" in su.check_size("10%", allow_percent=False)
    assert "infinity" in su.check_size("infinity", allow_infinity=False)


@pytest.mark.parametrize("value", [1, 100, 10000, "200"])
def test_weights_accepted(value):
    assert su.check_weight(value) is None


@pytest.mark.parametrize("value", [0, 10001, -5, "heavy", 1.5, True])
def test_weights_rejected(value):
    err = su.check_weight(value)
    assert err and "between 1 and 10000" in err


def test_cpu_weight_idle():
    assert su.check_weight("idle", allow_idle=True) is None
    assert su.check_weight("idle") is not None


@pytest.mark.parametrize("value, usec", [
    ("5s", 5 * 10 ** 6), ("1min 30s", 90 * 10 ** 6), ("250ms", 250000), (3, 3 * 10 ** 6), ("2h", 7200 * 10 ** 6),
    ("1.5s", 1500000), ("10", 10 ** 7), ("infinity", None), ("1d 2h", 93600 * 10 ** 6),
])
def test_parse_timespan(value, usec):
    assert su.parse_timespan(value) == usec


@pytest.mark.parametrize("value", ["5 parsecs", "", "s", "-1s", "1x"])
def test_timespan_rejected(value):
    assert "not a valid time span" in su.check_timespan(value)


def test_restart_values():
    for value in ("no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"):
        assert su.check_restart(value) is None
    err = su.check_restart("sometimes")
    assert "must be one of" in err and "on-failure" in err and "'sometimes'" in err
    assert su.check_restart(False) is not None  # YAML's bare `no`


def test_cpu_quota():
    assert su.check_cpu_quota("50%") is None
    assert su.check_cpu_quota("250%") is None
    assert "percentage" in su.check_cpu_quota("2")
    assert "above 0%" in su.check_cpu_quota("0%")
    assert su.ceil_cpus_from_quota("100%") == 1
    assert su.ceil_cpus_from_quota("150%") == 2
    assert su.ceil_cpus_from_quota("10%") == 1
    assert su.ceil_cpus_from_quota("400%") == 4


def test_cpu_sets():
    assert su.parse_cpu_set("0-3,6") == [0, 1, 2, 3, 6]
    assert su.parse_cpu_set("0 2 4") == [0, 2, 4]
    assert su.parse_cpu_set(3) == [3]
    assert su.check_cpu_set("3-1") is not None
    assert su.check_cpu_set("a-b") is not None
    assert su.check_cpu_set("") is not None


def test_tasks_max_and_ints():
    assert su.check_tasks_max("infinity") is None
    assert su.check_tasks_max("20%") is None
    assert su.check_tasks_max(512) is None
    assert su.check_tasks_max(0) is not None
    assert su.check_non_negative_int(0) is None
    assert su.check_non_negative_int(-1) is not None
    assert su.check_non_negative_int("x") is not None


def test_log_levels_names_fields():
    assert su.check_log_level("info") is None
    assert su.check_log_level(7) is None
    assert su.check_log_level("8") is not None
    assert su.check_log_level("verbose") is not None
    assert su.check_unit_name("go.slice", suffix=".slice") is None
    assert "must end with" in su.check_unit_name("go", suffix=".slice")
    assert su.check_unit_name("bad name.slice") is not None
    assert su.check_env_name("GOMEMLIMIT") is None
    assert su.check_env_name("1X") is not None
    assert su.check_journal_field("DEPLOYED_BY") is None
    assert su.check_journal_field("_PID") is not None
    assert su.check_journal_field("lower") is not None


def test_quoting():
    assert su.quote_arg("-listen") == "-listen"
    assert su.quote_arg("127.0.0.1:8080") == "127.0.0.1:8080"
    assert su.quote_arg("a b") == '"a b"'
    assert su.quote_arg("100%") == "100%%"
    assert su.quote_arg("$HOME") == "$$HOME"
    assert su.quote_arg('say "hi"') == '"say \\"hi\\""'
    assert su.quote_arg("") == '""'
    assert su.quote_env("TIER", "molecule test") == '"TIER=molecule test"'
    assert su.quote_env("P", "50%") == '"P=50%%"'


@pytest.mark.parametrize("value", [None, "org.example.Api", "com.example-corp._api.v2", "a.b", "_x.-y",
                                   "org." + "a" * 251, "org.freedesktop.systemd1", "A0.B1"])
def test_bus_names_accepted(value):
    assert su.check_bus_name(value) is None


@pytest.mark.parametrize("value, reason", [
    ("org", "at least two elements"),
    ("", "at least two elements"),
    ("org.1example", "element '1example' starts with a digit"),
    ("1org.example", "element '1org' starts with a digit"),
    ("org..example", "empty element"),
    (".org.example", "empty element"),
    ("org.example.", "empty element"),
    (":1.42", "characters other than"),  # a unique name, not a well-known one
    ("org.example.Api!", "element 'Api!' has characters other than"),
    ("org.exa mple", "characters other than"),
    ("org.exämple", "characters other than"),
    ("org.example.%i", "characters other than"),
    ("org." + "a" * 252, "longer than 255 characters"),
    (42, "not a string"),
    (["org.example.Api"], "not a string"),
])
def test_bus_names_rejected(value, reason):
    err = su.check_bus_name(value)
    assert err is not None and err.startswith("is not a valid D-Bus well-known name"), err
    assert reason in err, err
    assert repr(value) in err
