#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: go_build
short_description: Build a Go command from a module version through the configured module proxy
version_added: 1.1.0
description:
  - Builds the main package O(package) of the module version O(version) with the Go toolchain O(go) and installs
    the executable at O(dest). This is how the collection's roles build Go commands from source (the goproxy and
    Athens binaries with C(goproxy_install_method=go), go_service's O(package) binaries, govulncheck).
  - Not C(go install package@version), which also reads the module's version list and so fails behind module
    proxies that refuse listing (and mirrors in front of one); C(go get package@version) in a throwaway module needs
    only that version. Module checksums are verified against C(GOSUMDB) as for any download.
  - Idempotent from the executable itself - its embedded build information (read in pure Python, as
    M(noble.gohost.go_binary_info) does) must name O(package), the version O(version) of the module that provides
    it, and the build settings the options set (C(CGO_ENABLED), C(-trimpath), C(-ldflags), C(-tags)); otherwise it
    is built again, and RV(reasons) says why.
  - The new executable is written next to O(dest) under a temporary name and renamed over it, so O(dest) is
    either the old executable or the new one, never half written; a failed build leaves O(dest) untouched, and the
    leftovers of a build that was killed are removed by the next run.
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    description: Reports whether a build is needed and why, and builds nothing.
    support: full
  diff_mode:
    description: The package, version and build settings of the executable before and after.
    support: full
options:
  package:
    description:
      - The import path of the main package, for example C(github.com/goproxy/goproxy/cmd/goproxy).
    type: str
    required: true
  version:
    description:
      - The version of the module that provides O(package) - a semantic version such as C(v0.21.0) or a
        pseudo-version. Queries such as C(latest) are refused - the result would not be reproducible.
    type: str
    required: true
  dest:
    description:
      - Where the executable is installed. Its directory must exist (in check mode a missing directory means a
        build, as on a fresh host).
    type: path
    required: true
  go:
    description:
      - The go command to build with, for example the default toolchain that M(noble.gohost.go_toolchain) links
        (its fact C(ansible_local.go_toolchain.go_binary)). A name without a C(/) is looked up on C(PATH).
    type: path
    default: /usr/local/bin/go
  environment:
    description:
      - Environment of the go command, such as C(GOPROXY), C(GOSUMDB), C(GONOSUMDB), C(GOPRIVATE), C(GOFLAGS) or
        C(SSL_CERT_FILE). The toolchain's own C(go.env) applies beneath it. C(GOTOOLCHAIN) is C(local) unless set
        here; C(CGO_ENABLED) comes from O(cgo) and C(GOFLAGS) always gains C(-modcacherw).
    type: dict
    default: {}
  cgo:
    description:
      - Build with cgo (C(CGO_ENABLED=1); needs a C toolchain on the host). Off by default - a static executable.
    type: bool
    default: false
  trimpath:
    description:
      - Build with C(-trimpath).
    type: bool
    default: true
  ldflags:
    description:
      - The C(-ldflags) value, for example C(-s -w -X main.version=1.2.3).
    type: str
    default: ""
  tags:
    description:
      - Build tags.
    type: list
    elements: str
    default: []
  cache_dir:
    description:
      - A directory for the module cache (C(GOPATH)) and the build cache (C(GOCACHE)) kept between runs, which
        makes later builds faster. Without it both live in a temporary directory removed after the build.
    type: path
  state_dir:
    description:
      - Where a record of each build is kept (one JSON file per O(dest)) - a C(-trimpath) build does not embed its
        C(-ldflags), so whether O(ldflags) changed is read from the record of the build that made O(dest).
    type: path
    default: /var/lib/gohost/go_build
  force:
    description:
      - Build even when the executable is up to date.
    type: bool
    default: false
  mode:
    description:
      - The permissions of O(dest).
    type: raw
    default: "0755"
  owner:
    description:
      - The owner of O(dest).
    type: str
  group:
    description:
      - The group of O(dest).
    type: str
