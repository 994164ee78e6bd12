# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""deb822 / sources.list parsing and the rewrite of a distribution's sources to the mirror (apt_client role),
against the files Ubuntu 24.04 and Debian 12 ship (tests/unit/fixtures/apt)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.filter import deb822 as f
from ansible_collections.noble.gohost.plugins.module_utils import _deb822

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt")
KEYRING = "/usr/share/keyrings/gohost-apt-mirror.gpg"
MIRROR = "http://mirror.example.internal/ubuntu"
NOBLE = ["noble", "noble-updates", "noble-security"]


def read(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return fh.read()


def test_filters_registered():
    assert set(f.FilterModule().filters()) == {"deb822_parse", "deb822_to_mirror", "deb822_render"}


def test_parse_noble_ubuntu_sources():
    stanzas = f.deb822_parse(read("noble-ubuntu.sources"))
    assert stanzas == [
        {"Types": "deb", "URIs": "http://archive.ubuntu.com/ubuntu/", "Suites": "noble noble-updates noble-backports",
         "Components": "main restricted universe multiverse",
         "Signed-By": "/usr/share/keyrings/ubuntu-archive-keyring.gpg"},
        {"Types": "deb", "URIs": "http://security.ubuntu.com/ubuntu/", "Suites": "noble-security",
         "Components": "main restricted universe multiverse",
         "Signed-By": "/usr/share/keyrings/ubuntu-archive-keyring.gpg"},
    ]


def test_noble_rewrite_to_mirror_with_role_defaults():
    """The apt_client defaults on noble: suites noble, noble-updates, noble-security (what apt_mirror publishes by
    default under one prefix); noble-backports is dropped, both stanzas become one."""
    out = f.deb822_to_mirror(f.deb822_parse(read("noble-ubuntu.sources")), MIRROR + "/", KEYRING, suites=NOBLE)
    assert out == [{"Types": "deb", "URIs": MIRROR, "Suites": "noble noble-updates noble-security",
                    "Components": "main restricted universe multiverse", "Signed-By": KEYRING}]
    text = f.deb822_render(out, header="Managed by noble.gohost.apt_client\noriginal: /var/backups/x")
    assert text == (
        "# Managed by noble.gohost.apt_client\n# original: /var/backups/x\n\n"
        "Types: deb\nURIs: %s\nSuites: noble noble-updates noble-security\n"
        "Components: main restricted universe multiverse\nSigned-By: %s\n" % (MIRROR, KEYRING))
    # rewriting the rewritten file gives the same stanzas: the second run of the role changes nothing
    assert f.deb822_to_mirror(f.deb822_parse(text), MIRROR, KEYRING, suites=NOBLE) == out


def test_noble_rewrite_keeps_all_suites_without_filter():
    out = f.deb822_to_mirror(f.deb822_parse(read("noble-ubuntu.sources")), MIRROR, KEYRING)
    assert out[0]["Suites"] == "noble noble-updates noble-backports noble-security"


def test_debian_sources_deb_src_dropped_and_components_filtered():
    stanzas = f.deb822_parse(read("bookworm-debian.sources"))
    assert [s["URIs"] for s in stanzas] == ["http://deb.debian.org/debian", "http://deb.debian.org/debian-security"]
    out = f.deb822_to_mirror(stanzas, "http://m/debian", KEYRING, types=["deb"], components=["main"],
                             suites=["bookworm", "bookworm-security"])
    assert out == [{"Types": "deb", "URIs": "http://m/debian", "Suites": "bookworm bookworm-security",
                    "Components": "main", "Signed-By": KEYRING}]


def test_legacy_sources_list():
    stanzas = f.deb822_parse(read("bookworm-sources.list"), legacy=True)
    assert stanzas[0] == {"Types": "deb", "URIs": "http://deb.debian.org/debian", "Suites": "bookworm bookworm-updates",
                          "Components": "main contrib non-free-firmware"}
    assert stanzas[1]["Types"] == "deb-src"
    assert stanzas[2]["Suites"] == "bookworm-security"
    assert stanzas[3] == {"Types": "deb", "URIs": "https://example.org/apt", "Suites": "stable", "Components": "main",
                          "Architectures": "amd64 i386", "Signed-By": "/etc/apt/keyrings/extra.gpg"}


def test_options_kept_and_upstream_options_dropped():
    stanzas = [{"Types": "deb", "URIs": "http://a/", "Suites": "x", "Components": "main", "Trusted": "yes",
                "Snapshot": "20240101T000000Z", "By-Hash": "force", "Architectures": "amd64 arm64"}]
    out = f.deb822_to_mirror(stanzas, MIRROR, KEYRING, architectures=["amd64"])
    assert out == [{"Types": "deb", "URIs": MIRROR, "Suites": "x", "Components": "main", "By-Hash": "force",
                    "Architectures": "amd64", "Signed-By": KEYRING}]


def test_disabled_stanza_dropped_and_flat_repository():
    stanzas = f.deb822_parse("Types: deb\nURIs: http://a\nSuites: x\nComponents: main\nEnabled: no\n\n"
                             "Types: deb\nURIs: http://b\nSuites: ./\n")
    assert f.deb822_to_mirror(stanzas, MIRROR, KEYRING) == [
        {"Types": "deb", "URIs": MIRROR, "Suites": "./", "Signed-By": KEYRING}]


def test_continuation_lines_and_render_roundtrip():
    text = ("Types: deb\nURIs: http://a\nSuites: x\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
            " .\n mQINBF\n -----END PGP PUBLIC KEY BLOCK-----\n")
    stanzas = f.deb822_parse(text)
    assert stanzas[0]["Signed-By"] == ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n.\nmQINBF\n"
                                       "-----END PGP PUBLIC KEY BLOCK-----")
    assert f.deb822_parse(f.deb822_render(stanzas)) == stanzas


