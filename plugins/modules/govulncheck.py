#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: govulncheck
short_description: Scan Go executables for known vulnerabilities with govulncheck, check their build policy, make SBOMs
version_added: 1.0.0
description:
  - Finds the Go executables under O(paths) (as M(noble.gohost.go_binary_info) does, with the same reader of the
    build information) and runs C(govulncheck -db DB -mode binary -format json FILE) on each, against the Go
    vulnerability database O(db) (a mirror, or a directory).
  - Each vulnerability found gets its level, the deepest its findings reach in govulncheck's own terms - V(symbol)
    when a vulnerable function is in the executable, V(package) when only a vulnerable package is, V(module) when
    only the module at an affected version is.
  - Checks each executable's build information against a build O(policy) (minimum Go release, cgo disabled,
    C(-trimpath), built from a clean checkout), and returns a CycloneDX 1.5 SBOM of each (O(sbom)).
  - Before any scan it reads C(<db>/index/db.json) itself, and fails naming O(db) when the database is unreachable
    or not a database; then nothing is scanned.
  - Files that are not Go executables, or whose build information cannot be read, are listed under RV(not_go) with
    the reason, never an error. A Go executable that govulncheck cannot scan keeps its entry, with the error in
    C(scan_error).
author:
  - noble.gohost developers (@noble-gohost)
extends_documentation_fragment:
  - noble.gohost.go_executables
attributes:
  check_mode:
    description: Reads only (govulncheck reads the files and the database); runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to diff.
    support: none
