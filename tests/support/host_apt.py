"""What this machine's release is and where its apt sources point: read at run time, never written into a file.

Shared by the image builders (``tests/images/build.py`` for containers, ``tests/vm/build.py`` for the VM tier):
both build from the host's own apt sources, so that an Ubuntu 24.04 workstation yields noble images and CI (Debian
12) yields bookworm ones. ``root`` lets the unit tests (``tests/unit/support/test_host_apt.py``) point every
function at a fixture tree instead of ``/``.
"""
from __future__ import annotations

import glob
import os
import re


def _path(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def os_release(root: str = "/") -> dict:
    """``/etc/os-release`` as a dict (quotes removed)."""
    data = {}
    with open(_path(root, "/etc/os-release"), encoding="utf-8") as fh:
        for line in fh:
            if "=" in line:
                key, _sep, value = line.strip().partition("=")
                data[key] = value.strip('"')
    return data


def _has_entries(path: str) -> bool:
    with open(path, encoding="utf-8") as fh:
        return any(line.strip() and not line.lstrip().startswith("#") for line in fh)


def source_files(root: str = "/") -> list[str]:
    """The apt source files with at least one entry: deb822 ``*.sources`` first, then one-line lists."""
    files = sorted(glob.glob(_path(root, "/etc/apt/sources.list.d/*.sources")))
    main = _path(root, "/etc/apt/sources.list")
    files += [main] if os.path.exists(main) and os.path.getsize(main) > 0 else []
    files += sorted(glob.glob(_path(root, "/etc/apt/sources.list.d/*.list")))
    return [f for f in files if _has_entries(f)]


def deb822_entries(text: str) -> list[dict]:
    """The enabled ``Types: deb`` stanzas of a deb822 sources file, field names lower-cased."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        last = None
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and last:
                fields[last] += " " + line.strip()
                continue
            key, _sep, value = line.partition(":")
            last = key.strip().lower()
            fields[last] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
            continue
        entries.append(fields)
    return entries


def apt_lines(codename: str, root: str = "/") -> list[str]:
    """One-line apt entries of the release ``codename`` (and its ``-updates``/``-security`` suites).

    Entries of other releases (and deb-src, and disabled stanzas) are left out. The lines carry the mirror's address: pass them on a command line only.
    """
    def ours(suite: str) -> bool:
        return suite == codename or suite.startswith(codename + "-")

    lines = []
    for path in sorted(glob.glob(_path(root, "/etc/apt/sources.list.d/*.sources"))):
        with open(path, encoding="utf-8") as fh:
            for entry in deb822_entries(fh.read()):
                suites = [s for s in entry.get("suites", "").split() if ours(s)]
                signed = entry.get("signed-by", "")
                opts = f"[signed-by={signed}] " if signed.startswith("/") else ""
                for uri in entry.get("uris", "").split():
                    for suite in suites:
                        lines.append(f"deb {opts}{uri} {suite} {entry.get('components', 'main')}")
    lists = [f for f in [_path(root, "/etc/apt/sources.list")] if os.path.exists(f)]
    lists += sorted(glob.glob(_path(root, "/etc/apt/sources.list.d/*.list")))
    for path in lists:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if not words or words[0] != "deb":
                    continue
                rest = [w for w in words[1:] if not (w.startswith("[") or w.endswith("]") or "=" in w)]
                if len(rest) >= 2 and ours(rest[1]):
                    lines.append(line.split("#", 1)[0].strip())
    return lines


def archive(codename: str, root: str = "/") -> dict:
    """The first apt entry of the release ``codename`` itself (not its -updates/-security suites), deb822 or one-line:
    what a mirror of this machine's distribution would fetch. ``{"id", "codename", "uri", "components",
    "keyring"}``; ``keyring`` is the entry's signed-by file ("" where it names none). Raises LookupError when no
    entry has that suite. The URI is the machine's own mirror: pass it on, never write it into a file of the project.
    """
    for line in apt_lines(codename, root):
        opts = re.match(r"deb\s+\[([^]]*)\]\s+", line)
        words = line[opts.end():].split() if opts else line.split()[1:]
        if len(words) >= 2 and words[1] == codename:
            signed = re.search(r"(?:^|\s)signed-by=(\S+)", opts.group(1)) if opts else None
            keyring = signed.group(1) if signed and signed.group(1).startswith("/") else ""
            return {"id": os_release(root).get("ID", ""), "codename": codename, "uri": words[0],
                    "components": words[2:] or ["main"], "keyring": keyring}
    raise LookupError(f"no apt source of {codename} in {', '.join(source_files(root)) or 'no apt source file'}")


if __name__ == "__main__":
    import json
    import sys

    # `python3 tests/support/host_apt.py --archive`: this machine's primary archive as JSON (for scenarios and the
    # demo, which mirror it at run time).
    if sys.argv[1:] != ["--archive"]:
        sys.exit("usage: host_apt.py --archive")
    print(json.dumps(archive(os_release().get("VERSION_CODENAME", ""))))
