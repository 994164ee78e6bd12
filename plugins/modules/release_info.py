#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_info
short_description: Read a release directory - its releases, the current link and the deployed stamp - in one call
version_added: 1.1.0
description:
  - Reads the layout the collection's services are deployed in - O(path)C(/releases/<id>/) directories, a
    O(path)C(/current) link to one of them and a stamp file (O(stamp)) of C(key=value) lines naming what last
    passed its health check - and returns all of it at once, with whether the other paths O(paths) exist.
  - One module call in place of the C(stat), C(slurp), C(stat) and C(find) a role would make for each service on
    every run, which is most of what a run that changes nothing costs (the round trips per host).
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
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.find
"""

EXAMPLES = r"""
- name: Read what is deployed of api
  noble.gohost.release_info:
    path: /opt/go-services/api
    paths: [/var/cache/go-service-build]
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
"""

import os

from ansible.module_utils.basic import AnsibleModule


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


def read_release_dir(path, stamp="deployed", paths=()):
    """Everything release_info returns, for the service directory ``path``."""
    current = os.path.join(path, "current")
    islnk = os.path.islink(current)
    return {
        "exists": os.path.isdir(path),
        "current": {"exists": os.path.lexists(current), "islnk": islnk,
                    "target": os.readlink(current) if islnk else None},
        "releases": list_releases(os.path.join(path, "releases")),
        "stamp": read_stamp(os.path.join(path, stamp)),
        "paths": dict((p, os.path.exists(p)) for p in paths),
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            stamp=dict(type="str", default="deployed"),
            paths=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["stamp"] or p["stamp"] in ("", ".", ".."):
        module.fail_json(msg="stamp must be a file name in path, got %r" % p["stamp"])
    module.exit_json(changed=False, **read_release_dir(p["path"], p["stamp"], p["paths"]))


if __name__ == "__main__":
    main()
