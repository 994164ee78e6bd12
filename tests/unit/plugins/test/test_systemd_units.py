# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd_size and systemd_timespan tests: systemd's own parse rules (module_utils/_systemd_units.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.noble.gohost.plugins.test import systemd_units as t


def test_registered():
    assert set(t.TestModule().tests()) == {"systemd_size", "systemd_timespan"}


@pytest.mark.parametrize("value, ok", [
    ("2G", True), ("1.5G", True), ("512", True), (512, True), ("100M", True), ("8E", True),
    ("2g", False), ("1.5", False), ("12X", False), ("", False), ("80%", False), ("infinity", False),
    (None, False), (True, False), (-1, False), ("1 G", True),
])
def test_systemd_size(value, ok):
    assert t.systemd_size(value) is ok


def test_systemd_size_options():
    assert t.systemd_size("80%", percent=True) and t.systemd_size("infinity", infinity=True)
    assert not t.systemd_size("180%", percent=True)


@pytest.mark.parametrize("value, ok", [
    ("30s", True), ("5min", True), ("1min 30s", True), ("2weeks 3days", True), ("1month", True), ("250ms", True),
    ("10", True), (10, True), ("1.5h", True), ("0", True),
    ("5 parsecs", False), ("", False), ("s5", False), ("infinity", False), (None, False), (False, False),
])
def test_systemd_timespan(value, ok):
    assert t.systemd_timespan(value) is ok
    assert t.systemd_timespan("infinity", infinity=True)
