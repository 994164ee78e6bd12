#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_info
short_description: Read a deployed service - its releases, current link, stamp, files and unit state - in one call
version_added: 1.1.0
description:
  - Reads the layout the collection's services are deployed in - O(path)C(/releases/<id>/) directories, a
    O(path)C(/current) link to one of them and a stamp file (O(stamp)) of C(key=value) lines naming what last
    passed its health check - and returns all of it at once, with whether the other paths O(paths) exist, the
    content hash, type, mode and ownership of the files O(files), and the state systemd has of the unit O(unit).
  - One module call in place of the C(stat), C(slurp), C(stat) and C(find) a role would make for each service on
    every run, and of the C(file), C(copy) and C(systemd_service) tasks a role can skip when what they would
    enforce is already so, which is most of what a run that changes nothing costs (the round trips per host).
  - Read-only; the same in check mode.
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only.
options:
  path:
    description: The service's directory (for example C(/opt/go-services/api)).
    type: path
    required: true
  stamp:
    description: The stamp file's name in O(path).
    type: str
    default: deployed
  paths:
    description: Other paths whose existence to report in RV(paths) (for example a build directory the run may create).
    type: list
    elements: path
    default: []
  files:
    description:
      - Paths to describe in RV(files) - without following a final symbolic link - so that a role can tell
        whether its C(file), C(copy) or C(template) tasks would change anything.
    type: list
    elements: path
    default: []
  expect:
    description:
      - What some paths should be, as a dictionary of path to any of C(type), C(mode), C(owner), C(group),
        C(sha256) and C(target) (the keys of RV(files)); each is described in RV(files) too, and RV(differs)
        lists those that are not so, with why.
      - Lets a role skip the C(file), C(copy) or C(template) task of a path whose state already is what that task
        would make it.
    type: dict
    default: {}
  unit:
    description:
      - A systemd unit (for example C(api.service)) whose C(LoadState), C(ActiveState), C(UnitFileState) and
        C(NeedDaemonReload) to report in RV(unit), read with C(systemctl show).
    type: str
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.find
"""

EXAMPLES = r"""
- name: Read what is deployed of api
  noble.gohost.release_info:
    path: /opt/go-services/api
    paths: [/var/cache/go-service-build]
    expect:
      /etc/systemd/system/api.service: {type: file, mode: "0644", owner: root, group: root, sha256: "{{ unit_sha256 }}"}
      /opt/go-services/api/current: {type: link, target: releases/3f2a9c0d1e5b7a64}
    unit: api.service
  register: api_release
"""

RETURN = r"""
exists:
  description: Whether O(path) exists.
  returned: always
  type: bool
current:
  description: The C(current) link - C(exists), C(islnk) and its C(target) as written (C(releases/<id>)).
  returned: always
  type: dict
  sample: {exists: true, islnk: true, target: releases/3f2a9c0d1e5b7a64}
releases:
  description: The directories in O(path)C(/releases), newest (modification time) first.
  returned: always
  type: list
  elements: dict
  sample: [{name: 3f2a9c0d1e5b7a64, path: /opt/go-services/api/releases/3f2a9c0d1e5b7a64, mtime: 1764979200.5}]
stamp:
  description: The C(key=value) lines of the stamp file (comments skipped); empty when there is none.
  returned: always
  type: dict
  sample: {release: 3f2a9c0d1e5b7a64, unit: 9b1c...}
paths:
  description: Whether each of O(paths) exists.
  returned: always
  type: dict
  sample: {/var/cache/go-service-build: false}
files:
  description:
    - Each of O(files) - C(exists), C(type) (C(file), C(directory), C(link) or C(other)), C(mode) (four octal
      digits), C(owner), C(group) (names, or the number when it has no name), C(sha256) of a regular file's content
      and C(target) of a link (null otherwise).
    - C(readable) is false with C(error) when a file exists but could not be hashed.
  returned: always
  type: dict
  sample: {/etc/systemd/system/api.service: {exists: true, type: file, mode: '0644', owner: root, group: root,
           sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, target: null}}
differs:
  description: The paths of O(expect) whose state is not what it says, each with the differences (the first being
    C(missing) when the path does not exist).
  returned: always
  type: dict
  sample: {/opt/go-services/api/current: ["target releases/9b1c0e2f3a4d5e6f, not releases/3f2a9c0d1e5b7a64"]}
unit:
  description:
    - The unit's C(load_state), C(active_state), C(unit_file_state) and C(need_daemon_reload) (bool), as
      C(systemctl show) reports them; null without O(unit). C(error) says why when systemctl could not tell.
  returned: always
  type: dict
  sample: {name: api.service, load_state: loaded, active_state: active, unit_file_state: enabled,
           need_daemon_reload: false, error: null}
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import file_sha256


