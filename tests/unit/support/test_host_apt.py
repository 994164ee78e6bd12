"""tests/support/host_apt.py: the image builders read the host's release and apt sources, noble's deb822 included."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import host_apt  # noqa: E402  pylint: disable=wrong-import-position

# What a fresh Ubuntu 24.04 server install writes (the file of the ubuntu-minimal/cloud images).
NOBLE_SOURCES = """\
## Ubuntu distribution sources are in deb822 format since 24.04.
Types: deb
URIs: http://archive.ubuntu.com/ubuntu/
Suites: noble noble-updates noble-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

## Disabled source packages
Types: deb-src
URIs: http://archive.ubuntu.com/ubuntu/
Suites: noble
Components: main

Types: deb
URIs: http://security.ubuntu.com/ubuntu/
Suites: noble-security
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
"""
NOBLE_OS_RELEASE = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nID=ubuntu\n'
BOOKWORM_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'


def tree(tmp_path, files: dict) -> str:
    for path, text in files.items():
        full = tmp_path / path.lstrip("/")
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
    return str(tmp_path)


def test_noble_workstation_yields_noble_lines(tmp_path):
    root = tree(tmp_path, {
        "/etc/os-release": NOBLE_OS_RELEASE,
        "/etc/apt/sources.list": "# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources\n",
        "/etc/apt/sources.list.d/ubuntu.sources": NOBLE_SOURCES,
        "/etc/apt/sources.list.d/docker.list": "deb [arch=amd64] https://download.docker.com/linux/ubuntu noble stable\n",
    })
    assert host_apt.os_release(root)["VERSION_CODENAME"] == "noble"
    # The comment-only sources.list is no source; the deb822 file comes first.
    files = host_apt.source_files(root)
    assert [os.path.basename(f) for f in files] == ["ubuntu.sources", "docker.list"]
    lines = host_apt.apt_lines("noble", root)
    key = "[signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg]"
    comps = "main restricted universe multiverse"
    assert lines[:4] == [
        f"deb {key} http://archive.ubuntu.com/ubuntu/ noble {comps}",
        f"deb {key} http://archive.ubuntu.com/ubuntu/ noble-updates {comps}",
        f"deb {key} http://archive.ubuntu.com/ubuntu/ noble-backports {comps}",
        f"deb {key} http://security.ubuntu.com/ubuntu/ noble-security {comps}",
    ]
    # deb-src stanzas are no binary source; the docker line is of the same suite name and is kept as written.
    assert not any("deb-src" in line for line in lines)
    assert lines[4].startswith("deb [arch=amd64] https://download.docker.com")


def test_bookworm_one_line_sources_and_disabled_stanza(tmp_path):
    root = tree(tmp_path, {
        "/etc/os-release": BOOKWORM_OS_RELEASE,
        "/etc/apt/sources.list": ("deb http://deb.example/debian bookworm main  # main archive\n"
                                  "deb http://deb.example/debian-security bookworm-security main\n"
                                  "deb http://deb.example/debian trixie main\n"),
        "/etc/apt/sources.list.d/off.sources": ("Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
                                                "Components: main\nEnabled: no\n"),
    })
    assert host_apt.os_release(root)["ID"] == "debian"
    assert host_apt.apt_lines("bookworm", root) == [
        "deb http://deb.example/debian bookworm main",
        "deb http://deb.example/debian-security bookworm-security main",
    ]


def test_folded_fields_are_joined():
    entries = host_apt.deb822_entries("Types: deb\nURIs: http://a.example/\n  http://b.example/\nSuites: noble\n")
    assert entries == [{"types": "deb", "uris": "http://a.example/ http://b.example/", "suites": "noble"}]


def test_no_sources_means_no_files(tmp_path):
    root = tree(tmp_path, {"/etc/os-release": NOBLE_OS_RELEASE, "/etc/apt/sources.list": ""})
    assert host_apt.source_files(root) == []
    assert host_apt.apt_lines("noble", root) == []


def test_missing_os_release_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        host_apt.os_release(str(tmp_path))


def test_archive_is_the_release_entry_with_its_keyring(tmp_path):
    root = tree(tmp_path, {
        "/etc/os-release": NOBLE_OS_RELEASE,
        "/etc/apt/sources.list.d/ubuntu.sources": NOBLE_SOURCES,
    })
    assert host_apt.archive("noble", root) == {
        "id": "ubuntu", "codename": "noble", "uri": "http://archive.ubuntu.com/ubuntu/",
        "components": ["main", "restricted", "universe", "multiverse"],
        "keyring": "/usr/share/keyrings/ubuntu-archive-keyring.gpg"}


def test_archive_from_one_line_sources_skips_other_suites(tmp_path):
    root = tree(tmp_path, {
        "/etc/os-release": BOOKWORM_OS_RELEASE,
        "/etc/apt/sources.list": ("deb http://deb.example/debian-security bookworm-security main\n"
                                  "deb [arch=amd64 signed-by=/k.gpg] http://deb.example/debian bookworm main contrib\n"),
    })
    assert host_apt.archive("bookworm", root) == {
        "id": "debian", "codename": "bookworm", "uri": "http://deb.example/debian",
        "components": ["main", "contrib"], "keyring": "/k.gpg"}


def test_archive_without_an_entry_of_the_release_raises(tmp_path):
    root = tree(tmp_path, {"/etc/os-release": BOOKWORM_OS_RELEASE,
                           "/etc/apt/sources.list": "deb http://deb.example/debian trixie main\n"})
    with pytest.raises(LookupError, match="no apt source of bookworm"):
        host_apt.archive("bookworm", root)
