# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apparmor_parser for unit tests: real outputs, recorded once, replayed by content.

``ReplayParser(securityfs)`` stands in for ``module.run_command``. An offline call (``--names``, ``--debug``,
``--skip-kernel-load``...) is answered with what the real parser printed for the same options and the same file
content (tests/unit/fixtures/apparmor/parser-recorded.json; the file's path is stored as ``@PATH@``). ``--replace``
and ``--remove`` update the fixture's securityfs ``profiles`` file with the names and modes the recorded
``--names`` / ``--debug`` outputs give for that file, as the kernel would.

A call that was never recorded fails the test. To record (again), on a host with apparmor_parser (the recordings
come from Debian 12's parser, 3.0.8, with /etc/apparmor.d as base):

    GOHOST_APPARMOR_RECORD=1 PYTHONPATH=$PWD/.cache/collections .venv/bin/pytest tests/unit -k apparmor
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import subprocess

from ansible_collections.noble.gohost.plugins.module_utils import _apparmor

RECORDINGS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apparmor", "parser-recorded.json")
RECORD = os.environ.get("GOHOST_APPARMOR_RECORD") == "1"
REAL_PARSER = "/sbin/apparmor_parser"
REAL_BASE = "/etc/apparmor.d"
_LOADING = ("--replace", "--remove")


def _load():
    try:
        with open(RECORDINGS) as fh:
            return json.load(fh)
    except (IOError, OSError):
        return {}


_RECORDED = _load()


def key_of(options, content):
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:20] + " " + " ".join(options)


class ReplayParser(object):
    """``run_command`` of a module whose apparmor_parser is the recorded one; ``calls`` lists the option lists."""

    def __init__(self, securityfs):
        self.securityfs = securityfs
        self.calls = []
        self.binary = "/sbin/apparmor_parser"

    def _offline(self, options, path):
        with open(path) as fh:
            content = fh.read()
        key = key_of(options, content)
        if RECORD:
            proc = subprocess.run([REAL_PARSER, "--base", REAL_BASE] + options + [path], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True, check=False)
            _RECORDED[key] = {"content": content, "rc": proc.returncode,
                              "out": proc.stdout.replace(path, "@PATH@"), "err": proc.stderr.replace(path, "@PATH@")}
            with open(RECORDINGS, "w") as fh:
                json.dump(_RECORDED, fh, indent=1, sort_keys=True)
                fh.write("\n")
        if key not in _RECORDED:
            raise AssertionError("no recorded apparmor_parser output for %s on this content (record with "
                                 "GOHOST_APPARMOR_RECORD=1, see %s):\n%s" % (options, __file__, content))
        rec = _RECORDED[key]
        return rec["rc"], rec["out"].replace("@PATH@", path), rec["err"].replace("@PATH@", path)

    def _profiles(self, path):
        """``[(name, mode)]`` from the recorded --names and --debug outputs (the kernel's names of the modes)."""
        rc, names, err = self._offline(["--names"], path)
        assert rc == 0, err
        rc, out, err = self._offline(["--skip-kernel-load", "--skip-cache", "--debug"], path)
        assert rc == 0, err
        modes = [line[len("Mode: "):].split(",")[0].strip() or "enforce"
                 for line in err.splitlines() if line.startswith("Mode: ")]
        names = names.split()
        assert len(names) == len(modes), (names, modes)
        return list(zip(names, modes))

    def loaded(self):
        return _apparmor.loaded_profiles(self.securityfs)

    def save(self, loaded):
        with open(os.path.join(self.securityfs, "profiles"), "w") as fh:
            for name, mode in sorted(loaded.items()):
                fh.write("%s (%s)\n" % (name, mode))

    def run_command(self, args, **kwargs):
        args = list(args)
        assert args[1] == "--base", args
        options, path = args[3:-1], args[-1]
        self.calls.append(options + [path])
        if not any(o in _LOADING for o in options):
            return self._offline(options, path)
        profiles = self._profiles(path)
        loaded = self.loaded()
        for name, mode in profiles:
            if "--replace" in options:
                loaded[name] = mode
            else:
                loaded.pop(name, None)
        self.save(loaded)
        return 0, "", ""

    __call__ = run_command