notes:
  - Needs network access from the host to the module proxy in O(environment) (or the toolchain's C(go.env)).
seealso:
  - module: noble.gohost.go_binary_info
  - name: go get
    description: Adding a dependency of a given version, which needs no version list.
    link: https://go.dev/ref/mod#go-get
"""

EXAMPLES = r"""
- name: Build goproxy v0.21.0 through the fleet's module proxy
  noble.gohost.go_build:
    package: github.com/goproxy/goproxy/cmd/goproxy
    version: v0.21.0
    dest: /usr/local/bin/goproxy
    go: "{{ ansible_local.go_toolchain.go_binary | default('/usr/local/bin/go') }}"
    environment:
      GOPROXY: http://goproxy.example.internal:8080
    cache_dir: /var/cache/gohost-build

- name: A version string for the binary, through the linker
  noble.gohost.go_build:
    package: golang.org/x/vuln/cmd/govulncheck
    version: v1.9.0
    dest: /usr/local/lib/gohost/govulncheck-v1.9.0/govulncheck
    ldflags: -s -w
"""

RETURN = r"""
dest:
  description: The installed executable.
  returned: always
  type: str
  sample: /usr/local/bin/goproxy
package:
  description: O(package).
  returned: always
  type: str
version:
  description: O(version).
  returned: always
  type: str
module:
  description: The module that provides O(package), as the executable's build information names it (after a build
    or when up to date).
  returned: when dest is a build of the package
  type: str
  sample: github.com/goproxy/goproxy
go_version:
  description: The Go release the executable was built with.
  returned: when dest is a Go executable
  type: str
  sample: go1.26.6
sha256:
  description: The SHA-256 of the executable.
  returned: when dest exists (not in check mode before a first build)
  type: str
reasons:
  description: Why a build was needed (empty when the executable was up to date).
  returned: always
  type: list
  elements: str
  sample: ["it was built from github.com/goproxy/goproxy v0.20.0, not v0.21.0"]
removed:
  description: Leftovers of killed builds that this run removed.
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import file_sha256 as sha256
from ansible_collections.noble.gohost.plugins.module_utils._go_build import (
    BuildError, build, providing_module, read_current, read_record, reasons_to_build, record_path, remove_leftovers,
    wanted_settings, write_record,
)

VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$")