@pytest.mark.parametrize("text,msg", [
    ("Types deb\n", "line 1: not a 'Field: value' line"),
    (" continued\n", "line 1: continuation line without a field"),
    ("Types: deb\ntypes: deb-src\n", "line 2: field types given twice"),
])
def test_parse_errors_name_the_line(text, msg):
    with pytest.raises(AnsibleFilterError, match=msg):
        f.deb822_parse(text, where="ubuntu.sources")


@pytest.mark.parametrize("text,msg", [
    ("deb http://a\n", "line 1: not 'deb\\[-src\\]"),
    ("deb [arch] http://a x main\n", "option 'arch' is not key=value"),
    ("deb [colour=red] http://a x main\n", "unknown option 'colour'"),
])
def test_legacy_errors(text, msg):
    with pytest.raises(AnsibleFilterError, match=msg):
        f.deb822_parse(text, legacy=True)


def test_to_mirror_errors():
    stanzas = f.deb822_parse(read("noble-ubuntu.sources"))
    with pytest.raises(AnsibleFilterError, match="mirror URI must be"):
        f.deb822_to_mirror(stanzas, "mirror.example", KEYRING)
    with pytest.raises(AnsibleFilterError, match="Signed-By must be"):
        f.deb822_to_mirror(stanzas, MIRROR, "")
    with pytest.raises(AnsibleFilterError, match="no enabled stanza is left"):
        f.deb822_to_mirror(stanzas, MIRROR, KEYRING, suites=["jammy"])
    with pytest.raises(AnsibleFilterError, match="expected a list of stanzas"):
        f.deb822_to_mirror("Types: deb", MIRROR, KEYRING)
    with pytest.raises(AnsibleFilterError, match="expected the text"):
        f.deb822_parse(None)


def test_module_utils_merge_keeps_order():
    merged = _deb822._merge([{"Types": "deb", "URIs": "u", "Suites": "b a"}, {"Types": "deb", "URIs": "u",
                                                                              "Suites": "a c"}])
    assert merged == [{"Types": "deb", "URIs": "u", "Suites": "b a c"}]
