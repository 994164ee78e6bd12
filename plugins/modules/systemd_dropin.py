#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: systemd_dropin
short_description: Write or remove a systemd drop-in file, creating its directory, in one call
version_added: 1.1.0
description:
  - Writes O(content) to the drop-in O(path) - a unit's (C(/etc/systemd/system/api.service.d/50-limits.conf)) or a
    daemon's configuration (C(/etc/systemd/journald.conf.d/50-noble-gohost.conf)) - creating the C(.d) directory
    when it is missing, or removes it with O(state=absent).
  - The file is written to a temporary file in the same directory and renamed over the old one, so that systemd
    never reads half a file; owner, group and mode are set before the rename.
  - One module call where C(ansible.builtin.file) (the directory) then C(ansible.builtin.copy) or
    C(ansible.builtin.template) (a C(stat), then the copy or a C(file) call) take two or three round trips per host,
    also when nothing changes.
  - Does not reload or restart anything; the caller does that when the task reports a change.
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    support: full
    description: Reports what it would change, writes nothing.
  diff_mode:
    support: full
    description: The file's content before and after.
options:
  path:
    description:
      - The drop-in file. Its directory must end in C(.d) and its name in C(.conf), which is all systemd reads.
    type: path
    required: true
  content:
    description: The whole file. Required with O(state=present).
    type: str
  state:
    description: Whether the drop-in should exist. O(state=absent) leaves the directory, which may hold other files.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: The file's mode, as octal digits.
    type: str
    default: "0644"
  owner:
    description: The file's (and a created directory's) owner.
    type: str
    default: root
  group:
    description: The file's (and a created directory's) group.
    type: str
    default: root
  directory_mode:
    description: The mode of the directory when this module creates it (an existing one is left as it is).
    type: str
    default: "0755"
seealso:
  - module: ansible.builtin.template
  - module: community.general.ini_file
"""

EXAMPLES = r"""
- name: Write the journald drop-in
  noble.gohost.systemd_dropin:
    path: /etc/systemd/journald.conf.d/50-noble-gohost.conf
    content: "{{ lookup('ansible.builtin.template', 'journald.conf.j2') }}"
  notify: Restart systemd-journald

- name: Remove a unit's drop-in
  noble.gohost.systemd_dropin:
    path: /etc/systemd/system/api.service.d/50-old.conf
    state: absent
"""

RETURN = r"""
path:
  description: The drop-in file.
  returned: always
  type: str
  sample: /etc/systemd/journald.conf.d/50-noble-gohost.conf
created_directory:
  description: Whether the C(.d) directory was (or, in check mode, would be) created.
  returned: always
  type: bool
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text


def check_path(path):
    """Why ``path`` is not a drop-in systemd reads, or None."""
    directory, name = os.path.split(path)
    if not os.path.isabs(path):
        return "path must be absolute, got %r" % path
    if not directory.endswith(".d") or directory == "/.d":
        return "path must be in a drop-in directory (a name ending in .d), got %r" % path
    if not name.endswith(".conf") or name == ".conf":
        return "path must name a .conf file (systemd reads no other drop-in), got %r" % path
    return None


def read(path):
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        if os.path.lexists(path):
            raise
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            content=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="str", default="0644"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            directory_mode=dict(type="str", default="0755"),
        ),
        required_if=[("state", "present", ["content"])],
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    why = check_path(path)
    if why:
        module.fail_json(msg=why)
    for key in ("mode", "directory_mode"):
        try:
            if not 0 <= int(p[key], 8) <= 0o7777:
                raise ValueError(p[key])
        except ValueError:
            module.fail_json(msg="%s must be octal digits such as 0644, got %r" % (key, p[key]))
    directory = os.path.dirname(path)
    try:
        before = read(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    result = {"changed": False, "path": path, "created_directory": False}
    after = to_bytes(p["content"]) if p["state"] == "present" else None
    if module._diff:
        result["diff"] = {"before": to_text(before or b""), "after": to_text(after or b""),
                          "before_header": path, "after_header": path}

    if p["state"] == "absent":
        if before is not None:
            result["changed"] = True
            if not module.check_mode:
                os.unlink(path)
        module.exit_json(**result)

    file_args = {"path": path, "mode": p["mode"], "owner": p["owner"], "group": p["group"],
                 "secontext": None, "attributes": None}
    if not os.path.isdir(directory):
        if os.path.lexists(directory):
            module.fail_json(msg="%s exists and is not a directory" % directory)
        result["changed"] = result["created_directory"] = True
        if module.check_mode:
            module.exit_json(**result)
        os.makedirs(directory, int(p["directory_mode"], 8))
        dir_args = dict(file_args, path=directory, mode=p["directory_mode"])
        module.set_fs_attributes_if_different(dir_args, True)
    if before != after:
        result["changed"] = True
        if not module.check_mode:
            fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(after)
                module.set_fs_attributes_if_different(dict(file_args, path=tmp), True)
                module.atomic_move(tmp, path, unsafe_writes=False)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    if before is not None or not module.check_mode:
        if os.path.exists(path):
            result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"],
                                                                      diff=None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
