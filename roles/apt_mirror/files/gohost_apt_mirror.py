# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Update, snapshot and publish the aptly mirrors of the noble.gohost.apt_mirror role (installed as
/usr/local/sbin/gohost-apt-mirror; run by the role and by gohost-apt-mirror-update.service). Standard library only.

The configuration (JSON, written by the role) lists archives; each archive gives one aptly mirror per
(distribution, component), named ``<archive>-<distribution>-<component>``, published under the archive's prefix
as that distribution, with one component per mirror.

Commands (each prints one JSON object on stdout; a failure prints {"failed": true, "msg": ...} and exits 1):

``sync``      create the mirrors that do not exist, edit those whose settings changed (no download of packages).
``update``    sync, then ``aptly mirror update`` of every mirror, verified against the archive's keyrings; only when
              every mirror updated: one snapshot per mirror named ``<mirror>-<stamp>`` (stamp: UTC time,
              ``YYYYmmddTHHMMSSZ``), then ``aptly publish switch`` (``publish snapshot`` the first time) of every
              published distribution, signed with the configured key; then the oldest snapshots beyond ``keep``
              that are not published are dropped and ``aptly db cleanup`` removes unreferenced files.
              A failed download or a bad upstream signature stops before any snapshot: clients keep what they had.
``rollback STAMP``  switch every published distribution to its snapshots of STAMP (changed=false if already).
``status``    mirrors, snapshot stamps per published distribution, the published stamp of each.

A lock file serialises runs (the timer and the role never interleave).