def describe(summary, package):
    if summary is None:
        return ""
    mod = providing_module(summary, package) or {"path": "?", "version": "?"}
    settings = summary.get("settings") or {}
    shown = " ".join("%s=%s" % (k, settings[k]) for k in ("CGO_ENABLED", "-trimpath", "-ldflags", "-tags")
                     if k in settings)
    return "%s (%s %s, %s) %s\n" % (
        summary.get("package"), mod["path"], mod["version"], summary.get("go_version"), shown)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            package=dict(type="str", required=True),
            version=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            go=dict(type="path", default="/usr/local/bin/go"),
            environment=dict(type="dict", default={}),
            cgo=dict(type="bool", default=False),
            trimpath=dict(type="bool", default=True),
            ldflags=dict(type="str", default=""),
            tags=dict(type="list", elements="str", default=[]),
            cache_dir=dict(type="path"),
            state_dir=dict(type="path", default="/var/lib/gohost/go_build"),
            force=dict(type="bool", default=False),
            mode=dict(type="raw", default="0755"),
            owner=dict(type="str"),
            group=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    package, version, dest = p["package"].strip(), p["version"].strip(), p["dest"]
    if not package or "@" in package or " " in package:
        module.fail_json(msg="package must be the import path of a main package, without @version: %r" % p["package"])
    if not VERSION_RE.match(version):
        module.fail_json(msg="version must be a module version such as v1.2.3 or a pseudo-version, not %r"
                         " (queries such as latest are not reproducible)" % p["version"])
    env = dict((str(k), str(v)) for k, v in p["environment"].items())
    result = dict(changed=False, dest=dest, package=package, version=version, reasons=[], removed=[])
    directory = os.path.dirname(dest) or "."
    if not os.path.isdir(directory):
        if module.check_mode:  # a run in check mode on a fresh host: what would create the directory did not
            result.update(changed=True, reasons=["%s does not exist" % dest])
            module.exit_json(**result)
        module.fail_json(msg="the directory of dest does not exist: %s" % directory, **result)

    summary, why = read_current(dest)
    settings = wanted_settings(p["cgo"], p["trimpath"], p["ldflags"], p["tags"])
    record_file = record_path(p["state_dir"], dest)
    current_sha = sha256(dest) if summary is not None else None
    reasons = reasons_to_build(summary, why, package, version, settings, read_record(record_file), current_sha)
    if p["force"] and not reasons:
        reasons = ["force is set"]
    result["reasons"] = reasons
    before = describe(summary, package)

    if not module.check_mode:
        result["removed"] = remove_leftovers(dest)
        result["changed"] = bool(result["removed"])

    if reasons:
        result["changed"] = True
        if module.check_mode:
            result["diff"] = dict(before=before, after="%s (%s, %s)\n" % (package, version, " ".join(
                "%s=%s" % kv for kv in sorted(settings.items()))))
            module.exit_json(**result)
        go = p["go"] if "/" in p["go"] else (module.get_bin_path(p["go"]) or p["go"])
        if not os.path.exists(go):
            module.fail_json(msg="the go command %s does not exist (install a toolchain with noble.gohost.go_toolchain"
                                 " or set go)" % p["go"], **result)

        def run(argv, cwd, environ):
            rc, out, err = module.run_command(argv, cwd=cwd, environ_update=environ)
            return rc, (out or "") + (err or "")

        try:
            tmp = build(run, go, package, version, dest, env, cgo=p["cgo"], trimpath=p["trimpath"],
                        ldflags=p["ldflags"], tags=p["tags"], cache_dir=p["cache_dir"])
        except BuildError as exc:
            lines = exc.output.strip().splitlines()[-15:]
            module.fail_json(msg="building %s@%s failed in `%s`%s; %s was left as it was: %s" % (
                package, version, exc.step, " (%s)" % exc.hint if exc.hint else "", dest, " | ".join(lines)),
                output=exc.output, **result)
        try:
            file_args = module.load_file_common_arguments(dict(path=tmp, mode=p["mode"], owner=p["owner"],
                                                               group=p["group"]))
            module.set_fs_attributes_if_different(file_args, False)
            os.rename(tmp, dest)
        except Exception as exc:  # pylint: disable=broad-except
            if os.path.lexists(tmp):
                os.unlink(tmp)
            module.fail_json(msg="installing the build at %s failed: %s" % (dest, exc), **result)
        summary, why = read_current(dest)
        record = {"package": package, "version": version, "settings": settings, "sha256": sha256(dest)}
        left = reasons_to_build(summary, why, package, version, settings, record, record["sha256"])
        if left:
            module.fail_json(msg="the build installed at %s does not match what was asked: %s" % (dest, "; ".join(left)),
                             **result)
        try:
            write_record(record_file, record)
        except (OSError, IOError) as exc:
            module.fail_json(msg="the build is installed at %s, but its record %s cannot be written: %s"
                             % (dest, record_file, exc), **result)
    else:
        file_args = module.load_file_common_arguments(dict(path=dest, mode=p["mode"], owner=p["owner"],
                                                           group=p["group"]))
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])

    if summary is not None:
        mod = providing_module(summary, package)
        if mod:
            result["module"] = mod["path"]
        result["go_version"] = summary.get("go_version")
    if os.path.exists(dest):
        result["sha256"] = sha256(dest)
    if reasons:
        result["diff"] = dict(before=before, after=describe(summary, package))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
