# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from unittest import mock

from ansible.module_utils import basic

from ansible_collections.noble.gohost.plugins.modules import journal_query
from ansible_collections.noble.gohost.tests.unit.plugins.modules.utils import run_module, set_module_args

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "journald", "journalctl-json.jsonl")


def run(args, rc=0, out=None, err="", expect_fail=False):
    if out is None:
        with open(FIXTURE) as f:
            out = f.read()
    calls = []

    def fake_run(self, argv, **kwargs):
        calls.append(argv)
        return rc, out, err

    with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value="/usr/bin/journalctl"), \
            mock.patch.object(basic.AnsibleModule, "run_command", fake_run), set_module_args(args):
        result = run_module(journal_query.main, expect_fail=expect_fail)
    return result, calls


def test_unit_query_returns_parsed_entries():
    result, calls = run({"unit": ["zap-json.service"], "since": "-1h", "lines": 5})
    assert calls == [["/usr/bin/journalctl", "--no-pager", "--quiet", "--output=json", "--all",
                      "--unit=zap-json.service", "--since=-1h", "--lines=5"]]
    assert result["changed"] is False
    assert result["count"] == 5  # the module keeps the last 5 even if journalctl returned more
    assert result["entries"][-1]["identifier"] == "binary-demo"


def test_priority_filters_after_parsing_and_reads_everything():
    result, calls = run({"priority": "err", "lines": 1})
    assert "--lines=1" not in calls[0]
    assert result["count"] == 1
    assert result["entries"][0]["message"] == "db down"
    assert result["entries"][0]["format"] == "zap-native"
    result, _calls = run({"priority": "3"})
    assert sorted(e["format"] for e in result["entries"]) == ["zap-json", "zap-native"]


def test_match_and_namespace_become_arguments():
    _result, calls = run({"namespace": "gohost-test", "match": {"ZAP_LEVEL": ["error", "warn"]}, "identifier": ["zap-service"]})
    assert calls[0][5:] == ["--namespace=gohost-test", "--identifier=zap-service", "ZAP_LEVEL=error", "ZAP_LEVEL=warn"]


def test_custom_zap_keys():
    out = '{"MESSAGE":"{\\"severity\\":\\"error\\",\\"message\\":\\"x\\"}","PRIORITY":"6"}\n'
    result, _calls = run({"zap_encoder": {"level_key": "severity", "message_key": "message"}}, out=out)
    assert result["entries"][0]["priority"] == 3
    assert result["entries"][0]["message"] == "x"


def test_no_entries():
    result, _calls = run({"unit": ["none.service"]}, out="-- No entries --\n")
    assert result["count"] == 0 and result["entries"] == []


def test_journalctl_failure_is_reported():
    result, _calls = run({"since": "yesterdayish"}, rc=1, out="", err='Failed to parse timestamp: yesterdayish\n',
                         expect_fail=True)
    assert "journalctl failed (rc 1): Failed to parse timestamp" in result["msg"]


def test_bad_arguments_fail_before_journalctl():
    for args, text in (({"priority": "loud"}, "priority:"), ({"match": {"bad-name": "x"}}, "match: field name"),
                       ({"lines": -1}, "lines: -1"), ({"query": "[0]"}, "action plugin")):
        result, calls = run(args, expect_fail=True)
        assert text in result["msg"]
        assert calls == []
