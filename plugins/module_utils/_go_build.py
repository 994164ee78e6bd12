# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a Go command from a module version, the one way the collection does it (module noble.gohost.go_build).

Not ``go install <package>@<version>``: that also asks the module proxy for the module's version list (to print
deprecation notices), which proxies that refuse listing, and mirrors in front of one, answer with an error. ``go get
<package>@<version>`` in a throwaway module needs only that version, and its checksums are verified against GOSUMDB
the same way. The binary is built next to its destination under a temporary name and renamed over it, so the
destination is never half written; leftovers of a build that was killed are removed by the next one.

Whether a build is needed is read from the destination's own build information (``_go_buildinfo``, the collection's
one ELF reader): the package path, the version of the module that provides it, and the build settings that the
options control (CGO_ENABLED, -trimpath, -ldflags, -tags).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import NotGoBinary, read_file

BUILD_MODULE = "gohost.build.local"
TMP_MARK = ".tmp-gobuild-"


class BuildError(Exception):
    """A build step failed; ``step`` names it and ``output`` holds what the go command printed."""

    def __init__(self, step, output, hint=""):
        Exception.__init__(self, "%s failed" % step)
        self.step = step
        self.output = output
        self.hint = hint


def wanted_settings(cgo, trimpath, ldflags, tags):
    """The build settings the Go linker records for these options (as `go version -m` prints them)."""
    settings = {"CGO_ENABLED": "1" if cgo else "0"}
    if trimpath:
        settings["-trimpath"] = "true"
    if ldflags:
        settings["-ldflags"] = ldflags
    if tags:
        settings["-tags"] = ",".join(tags)
    return settings


def providing_module(summary, package):
    """{path, version} of the module that provides `package` in a binary's build information, or None."""
    mods = [m for m in [summary.get("main_module")] + list(summary.get("deps") or []) if m]
    mods = [m for m in mods if package == m["path"] or package.startswith(m["path"] + "/")]
    if not mods:
        return None
    best = max(mods, key=lambda m: len(m["path"]))
    replaced = best.get("replace")
    return {"path": best["path"], "version": best["version"], "replace": replaced}


def read_current(dest):
    """The build information summary of `dest`, or (None, why it cannot be used)."""
    if not os.path.lexists(dest):
        return None, "%s does not exist" % dest
    try:
        return read_file(dest), None
    except NotGoBinary as exc:
        return None, "%s is not a Go executable (%s)" % (dest, exc)
    except (OSError, IOError) as exc:
        return None, "%s cannot be read (%s)" % (dest, exc)


def record_path(state_dir, dest):
    """The file that records how `dest` was built (`state_dir`/<dest with / as _>.json)."""
    return os.path.join(state_dir, dest.strip("/").replace("/", "_") + ".json")


def read_record(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, IOError, ValueError):
        return None


def write_record(path, record):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", dir=directory)
    with os.fdopen(handle, "w") as out:
        json.dump(record, out, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def reasons_to_build(summary, why_none, package, version, settings, record=None, sha256=None):
    """Why `dest` must be built (an empty list: it is up to date).

    A -trimpath build does not record its -ldflags: for it the -ldflags come from `record` (what go_build wrote
    after its build) when the record's sha256 is the executable's."""
    if summary is None:
        return [why_none]
    out = []
    if summary.get("package") != package:
        out.append("it is a build of %s, not %s" % (summary.get("package"), package))
        return out
    mod = providing_module(summary, package)
    if mod is None:
        out.append("its build information names no module that provides %s" % package)
    elif mod.get("replace"):
        out.append("its module %s is replaced by %s" % (mod["path"], mod["replace"]["path"]))
    elif mod["version"] != version:
        out.append("it was built from %s %s, not %s" % (mod["path"], mod["version"], version))
    have = dict(summary.get("settings") or {})
    if have.get("-trimpath") == "true" and "-ldflags" not in have:
        if record and record.get("sha256") == sha256:
            if record.get("settings", {}).get("-ldflags"):
                have["-ldflags"] = record["settings"]["-ldflags"]
        elif settings.get("-ldflags"):
            out.append("its -ldflags cannot be read (a -trimpath build does not record them) and no record of the "
                       "build that made it matches it")
            have["-ldflags"] = settings["-ldflags"]
    for key in sorted(set(settings) | set(k for k in ("-ldflags", "-tags", "-trimpath") if k in have)):
        if have.get(key) != settings.get(key):
            out.append("its %s is %r, not %r" % (key, have.get(key), settings.get(key)))
    return out


def remove_leftovers(dest):
    """Removes the temporary files of builds of `dest` that were killed before their rename; returns their paths."""
    directory, name = os.path.split(dest)
    prefix = "." + name + TMP_MARK
    gone = []
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return gone
    for entry in entries:
        if entry.startswith(prefix):
            path = os.path.join(directory, entry)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
                gone.append(path)
            except OSError:
                pass
    return gone


def _hint(output):
    text = output.lower()
    if "404" in text or "410" in text or "not found" in text or "unknown revision" in text:
        return "the module proxy does not have that version (check the version, GOPROXY and GONOSUMDB/GOPRIVATE)"
    if "403" in text or "forbidden" in text:
        return "the module proxy refused the module (403)"
    if "verifying" in text and ("security error" in text or "checksum mismatch" in text):
        return "the checksum database does not vouch for the module: nothing was installed"
    if "not a main package" in text or "is a program, not an importable package" in text:
        return "the package must be a main package (a command)"
    if "no required module provides package" in text or "does not contain package" in text:
        return "the module version has no such package"
    return ""


def build(run, go, package, version, dest, env, cgo=False, trimpath=True, ldflags="", tags=None, cache_dir=None):
    """Builds package@version into a temporary file next to `dest` and returns its path (the caller renames it over
    `dest`); on failure nothing is left next to `dest`.

    `run(argv, cwd, env)` runs a command and returns (rc, output). The throwaway module is made in a temporary
    directory; GOPATH (the module cache) and GOCACHE are under `cache_dir` when given (kept between runs), else in
    that directory, which is removed after the build."""
    tags = list(tags or [])
    work = tempfile.mkdtemp(prefix="gohost-gobuild-")
    handle, final = tempfile.mkstemp(prefix="." + os.path.basename(dest) + TMP_MARK, dir=os.path.dirname(dest) or ".")
    os.close(handle)
    root = cache_dir or work
    full_env = {"GOPATH": os.path.join(root, "gopath"), "GOCACHE": os.path.join(root, "gocache"),
                "GOTOOLCHAIN": "local", "HOME": work}
    full_env.update(env or {})
    full_env["CGO_ENABLED"] = "1" if cgo else "0"
    flags = (full_env.get("GOFLAGS") or "").split()
    if "-modcacherw" not in flags:
        flags.append("-modcacherw")  # the module cache can be removed like any directory
    full_env["GOFLAGS"] = " ".join(flags)
    ok = False
    try:
        with open(os.path.join(work, "go.mod"), "w") as out:
            out.write("module %s\n" % BUILD_MODULE)
        argv = [go, "build", "-o", final]
        if trimpath:
            argv.append("-trimpath")
        if ldflags:
            argv.append("-ldflags=" + ldflags)
        if tags:
            argv.append("-tags=" + ",".join(tags))
        steps = [("go get %s@%s" % (package, version), [go, "get", "%s@%s" % (package, version)]),
                 ("go build %s" % package, argv + [package])]
        for step, cmd in steps:
            rc, output = run(cmd, work, full_env)
            if rc != 0:
                raise BuildError(step, output, _hint(output))
        ok = True
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not ok and os.path.lexists(final):
            os.unlink(final)
