# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests of systemd setting values, backed by the rules of module_utils/_systemd_units.py (the same code the
go_service filters check with), so a size or a time span is judged by one rule wherever a role checks one."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.noble.gohost.plugins.module_utils import _systemd_units as su


def systemd_size(value, percent=False, infinity=False):
    """Whether ``value`` is a size systemd's parse_size() takes (base 1024, K..E suffixes)."""
    if value is None or isinstance(value, bool):
        return False
    return su.check_size(value, allow_percent=percent, allow_infinity=infinity) is None


def systemd_timespan(value, infinity=False):
    """Whether ``value`` is a time span systemd's parse_sec() takes (``30s``, ``1min 30s``, a bare number)."""
    if value is None or isinstance(value, bool):
        return False
    return su.check_timespan(value, allow_infinity=infinity) is None


class TestModule(object):
    """systemd value tests."""

    def tests(self):
        return {"systemd_size": systemd_size, "systemd_timespan": systemd_timespan}
