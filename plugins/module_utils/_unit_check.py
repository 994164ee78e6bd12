# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline gate for rendered systemd units: ``systemd-analyze verify`` and ``systemd-analyze security
--offline=true`` on copies in a temporary directory, before the units are installed.

Used by the ``systemd_unit_check`` module, which every role that installs a unit calls (go_service's services,
goproxy's proxy, prune and vulnerability database units). ``run`` is a callable ``run(argv, environ) -> (rc, out,
err)`` so the tests can stand in for systemd-analyze.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

_EXPOSURE_RE = re.compile(r"Overall exposure level for (\S+): ([0-9.]+)")
# A finding: "✗ PrivateNetwork=   Service has access to the host's network     0.5"
_FINDING_RE = re.compile(u"^\u2717\\s+(\\S+)\\s+(.*?)\\s+([0-9.]+)\\s*$")
_EXEC_KEYS = ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost")
_EXEC_PREFIXES = "@-:+!|"


class GateError(Exception):
    """The gate refused a unit: ``step`` is ``verify`` or ``security``; ``result`` carries what was measured."""

    def __init__(self, step, message, result):
        super(GateError, self).__init__(message)
        self.step = step
        self.message = message
        self.result = result


def parse_security(text):
    """``(exposure, findings)`` from the output of ``systemd-analyze security UNIT``: the overall exposure as a
    float (``None`` when the output has none) and the failed checks as ``"<exposure> <setting> (<description>)"``,
    worst first."""
    match = _EXPOSURE_RE.search(text or "")
    exposure = float(match.group(2)) if match else None
    findings = []
    for line in (text or "").splitlines():
        found = _FINDING_RE.match(line.strip())
        if found:
            findings.append((float(found.group(3)), "%s %s (%s)" % (found.group(3), found.group(1), found.group(2))))
    findings.sort(key=lambda item: -item[0])
    return exposure, [text for _score, text in findings]


def executables(content):
    """The absolute paths of the programs a unit's Exec*= lines run (prefixes such as ``-`` and ``!`` dropped)."""
    paths = []
    for line in (content or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.strip() not in _EXEC_KEYS:
            continue
        words = value.strip().lstrip(_EXEC_PREFIXES).split()
        if words and words[0].startswith("/") and words[0] not in paths:
            paths.append(words[0])
    return paths


def threshold_arg(threshold):
    """systemd-analyze's ``--threshold=`` takes tenths (``4.5`` -> ``45``)."""
    return "--threshold=%d" % int(round(float(threshold) * 10))


def ignored_settings(verify_text, names):
    """The lines of ``systemd-analyze verify`` output where systemd drops a setting of one of the units ``names``
    (``api.service:12: Invalid memory limit 'lots', ignoring: ...``, ``Unknown key ...``): systemd still loads
    the unit and exits 0, so without this a mistyped sandbox or limit setting would silently be nothing."""
    found = []
    for line in (verify_text or "").splitlines():
        head, sep, rest = line.partition(": ")
        name, colon, lineno = head.rpartition(":")
        if sep and colon and lineno.isdigit() and name in names and "ignoring" in rest:
            found.append(line.strip())
    return found


def check_units(run, units, threshold=None, label="", hint="", findings=5, tmp_root=None, ignored="fail"):
    """Verify the ``units`` (a list of ``{"name", "content"}``) together, then rate each ``.service`` against
    ``threshold`` (0.0 .. 10.0; ``None`` rates without a limit). Returns ``{"exposure": {name: float},
    "findings": {name: [...]}, "verify": text, "ignored": [lines]}``; raises :class:`GateError` with a message
    that starts with ``label`` when systemd-analyze refuses a unit, or (``ignored="fail"``) when it ignores one
    of their settings. Nothing outside the temporary directory is written."""
    prefix = "%s: " % label if label else ""
    result = {"exposure": {}, "findings": {}, "verify": "", "ignored": []}
    tmp = tempfile.mkdtemp(prefix="gohost-unit-check.", dir=tmp_root)
    try:
        paths = []
        for unit in units:
            path = os.path.join(tmp, unit["name"])
            with open(path, "w") as handle:
                handle.write(unit["content"])
            paths.append(path)
        rc, out, err = run(["systemd-analyze", "verify", "--man=no"] + paths, {})
        text = "\n".join(part.strip() for part in (err, out) if part and part.strip())
        result["verify"] = text.replace(tmp + "/", "")
        if rc != 0:
            raise GateError("verify", "%ssystemd-analyze verify rejected the unit (rc=%s): %s" % (
                prefix, rc, " | ".join(result["verify"].splitlines())), result)
        result["ignored"] = ignored_settings(result["verify"], [unit["name"] for unit in units])
        if result["ignored"] and ignored == "fail":
            raise GateError("verify", "%ssystemd ignores settings of the unit, which would leave them unset: %s" % (
                prefix, " | ".join(result["ignored"])), result)
        for unit, path in zip(units, paths):
            if not unit["name"].endswith(".service"):
                continue
            argv = ["systemd-analyze", "security", "--offline=true", "--no-pager"]
            if threshold is not None:
                argv.append(threshold_arg(threshold))
            rc, out, err = run(argv + [path], {"SYSTEMD_COLORS": "0"})
            exposure, worst = parse_security(out)
            result["exposure"][unit["name"]] = exposure
            result["findings"][unit["name"]] = worst
            if exposure is None:
                raise GateError("security", "%ssystemd-analyze security could not rate %s (rc=%s): %s" % (
                    prefix, unit["name"], rc, " | ".join((err or out or "").strip().splitlines()[-5:])), result)
            if rc != 0 or (threshold is not None and exposure > float(threshold)):
                raise GateError("security", "%ssystemd-analyze security rates the unit %s %s, above the threshold "
                                "%s%s. Worst findings (exposure, setting): %s" % (
                                    prefix, unit["name"], exposure, threshold, " (%s)" % hint if hint else "",
                                    "; ".join(worst[:findings])), result)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
