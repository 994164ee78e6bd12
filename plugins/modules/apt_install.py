#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_install
short_description: Install Debian packages, updating the package lists only when apt needs it
version_added: 1.0.0
description:
  - Installs the packages O(name) that are not installed yet, with M(ansible.builtin.apt), and updates the
    package lists only when the install cannot go ahead without an update.
  - First C(dpkg-query) says which packages are installed. When all of them are, nothing else runs; no apt update,
    no python3-apt, no mirror are needed, and the task reports no change.
  - The missing ones are installed from the package lists as they are. Only when that fails (the lists are empty,
    whatever the timestamp of C(/var/lib/apt/lists); or they are stale and name files the mirror no longer has)
    are the lists updated and the install tried once more. A host whose lists are empty but recent therefore
    installs, which C(cache_valid_time) cannot do.
  - This is the action plugin's work on the controller; the target runs C(dpkg-query) and M(ansible.builtin.apt).
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    support: full
    description:
      - Reports what would be installed. When apt cannot resolve the packages without an update (empty lists), the
        lists are not updated and the install is reported as a change.
  diff_mode:
    support: none
    description: Nothing to compare.
  action:
    support: full
    description: The logic runs in the action plugin on the controller.
options:
  name:
    description:
      - The packages. A plain name counts as installed when dpkg says so; anything else (a virtual package, a
        version pin C(name=1.2), a wildcard) is left to apt, which decides without updating the lists.
    type: list
    elements: str
    required: true
  install_recommends:
    description: Passed to M(ansible.builtin.apt); unset leaves the platform's default.
    type: bool
requirements:
  - dpkg and apt on the target (Debian, Ubuntu)
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install AppArmor's user space (an update only when the lists cannot provide it)
  noble.gohost.apt_install:
    name: [apparmor, apparmor-utils]

- name: The C toolchain, without recommended packages
  noble.gohost.apt_install:
    name: [build-essential, pkg-config]
    install_recommends: false
"""

RETURN = r"""
missing:
  description: The packages of O(name) dpkg did not have installed (the ones handed to apt).
  returned: always
  type: list
  elements: str
  sample: [bpftrace]
cache_updated:
  description: Whether the package lists were updated (never in check mode).
  returned: always
  type: bool
  sample: true
msg:
  description: What was done, or why it failed (with apt's message of the attempt without an update).
  returned: always
  type: str
  sample: "installed already: apparmor, apparmor-utils"
stdout:
  description: apt-get's output of the install, when apt ran.
  returned: when apt ran
  type: str
"""
