# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _journal as j

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "journald")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


@pytest.mark.parametrize("key,name", [
    ("user_id", "USER_ID"), ("HTTP.status", "HTTP_STATUS"), ("req-id", "REQ_ID"), ("_private", "X_PRIVATE"),
    ("1st", "X1ST"), ("", "X"), ("msg", "MSG"), ("message", "X_MESSAGE"), ("priority", "X_PRIORITY"),
    ("zap_level", "X_ZAP_LEVEL"), (u"caf\u00e9", "CAF__"), ("a" * 70, "A" * 64),
])
def test_field_name_same_as_go_core(key, name):
    # the same table as examples/zap-service/journalcore/core_test.go
    assert j.field_name(key) == name


def test_level_priorities_are_the_documented_ones():
    assert j.LEVEL_PRIORITY == {"debug": 7, "info": 6, "warn": 4, "error": 3, "dpanic": 2, "panic": 2, "fatal": 2}


@pytest.mark.parametrize("value,want", [
    ("s", "s"), (True, "true"), (False, "false"), (None, "null"), (3, "3"), (1.5, "1.5"),
    ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}'),
])
def test_text(value, want):
    assert j.text(value) == want


def test_priority_number():
    assert j.priority_number("err") == 3
    assert j.priority_number("WARNING") == 4
    assert j.priority_number("7") == 7
    with pytest.raises(ValueError, match="want 0..7"):
        j.priority_number("8")
    with pytest.raises(ValueError):
        j.priority_number("error")


def test_parse_captured_journal():
    entries = j.parse_output(fixture("journalctl-json.jsonl"))
    assert len(entries) == 9
    by_format = {}
    for e in entries:
        by_format.setdefault(e["format"], []).append(e)
    assert len(by_format["zap-json"]) == 3
    assert len(by_format["zap-native"]) == 3
    assert len(by_format["plain"]) == 3

    error_json = [e for e in by_format["zap-json"] if e["message"] == "db down"][0]
    error_native = [e for e in by_format["zap-native"] if e["message"] == "db down"][0]
    for e in (error_json, error_native):
        assert e["priority"] == 3
        assert e["fields"]["PRIORITY"] == "3"
        assert e["fields"]["ZAP_LEVEL"] == "error"
        assert e["fields"]["USER_ID"] == "42"       # "user.id"
        assert e["fields"]["X_X"] == "1"            # "_x"
        assert e["fields"]["CODE_LINE"] == "229"
        assert e["fields"]["CODE_FUNC"] == "main.handlers.func2"
        assert e["fields"]["CODE_FILE"].endswith("zap-service/main.go")
        assert e["fields"]["ZAP_STACKTRACE"].startswith("main.handlers.func2\n")
        assert e["unit"] in ("zap-json.service", "zap-native.service")
        assert e["identifier"] == "zap-service"
    # journald stored the JSON line with priority 6; the raw fields say so, the parsed view says 3
    assert json.loads(error_json["raw_message"])["level"] == "error"
    assert error_json["zap"]["user.id"] == "42"
    assert error_native["zap"] is None

    started = [e for e in by_format["zap-json"] if e["message"] == "started"][0]
    assert started["fields"]["GOMEMLIMIT"] == "9223372036854775807"  # number kept as written
    assert started["zap"]["gomaxprocs"] == 2
    assert started["fields"]["ZAP_TS"].startswith("1795761256.")
    assert started["timestamp"].startswith("2026-11-27T")
    debug = [e for e in entries if e["message"] == "dbg"]
    assert [e["priority"] for e in debug] == [7, 7]


def test_binary_field_is_decoded():
    entries = j.parse_output(fixture("journalctl-json.jsonl"))
    binary = [e for e in entries if e["identifier"] == "binary-demo"][0]
    assert binary["message"] == u"bin\x01\ufffdtail"
    assert binary["format"] == "plain"


def test_namespace_fixture():
    entries = j.parse_output(fixture("journalctl-namespace.jsonl"))
    assert len(entries) == 1
    assert entries[0]["fields"]["_NAMESPACE"] == "gohost-test"
    assert entries[0]["priority"] == 4


def test_parse_disabled_keeps_json_message():
    entries = j.parse_output(fixture("journalctl-json.jsonl"), parse=False)
    assert all(e["format"] == "plain" and e["zap"] is None for e in entries)
    assert any(e["message"].startswith('{"level":"error"') for e in entries)


def test_not_zap_json():
    assert j.parse_zap('{"msg": "no level"}') is None
    assert j.parse_zap("{not json") is None
    assert j.parse_zap("[1, 2]") is None
    assert j.parse_zap("plain text") is None


def test_custom_keys_and_values():
    keys = dict(j.DEFAULT_ZAP_KEYS, message="message", level="severity")
    record, fields = j.parse_zap(
        '{"severity":"WARN","message":"m","caller":"no-line","big":1e21,"f":0.10,"ok":true,"n":null,'
        '"obj":{"z":1,"a":"x"},"level":"kept"}', keys)
    assert fields["MESSAGE"] == "m"
    assert fields["PRIORITY"] == "4"
    assert fields["ZAP_LEVEL"] == "warn"
    assert fields["CODE_FILE"] == "no-line" and "CODE_LINE" not in fields
    assert fields["BIG"] == "1e21" and fields["F"] == "0.10"
    assert fields["OK"] == "true" and fields["N"] == "null"
    assert fields["OBJ"] == '{"a":"x","z":1}'
    assert fields["LEVEL"] == "kept"
    assert record["big"] == 1e21


def test_unknown_level_keeps_journal_priority():
    entry = j.normalize({"MESSAGE": '{"level":"trace","msg":"t"}', "PRIORITY": "6"})
    assert entry["format"] == "zap-json"
    assert entry["priority"] == 6
    assert entry["fields"]["ZAP_LEVEL"] == "trace"


def test_command():
    argv = j.command("/bin/journalctl", {
        "unit": ["a.service", "b.service"], "identifier": "x", "since": "-5min", "until": "now", "lines": 3,
        "namespace": "ns", "match": {"TENANT": ["t1", "t2"], "CODE_LINE": 12}})
    assert argv == ["/bin/journalctl", "--no-pager", "--quiet", "--output=json", "--all", "--namespace=ns",
                    "--unit=a.service", "--unit=b.service", "--identifier=x", "--since=-5min", "--until=now",
                    "--lines=3", "CODE_LINE=12", "TENANT=t1", "TENANT=t2"]
    assert "--lines=3" not in j.command("journalctl", {"lines": 3}, with_lines=False)
