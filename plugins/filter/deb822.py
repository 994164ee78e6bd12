# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for APT sources (used by the apt_client role): parse deb822 ``.sources`` and legacy ``sources.list``
texts, rewrite them to a mirror, render them back."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.module_utils import _deb822


def deb822_parse(text, legacy=False, where=None):
    if not isinstance(text, str):
        raise AnsibleFilterError("deb822_parse: expected the text of a sources file, got %r" % (type(text),))
    try:
        if legacy:
            return _deb822.parse_sources_list(text, where or "sources.list")
        return _deb822.parse_deb822(text, where or "sources")
    except _deb822.SourcesError as exc:
        raise AnsibleFilterError("deb822_parse: %s" % exc)


def deb822_to_mirror(stanzas, uri, signed_by, suites=None, components=None, types=None, architectures=None):
    if not isinstance(stanzas, list) or not all(isinstance(s, dict) for s in stanzas):
        raise AnsibleFilterError("deb822_to_mirror: expected a list of stanzas (deb822_parse), got %r" % (stanzas,))
    try:
        return _deb822.to_mirror(stanzas, uri, signed_by, suites=suites or None, components=components or None,
                                 types=types or None, architectures=architectures or None)
    except _deb822.SourcesError as exc:
        raise AnsibleFilterError("deb822_to_mirror: %s" % exc)


def deb822_render(stanzas, header=None):
    if not isinstance(stanzas, list) or not all(isinstance(s, dict) for s in stanzas):
        raise AnsibleFilterError("deb822_render: expected a list of stanzas, got %r" % (stanzas,))
    return _deb822.render_deb822(stanzas, header)


class FilterModule(object):
    def filters(self):
        return {
            "deb822_parse": deb822_parse,
            "deb822_to_mirror": deb822_to_mirror,
            "deb822_render": deb822_render,
        }
