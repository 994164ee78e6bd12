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
"""
from __future__ import annotations

import argparse
import datetime
import fcntl
import json
import os
import re
import subprocess
import sys

STAMP_RE = re.compile(r"^\d{8}T\d{6}Z$")
TAIL = 15


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
    return any(s in low for s in ("signature", "no public key", "keyring", "gpgv", "openpgp"))


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
            raise MirrorError("`%s` failed (exit %d): %s" % (" ".join(cmd[2:4]), proc.returncode,
                                                             tail(proc.stdout)))
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
                    raise MirrorError(explain(mirror, proc.stdout, "creating"))
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
                    raise MirrorError(explain(mirror, proc.stdout, "editing"))
                changed.append(mirror["name"])
    return changed


def explain(mirror, output, doing):
    if signature_problem(output):
        return ("upstream Release of %s %s failed signature verification against keyring(s) %s while %s mirror %s; "
                "nothing was published, clients keep the current snapshot. gpgv/aptly said: %s" % (
                    mirror["url"], mirror["distribution"], ", ".join(mirror["keyrings"]) or "(none)", doing,
                    mirror["name"], tail(output)))
    return "%s mirror %s (%s %s/%s) failed; nothing was published, clients keep the current snapshot: %s" % (
        doing, mirror["name"], mirror["url"], mirror["distribution"], mirror["component"], tail(output))


def publish(aptly, pub, stamp, published):
    cfg = aptly.config
    comps = [m["component"] for m in pub["mirrors"]]
    snaps = ["%s-%s" % (m["name"], stamp) for m in pub["mirrors"]]
    sign = ["-batch", "-gpg-key=" + cfg["signing_key"]]
    if cfg.get("passphrase_file"):
        sign.append("-passphrase-file=" + cfg["passphrase_file"])
    key = (pub["prefix"], pub["distribution"])
    if key in published:
        if published[key] == dict(zip(comps, snaps)):
            return False
        if sorted(published[key]) != sorted(comps):
            raise MirrorError("%s/%s is published with components %s, the configuration has %s: drop the publication "
                              "(aptly publish drop %s %s) to change its components" % (
                                  pub["prefix"], pub["distribution"], sorted(published[key]), sorted(comps),
                                  pub["distribution"], pub["prefix"]))
        aptly.run("publish", "switch", *(sign + ["-component=" + ",".join(comps), pub["distribution"], pub["prefix"]]
                                         + snaps))
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
        aptly.run("publish", "snapshot", *(flags + snaps + [pub["prefix"]]))
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
                raise MirrorError(explain(mirror, proc.stdout, "updating"))
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
    except (MirrorError, OSError, ValueError, KeyError) as exc:
        msg = str(exc) if isinstance(exc, MirrorError) else "%s: %s" % (type(exc).__name__, exc)
        log(msg)
        print(json.dumps({"failed": True, "msg": msg}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