Faults. A failed ``aptly`` command is explained by its cause, the most specific first: a full disk ("no space left
on device", with the free space of that filesystem), a bad upstream signature, an unreachable upstream (connection
refused, timeout, unknown host, TLS, HTTP error), anything else. Each ``aptly publish`` runs under an intent file
(``<root>/.gohost-apt-mirror.publishing``, removed when the publish is done and verified): a run killed while
publishing leaves it, and the next ``update``, ``rollback`` or ``sync`` first re-publishes that distribution's
current snapshots (and does so too for leftover ``*.tmp`` files of an interrupted aptly publish), before it talks to
the upstream. After every publish, the ``Release`` is checked against the files it lists (size, SHA256) and
against ``InRelease``.
"""
from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import time

STAMP_RE = re.compile(r"^\d{8}T\d{6}Z$")
TAIL = 15
INTENT = ".gohost-apt-mirror.publishing"
COMPRESSED = (".gz", ".xz", ".bz2", ".zst", ".lzma")
# What aptly and gpgv print when an upstream signature does not verify (never on success: a verbose run prints
# "gpgv: Good signature", so single words such as "signature" or "keyring" are no sign of a problem).
SIGNATURE_ERRORS = ("can't check signature", "no public key", "bad signature", "verification of detached signature",
                    "verification of clearsigned", "signature verification failed", "keys are missing",
                    "unknown entity", "expkeysig", "key has expired", "not signed")
# The reason an upstream could not be reached, as Go's net/http and aptly word it (first found wins).
UNREACHABLE = (("connection refused", "connection refused"), ("no such host", "unknown host"),
               ("server misbehaving", "DNS failure"), ("i/o timeout", "timeout"),
               ("deadline exceeded", "timeout"), ("network is unreachable", "network unreachable"),
               ("no route to host", "no route to host"), ("connection reset", "connection reset"),
               ("x509:", "TLS certificate not trusted"), ("tls:", "TLS error"))
HTTP_CODE_RE = re.compile(r"HTTP code (\d{3})")
ENOSPC_PATH_RE = re.compile(r"(/[^\s:\"']+): no space left on device", re.I)


class MirrorError(Exception):
    pass


def log(msg):
    print("gohost-apt-mirror: %s" % msg, file=sys.stderr, flush=True)


def expand(config):
    """Published distributions: [{prefix, distribution, architectures, mirrors: [mirror dicts]}], in config order."""
    publishes = []
    by_key = {}
    for archive in config["archives"]:
        archs = archive.get("architectures") or config.get("architectures") or ["amd64"]
        prefix = archive.get("prefix") or archive["name"]
        for dist in archive["distributions"]:
            key = (prefix, dist)
            if key in by_key:
                raise MirrorError("archives %s and %s both publish %s/%s"
                                  % (by_key[key]["archive"], archive["name"], prefix, dist))
            pub = {"archive": archive["name"], "prefix": prefix, "distribution": dist, "architectures": archs,
                   "mirrors": []}
            by_key[key] = pub
            publishes.append(pub)
            for comp in archive.get("components") or ["main"]:
                pub["mirrors"].append({
                    "name": "%s-%s-%s" % (archive["name"], dist.replace("/", "_"), comp.replace("/", "_")),
                    "url": archive["url"], "distribution": dist, "component": comp, "architectures": archs,
                    "keyrings": archive.get("keyrings") or [], "filter": archive.get("filter") or "",
                    "filter_with_deps": bool(archive.get("filter_with_deps", True)) and bool(archive.get("filter")),
                    "with_udebs": bool(archive.get("with_udebs", False)),
                    "with_sources": bool(archive.get("with_sources", False)),
                })
    return publishes


def mirror_flags(mirror, edit=False):
    flags = ["-architectures=" + ",".join(mirror["architectures"])]
    if mirror["filter"] or edit:
        flags.append("-filter=" + mirror["filter"])
    if mirror["filter_with_deps"]:
        flags.append("-filter-with-deps")
    if mirror["with_udebs"]:
        flags.append("-with-udebs")
    if mirror["with_sources"]:
        flags.append("-with-sources")
    flags.extend("-keyring=" + k for k in mirror["keyrings"])
    return flags


def mirror_differs(mirror, shown):
    """What differs between the wanted mirror and ``aptly mirror show -json`` (list of field names)."""
    wanted = {"ArchiveRoot": mirror["url"].rstrip("/") + "/", "Filter": mirror["filter"],
              "FilterWithDeps": mirror["filter_with_deps"], "Architectures": sorted(mirror["architectures"]),
              "DownloadUdebs": mirror["with_udebs"], "DownloadSources": mirror["with_sources"]}
    have = dict(shown)
    have["ArchiveRoot"] = (have.get("ArchiveRoot") or "").rstrip("/") + "/"
    have["Architectures"] = sorted(have.get("Architectures") or [])
    return sorted(k for k, v in wanted.items() if have.get(k) != v)


def signature_problem(output):
    low = output.lower()
    return any(s in low for s in SIGNATURE_ERRORS)


def disk_full(output):
    return "no space left on device" in output.lower()


def unreachable(output):
    """How the upstream failed: 'could not be reached (connection refused)', 'answered HTTP 404', or None."""
    low = output.lower()
    for needle, why in UNREACHABLE:
        if needle in low:
            return "could not be reached (%s)" % why
    code = HTTP_CODE_RE.search(output)
    return "answered HTTP %s" % code.group(1) if code else None


def free_space(output, default):
    """'N MiB free of M MiB on the filesystem of PATH', PATH from aptly's 'write PATH: no space left on device'."""
    found = ENOSPC_PATH_RE.search(output or "")
    path = found.group(1) if found else default
    while path and not os.path.isdir(path):
        path = os.path.dirname(path)
    try:
        st = os.statvfs(path or "/")
    except OSError:
        return "on the filesystem of %s" % default
    return "%d MiB free of %d MiB on the filesystem of %s" % (st.f_bavail * st.f_frsize // 1048576,
                                                              st.f_blocks * st.f_frsize // 1048576, path)


class Aptly(object):
    def __init__(self, config, verbose=False):
        self.config = config
        self.verbose = verbose
        self.env = dict(os.environ, GNUPGHOME=config["gnupghome"], LC_ALL="C")

    def run(self, *args, check=True):
        cmd = ["aptly", "-config=" + self.config["aptly_config"]] + list(args)
        proc = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        if self.verbose and proc.stdout:
            sys.stderr.write(proc.stdout)
        if check and proc.returncode != 0:
            what = "`%s` failed (exit %d)" % (" ".join(cmd[2:4]), proc.returncode)
            if disk_full(proc.stdout):
                what += ": the disk is full (no space left on device, %s); free space and run again" % free_space(
                    proc.stdout, self.config.get("root") or "/")
            raise MirrorError("%s: %s" % (what, tail(proc.stdout)))
        return proc

    def json(self, *args):
        args = list(args)
        out = self.run(*(args[:2] + ["-json"] + args[2:])).stdout
        return json.loads(out[out.find("[") if out.lstrip().startswith("[") else out.find("{"):] or "null")

    def mirrors(self):
        return {m["Name"]: m for m in (self.json("mirror", "list") or [])}

    def snapshots(self):
        return [s["Name"] for s in (self.json("snapshot", "list") or [])]

    def published(self):
        out = {}
        for pub in self.json("publish", "list") or []:
            prefix = pub.get("Prefix") or "."
            out[(prefix, pub["Distribution"])] = {s["Component"]: s["Name"] for s in pub.get("Sources") or []}
        return out


def tail(text, lines=TAIL):
    return " | ".join(line.strip() for line in (text or "").strip().splitlines()[-lines:] if line.strip())


def sync(aptly, publishes):
    existing = aptly.mirrors()
    changed = []
    for pub in publishes:
        for mirror in pub["mirrors"]:
            shown = existing.get(mirror["name"])
            if shown is None:
                log("creating mirror %s (%s %s %s)"
                    % (mirror["name"], mirror["url"], mirror["distribution"], mirror["component"]))
                proc = aptly.run("mirror", "create", *(mirror_flags(mirror) + [
                    mirror["name"], mirror["url"], mirror["distribution"], mirror["component"]]), check=False)
                if proc.returncode != 0:
                    raise MirrorError(explain(mirror, proc.stdout, "creating", aptly.config.get("root", "/")))
                changed.append(mirror["name"])
                continue
            if shown.get("Distribution") != mirror["distribution"] or mirror["component"] not in (
                    shown.get("Components") or []):
                raise MirrorError("aptly mirror %s exists with another distribution/components (%s %s): drop it "
                                  "(aptly mirror drop) or rename the archive" % (
                                      mirror["name"], shown.get("Distribution"), shown.get("Components")))
            full = aptly.json("mirror", "show", mirror["name"])
            diff = mirror_differs(mirror, full)
            if diff:
                log("editing mirror %s (%s)" % (mirror["name"], ", ".join(diff)))
                flags = mirror_flags(mirror, edit=True) + ["-archive-url=" + mirror["url"]]
                if not mirror["filter_with_deps"]:
                    flags.append("-filter-with-deps=false")
                proc = aptly.run("mirror", "edit", *(flags + [mirror["name"]]), check=False)
                if proc.returncode != 0:
                    raise MirrorError(explain(mirror, proc.stdout, "editing", aptly.config.get("root", "/")))
                changed.append(mirror["name"])
    return changed


def explain(mirror, output, doing, root="/"):
    if disk_full(output):
        return ("the disk is full: no space left on device while %s mirror %s (%s %s/%s), %s; nothing was published, "
                "clients keep the current snapshot; free space there and run again. aptly said: %s" % (
                    doing, mirror["name"], mirror["url"], mirror["distribution"], mirror["component"],
                    free_space(output, root), tail(output)))
    if signature_problem(output):
        return ("upstream Release of %s %s failed signature verification against keyring(s) %s while %s mirror %s; "
                "nothing was published, clients keep the current snapshot. gpgv/aptly said: %s" % (
                    mirror["url"], mirror["distribution"], ", ".join(mirror["keyrings"]) or "(none)", doing,
                    mirror["name"], tail(output)))
    why = unreachable(output)
    if why:
        return ("upstream %s %s while %s mirror %s (%s/%s); nothing was published, clients keep the "
                "current snapshot. aptly said: %s" % (mirror["url"], why, doing, mirror["name"],
                                                      mirror["distribution"], mirror["component"], tail(output)))
    return "%s mirror %s (%s %s/%s) failed; nothing was published, clients keep the current snapshot: %s" % (
        doing, mirror["name"], mirror["url"], mirror["distribution"], mirror["component"], tail(output))


def sign_flags(cfg):
    sign = ["-batch", "-gpg-key=" + cfg["signing_key"]]
    if cfg.get("passphrase_file"):
        sign.append("-passphrase-file=" + cfg["passphrase_file"])
    return sign


def dists_dir(root, prefix, dist):
    return os.path.join(root, "public", *([] if prefix in (".", "") else [prefix]) + ["dists", dist])


def leftovers(root, prefix, dist):
    """Files an interrupted ``aptly publish`` left: its ``*.tmp`` indexes and Release files."""
    found = []
    for dirpath, _dirs, files in os.walk(dists_dir(root, prefix, dist)):
        found.extend(os.path.join(dirpath, f) for f in files if f.endswith(".tmp"))
    return sorted(found)


def release_body(inrelease):
    """The signed text of a clearsigned InRelease (dash-escaping undone)."""
    head, sep, rest = inrelease.partition("\n\n")
    if not sep or not head.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        return None
    body = rest.split("\n-----BEGIN PGP SIGNATURE-----", 1)[0]
    return "".join(line[2:] if line.startswith("- ") else line for line in body.splitlines(True))


def check_published(root, prefix, dist):
    """Problems of a published distribution on disk (empty when consistent): every file its Release lists under
    SHA256 has that size and hash, InRelease signs that Release, Release.gpg is there, no ``*.tmp`` is left."""
    base = dists_dir(root, prefix, dist)
    problems = ["leftover %s" % os.path.relpath(f, base) for f in leftovers(root, prefix, dist)]
    try:
        with open(os.path.join(base, "Release"), encoding="utf-8") as fh:
            release = fh.read()
        with open(os.path.join(base, "InRelease"), encoding="utf-8") as fh:
            inrelease = fh.read()
    except OSError as exc:
        return problems + ["%s: %s" % (exc.filename, exc.strerror)]
    body = release_body(inrelease)
    if body is None or body.rstrip("\n") != release.rstrip("\n"):  # the last line end belongs to the armor
        problems.append("InRelease does not sign the Release")
    if not os.path.isfile(os.path.join(base, "Release.gpg")):
        problems.append("Release.gpg is missing")
    section = False
    for line in release.splitlines():
        if not line.startswith(" "):
            section = line.strip() == "SHA256:"
            continue
        if not section:
            continue
        fields = line.split()
        if len(fields) != 3:
            continue
        want, size, name = fields[0], int(fields[1]), fields[2]
        path = os.path.join(base, name)
        try:
            have = os.path.getsize(path)
        except OSError:
            # aptly lists the uncompressed Contents-<arch> but writes only the .gz: apt fetches a variant present
            if not any(os.path.isfile(path + ext) for ext in COMPRESSED):
                problems.append("%s is listed but missing" % name)
            continue
        if have != size:
            problems.append("%s has %d bytes, Release says %d" % (name, have, size))
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != want:
            problems.append("%s has another SHA256 than Release says" % name)
    return problems


def intent_path(cfg):
    return os.path.join(cfg["root"], INTENT)


def write_intent(cfg, prefix, dist, sources):
    """Note (durably) which publish starts, so that a run killed in it is repaired by the next one."""
    path = intent_path(cfg)
    with open(path + ".new", "w", encoding="utf-8") as fh:
        json.dump({"prefix": prefix, "distribution": dist, "sources": sources,
                   "started": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(path + ".new", path)


def run_publish(aptly, prefix, dist, sources, args):
    """One ``aptly publish`` under the intent file, then the check of what it wrote. The intent stays when aptly
    fails or the result is inconsistent (the next run repairs it)."""
    write_intent(aptly.config, prefix, dist, sources)
    aptly.run("publish", *args)
    problems = check_published(aptly.config["root"], prefix, dist)
    if problems:
        raise MirrorError("%s/%s is inconsistent after aptly published it: %s" % (prefix, dist, "; ".join(problems)))
    os.remove(intent_path(aptly.config))


def republish(aptly, prefix, dist, sources):
    """Publish a distribution's current snapshots again (``aptly publish switch`` to the same snapshots rewrites
    every index, Release and signature, and the leftovers of an interrupted publish are removed)."""
    comps = sorted(sources)
    run_publish(aptly, prefix, dist, sources, ["switch"] + sign_flags(aptly.config) + [
        "-component=" + ",".join(comps), dist, prefix] + [sources[c] for c in comps])
    for left in leftovers(aptly.config["root"], prefix, dist):
        os.remove(left)


def recover(aptly, publishes):
    """Repair what a run killed while publishing left: the distribution of the intent file, and any with leftover
    ``*.tmp`` files, is published again from the snapshots aptly's database has for it. Returns what was repaired."""
    root = aptly.config["root"]
    wanted = []
    try:
        with open(intent_path(aptly.config), encoding="utf-8") as fh:
            intent = json.load(fh)
        wanted.append((intent["prefix"], intent["distribution"], "an interrupted publish (started %s) to %s" % (
            intent.get("started", "?"), ", ".join(sorted((intent.get("sources") or {}).values())))))
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError) as exc:
        log("ignoring an unreadable %s (%s)" % (intent_path(aptly.config), exc))
    for pub in publishes:
        left = leftovers(root, pub["prefix"], pub["distribution"])
        if left and (pub["prefix"], pub["distribution"]) not in [w[:2] for w in wanted]:
            wanted.append((pub["prefix"], pub["distribution"], "leftovers of an interrupted publish (%s)" % ", ".join(
                os.path.relpath(f, root) for f in left[:3])))
    if not wanted:
        return []
    published = aptly.published()
    repaired = []
    for prefix, dist, why in wanted:
        sources = published.get((prefix, dist))
        if not sources:
            # never recorded as published: nothing is served from it yet; the update publishes it afresh
            log("found %s of %s/%s, which was never published: removing its leftovers" % (why, prefix, dist))
            for left in leftovers(root, prefix, dist):
                os.remove(left)
        else:
            log("found %s of %s/%s: publishing its current snapshots %s again" % (
                why, prefix, dist, ", ".join(sorted(sources.values()))))
            republish(aptly, prefix, dist, sources)
        repaired.append("%s/%s" % (prefix, dist))
    if os.path.exists(intent_path(aptly.config)):
        os.remove(intent_path(aptly.config))
    return repaired


def publish(aptly, pub, stamp, published):
    cfg = aptly.config
    comps = [m["component"] for m in pub["mirrors"]]
    snaps = ["%s-%s" % (m["name"], stamp) for m in pub["mirrors"]]
    sign = sign_flags(cfg)
    key = (pub["prefix"], pub["distribution"])
    if key in published:
        if published[key] == dict(zip(comps, snaps)):
            return False
        if sorted(published[key]) != sorted(comps):
            raise MirrorError("%s/%s is published with components %s, the configuration has %s: drop the publication "
                              "(aptly publish drop %s %s) to change its components" % (
                                  pub["prefix"], pub["distribution"], sorted(published[key]), sorted(comps),
                                  pub["distribution"], pub["prefix"]))
        run_publish(aptly, pub["prefix"], pub["distribution"], dict(zip(comps, snaps)),
                    ["switch"] + sign + ["-component=" + ",".join(comps), pub["distribution"], pub["prefix"]] + snaps)
    else:
        flags = sign + ["-component=" + ",".join(comps), "-distribution=" + pub["distribution"],
                        "-architectures=" + ",".join(pub["architectures"])]
        if cfg.get("acquire_by_hash", True):
            flags.append("-acquire-by-hash")
        if cfg.get("skip_contents"):
            flags.append("-skip-contents")
        for opt in ("origin", "label"):
            if cfg.get(opt):
                flags.append("-%s=%s" % (opt, cfg[opt]))
        run_publish(aptly, pub["prefix"], pub["distribution"], dict(zip(comps, snaps)),
                    ["snapshot"] + flags + snaps + [pub["prefix"]])
    log("published %s/%s -> %s" % (pub["prefix"], pub["distribution"], stamp))
    return True


def stamps_of(pub, snapshots):
    """Stamps for which every mirror of the published distribution has a snapshot, oldest first."""
    sets = []
    for mirror in pub["mirrors"]:
        pre = mirror["name"] + "-"
        sets.append({s[len(pre):] for s in snapshots if s.startswith(pre) and STAMP_RE.match(s[len(pre):])})
    return sorted(set.intersection(*sets)) if sets else []


def prune(aptly, publishes, keep):
    snapshots = aptly.snapshots()
    published = {n for comps in aptly.published().values() for n in comps.values()}
    dropped = []
    for pub in publishes:
        for mirror in pub["mirrors"]:
            pre = mirror["name"] + "-"
            mine = sorted(s for s in snapshots if s.startswith(pre) and STAMP_RE.match(s[len(pre):]))
            for name in mine[:-keep] if keep > 0 else []:
                if name in published:
                    continue
                aptly.run("snapshot", "drop", name)
                dropped.append(name)
    if dropped:
        aptly.run("db", "cleanup")
    return dropped


def status(aptly, publishes):
    snapshots = aptly.snapshots()
    published = aptly.published()
    out = {"published": {}, "mirrors": sorted(aptly.mirrors())}
    for pub in publishes:
        key = (pub["prefix"], pub["distribution"])
        current = published.get(key)
        stamp = None
        if current:
            found = {n.rsplit("-", 1)[-1] for n in current.values()}
            stamp = found.pop() if len(found) == 1 else None
        out["published"]["%s/%s" % key] = {"published": current is not None, "stamp": stamp,
                                           "snapshots": stamps_of(pub, snapshots)}
    out["all_published"] = all(v["published"] for v in out["published"].values())
    return out


def cmd_update(aptly, publishes, config):
    synced = sync(aptly, publishes)
    for pub in publishes:
        for mirror in pub["mirrors"]:
            log("updating mirror %s" % mirror["name"])
            args = ["mirror", "update", "-force", "-max-tries=%d" % int(config.get("max_tries", 3))]
            args += ["-keyring=" + k for k in mirror["keyrings"]]
            proc = aptly.run(*(args + [mirror["name"]]), check=False)
            if proc.returncode != 0:
                raise MirrorError(explain(mirror, proc.stdout, "updating", aptly.config.get("root", "/")))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    existing = set(aptly.snapshots())
    for pub in publishes:
        for mirror in pub["mirrors"]:
            name = "%s-%s" % (mirror["name"], stamp)
            if name not in existing:
                aptly.run("snapshot", "create", name, "from", "mirror", mirror["name"])
    published = aptly.published()
    for pub in publishes:
        publish(aptly, pub, stamp, published)
    dropped = prune(aptly, publishes, int(config.get("keep", 5)))
    result = status(aptly, publishes)
    result.update(changed=True, stamp=stamp, synced=synced, dropped=dropped)
    return result


def cmd_rollback(aptly, publishes, stamp):
    if not STAMP_RE.match(stamp or ""):
        raise MirrorError("rollback: %r is not a snapshot stamp (YYYYmmddTHHMMSSZ, see `gohost-apt-mirror status`)"
                          % (stamp,))
    snapshots = aptly.snapshots()
    for pub in publishes:
        have = stamps_of(pub, snapshots)
        if stamp not in have:
            raise MirrorError("rollback: %s/%s has no snapshot %s; it has: %s" % (
                pub["prefix"], pub["distribution"], stamp, ", ".join(have) or "none"))
    published = aptly.published()
    changed = False
    for pub in publishes:
        changed = publish(aptly, pub, stamp, published) or changed
    result = status(aptly, publishes)
    result.update(changed=changed, stamp=stamp)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default="/etc/gohost-apt-mirror/config.json")
    parser.add_argument("--verbose", action="store_true", help="copy aptly's output to stderr (journald)")
    parser.add_argument("command", choices=["sync", "update", "rollback", "status"])
    parser.add_argument("stamp", nargs="?")
    args = parser.parse_args(argv)
    try:
        with open(args.config, encoding="utf-8") as fh:
            config = json.load(fh)
        publishes = expand(config)
        aptly = Aptly(config, verbose=args.verbose)
        lock_path = os.path.join(config["root"], ".gohost-apt-mirror.lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # first of all (before the upstream is asked): repair what a run killed while publishing left
            repaired = recover(aptly, publishes) if args.command != "status" else []
            if args.command == "sync":
                synced = sync(aptly, publishes)
                result = status(aptly, publishes)
                result.update(changed=bool(synced), synced=synced)
            elif args.command == "update":
                result = cmd_update(aptly, publishes, config)
            elif args.command == "rollback":
                result = cmd_rollback(aptly, publishes, args.stamp)
            else:
                result = status(aptly, publishes)
                result["changed"] = False
            if repaired:
                result.update(changed=True, repaired=repaired)
    except (MirrorError, OSError, ValueError, KeyError) as exc:
        msg = str(exc) if isinstance(exc, MirrorError) else "%s: %s" % (type(exc).__name__, exc)
        log(msg)
        print(json.dumps({"failed": True, "msg": msg}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