options:
  db:
    description:
      - The Go vulnerability database, as govulncheck's C(-db) takes it - an V(http://) or V(https://) URL (a mirror of
        U(https://vuln.go.dev)), or a V(file://) URL of a directory with C(index/db.json), C(index/modules.json) and
        C(ID/GO-*.json).
      - govulncheck needs no other network access in binary mode.
    type: str
    required: true
  govulncheck:
    description:
      - The govulncheck executable (v1.0.0 or later, which prints the JSON stream this module reads). The module runs
        C(govulncheck -version) before any scan and fails, naming this option, when it is missing, cannot be run,
        or is not govulncheck.
    type: path
    default: /usr/local/bin/govulncheck
  policy:
    description:
      - Build policy checked against each executable's build information. A rule that is absent or null is not
        checked; a boolean rule set to V(false) is not checked either.
      - Each violation is returned in C(policy_violations) with the build information line it comes from.
    type: dict
    default: {}
    suboptions:
      min_go_version:
        description: The oldest Go release allowed, such as C("1.25") or C("1.25.3") (quoted in YAML, where C(1.20)
          is the number 1.2).
        type: str
      cgo_disabled:
        description: Require C(CGO_ENABLED=0).
        type: bool
      trimpath:
        description: Require a C(-trimpath) build.
        type: bool
      vcs_clean:
        description: Forbid C(vcs.modified=true) (built from a checkout with uncommitted changes). An executable
          built without VCS information passes.
        type: bool
  sbom:
    description:
      - Return a CycloneDX 1.5 SBOM (a dict) per Go executable, from its build information.
    type: bool
    default: true
  timeout:
    description:
      - Seconds each govulncheck run may take (and the timeout of reading O(db)'s index over HTTP). A run that takes
        longer is killed and its executable gets C(scan_error).
    type: int
    default: 300
notes:
  - Only ELF (Linux) executables are read; any other file is reported under RV(not_go).
  - An executable without a symbol table (C(strip), C(-ldflags=-s)) cannot be analysed by symbol - govulncheck then
    reports every known vulnerable symbol of each affected module, at C(go.mod) precision by its own account. Its
    vulnerabilities are therefore all given the level V(module), with no symbols, and C(stripped) is true.
  - Versions of the standard library (module V(stdlib)) and of the go command (module V(toolchain)) are given by the
    names of Go releases (C(go1.26.8), C(go1.21.0), C(go1.20), C(go1.21rc2)), as govulncheck's text output does,
    not in the semantic version form of its JSON (C(v1.26.8)); other modules' as module versions (C(v0.3.7)).
  - The SBOM's hashes are the Go module C(h1:) sums (base64 of a SHA-256 of the module's file list,
    C(golang.org/x/mod/sumdb/dirhash)) written as hex, since CycloneDX takes hex hashes only - they are not the
    hash of a file. The serial number is derived from the executable's SHA-256 and the document has no timestamp,
    so that a rerun on the same executable returns the same SBOM.
  - govulncheck runs with C(GOTOOLCHAIN=local) and without C(GOFLAGS), under coreutils' C(timeout) when present.
seealso:
  - module: noble.gohost.go_binary_info
  - name: govulncheck
    description: The Go vulnerability scanner.
    link: https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck
  - name: Go vulnerability database
    description: The database and its layout.
    link: https://go.dev/doc/security/vuln/database
"""

EXAMPLES = r"""
- name: Scan the services against the fleet's database mirror
  noble.gohost.govulncheck:
    paths:
      - /usr/local/bin
      - /opt/services
    recurse: true
    db: http://vulndb.internal:8080
    policy:
      min_go_version: "1.25.3"
      cgo_disabled: true
      trimpath: true
  register: scan

- name: Fail when a vulnerable function is in an executable
  ansible.builtin.assert:
    that: scan.counts.symbol == 0
    fail_msg: "{{ scan.binaries | selectattr('vulns') | map(attribute='path') | list }}"

- name: One file, against a database in a directory, without SBOM
  noble.gohost.govulncheck:
    paths: /usr/local/bin/api
    db: file:///srv/vulndb
    govulncheck: /opt/go-tools/bin/govulncheck
    sbom: false
  register: api
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
    sha256:
      description: SHA-256 of the file.
      type: str
    go_version:
      description: Go release it was built with.
      type: str
      sample: go1.26.8
    main_module:
      description: Main module (C(path), C(version)); null when the build information has none.
      type: dict
      sample: {"path": "example.com/api", "version": "v1.4.2"}
    vcs:
      description: C(revision), C(time) (strings or null) and C(modified) (bool, null when not recorded) of the
        checkout it was built from.
      type: dict
    settings:
      description: C(cgo_enabled) (C("0"), C("1") or null), C(trimpath) (bool), C(goos), C(goarch), C(ldflags)
        (unquoted, or null).
      type: dict
      sample: {"cgo_enabled": "0", "trimpath": true, "goos": "linux", "goarch": "amd64", "ldflags": null}
    stripped:
      description: It has no symbol table (its vulnerabilities are then all at level V(module)).
      type: bool
    vulns:
      description:
        - Known vulnerabilities, one per vulnerability and affected module, sorted by level (V(symbol) first),
          then id. Empty when C(scan_error) is set.
        - C(id), C(aliases) (CVE and GHSA ids), C(summary), C(url) (the database's page), C(module) (V(stdlib) for
          the standard library, V(toolchain) for the go command), C(package) (the vulnerable package found - several
          sorted and joined by V(", ") - or V("") at level V(module)), C(found_version), C(fixed_version) (V("") when there is no fix), C(level)
          (V(symbol), V(package) or V(module)), C(symbols) (the vulnerable functions found, as
          C(package.Function) or C(package.Type.Method), at level V(symbol) only).
      type: list
      elements: dict
      sample:
        - id: GO-2022-1059
          aliases: [CVE-2022-32149, GHSA-69ch-w2m2-3vjp]
          summary: Denial of service via crafted Accept-Language header in golang.org/x/text/language
          url: https://pkg.go.dev/vuln/GO-2022-1059
          module: golang.org/x/text
          package: golang.org/x/text/language
          found_version: v0.3.7
          fixed_version: v0.3.8
          level: symbol
          symbols: [golang.org/x/text/language.ParseAcceptLanguage]
    policy_violations:
      description: Violations of O(policy), each C(rule), C(expected), C(found) (null when the setting is absent)
        and C(evidence) (the build information line, such as C(build\tCGO_ENABLED=1), or C(go1.24.1) for the
        version, or a sentence saying the setting is absent).
      type: list
      elements: dict
      sample: [{"rule": "cgo_disabled", "expected": "CGO_ENABLED=0", "found": "1", "evidence": "build\tCGO_ENABLED=1"}]
    scan_error:
      description: Why govulncheck could not scan it (its message), V("") when it did.
      type: str
    sbom:
      description: CycloneDX 1.5 JSON document of the executable (only with O(sbom=true)).
      type: dict
not_go:
  description: Files that are not Go executables, whose build information cannot be read, or paths that cannot be
    read, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/usr/local/bin/backup.sh", "reason": "not an ELF executable"}]
db:
  description: C(url) (O(db)), C(modified) (from its C(index/db.json)), C(last_modified) (as govulncheck saw it,
    null when nothing was scanned).
  returned: always
  type: dict
  sample: {"url": "https://vuln.go.dev", "modified": "2026-12-04T01:26:18Z", "last_modified": "2026-12-04T01:26:18Z"}
scanner:
  description: C(name) and C(version) of the scanner (from govulncheck's config message, or C(govulncheck -version)
    when nothing was scanned).
  returned: always
  type: dict
  sample: {"name": "govulncheck", "version": "v1.9.0"}
counts:
  description: Vulnerabilities per level (summed over the executables, one per executable, vulnerability and module),
    policy violations, executables and not-Go files.
  returned: always
  type: dict
  sample: {"symbol": 1, "package": 0, "module": 17, "policy": 2, "binaries": 2, "not_go": 1}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.urllib.parse import unquote, urlparse
from ansible.module_utils.urls import fetch_url

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import (
    NotGoBinary,
    candidates,
    file_sha256,
    has_symbol_table,
    read_file,
)
from ansible_collections.noble.gohost.plugins.module_utils import _govulncheck as gv


def read_db_index(module, db, timeout):
    """{modified} of the database, or fail_json naming db."""
    scheme = gv.db_scheme(db)
    url = gv.db_index_url(db)
    if scheme in ("http", "https"):
        resp, info = fetch_url(module, url, timeout=timeout, method="GET")
        if resp is None or info.get("status") != 200:
            module.fail_json(msg="db %s is unreachable: GET %s: %s (HTTP status %s)"
                             % (db, url, info.get("msg", "no response"), info.get("status")))
        data = resp.read()
    elif scheme == "file":
        path = unquote(urlparse(db).path).rstrip("/") + "/index/db.json"
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except (IOError, OSError) as exc:
            module.fail_json(msg="db %s is unreachable: cannot read %s: %s"
                             % (db, path, to_native(exc.strerror or exc)))
    else:
        module.fail_json(msg="db %r is not an http://, https:// or file:// URL" % db)
    try:
        return gv.parse_db_json(db, data)
    except gv.DatabaseError as exc:
        module.fail_json(msg=to_native(exc))


def govulncheck_version(module, binary):
    """{name, version} from `govulncheck -version`, or fail_json naming the govulncheck option."""
    try:
        rc, out, err = module.run_command([binary, "-version"], environ_update=dict(gv.SCAN_ENV),
                                          handle_exceptions=False)
    except (OSError, IOError) as exc:
        module.fail_json(msg="govulncheck: cannot run %s: %s" % (binary, to_native(exc)))
    scanner = gv.parse_version_output(out)
    if rc != 0 or scanner is None:
        module.fail_json(msg="govulncheck: %s -version failed or is not govulncheck's (rc %d): %s"
                         % (binary, rc, (err or out or "no output").strip()[-500:]))
    return scanner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", required=True),
            recurse=dict(type="bool", default=False),
            follow=dict(type="bool", default=False),
            db=dict(type="str", required=True),
            govulncheck=dict(type="path", default="/usr/local/bin/govulncheck"),
            policy=dict(type="dict", default={}, options=dict(
                min_go_version=dict(type="str"),
                cgo_disabled=dict(type="bool"),
                trimpath=dict(type="bool"),
                vcs_clean=dict(type="bool"),
            )),
            sbom=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        policy = gv.normalize_policy(params["policy"])
    except ValueError as exc:
        module.fail_json(msg=to_native(exc))
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %d" % params["timeout"])
    binary = params["govulncheck"]
    if not os.path.isfile(binary):
        module.fail_json(msg="govulncheck: %s is missing (install govulncheck, or point the govulncheck option at it)"
                         % binary)
    if not os.access(binary, os.X_OK):
        module.fail_json(msg="govulncheck: %s is not executable" % binary)
    db = params["db"].rstrip("/")
    db_info = read_db_index(module, db, params["timeout"])
    scanner = govulncheck_version(module, binary)

    for key in gv.SCAN_ENV_UNSET:
        os.environ.pop(key, None)
    timeout_bin = module.get_bin_path("timeout")
    binaries, not_go, errors, config = [], [], [], {}
    for path in candidates(params["paths"], params["recurse"], params["follow"], errors):
        try:
            info = read_file(path)
            stripped = not has_symbol_table(path)
            sha256 = file_sha256(path)
        except NotGoBinary as exc:
            not_go.append({"path": path, "reason": to_native(exc)})
            continue
        except (OSError, IOError, ValueError) as exc:
            not_go.append({"path": path, "reason": to_native(getattr(exc, "strerror", None) or exc)})
            continue
        argv = gv.scan_argv(binary, db, path, params["timeout"], timeout_bin)
        messages, scan_error = gv.run_scan(module.run_command, argv, params["timeout"])
        config = config or gv.scan_config(messages)
        binaries.append(gv.binary_entry(path, info, sha256, stripped, messages, scan_error, policy, params["sbom"]))
    not_go.extend({"path": e["path"], "reason": e["msg"]} for e in errors)

    if config.get("scanner_name"):
        scanner = {"name": config["scanner_name"], "version": config.get("scanner_version")}
    counts = {"symbol": 0, "package": 0, "module": 0, "policy": 0, "binaries": len(binaries), "not_go": len(not_go)}
    for entry in binaries:
        for level, number in gv.count_levels(entry["vulns"]).items():
            counts[level] += number
        counts["policy"] += len(entry["policy_violations"])
    module.exit_json(changed=False, binaries=binaries, not_go=not_go,
                     db={"url": db, "modified": db_info["modified"], "last_modified": config.get("db_last_modified")},
                     scanner=scanner, counts=counts)


if __name__ == "__main__":
    main()
