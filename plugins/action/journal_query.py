# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of noble.gohost.journal_query: runs the module on the target, then applies the JMESPath
``query`` on the controller, so the target needs no jmespath library."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:  # pragma: no cover - jmespath ships with the ansible package's dependencies
    HAS_JMESPATH = False


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        query = args.pop("query", None)
        if query is not None:
            if not isinstance(query, str) or not query.strip():
                raise AnsibleActionFail("query: want a JMESPath expression (a non-empty string)")
            if not HAS_JMESPATH:
                raise AnsibleActionFail("query: the jmespath Python library is missing on the controller "
                                        "(pip install jmespath)")
            try:
                compiled = jmespath.compile(query)
            except jmespath.exceptions.JMESPathError as exc:
                raise AnsibleActionFail("query: %s is not a valid JMESPath expression: %s" % (query, exc))
        result.update(self._execute_module(module_name="noble.gohost.journal_query", module_args=args,
                                           task_vars=task_vars))
        if query is not None and not result.get("failed"):
            try:
                result["query_result"] = compiled.search(result.get("entries", []))
            except jmespath.exceptions.JMESPathError as exc:
                raise AnsibleActionFail("query: %s failed: %s" % (query, exc))
        return result
