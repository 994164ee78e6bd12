# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Go vulnerability database, mirrored from the golang.org/x/vulndb module.

The module (fetched with the go command through a GOPROXY, so its zip is verified against go.sum's checksum
database like any module) carries every OSV entry in data/osv/. This builds from them the layout govulncheck's
`-db` reads (https://go.dev/security/vuln/database#api), the way vulndb's own cmd/gendb does
(internal/database: Add, Write; internal/osvutils.LatestFixed), without a git history:

  index/db.json        {"modified": <the latest entry's modified>}
  index/modules.json   [{"path", "vulns": [{"id", "modified", "fixed"?}]}]   sorted by path, vulns by id
  index/vulns.json     [{"id", "modified", "aliases"?}]                      sorted by id
  ID/<id>.json         each OSV entry
  and a .gz of each (govulncheck asks an HTTP database for the .json.gz).

gendb takes an entry's `modified` and `published` from the git history of its file; the module has no history
and its files carry the zero time, so an entry without its own time gets the time of the module version (its
commit time, from `go list -m -json`): what gendb writes for a one-commit repository of the same tree, except that
a rebuild of the same version gives the same bytes.

The update (`update()`, run by the goproxy role's timer as `python3 gohost_vulndb.py CONFIG`) builds into a
staging directory, checks it, then switches the `current` link atomically: a failed or killed update leaves the
served database as it was.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time

MODULE = "golang.org/x/vulndb"
ZERO_TIME = "0001-01-01T00:00:00Z"
ID_RE = re.compile(r"^[A-Z]+-[0-9]{4}-[0-9]+$")
_SEMVER_RE = re.compile(
    r"^v?(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$")


class VulnDBError(Exception):
    """An update or a build that cannot go on; the message says what and why."""


def _semver_key(version):
    """Sort key of a semantic version with or without the leading v (golang.org/x/mod/semver order); None when
    the version is not valid (an invalid version sorts before every valid one, as semver.Compare does)."""
    match = _SEMVER_RE.match(version or "")
    if not match:
        return None
    pre = match.group("pre")
    if pre is None:
        pre_key = (1,)
    else:
        pre_key = (0,) + tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(match.group("major")), int(match.group("minor")), int(match.group("patch")), pre_key)


def semver_before(a, b):
    """a < b in semver order; an invalid version is before any valid one and equal to another invalid one."""
    ka, kb = _semver_key(a), _semver_key(b)
    if kb is None:
        return False
    if ka is None:
        return True
    return ka < kb


def latest_fixed(ranges):
    """The version from which no later version is affected (vulndb's osvutils.LatestFixed): the latest `fixed`
    event of the SEMVER ranges, or "" when a range is re-introduced after it."""
    latest = ""
    for rng in ranges or []:
        if rng.get("type") != "SEMVER":
            continue
        events = rng.get("events") or []
        for event in events:
            fixed = event.get("fixed") or ""
            if fixed and semver_before(latest, fixed):
                latest = fixed
        for event in events:
            introduced = event.get("introduced") or ""
            if introduced and introduced != "0" and semver_before(latest, introduced):
                latest = ""
                break
    return latest


def _dumps(value):
    # encoding/json's compact form; ensure_ascii=False keeps non-ASCII text as UTF-8 like Go does.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _write(path, value):
    data = _dumps(value).encode("utf-8")
    with open(path, "wb") as handle:
        handle.write(data)
    buf = io.BytesIO()
    # mtime=0: the same entry gives the same .gz bytes on every build.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    with open(path + ".gz", "wb") as handle:
        handle.write(buf.getvalue())


def load_entries(osv_dir, default_time):
    """Every OSV entry of osv_dir (*.json), checked: an id of the GO-YYYY-NNNN form matching its file name, a
    list of affected modules; the zero or missing modified/published become default_time."""
    if not os.path.isdir(osv_dir):
        raise VulnDBError("%s is not a directory: not a golang.org/x/vulndb tree" % osv_dir)
    entries = []
    for name in sorted(os.listdir(osv_dir)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(osv_dir, name)
        try:
            with open(path, "rb") as handle:
                entry = json.loads(handle.read().decode("utf-8"))
        except (IOError, OSError, ValueError) as exc:
            raise VulnDBError("%s is not a JSON OSV entry: %s" % (path, exc))
        if not isinstance(entry, dict):
            raise VulnDBError("%s is not a JSON OSV entry: not an object" % path)
        entry_id = entry.get("id")
        if not isinstance(entry_id, str) or not ID_RE.match(entry_id) or name != entry_id + ".json":
            raise VulnDBError("%s: id %r does not name the file" % (path, entry_id))
        if not isinstance(entry.get("affected", []), list):
            raise VulnDBError("%s: affected is not a list" % path)
        for key in ("modified", "published"):
            if entry.get(key) in (None, "", ZERO_TIME):
                entry[key] = default_time
        entries.append(entry)
    if not entries:
        raise VulnDBError("%s holds no OSV entry" % osv_dir)
    return entries


def build(osv_dir, out_dir, default_time):
    """Write the database layout into out_dir (created; must not exist) from the entries of osv_dir.
    Returns {entries, modules, modified}."""
    entries = load_entries(osv_dir, default_time)
    modules = {}
    vulns = []
    db_modified = ""
    for entry in entries:
        if entry["modified"] > db_modified:  # RFC 3339 UTC times sort as strings
            db_modified = entry["modified"]
        for affected in entry.get("affected") or []:
            path = ((affected or {}).get("package") or {}).get("name")
            if not path:
                raise VulnDBError("%s: an affected block names no module" % entry["id"])
            vuln = {"id": entry["id"], "modified": entry["modified"]}
            fixed = latest_fixed(affected.get("ranges"))
            if fixed:
                vuln["fixed"] = fixed
            modules.setdefault(path, []).append(vuln)
        meta = {"id": entry["id"], "modified": entry["modified"]}
        if entry.get("aliases"):
            meta["aliases"] = entry["aliases"]
        vulns.append(meta)
    os.makedirs(os.path.join(out_dir, "index"))
    os.makedirs(os.path.join(out_dir, "ID"))
    _write(os.path.join(out_dir, "index", "db.json"), {"modified": db_modified})
    # Stable sorts, as the Go code's SortStableFunc: the entries of one id keep the order of the affected blocks.
    _write(os.path.join(out_dir, "index", "modules.json"),
           [{"path": path, "vulns": sorted(modules[path], key=lambda v: v["id"])} for path in sorted(modules)])
    _write(os.path.join(out_dir, "index", "vulns.json"), sorted(vulns, key=lambda v: v["id"]))
    for entry in entries:
        _write(os.path.join(out_dir, "ID", entry["id"] + ".json"), entry)
    return {"entries": len(entries), "modules": len(modules), "modified": db_modified}


def check(db_dir):
    """Read back a built database: db.json's time, every index entry's file. Returns {entries, modified}."""
    try:
        with open(os.path.join(db_dir, "index", "db.json"), "rb") as handle:
            meta = json.loads(handle.read().decode("utf-8"))
        with open(os.path.join(db_dir, "index", "vulns.json"), "rb") as handle:
            vulns = json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError) as exc:
        raise VulnDBError("%s is not a vulnerability database: %s" % (db_dir, exc))
    if not isinstance(meta, dict) or not meta.get("modified") or not isinstance(vulns, list) or not vulns:
        raise VulnDBError("%s is not a vulnerability database: no modified time or no entries" % db_dir)
    missing = [v.get("id") for v in vulns if not os.path.isfile(os.path.join(db_dir, "ID", "%s.json.gz" % v.get("id")))]
    if missing:
        raise VulnDBError("%s lacks %d entries of its index, e.g. %s" % (db_dir, len(missing), missing[0]))
    return {"entries": len(vulns), "modified": meta["modified"]}


# --- the update, on the mirror host -----------------------------------------------------------------------------

def _go(config, args):
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": config["cache_dir"],
        "GOMODCACHE": os.path.join(config["cache_dir"], "mod"),
        "GOCACHE": os.path.join(config["cache_dir"], "build"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-modcacherw",
        "GO111MODULE": "on",
    }
    env.update(config.get("env") or {})
    # This runs in the update program on the mirror (main() below, started by gohost-vulndb-update.service), never
    # inside a module, so there is no AnsibleModule.run_command to call.
    proc = subprocess.Popen([config["go"]] + args, stdout=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                            stderr=subprocess.PIPE, cwd=config["cache_dir"], env=env)
    out, err = proc.communicate()
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    result = None
    if out.strip():
        try:
            result = json.loads(out)
        except ValueError:
            result = None
    if isinstance(result, dict) and result.get("Error"):
        raise VulnDBError("go %s: %s" % (" ".join(args), result["Error"] if isinstance(result["Error"], str)
                                         else result["Error"].get("Err", result["Error"])))
    if proc.returncode != 0 or not isinstance(result, dict):
        raise VulnDBError("go %s failed (exit %d): %s" % (" ".join(args), proc.returncode,
                                                          (err.strip() or out.strip())[-2000:]))
    return result


def _read_state(root):
    try:
        with open(os.path.join(root, "state.json"), "rb") as handle:
            state = json.loads(handle.read().decode("utf-8"))
        return state if isinstance(state, dict) else {}
    except (IOError, OSError, ValueError):
        return {}


def _atomic_json(path, value):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write(json.dumps(value, indent=2, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(tmp, path)


def _switch_current(root, release):
    link = os.path.join(root, "current")
    tmp = "%s.tmp-%d" % (link, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.join("releases", release), tmp)
    os.rename(tmp, link)


def _served_release(root):
    link = os.path.join(root, "current")
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else ""


def _cleanup(root, keep):
    """Remove staging leftovers of killed runs and all but the `keep` newest releases (never the served one)."""
    releases = os.path.join(root, "releases")
    served = _served_release(root)
    names = sorted(os.listdir(releases)) if os.path.isdir(releases) else []
    for name in names:
        if name.startswith("."):
            shutil.rmtree(os.path.join(releases, name), ignore_errors=True)
    done = [n for n in names if not n.startswith(".")]
    done.sort(key=lambda n: os.stat(os.path.join(releases, n)).st_mtime, reverse=True)
    for name in done[max(keep, 1):]:
        if name != served:
            shutil.rmtree(os.path.join(releases, name), ignore_errors=True)
    for name in os.listdir(root):
        if name.startswith("current.tmp-") or name.startswith("state.json.tmp-"):
            os.unlink(os.path.join(root, name))


def update(config, log=None):
    """Resolve config["version"] of golang.org/x/vulndb through the GOPROXY of config["env"], and when it is not
    the one served, download it (verified by the go command), build, check and serve it. Returns the state."""
    log = log or (lambda msg: None)
    root = config["root"]
    module = config.get("module") or MODULE
    for sub in ("releases",):
        if not os.path.isdir(os.path.join(root, sub)):
            os.makedirs(os.path.join(root, sub))
    if not os.path.isdir(config["cache_dir"]):
        os.makedirs(config["cache_dir"])
    _cleanup(root, int(config.get("keep", 2)))
    wanted = config.get("version") or "latest"
    try:
        info = _go(config, ["list", "-m", "-json", "%s@%s" % (module, wanted)])
    except VulnDBError as exc:
        if wanted == "latest":
            raise VulnDBError("%s (the GOPROXY %s does not resolve @latest for %s: name a version instead)"
                              % (exc, (config.get("env") or {}).get("GOPROXY", "of the environment"), module))
        raise
    version = info.get("Version")
    if not version:
        raise VulnDBError("go list -m %s@%s named no version" % (module, config.get("version")))
    state = _read_state(root)
    served = _served_release(root)
    if state.get("version") == version and served == version:
        try:
            check(os.path.join(root, "releases", version))
            log("%s@%s is served already (%s entries)" % (module, version, state.get("entries")))
            return dict(state, changed=False)
        except VulnDBError as exc:
            log("rebuilding %s@%s: %s" % (module, version, exc))
    log("fetching %s@%s" % (module, version))
    download = _go(config, ["mod", "download", "-json", "%s@%s" % (module, version)])
    if not download.get("Sum") or not download.get("Dir"):
        raise VulnDBError("go mod download %s@%s gave no verified tree" % (module, version))
    stamp = info.get("Time") or ZERO_TIME
    staging = os.path.join(root, "releases", ".%s.tmp-%d" % (version, os.getpid()))
    final = os.path.join(root, "releases", version)
    try:
        built = build(os.path.join(download["Dir"], "data", "osv"), staging, stamp)
        check(staging)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(staging, final)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging, ignore_errors=True)
    _switch_current(root, version)
    state = {"module": module, "version": version, "sum": download["Sum"], "entries": built["entries"],
             "modules": built["modules"], "modified": built["modified"], "built": _now(), "previous": served}
    _atomic_json(os.path.join(root, "state.json"), state)
    _cleanup(root, int(config.get("keep", 2)))
    log("serving %s@%s: %d entries of %d modules, modified %s"
        % (module, version, built["entries"], built["modules"], built["modified"]))
    return dict(state, changed=True)


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: gohost_vulndb.py CONFIG.json\n")
        return 2
    try:
        with open(argv[0]) as handle:
            config = json.load(handle)
        result = update(config, log=lambda msg: sys.stderr.write(msg + "\n"))
    except (VulnDBError, IOError, OSError, ValueError, KeyError) as exc:
        sys.stderr.write("vulnerability database update failed, the served database is unchanged: %s\n" % exc)
        return 1
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
