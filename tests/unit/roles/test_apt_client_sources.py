# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt_client role: the files it would write, computed by ansible-playbook (the ansible-core of the venv) from the
role's own defaults and vars on a local play that only templates (no task touches the host but a file in a
temporary directory), for a noble host with the ubuntu.sources of Ubuntu 24.04, for a noble host with a legacy
sources.list, and in cache mode. Numbers given as -e strings, as on the command line."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "apt_client")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "apt")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
UBUNTU = "/etc/apt/sources.list.d/ubuntu.sources"
LEGACY = "/etc/apt/sources.list"
DROPIN = "/etc/apt/apt.conf.d/80gohost-apt-client"
MIRROR = "http://mirror.example.internal/ubuntu"
KEYRING = "/etc/apt/keyrings/gohost-apt-mirror.asc"

PLAY = """
- hosts: localhost
  gather_facts: false
  connection: local
  vars_files:
    - %(role)s/defaults/main.yml
    - %(role)s/vars/main.yml
  vars:
    ansible_facts: {distribution: Ubuntu, distribution_release: noble}
  tasks:
    - name: What the role writes for each case
      ansible.builtin.copy:
        dest: "%(out)s/{{ item.name }}.json"
        content: "{{ __apt_client_wanted | to_json }}"
        mode: "0644"
      loop:
        - name: deb822
          old: {"%(ubuntu)s": "{{ lookup('file', '%(fixtures)s/noble-ubuntu.sources', rstrip=false) }}",
                "%(legacy)s": null}
        - name: legacy
          old: {"%(ubuntu)s": null,
                "%(legacy)s": "{{ lookup('file', '%(fixtures)s/noble-sources.list', rstrip=false) }}"}
        - name: cache
          old: {"%(ubuntu)s": "{{ lookup('file', '%(fixtures)s/noble-ubuntu.sources', rstrip=false) }}",
                "%(legacy)s": null}
          proxy: http://cache.example.internal:3142
      vars:  # task vars: above the role's defaults and vars read as vars_files
        apt_client_mirror_url: %(mirror)s
        apt_client_keyring_content: "-----BEGIN PGP PUBLIC KEY BLOCK-----"
        __apt_client_old: "{{ item.old }}"
        apt_client_proxy: "{{ item.proxy | default('') }}"
"""


@pytest.fixture(scope="module")
def wanted(tmp_path_factory):
    if not os.path.exists(PLAYBOOK):
        pytest.skip("ansible-playbook is not next to this Python (%s): run from the venv of `make venv`" % PLAYBOOK)
    tmp = tmp_path_factory.mktemp("apt_client")
    play = tmp / "play.yml"
    play.write_text(PLAY % {"role": ROLE, "mirror": MIRROR, "out": tmp, "ubuntu": UBUNTU, "legacy": LEGACY,
                            "fixtures": FIXTURES})
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", str(play), "-e", "apt_client_retries=5",
                           "-e", "ansible_python_interpreter=%s" % sys.executable], env=env, cwd=str(tmp),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    out = {name: json.loads((tmp / ("%s.json" % name)).read_text()) for name in ("deb822", "legacy", "cache")}
    shutil.rmtree(str(tmp))
    return out


def test_noble_ubuntu_sources_rewritten_in_place(wanted):
    files = wanted["deb822"]
    assert sorted(files) == sorted([UBUNTU, DROPIN])  # the role's default file on Ubuntu; sources.list untouched
    assert files[UBUNTU] == (
        "# Managed by noble.gohost.apt_client: the mirror %s.\n"
        "# The original is in /var/backups/gohost-apt-client/.\n\n"
        "Types: deb\nURIs: %s\nSuites: noble noble-updates noble-security\n"
        "Components: main restricted universe multiverse\nSigned-By: %s\n" % (MIRROR, MIRROR, KEYRING))


def test_dropin_takes_numbers_given_as_strings(wanted):
    assert wanted["deb822"][DROPIN] == (
        '// Managed by noble.gohost.apt_client\nAcquire::Retries "5";\nAcquire::Queue-Mode "host";\n')


def test_noble_legacy_sources_list_converted_third_party_kept(wanted):
    files = wanted["legacy"]
    assert sorted(files) == sorted([UBUNTU, LEGACY, DROPIN])
    assert "Suites: noble noble-updates noble-security\n" in files[UBUNTU]
    assert files[UBUNTU].count("URIs: ") == 1 and "URIs: %s\n" % MIRROR in files[UBUNTU]
    kept = files[LEGACY].splitlines()
    assert kept[0] == "# Managed by noble.gohost.apt_client: the distribution entries are in %s" % UBUNTU
    # backports (not mirrored), comments and third-party repositories (even for suite noble) stay as they were
    assert "deb http://archive.ubuntu.com/ubuntu noble-backports main restricted universe multiverse" in kept
    assert "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu " \
           "noble stable" in kept
    assert "deb [signed-by=/etc/apt/keyrings/vendor.gpg] https://apt.vendor.example/ubuntu noble main" in kept
    assert "# deb-src http://archive.ubuntu.com/ubuntu noble main restricted" in kept
    assert not [line for line in kept if line.startswith("deb http://archive.ubuntu.com/ubuntu noble ")]


def test_cache_mode_writes_the_proxy_only(wanted):
    assert list(wanted["cache"]) == [DROPIN]
    assert 'Acquire::http::Proxy "http://cache.example.internal:3142";' in wanted["cache"][DROPIN]
