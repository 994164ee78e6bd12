#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: go_binary_info
short_description: Read the build information embedded in Go executables
version_added: 1.0.0
description:
  - Reads what C(go version -m) prints from Go executables, in pure Python on the target (no Go needed) - the Go
    version, the main package and module, every dependency with its version, sum and replacement, and the build
    settings (C(CGO_ENABLED), C(GOARCH), C(GOAMD64), C(-ldflags), C(-trimpath), the VCS revision).
  - Understands both encodings of the C(.go.buildinfo) block - the inline one of Go 1.18 and later, and the
    pointer one of older releases - in ELF files, also stripped ones (with or without a section table).
  - Scans files and directories. A file that is not a Go executable (a script, a C program, a truncated binary)
    is listed under RV(not_go) with the reason, never an error.
  - With O(min_go_version) it lists the executables built with an older Go in RV(outdated), which is how a fleet
    finds services still built with an unsupported release.
author:
  - noble.gohost developers (@noble-gohost)
extends_documentation_fragment:
  - noble.gohost.go_executables
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to diff.
    support: none
options:
  min_go_version:
    description:
      - A Go release such as C(1.25) or C(1.24.11). Executables built with an older Go are listed in RV(outdated)
        and flagged with C(outdated=true).
    type: str
  include_deps:
    description:
      - Return the dependencies of each executable (large for big programs).
    type: bool
    default: true
  include_modinfo:
    description:
      - Return the module information lines as C(go version -m) prints them (without the leading tab).
    type: bool
    default: false
notes:
  - Only ELF (Linux) executables are read; any other format is reported under RV(not_go).
seealso:
  - name: go version -m
    description: The Go command that prints the same information.
    link: https://pkg.go.dev/cmd/go#hdr-Print_Go_version
"""

EXAMPLES = r"""
- name: Find the Go services built with an unsupported Go
  noble.gohost.go_binary_info:
    paths:
      - /usr/local/bin
      - /opt/services
    recurse: true
    min_go_version: "1.25"
  register: go_bins

- name: Show them
  ansible.builtin.debug:
    msg: "{{ go_bins.outdated }}"

- name: The revision a service was built from
  noble.gohost.go_binary_info:
    paths: /usr/local/bin/api
    include_deps: false
  register: api
- ansible.builtin.debug:
    msg: "{{ api.binaries[0].vcs.revision }}"
"""

RETURN = r"""
binaries:
  description: One entry per Go executable found, in path order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Path of the file.
      type: str
      sample: /usr/local/bin/api
    go_version:
      description: Go release the executable was built with (C(go version -m)'s first line).
      type: str
      sample: go1.26.6
    package:
      description: Import path of the main package.
      type: str
      sample: example.com/api/cmd/api
    main_module:
      description: Main module (C(path), C(version), C(sum)); C(version) is C((devel)) for a local build.
      type: dict
      sample: {"path": "example.com/api", "version": "v1.4.2", "sum": ""}
    deps:
      description: Dependencies with C(path), C(version), C(sum) and, when replaced, C(replace) (same keys).
        Empty when O(include_deps=false).
      type: list
      elements: dict
      sample: [{"path": "golang.org/x/sys", "version": "v0.30.0", "sum": "h1:..."}]
    settings:
      description: Every build setting (C(-ldflags), C(CGO_ENABLED), C(GOARCH), C(vcs.revision), ...).
      type: dict
      sample: {"-trimpath": "true", "CGO_ENABLED": "0", "GOARCH": "amd64", "GOOS": "linux", "GOAMD64": "v1"}
    cgo_enabled:
      description: C(CGO_ENABLED) setting (C("0"), C("1"), or null when not recorded).
      type: str
    goos:
      description: C(GOOS) setting.
      type: str
    goarch:
      description: C(GOARCH) setting.
      type: str
    goamd64:
      description: C(GOAMD64) setting (amd64 only).
      type: str
    goarm64:
      description: C(GOARM64) setting (arm64 only).
      type: str
    ldflags:
      description: C(-ldflags) setting, unquoted.
      type: str
      sample: -s -w -X main.version=1.4.2
    trimpath:
      description: Whether it was built with C(-trimpath).
      type: bool
    vcs:
      description: C(system), C(revision), C(time) and C(modified) of the version control checkout it was built from.
      type: dict
    outdated:
      description: Built with a Go older than O(min_go_version) (false when not given).
      type: bool
    modinfo_lines:
      description: The module information lines (only with O(include_modinfo=true)).
      type: list
      elements: str
not_go:
  description: Files read that are not Go executables, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/usr/local/bin/backup.sh", "reason": "not an ELF executable"}]
errors:
  description: Paths that could not be read (missing, permission denied).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/opt/missing", "msg": "No such file or directory"}]
outdated:
  description: Paths of the executables built with a Go older than O(min_go_version).
  returned: always
  type: list
  elements: str
  sample: [/opt/services/legacy]
scanned:
  description: Number of files read.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import (
    NotGoBinary,
    candidates,
    read_file,
    version_key,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", required=True),
            recurse=dict(type="bool", default=False),
            follow=dict(type="bool", default=False),
            min_go_version=dict(type="str"),
            include_deps=dict(type="bool", default=True),
            include_modinfo=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    minimum = None
    if params["min_go_version"]:
        minimum = version_key(params["min_go_version"])
        if minimum is None:
            module.fail_json(msg="min_go_version %r is not a Go release such as 1.25 or 1.24.11"
                             % params["min_go_version"])

    binaries, not_go, errors, outdated = [], [], [], []
    scanned = 0
    for path in candidates(params["paths"], params["recurse"], params["follow"], errors):
        scanned += 1
        try:
            info = read_file(path)
        except NotGoBinary as exc:
            not_go.append({"path": path, "reason": str(exc)})
            continue
        except (OSError, IOError, ValueError) as exc:
            errors.append({"path": path, "msg": getattr(exc, "strerror", None) or str(exc)})
            continue
        info["path"] = path
        key = version_key(info["go_version"])
        info["outdated"] = bool(minimum is not None and key is not None and key < minimum)
        if info["outdated"]:
            outdated.append(path)
        if not params["include_deps"]:
            info["deps"] = []
        if not params["include_modinfo"]:
            info.pop("modinfo_lines", None)
        binaries.append(info)

    module.exit_json(changed=False, binaries=binaries, not_go=not_go, errors=errors, outdated=outdated,
                     scanned=scanned)


if __name__ == "__main__":
    main()
