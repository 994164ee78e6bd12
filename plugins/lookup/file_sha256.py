# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: file_sha256
short_description: The SHA-256 of files on the controller
version_added: 1.1.0
description:
  - Returns the SHA-256 (hex) of each file named, read on the controller in 1 MiB chunks. A relative path is
    looked up as M(ansible.builtin.copy) looks up its C(src) (the role's and the playbook's C(files/) directories,
    then relative to them), so the hash is of the file the copy sends.
  - What a C(stat) with C(checksum_algorithm=sha256) delegated to C(localhost) answers, without a task per host
    (a module run on the controller for every host costs a round trip; this is a read in the play's own process).
author:
  - noble.gohost developers (@noble-gohost)
options:
  _terms:
    description: Paths of files on the controller.
    type: list
    elements: path
    required: true
  missing:
    description:
      - What a file that does not exist gives - V(error) fails the lookup, V(empty) returns an empty string (so the
        task can fail with a message naming the variable).
    type: str
    choices: [error, empty]
    default: error
"""

EXAMPLES = r"""
- name: Name the release after the controller file's hash
  ansible.builtin.set_fact:
    release_id: "{{ lookup('noble.gohost.file_sha256', 'files/api')[:16] }}"

- name: Fail with the variable's name when the file is missing
  ansible.builtin.assert:
    that: lookup('noble.gohost.file_sha256', api_binary, missing='empty') | length > 0
    fail_msg: "api_binary: {{ api_binary }} does not exist on the controller"
"""

RETURN = r"""
_raw:
  description: The SHA-256 of each file, as 64 hex digits (an empty string for a missing file with O(missing=empty)).
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import file_sha256


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        missing = self.get_option("missing")
        out = []
        for term in terms:
            path = os.path.expanduser(str(term))
            if not os.path.isabs(path):
                path = self.find_file_in_search_path(variables, "files", path, ignore_missing=True) or path
            if not os.path.isfile(path):
                if missing == "empty":
                    out.append("")
                    continue
                raise AnsibleLookupError("file_sha256: %s is not a file on the controller" % path)
            try:
                out.append(file_sha256(path))
            except (IOError, OSError) as exc:
                raise AnsibleLookupError("file_sha256: cannot read %s: %s" % (path, exc))
        return out
