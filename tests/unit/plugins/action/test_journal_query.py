# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.noble.gohost.plugins.action.journal_query import ActionModule

ENTRIES = [
    {"message": "a", "priority": 6, "fields": {"USER_ID": "1"}},
    {"message": "b", "priority": 3, "fields": {"USER_ID": "2"}},
]


def make(args, module_result):
    task = Task()
    task.args = args
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None,
                          shared_loader_obj=None)
    action._execute_module = mock.MagicMock(return_value=module_result)
    return action


def test_query_runs_on_controller_and_is_not_sent():
    action = make({"unit": ["x"], "query": "[?fields.USER_ID=='2'].message"}, {"entries": ENTRIES, "count": 2})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        result = action.run(task_vars={})
    assert result["query_result"] == ["b"]
    assert action._execute_module.call_args[1]["module_args"] == {"unit": ["x"]}


def test_without_query_the_result_is_the_module_s():
    action = make({"unit": ["x"]}, {"entries": ENTRIES, "count": 2})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        result = action.run(task_vars={})
    assert "query_result" not in result and result["count"] == 2


def test_failed_module_is_not_queried():
    action = make({"query": "[0]"}, {"failed": True, "msg": "journalctl failed"})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        result = action.run(task_vars={})
    assert result["failed"] and "query_result" not in result


def test_invalid_expression_fails_before_the_module_runs():
    action = make({"query": "[?"}, {"entries": []})
    with mock.patch("ansible.plugins.action.ActionBase.run", return_value={}):
        with pytest.raises(AnsibleActionFail, match="not a valid JMESPath"):
            action.run(task_vars={})
    action._execute_module.assert_not_called()