def read_stamp(path):
    """The ``key=value`` lines of the stamp at ``path`` as a dict (``{}`` when it is missing)."""
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError):
        return {}
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and not key.startswith("#") and key.strip() == key:
            out[key] = value
    return out


def list_releases(path):
    """The directories in ``path`` (newest first) as ``{name, path, mtime}``."""
    try:
        names = os.listdir(path)
    except (IOError, OSError):
        return []
    out = []
    for name in names:
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            out.append({"name": name, "path": full, "mtime": os.stat(full).st_mtime})
    out.sort(key=lambda item: (-item["mtime"], item["name"]))
    return out


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def describe_file(path):
    """Type, mode, owner, group, content hash (regular files) and target (links) of ``path``, not following a
    final link."""
    out = {"exists": False, "type": None, "mode": None, "owner": None, "group": None, "sha256": None,
           "target": None, "readable": True, "error": None}
    try:
        st = os.lstat(path)
    except (IOError, OSError):
        return out
    out["exists"] = True
    out["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    out["owner"] = _name(pwd.getpwuid, st.st_uid)
    out["group"] = _name(grp.getgrgid, st.st_gid)
    if stat.S_ISLNK(st.st_mode):
        out["type"], out["target"] = "link", os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        out["type"] = "directory"
    elif stat.S_ISREG(st.st_mode):
        out["type"] = "file"
        try:
            out["sha256"] = file_sha256(path)
        except (IOError, OSError) as exc:
            out["readable"], out["error"] = False, str(exc)
    else:
        out["type"] = "other"
    return out


UNIT_PROPERTIES = (("LoadState", "load_state"), ("ActiveState", "active_state"),
                   ("UnitFileState", "unit_file_state"), ("NeedDaemonReload", "need_daemon_reload"))


def unit_state(run_command, systemctl, unit):
    """What ``systemctl show`` says of ``unit``; ``error`` says why when it could not tell."""
    out = dict((key, None) for _prop, key in UNIT_PROPERTIES)
    out.update({"name": unit, "error": None})
    if not systemctl:
        out["error"] = "systemctl not found"
        return out
    rc, stdout, stderr = run_command([systemctl, "show", unit, "--property",
                                      ",".join(prop for prop, _key in UNIT_PROPERTIES)])
    if rc != 0:
        out["error"] = "systemctl show %s failed (%d): %s" % (unit, rc, (stderr or stdout).strip())
        return out
    keys = dict(UNIT_PROPERTIES)
    for line in stdout.splitlines():
        prop, sep, value = line.partition("=")
        if sep and prop in keys:
            out[keys[prop]] = value
    if out["need_daemon_reload"] is not None:
        out["need_daemon_reload"] = out["need_daemon_reload"] == "yes"
    return out


EXPECTABLE = ("type", "mode", "owner", "group", "sha256", "target")


def differences(described, want):
    """Why ``described`` (a describe_file result) is not ``want`` (a subset of its keys); [] when it is."""
    if not described["exists"]:
        return ["missing"]
    return ["%s %s, not %s" % (key, described[key], want[key]) for key in EXPECTABLE
            if key in want and described[key] != want[key]]


def read_release_dir(path, stamp="deployed", paths=(), files=(), expect=None):
    """Everything release_info returns but the unit state, for the service directory ``path``."""
    current = os.path.join(path, "current")
    islnk = os.path.islink(current)
    out = {
        "exists": os.path.isdir(path),
        "current": {"exists": os.path.lexists(current), "islnk": islnk,
                    "target": os.readlink(current) if islnk else None},
        "releases": list_releases(os.path.join(path, "releases")),
        "stamp": read_stamp(os.path.join(path, stamp)),
        "paths": dict((p, os.path.exists(p)) for p in paths),
        "files": dict((p, describe_file(p)) for p in list(files) + list(expect or {})),
    }
    out["differs"] = dict((p, differences(out["files"][p], want)) for p, want in (expect or {}).items())
    out["differs"] = dict((p, why) for p, why in out["differs"].items() if why)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            stamp=dict(type="str", default="deployed"),
            paths=dict(type="list", elements="path", default=[]),
            files=dict(type="list", elements="path", default=[]),
            expect=dict(type="dict", default={}),
            unit=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["stamp"] or p["stamp"] in ("", ".", ".."):
        module.fail_json(msg="stamp must be a file name in path, got %r" % p["stamp"])
    for target, want in p["expect"].items():
        if not isinstance(want, dict) or set(want) - set(EXPECTABLE):
            module.fail_json(msg="expect[%s] must be a dictionary of %s, got %r" % (target, ", ".join(EXPECTABLE), want))
    result = read_release_dir(p["path"], p["stamp"], p["paths"], p["files"], p["expect"])
    result["unit"] = None
    if p["unit"]:
        result["unit"] = unit_state(module.run_command, module.get_bin_path("systemctl"), p["unit"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
