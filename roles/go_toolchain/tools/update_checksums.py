#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regenerate roles/go_toolchain/vars/checksums.yml from Go's release index.

    roles/go_toolchain/tools/update_checksums.py [--index URL|FILE] [--since 1.24] [--arch amd64 --arch arm64]
                                                 [--unstable] [--out PATH | --check]

The index is https://go.dev/dl/?mode=json&include=all (every release, with the SHA-256 of every file). The rows
are selected with one JMESPath expression (printed with --show-query): linux archives (kind "archive") of the wanted
architectures, of stable releases unless --unstable. --check exits 1 when the table would change (for CI).
Needs jmespath and PyYAML (both in the development virtual environment).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request

import jmespath
import yaml

INDEX_URL = "https://go.dev/dl/?mode=json&include=all"
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vars", "checksums.yml")
HEADER = """---
# SHA-256 of the official go<version>.linux-<arch>.tar.gz archives, by version and architecture.
# Regenerate with `roles/go_toolchain/tools/update_checksums.py` (reads https://go.dev/dl/?mode=json&include=all).
# Extend or override per play with go_toolchain_checksums (same shape); a checksum given in go_toolchain_versions wins.
"""


def query(arches, unstable):
    """The JMESPath expression selecting {version, arch, sha256} rows from the index."""
    stable = "[*]" if unstable else "[?stable]"
    arch_list = ", ".join("'%s'" % a for a in arches)
    return ("%s.files[] | [?os == 'linux' && kind == 'archive' && contains([%s], arch)]"
            ".{version: version, arch: arch, sha256: sha256, filename: filename}" % (stable, arch_list))


def version_key(version):
    match = re.match(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?$", version)
    if not match:
        return None
    major, minor, patch, pre, num = match.groups()
    return (int(major), int(minor), int(patch or 0), {"beta": 0, "rc": 1}.get(pre, 2), int(num or 0))


def load_index(source):
    if "://" in source:
        with urllib.request.urlopen(source, timeout=60) as resp:  # noqa: S310 - fixed or operator-given URL
            return json.load(resp)
    with open(source, encoding="utf-8") as fh:
        return json.load(fh)


def build_table(index, arches, since=None, unstable=False):
    """{"1.26.6": {"amd64": <hex>, ...}} for the selected rows, newest version first."""
    rows = jmespath.search(query(arches, unstable), index) or []
    minimum = version_key(since) if since else None
    table = {}
    for row in rows:
        version = row["version"][2:] if row["version"].startswith("go") else row["version"]
        key = version_key(version)
        if key is None or not row.get("sha256"):
            continue  # not a release we can name, or a file published without a hash
        if minimum and key < minimum:
            continue
        if not re.fullmatch(r"[0-9a-f]{64}", row["sha256"]):
            raise SystemExit("index row %s has a malformed sha256 %r" % (row.get("filename"), row["sha256"]))
        table.setdefault(version, {})[row["arch"]] = row["sha256"]
    ordered = {}
    for version in sorted(table, key=version_key, reverse=True):
        ordered[version] = dict(sorted(table[version].items()))
    return ordered


def render(table):
    lines = [HEADER.rstrip("\n"), "__go_toolchain_checksums:"]
    for version, by_arch in table.items():
        lines.append('  "%s":' % version)
        for arch, digest in by_arch.items():
            lines.append("    %s: %s" % (arch, digest))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default=INDEX_URL, help="URL or file of the release index (default: %(default)s)")
    parser.add_argument("--arch", action="append", help="architecture to keep (default: amd64 and arm64)")
    parser.add_argument("--since", default="1.24", help="oldest version kept (default: %(default)s)")
    parser.add_argument("--unstable", action="store_true", help="also keep betas and release candidates")
    parser.add_argument("--out", default=DEFAULT_OUT, help="table to write (default: the role's vars/checksums.yml)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the table would change")
    parser.add_argument("--show-query", action="store_true", help="print the JMESPath expression and exit")
    args = parser.parse_args(argv)
    arches = args.arch or ["amd64", "arm64"]
    if args.show_query:
        print(query(arches, args.unstable))
        return 0
    table = build_table(load_index(args.index), arches, args.since, args.unstable)
    if not table:
        print("no release selected from %s" % args.index, file=sys.stderr)
        return 2
    text = render(table)
    assert yaml.safe_load(text)["__go_toolchain_checksums"] == table  # what the role will read
    current = open(args.out, encoding="utf-8").read() if os.path.exists(args.out) else ""
    if args.check:
        if current != text:
            print("%s is out of date (%d versions in the index)" % (args.out, len(table)))
            return 1
        print("%s is up to date (%d versions)" % (args.out, len(table)))
        return 0
    if current != text:
        with open(args.out + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(args.out + ".tmp", args.out)
    print("%s: %d versions (%s .. %s)" % (args.out, len(table), list(table)[-1], list(table)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
