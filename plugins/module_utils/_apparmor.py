# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor helpers shared by the noble.gohost modules (private: the API may change without notice).

Kernel state is read from securityfs (``/sys/kernel/security/apparmor``) and ``/sys/module/apparmor``; profiles are
parsed, loaded and removed with ``apparmor_parser`` (never by writing to securityfs directly).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

SECURITYFS = "/sys/kernel/security/apparmor"
SYSMODULE = "/sys/module/apparmor"

# The modes the kernel reports in securityfs' "profiles" file that this collection manages.
MANAGED_MODES = ("enforce", "complain")
_MODE_FLAGS = ("complain", "enforce", "kill", "unconfined", "prompt")
_FLAGS_RE = re.compile(r"\s+flags\s*=\s*\(([^)]*)\)")
_HEADER_START_RE = re.compile(r"^\s*(profile\s|hat\s|\^|/|@\{|\"|:)")


def kernel_status(securityfs=None, sysmodule=None):
    """Whether profiles can be loaded here: ``(True, "")`` or ``(False, reason)``."""
    securityfs = securityfs or SECURITYFS
    sysmodule = sysmodule or SYSMODULE
    if not os.path.isdir(sysmodule):
        return False, "the running kernel has no AppArmor (%s does not exist)" % sysmodule
    enabled_path = os.path.join(sysmodule, "parameters", "enabled")
    try:
        with open(enabled_path) as fh:
            enabled = fh.read().strip()
    except (IOError, OSError) as exc:
        return False, "cannot read %s: %s" % (enabled_path, exc)
    if enabled != "Y":
        return False, ("AppArmor is built into the kernel but not enabled (%s is %r: apparmor=0 or another security "
                       "module on the kernel command line)" % (enabled_path, enabled))
    profiles = os.path.join(securityfs, "profiles")
    if not os.access(profiles, os.R_OK):
        return False, ("%s cannot be read: securityfs is not mounted or not visible here (a container?)"
                       % profiles)
    load = os.path.join(securityfs, ".replace")
    if not os.access(load, os.W_OK):
        return False, ("%s is not writable: profiles cannot be loaded from here (a container, or no "
                       "CAP_MAC_ADMIN)" % load)
    return True, ""


def loaded_profiles(securityfs=None):
    """``{profile name: mode}`` of the profiles loaded in the kernel (empty when they cannot be read)."""
    path = os.path.join(securityfs or SECURITYFS, "profiles")
    result = {}
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except (IOError, OSError):
        return result
    for line in lines:
        line = line.rstrip()
        if not line.endswith(")") or " (" not in line:
            continue
        name, mode = line[:-1].rsplit(" (", 1)
        result[name] = mode
    return result


def _strip_comment(line):
    """``line`` without its comment; ``#include`` is a directive, not a comment."""
    out = []
    quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted and not line[i:].startswith("#include"):
            break
        out.append(char)
        i += 1
    return "".join(out)


def set_mode(content, mode):
    """``content`` with the mode flag of every top-level profile set to ``mode`` (``enforce`` or ``complain``).

    ``complain`` adds the ``complain`` flag (as ``aa-complain`` does); ``enforce`` removes ``complain`` and
    ``enforce``. Other flags (``attach_disconnected``, ``unconfined``, ...) are kept. Child profiles and hats follow
    their parent, as in the kernel. Returns the new text and the number of profile headers seen.
    """
    if mode not in MANAGED_MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MANAGED_MODES))
    lines = content.split("\n")
    depth = 0
    headers = 0
    for index, line in enumerate(lines):
        code = _strip_comment(line)
        # Variable references (@{HOME}) and alternations ({a,b}) are balanced on their line.
        delta = code.count("{") - code.count("}")
        stripped = code.rstrip()
        if depth == 0 and delta == 1 and stripped.endswith("{") and _HEADER_START_RE.match(code):
            headers += 1
            lines[index] = _with_mode(stripped[:-1].rstrip(), mode) + " {" + code[len(stripped):] + line[len(code):]
        depth = max(depth + delta, 0)
    return "\n".join(lines), headers


def _with_mode(header, mode):
    match = _FLAGS_RE.search(header)
    flags = []
    if match:
        flags = [f for f in re.split(r"[\s,]+", match.group(1).strip()) if f]
        header = header[:match.start()] + header[match.end():]
    flags = [f for f in flags if f not in ("complain", "enforce")]
    if mode == "complain":
        flags.insert(0, "complain")
    if flags:
        header += " flags=(%s)" % ",".join(flags)
    return header


class Parser(object):
    """``apparmor_parser`` run through an AnsibleModule (so that unit tests mock ``module.run_command``)."""

    def __init__(self, module, binary, base_dir):
        self.module = module
        self.binary = binary
        self.base_dir = base_dir

    def _run(self, args, path):
        return self.module.run_command([self.binary, "--base", self.base_dir] + args + [path])

    def check(self, path):
        """Compile ``path`` without touching the kernel or the cache: ``(ok, message)``."""
        rc, out, err = self._run(["--skip-kernel-load", "--skip-cache", "--quiet"], path)
        return rc == 0, (err or out).strip()

    def names(self, path):
        """Names of the profiles defined in ``path`` (hats and children too, as ``parent//child``)."""
        rc, out, err = self._run(["--names"], path)
        if rc != 0:
            return None, (err or out).strip()
        return [n.strip() for n in out.splitlines() if n.strip()], ""

    def replace(self, path):
        rc, out, err = self._run(["--replace", "--write-cache"], path)
        return rc == 0, (err or out).strip()

    def remove(self, path):
        rc, out, err = self._run(["--remove"], path)
        return rc == 0, (err or out).strip()
