# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of noble.gohost.apt_install: install Debian packages with ansible.builtin.apt, updating the
package lists only when apt cannot install without an update.

1. ``dpkg-query`` on the target says which of the packages are installed; when all are, nothing else runs (no
   apt, no python3-apt, no package lists, no mirror needed).
2. ansible.builtin.apt installs the missing ones from the lists as they are.
3. Only when that fails (empty lists whatever their timestamp: "No package matching ..."; stale lists whose
   files the mirror no longer has), apt runs once more with ``update_cache: true``. In check mode nothing is
   updated: the install is reported as a change.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

# ${Package} and ${binary:Package} (name:arch for Multi-Arch: same packages), then the status word
DPKG_FORMAT = "${Package}\\t${binary:Package}\\t${db:Status-Status}\\n"


def dpkg_query_command(names):
    """The read-only dpkg-query command line for ``names``."""
    return " ".join(["dpkg-query", "-W", "-f", shlex.quote(DPKG_FORMAT), "--"] + [shlex.quote(n) for n in names])


def installed_names(stdout):
    """The names (plain and arch-qualified) that dpkg-query reports as installed."""
    found = set()
    for line in stdout.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[2].strip() == "installed":
            found.update(f for f in fields[:2] if f)
    return found


def missing_packages(names, stdout):
    """``names`` dpkg has not installed, in the order given. A name dpkg does not know as a package (a virtual
    package, a version pin ``name=1.2``, a wildcard) counts as missing: apt decides about it, without an update."""
    have = installed_names(stdout)
    return [n for n in names if n not in have]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("name", "install_recommends"))
    _supports_check_mode = True

    def _args(self):
        names = self._task.args.get("name")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n.strip()
                                                           and not n.startswith("-") for n in names):
            raise AnsibleActionFail("name: want a list of package names, got %r" % (self._task.args.get("name"),))
        recommends = self._task.args.get("install_recommends")
        if recommends is not None:
            try:
                recommends = boolean(recommends, strict=True)
            except TypeError:
                raise AnsibleActionFail("install_recommends: want a boolean, got %r" % (recommends,))
        return [n.strip() for n in names], recommends

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        names, recommends = self._args()
        result.update(changed=False, cache_updated=False, missing=[])
        if not names:
            result["msg"] = "no packages asked for"
            return result

        query = self._low_level_execute_command(dpkg_query_command(names))
        missing = missing_packages(names, query.get("stdout", ""))
        result["missing"] = missing
        if not missing:
            result["msg"] = "installed already: %s" % ", ".join(names)
            return result

        apt_args = {"name": missing, "state": "present"}
        if recommends is not None:
            apt_args["install_recommends"] = recommends
        first = self._execute_module(module_name="ansible.builtin.apt", module_args=dict(apt_args),
                                     task_vars=task_vars)
        if not first.get("failed"):
            result.update(first)
            result["cache_updated"] = False
            return result

        if self._task.check_mode:
            result.update(changed=True, msg="would update the package lists and install %s (apt without an update: "
                                            "%s)" % (", ".join(missing), first.get("msg", "failed")))
            return result

        apt_args["update_cache"] = True
        second = self._execute_module(module_name="ansible.builtin.apt", module_args=apt_args, task_vars=task_vars)
        result.update(second)
        if second.get("failed"):
            result["msg"] = "%s (after updating the package lists; without an update first: %s)" % (
                second.get("msg", "apt failed"), first.get("msg", "apt failed"))
        else:
            result["changed"] = True  # the lists at least were updated
            result["cache_updated"] = True
        return result
