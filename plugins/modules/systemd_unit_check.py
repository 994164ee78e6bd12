#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: systemd_unit_check
short_description: Verify and rate rendered systemd units offline, before they are installed
version_added: 1.1.0
description:
  - Writes the units O(units) to a temporary directory on the target, runs C(systemd-analyze verify) on them
    together, then C(systemd-analyze security --offline=true) on each C(.service) among them, and fails when
    systemd refuses a unit or rates a service's sandbox above O(security_threshold). The temporary directory is
    removed again; nothing else on the host is written, so a refused unit leaves the host as it was.
  - The one gate of the collection's roles - go_service's services and goproxy's proxy, prune and vulnerability
    database units pass through it - in one module call where the shell steps (temporary directory, copy, verify,
    security, clean up) took five.
  - In check mode on a fresh host the program a unit runs may not be there yet (it is installed by the same run);
    C(systemd-analyze verify) would refuse the unit for that alone, so the check is skipped and RV(skipped_reason)
    says so. Outside check mode a missing program is an error, as systemd reports it.
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    support: full
    description: Runs the same read-only checks (the temporary directory is the only thing written).
  diff_mode:
    support: none
    description: Nothing on the host changes.
options:
  units:
    description:
      - The units to check, rendered (for example with C(lookup('ansible.builtin.template', ...))).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The unit's file name, with its suffix (C(api.service), C(goproxy-prune.timer)).
        type: str
        required: true
      content:
        description: The unit file's text.
        type: str
        required: true
  security_threshold:
    description:
      - The highest C(systemd-analyze security) exposure (0.0 .. 10.0) accepted for each service; unset rates
        without a limit (RV(exposure) still reports the score).
    type: float
  label:
    description:
      - Put in front of every error message, to name the variable or service the units come from, for example
        C(go_service_services[0] (api)).
    type: str
    default: ""
  hint:
    description: Added in parentheses after the threshold in the message of a sandbox rated too high.
    type: str
    default: ""
  ignored_settings:
    description:
      - What to do when C(systemd-analyze verify) reports that systemd ignores a setting of O(units) (an unknown
        key, an invalid value such as C(MemoryMax=lots)). systemd loads such a unit and drops the setting, so a
        mistyped sandbox or limit setting would silently be nothing; V(fail) refuses the unit, V(warn) lets it
        pass with a warning.
    type: str
    choices: [fail, warn]
    default: fail
  findings:
    description: How many of the worst failed security checks the message of a sandbox rated too high lists.
    type: int
    default: 5
requirements:
  - systemd-analyze (systemd 250 or later, for C(--offline)) on the target
seealso:
  - name: systemd-analyze(1)
    description: The verify and security verbs.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd-analyze.html
"""

EXAMPLES = r"""
- name: Refuse a unit systemd would reject or whose sandbox rates above 4.5
  noble.gohost.systemd_unit_check:
    units:
      - name: api.service
        content: "{{ lookup('ansible.builtin.template', 'api.service.j2') }}"
    security_threshold: 4.5
    label: "go_service_services[0] (api)"

- name: A timer is verified together with its service
  noble.gohost.systemd_unit_check:
    units:
      - name: prune.service
        content: "{{ lookup('ansible.builtin.template', 'prune.service.j2') }}"
      - name: prune.timer
        content: "{{ lookup('ansible.builtin.template', 'prune.timer.j2') }}"
    security_threshold: 2.0
"""

RETURN = r"""
exposure:
  description: The overall exposure C(systemd-analyze security) gave each service, by unit name.
  returned: when the units were checked
  type: dict
  sample: {api.service: 1.6}
findings:
  description: The failed security checks of each service, worst first (C(<exposure> <setting> (<description>))).
  returned: when the units were checked
  type: dict
  sample: {api.service: ["0.5 PrivateNetwork= (Service has access to the host's network)"]}
ignored:
  description: The lines of C(systemd-analyze verify) where systemd ignores a setting of O(units).
  returned: when the units were checked
  type: list
  elements: str
  sample: ["api.service:14: Invalid memory limit 'lots', ignoring: Invalid argument"]
verify:
  description: What C(systemd-analyze verify) printed (warnings included), with the temporary directory left out.
  returned: when the units were checked
  type: str
skipped_reason:
  description: Why nothing was checked (check mode, and a program the units run is not installed yet).
  returned: when the check was skipped
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.noble.gohost.plugins.module_utils._systemd_units import check_unit_name
from ansible_collections.noble.gohost.plugins.module_utils._unit_check import GateError, check_units, executables


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                content=dict(type="str", required=True),
            )),
            security_threshold=dict(type="float"),
            label=dict(type="str", default=""),
            hint=dict(type="str", default=""),
            findings=dict(type="int", default=5),
            ignored_settings=dict(type="str", choices=["fail", "warn"], default="fail"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    prefix = "%s: " % p["label"] if p["label"] else ""
    if not p["units"]:
        module.fail_json(msg="%sunits is empty: nothing to check" % prefix)
    for unit in p["units"]:
        name = unit["name"]
        if check_unit_name(name) or name.startswith(".") or "." not in name:
            module.fail_json(msg="%sunits: %r is not a unit file name (such as api.service)" % (prefix, unit["name"]))
    threshold = p["security_threshold"]
    if threshold is not None and not 0 <= threshold <= 10:
        module.fail_json(msg="%ssecurity_threshold must be in 0.0 .. 10.0, got %s" % (prefix, threshold))

    if module.check_mode:
        missing = [path for unit in p["units"] for path in executables(unit["content"]) if not os.path.exists(path)]
        if missing:
            module.exit_json(changed=False, skipped_reason="check mode: %s %s not installed yet, so systemd-analyze "
                             "verify cannot check the unit" % (", ".join(missing),
                                                               "is" if len(missing) == 1 else "are"))
    if not module.get_bin_path("systemd-analyze"):
        module.fail_json(msg="%ssystemd-analyze is not installed on the target (it comes with systemd)" % prefix)

    def run(argv, environ):
        return module.run_command(argv, environ_update=environ)

    try:
        result = check_units(run, p["units"], threshold=threshold, label=p["label"], hint=p["hint"],
                             findings=p["findings"], tmp_root=module.tmpdir, ignored=p["ignored_settings"])
    except GateError as exc:
        module.fail_json(msg=exc.message, step=exc.step, **exc.result)
    for line in result["ignored"]:
        module.warn("%ssystemd ignores a setting: %s" % (prefix, line))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
