# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where the modules that read Go executables look for them (plugins/module_utils/_go_buildinfo.candidates).
    DOCUMENTATION = r"""
options:
  paths:
    description:
      - Files or directories to read. A directory is scanned for regular files (see O(recurse)).
    type: list
    elements: path
    required: true
  recurse:
    description:
      - Also scan the subdirectories of a directory in O(paths).
    type: bool
    default: false
  follow:
    description:
      - In directories, also read symbolic links to files (a file is read once, under its first path).
    type: bool
    default: false
"""
