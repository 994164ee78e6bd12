# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The update script of the apt_mirror role (roles/apt_mirror/files/gohost_apt_mirror.py) against a fake aptly
that keeps mirrors, snapshots and publications in memory: naming, the noble defaults, the order update ->
snapshot -> publish, nothing published after a failed update, pruning, rollback; the faults: a full disk, an
unreachable upstream, a run killed while publishing (the next run re-publishes), an inconsistent publish."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import importlib.util
import json
import os
import re

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SPEC = importlib.util.spec_from_file_location(
    "gohost_apt_mirror", os.path.join(ROOT, "roles", "apt_mirror", "files", "gohost_apt_mirror.py"))
gam = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(gam)


class Proc(object):
    def __init__(self, rc=0, out=""):
        self.returncode = rc
        self.stdout = out


class Killed(BaseException):
    """A SIGKILL in the middle of `aptly publish` (nothing after it runs, no cleanup)."""


def write_tree(root, prefix, dist, sources, suffix="", corrupt=False):
    """What aptly publishes: one Packages per component, Release listing them, InRelease and Release.gpg."""
    base = gam.dists_dir(root, prefix, dist)
    lines = []
    for comp, snap in sorted(sources.items()):
        os.makedirs(os.path.join(base, comp, "binary-amd64"), exist_ok=True)
        data = ("Package: probe\nVersion: %s\n" % snap).encode()
        with open(os.path.join(base, comp, "binary-amd64", "Packages" + suffix), "wb") as fh:
            fh.write(data + (b"x" if corrupt else b""))
        lines.append(" %s %d %s/binary-amd64/Packages" % (hashlib.sha256(data).hexdigest(), len(data), comp))
    release = "Suite: %s\nSHA256:\n%s\n" % (dist, "\n".join(lines))
    with open(os.path.join(base, "Release" + suffix), "w") as fh:
        fh.write(release)
    escaped = "".join("- " + ln if ln.startswith("-") else ln for ln in release.splitlines(True))
    with open(os.path.join(base, "InRelease" + suffix), "w") as fh:
        fh.write("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n%s-----BEGIN PGP SIGNATURE-----\nsig\n"
                 "-----END PGP SIGNATURE-----\n" % escaped)
    with open(os.path.join(base, "Release.gpg" + suffix), "w") as fh:
        fh.write("sig\n")


class FakeAptly(gam.Aptly):
    """In-memory aptly that writes its published trees under the config's root: `fail_update` maps a mirror name to
    the output of a failing `mirror update`; `kill_publish` kills the next N publishes half-way (the .tmp files are
    written, nothing is renamed, the database is not updated); `corrupt_publish` publishes a Packages that does not
    match its Release."""

    def __init__(self, config, fail_update=None):
        super().__init__(config)
        self.calls = []
        self.mirrors_db = {}
        self.snaps = []
        self.pubs = {}
        self.fail_update = fail_update or {}
        self.kill_publish = 0
        self.corrupt_publish = False

    def _publish(self, prefix, dist, sources):
        root = self.config["root"]
        if self.kill_publish:
            self.kill_publish -= 1
            write_tree(root, prefix, dist, sources, suffix=".tmp")
            raise Killed()
        write_tree(root, prefix, dist, sources, corrupt=self.corrupt_publish)
        for left in gam.leftovers(root, prefix, dist):
            if os.path.basename(left)[:-4] in ("Release", "InRelease", "Release.gpg", "Packages"):
                os.remove(left)  # aptly renames what it writes again; other leftovers stay
        self.pubs[(prefix, dist)] = dict(sources)

    def run(self, *args, check=True):
        args = [a for a in args if a != "-json"]
        self.calls.append(args)
        opts = [a for a in args[2:] if a.startswith("-")]
        pos = [a for a in args[2:] if not a.startswith("-")]
        cmd = tuple(args[:2])
        out, rc = "", 0
        if cmd == ("mirror", "list"):
            out = json.dumps([{"Name": n, "Distribution": m["Distribution"], "Components": m["Components"]}
                              for n, m in self.mirrors_db.items()])
        elif cmd == ("mirror", "show"):
            out = json.dumps(self.mirrors_db[pos[0]])
        elif cmd == ("mirror", "create"):
            flags = dict(o.lstrip("-").split("=", 1) if "=" in o else (o.lstrip("-"), True) for o in opts)
            self.mirrors_db[pos[0]] = {"Name": pos[0], "ArchiveRoot": pos[1], "Distribution": pos[2],
                                       "Components": pos[3:], "Filter": flags.get("filter", ""),
                                       "FilterWithDeps": bool(flags.get("filter-with-deps")),
                                       "Architectures": flags["architectures"].split(","),
                                       "DownloadUdebs": False, "DownloadSources": False}
        elif cmd == ("mirror", "edit"):
            flags = dict(o.lstrip("-").split("=", 1) if "=" in o else (o.lstrip("-"), True) for o in opts)
            self.mirrors_db[pos[0]]["Filter"] = flags.get("filter", "")
        elif cmd == ("mirror", "update"):
            if pos[0] in self.fail_update:
                rc, out = 1, self.fail_update[pos[0]]
        elif cmd == ("snapshot", "list"):
            out = json.dumps([{"Name": n} for n in self.snaps])
        elif cmd == ("snapshot", "create"):
            self.snaps.append(pos[0])
        elif cmd == ("snapshot", "drop"):
            self.snaps.remove(pos[0])
        elif cmd == ("publish", "list"):
            out = json.dumps([{"Prefix": k[0], "Distribution": k[1],
                               "Sources": [{"Component": c, "Name": n} for c, n in v.items()]}
                              for k, v in self.pubs.items()])
        elif cmd == ("publish", "snapshot"):
            comps = [o.split("=", 1)[1] for o in opts if o.startswith("-component=")][0].split(",")
            dist = [o.split("=", 1)[1] for o in opts if o.startswith("-distribution=")][0]
            self._publish(pos[-1], dist, dict(zip(comps, pos[:-1])))
        elif cmd == ("publish", "switch"):
            comps = [o.split("=", 1)[1] for o in opts if o.startswith("-component=")][0].split(",")
            self._publish(pos[1], pos[0], dict(zip(comps, pos[2:])))
        if check and rc:
            raise gam.MirrorError("failed: %s" % out)
        return Proc(rc, out)


CONFIG = {"root": "/nonexistent", "aptly_config": "/etc/aptly.conf", "gnupghome": "/g", "signing_key": "F" * 40,
          "keep": 2, "acquire_by_hash": True, "archives": [
              {"name": "probe", "url": "http://127.0.0.1:8079/", "distributions": ["stable"],
               "components": ["main", "extra"], "keyrings": ["/srv/up.gpg"]},
              {"name": "debian", "url": "http://deb.example/debian", "distributions": ["bookworm"],
               "keyrings": ["/k.gpg"], "filter": "hello", "filter_with_deps": True}]}


def fake_clock(monkeypatch, stamps):
    """The updater's clock gives the next of stamps (an iterator) as each run's snapshot stamp."""

    class Clock(object):
        @staticmethod
        def now(tz=None):
            class T(object):
                @staticmethod
                def strftime(fmt):
                    return next(stamps)
            return T()

    monkeypatch.setattr(gam.datetime, "datetime", Clock)


@pytest.fixture(name="clock")
def fixture_clock(monkeypatch):
    """One new stamp per update (real runs are seconds apart; the tests run several in one second)."""
    fake_clock(monkeypatch, ("20260101T0000%02dZ" % i for i in range(60)))


@pytest.fixture(name="cfg")
def fixture_cfg(tmp_path):
    """CONFIG with its root in a temporary directory (the published trees are written there)."""
    cfg = json.loads(json.dumps(CONFIG))
    cfg["root"] = str(tmp_path)
    return cfg


def test_noble_defaults_expand_to_one_prefix():
    with open(os.path.join(ROOT, "roles", "apt_mirror", "defaults", "main.yml"), encoding="utf-8") as fh:
        defaults = yaml.safe_load(fh)
    pubs = gam.expand({"archives": defaults["apt_mirror_archives"],
                       "architectures": defaults["apt_mirror_architectures"]})
    assert [(p["prefix"], p["distribution"]) for p in pubs] == [
        ("ubuntu", "noble"), ("ubuntu", "noble-updates"), ("ubuntu", "noble-security")]
    assert [m["name"] for m in pubs[2]["mirrors"]] == [
        "ubuntu-security-noble-security-main", "ubuntu-security-noble-security-restricted",
        "ubuntu-security-noble-security-universe", "ubuntu-security-noble-security-multiverse"]
    assert pubs[2]["mirrors"][0]["url"] == "http://security.ubuntu.com/ubuntu"
    assert all(m["keyrings"] == ["/usr/share/keyrings/ubuntu-archive-keyring.gpg"] and m["architectures"] == ["amd64"]
               for p in pubs for m in p["mirrors"])


def test_same_prefix_and_distribution_twice_is_refused():
    cfg = {"archives": [{"name": "a", "url": "http://a/", "distributions": ["x"], "prefix": "p"},
                        {"name": "b", "url": "http://b/", "distributions": ["x"], "prefix": "p"}]}
    with pytest.raises(gam.MirrorError, match="archives a and b both publish p/x"):
        gam.expand(cfg)


def test_first_update_creates_snapshots_then_publishes(cfg):
    aptly = FakeAptly(cfg)
    res = gam.cmd_update(aptly, gam.expand(cfg), cfg)
    kinds = [tuple(c[:2]) for c in aptly.calls]
    assert kinds.index(("mirror", "update")) < kinds.index(("snapshot", "create")) < kinds.index(("publish", "snapshot"))
    assert max(i for i, k in enumerate(kinds) if k == ("mirror", "update")) < kinds.index(("snapshot", "create"))
    assert re.match(r"^\d{8}T\d{6}Z$", res["stamp"])
    assert aptly.pubs[("probe", "stable")] == {"main": "probe-stable-main-" + res["stamp"],
                                               "extra": "probe-stable-extra-" + res["stamp"]}
    create = [c for c in aptly.calls if c[:2] == ["mirror", "create"] and "debian-bookworm-main" in c][0]
    assert "-filter=hello" in create and "-filter-with-deps" in create and "-keyring=/k.gpg" in create
    publish = [c for c in aptly.calls if c[:2] == ["publish", "snapshot"]][0]
    assert "-acquire-by-hash" in publish and "-gpg-key=" + "F" * 40 in publish and "-architectures=amd64" in publish
    update = [c for c in aptly.calls if c[:2] == ["mirror", "update"]][0]
    assert "-keyring=/srv/up.gpg" in update
    assert res["all_published"] and res["changed"]


def test_failed_update_publishes_nothing_and_says_why(cfg):
    aptly = FakeAptly(cfg)
    first = gam.cmd_update(aptly, gam.expand(cfg), cfg)
    pubs, snaps = dict(aptly.pubs), list(aptly.snaps)
    aptly.fail_update = {"debian-bookworm-main": "gpgv: Can't check signature: No public key\n"
                                                 "ERROR: unable to update: verification of detached signature failed"}
    aptly.calls = []
    with pytest.raises(gam.MirrorError) as err:
        gam.cmd_update(aptly, gam.expand(cfg), cfg)
    msg = str(err.value)
    assert "upstream Release of http://deb.example/debian bookworm failed signature verification against " \
           "keyring(s) /k.gpg" in msg
    assert "nothing was published" in msg and "No public key" in msg
    assert aptly.pubs == pubs and aptly.snaps == snaps
    assert not [c for c in aptly.calls if c[0] in ("snapshot", "publish") and c[1] != "list"]
    assert first["stamp"]


def test_download_failure_message(cfg):
    aptly = FakeAptly(cfg, fail_update={"probe-stable-main": "ERROR: unable to update: HTTP code 404"})
    with pytest.raises(gam.MirrorError, match=r"upstream http://127.0.0.1:8079/ answered HTTP 404 while updating mirror "
                                              r"probe-stable-main \(stable/main\); nothing was published"):
        gam.cmd_update(aptly, gam.expand(cfg), cfg)
    assert aptly.pubs == {}


def test_switch_prune_and_rollback(monkeypatch, cfg):
    aptly = FakeAptly(cfg)
    pubs = gam.expand(cfg)
    fake_clock(monkeypatch, iter(["20260101T000000Z", "20260102T000000Z", "20260103T000000Z"]))
    for _unused in range(3):
        gam.cmd_update(aptly, pubs, cfg)
    assert [c for c in aptly.calls if c[:2] == ["publish", "switch"]]
    # keep=2: the oldest snapshots are gone, the published ones stay
    assert sorted({s.rsplit("-", 1)[1] for s in aptly.snaps}) == ["20260102T000000Z", "20260103T000000Z"]
    assert ["db", "cleanup"] in [c[:2] for c in aptly.calls]
    res = gam.cmd_rollback(aptly, pubs, "20260102T000000Z")
    assert res["changed"] and {v["stamp"] for v in res["published"].values()} == {"20260102T000000Z"}
    assert not gam.cmd_rollback(aptly, pubs, "20260102T000000Z")["changed"]
    with pytest.raises(gam.MirrorError, match="has no snapshot 20260101T000000Z; it has: 20260102T000000Z, "
                                              "20260103T000000Z"):
        gam.cmd_rollback(aptly, pubs, "20260101T000000Z")
    with pytest.raises(gam.MirrorError, match="is not a snapshot stamp"):
        gam.cmd_rollback(aptly, pubs, "yesterday")


def test_sync_edits_a_changed_filter():
    aptly = FakeAptly(CONFIG)
    pubs = gam.expand(CONFIG)
    assert gam.sync(aptly, pubs)
    assert gam.sync(aptly, pubs) == []
    cfg = json.loads(json.dumps(CONFIG))
    cfg["archives"][1]["filter"] = "hello | curl"
    assert gam.sync(aptly, gam.expand(cfg)) == ["debian-bookworm-main"]
    assert aptly.mirrors_db["debian-bookworm-main"]["Filter"] == "hello | curl"


def test_main_prints_json_failure(tmp_path, capsys):
    cfg = tmp_path / "config.json"
    archives = [{"name": "a", "url": "http://a/", "distributions": ["x"], "prefix": "p"},
                {"name": "b", "url": "http://b/", "distributions": ["x"], "prefix": "p"}]
    cfg.write_text(json.dumps({"root": str(tmp_path), "archives": archives}))
    assert gam.main(["--config", str(cfg), "status"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "both publish p/x" in out["msg"]


# What aptly 1.5 printed in the apt_mirror scenario when the pool's filesystem was full (a verbose run: the
# upstream signature was good, and says so).
ENOSPC_OUTPUT = """Downloading http://127.0.0.1:8079/dists/stable/InRelease...
gpgv: Signature made Thu Dec  3 10:31:58 2026 UTC
gpgv:                using EDDSA key 0123456789ABCDEF0123456789ABCDEF01234567
gpgv: Good signature from "upstream <upstream@upstream.test>"
Downloading & parsing package files...
Building download queue...
Download queue: 1 items (0.00 MiB)
Error downloading http://127.0.0.1:8079/pool/main/gohost-mirror-probe_4.0_all.deb: write %s/pool/ce/72/8bdd-gohost-mirror-probe_4.0_all.deb.down: no space left on device retrying...
Giving up on http://127.0.0.1:8079/pool/main/gohost-mirror-probe_4.0_all.deb...
ERROR: unable to update: download errors:
  http://127.0.0.1:8079/pool/main/gohost-mirror-probe_4.0_all.deb: write %s/pool/ce/72/8bdd-gohost-mirror-probe_4.0_all.deb.down: no space left on device
"""  # noqa: E501

REFUSED_OUTPUT = """Downloading http://127.0.0.1:9/dists/stable/InRelease...
Error downloading http://127.0.0.1:9/dists/stable/InRelease: Get "http:/dists/stable/InRelease": dial tcp 127.0.0.1:9: connect: connection refused retrying...
Giving up on http://127.0.0.1:9/dists/stable/Release...
ERROR: unable to update: http://127.0.0.1:9/dists/stable/Release: Get "http:/dists/stable/Release": dial tcp 127.0.0.1:9: connect: connection refused
"""  # noqa: E501


def test_full_disk_is_named_not_taken_for_a_bad_signature(cfg):
    """A download failing with ENOSPC says so, with the free space of that filesystem; it used to be reported as a
    failed signature verification (a verbose aptly prints "gpgv: Good signature")."""
    aptly = FakeAptly(cfg)
    gam.cmd_update(aptly, gam.expand(cfg), cfg)
    pubs, snaps = dict(aptly.pubs), list(aptly.snaps)
    os.makedirs(os.path.join(cfg["root"], "pool"))
    aptly.fail_update = {"probe-stable-main": ENOSPC_OUTPUT % (cfg["root"], cfg["root"])}
    with pytest.raises(gam.MirrorError) as err:
        gam.cmd_update(aptly, gam.expand(cfg), cfg)
    msg = str(err.value)
    assert msg.startswith("the disk is full: no space left on device while updating mirror probe-stable-main "
                          "(http://127.0.0.1:8079/ stable/main), "), msg
    assert re.search(r"\d+ MiB free of \d+ MiB on the filesystem of %s/pool; nothing was published" % cfg["root"], msg)
    assert "signature" not in msg.split("aptly said:", maxsplit=1)[0]
    assert aptly.pubs == pubs and aptly.snaps == snaps


def test_full_disk_in_another_aptly_command_is_named(cfg, monkeypatch):
    proc = Proc(1, "ERROR: unable to publish: write %s/public/x: no space left on device" % cfg["root"])
    monkeypatch.setattr(gam.subprocess, "run", lambda *a, **k: proc)
    with pytest.raises(gam.MirrorError, match=r"`publish switch` failed \(exit 1\): the disk is full \(no space "
                                              r"left on device, \d+ MiB free of \d+ MiB on the filesystem of "):
        gam.Aptly(cfg).run("publish", "switch", "x")


def test_unreachable_upstream_names_the_url_and_the_reason(cfg):
    aptly = FakeAptly(cfg)
    gam.cmd_update(aptly, gam.expand(cfg), cfg)
    pubs = dict(aptly.pubs)
    aptly.fail_update = {"probe-stable-main": REFUSED_OUTPUT}
    with pytest.raises(gam.MirrorError) as err:
        gam.cmd_update(aptly, gam.expand(cfg), cfg)
    assert str(err.value).startswith(
        "upstream http://127.0.0.1:8079/ could not be reached (connection refused) while updating mirror "
        "probe-stable-main (stable/main); nothing was published, clients keep the current snapshot. aptly said: ")
    assert aptly.pubs == pubs
    assert gam.unreachable("Get x: dial tcp: lookup deb.example on 127.0.0.53:53: no such host") == \
        "could not be reached (unknown host)"
    assert gam.unreachable("dial tcp 10.0.0.1:80: i/o timeout") == "could not be reached (timeout)"
    assert gam.unreachable("x509: certificate signed by unknown authority") == \
        "could not be reached (TLS certificate not trusted)"
    assert gam.unreachable("ERROR: unable to update: HTTP code 503 while fetching x") == "answered HTTP 503"
    assert gam.unreachable("ERROR: something else") is None


def test_bad_signature_patterns_ignore_good_signatures():
    assert not gam.signature_problem('gpgv: Good signature from "upstream"\ngpgv: using EDDSA key, keyring x')
    assert gam.signature_problem("gpgv: Can't check signature: No public key")
    assert gam.signature_problem("gpgv: BAD signature from \"rogue\"")
    assert gam.signature_problem("ERROR: unable to update: verification of detached signature failed: exit status 2")


@pytest.mark.usefixtures("clock")
def test_killed_publish_is_repaired_first_by_the_next_run(cfg, monkeypatch, capsys):
    """A run killed in `aptly publish` (the .tmp files written, the database not updated) leaves the intent file;
    the next run re-publishes that distribution's current snapshots before anything else, even when its own update
    then fails (here: the upstream is unreachable), and the run after that publishes as usual."""
    aptly = FakeAptly(cfg)
    pubs = gam.expand(cfg)
    first = gam.cmd_update(aptly, pubs, cfg)
    served = dict(aptly.pubs)
    aptly.kill_publish = 1
    with pytest.raises(Killed):
        gam.cmd_update(aptly, pubs, cfg)
    intent = os.path.join(cfg["root"], gam.INTENT)
    assert os.path.exists(intent) and aptly.pubs == served
    assert gam.leftovers(cfg["root"], "probe", "stable")
    assert "leftover" in " ".join(gam.check_published(cfg["root"], "probe", "stable"))
    # the next run: the upstream is down; main() repairs first, then fails on the upstream
    path = os.path.join(cfg["root"], "config.json")
    with open(path, "w") as fh:
        json.dump(cfg, fh)
    monkeypatch.setattr(gam, "Aptly", lambda config, verbose=False: aptly)
    aptly.fail_update = {"probe-stable-main": REFUSED_OUTPUT}
    aptly.calls = []
    assert gam.main(["--config", path, "update"]) == 1
    err = capsys.readouterr().err
    assert "found an interrupted publish (started " in err and "of probe/stable: publishing its current snapshots " \
        "probe-stable-extra-%s, probe-stable-main-%s again" % (first["stamp"], first["stamp"]) in err, err
    assert "could not be reached (connection refused)" in err
    switches = [c for c in aptly.calls if c[:2] == ["publish", "switch"]]
    assert len(switches) == 1 and switches[0][-3:] == ["probe", "probe-stable-extra-" + first["stamp"],
                                                       "probe-stable-main-" + first["stamp"]], switches
    assert aptly.calls.index(switches[0]) < aptly.calls.index(
        [c for c in aptly.calls if c[:2] == ["mirror", "update"]][0])
    assert not os.path.exists(intent) and aptly.pubs == served
    assert gam.check_published(cfg["root"], "probe", "stable") == []
    # upstream back: the run completes and publishes a new stamp, nothing left to repair
    aptly.fail_update = {}
    assert gam.main(["--config", path, "update"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "repaired" not in out and out["all_published"]
    assert aptly.pubs[("probe", "stable")]["main"] == "probe-stable-main-" + out["stamp"]
    assert all(gam.check_published(cfg["root"], p, d) == [] for p, d in aptly.pubs)


@pytest.mark.usefixtures("clock")
def test_leftovers_without_intent_and_a_first_publish_killed(cfg, capsys):
    aptly = FakeAptly(cfg)
    pubs = gam.expand(cfg)
    aptly.kill_publish = 1
    with pytest.raises(Killed):
        gam.cmd_update(aptly, pubs, cfg)  # the very first publish: aptly's database has no publication yet
    assert gam.recover(aptly, pubs) == ["probe/stable"]
    assert "which was never published: removing its leftovers" in capsys.readouterr().err
    assert not gam.leftovers(cfg["root"], "probe", "stable") and aptly.pubs == {}
    gam.cmd_update(aptly, pubs, cfg)
    assert gam.recover(aptly, pubs) == []  # nothing to do: no publish call
    # leftovers of a publish killed before this version (no intent file) are repaired too
    stale = os.path.join(gam.dists_dir(cfg["root"], "debian", "bookworm"), "Release.tmp")
    with open(stale, "w") as fh:
        fh.write("half")
    aptly.calls = []
    assert gam.recover(aptly, pubs) == ["debian/bookworm"]
    assert [c[:2] for c in aptly.calls if c[0] == "publish"] == [["publish", "list"], ["publish", "switch"]]
    assert not os.path.exists(stale)


def test_inconsistent_publish_fails_and_keeps_the_intent(cfg):
    aptly = FakeAptly(cfg)
    pubs = gam.expand(cfg)
    aptly.corrupt_publish = True
    with pytest.raises(gam.MirrorError, match=r"probe/stable is inconsistent after aptly published it: "
                                              r"extra/binary-amd64/Packages has \d+ bytes, Release says \d+"):
        gam.cmd_update(aptly, pubs, cfg)
    assert os.path.exists(os.path.join(cfg["root"], gam.INTENT))
    aptly.corrupt_publish = False
    assert gam.recover(aptly, pubs) == ["probe/stable"]
    assert gam.check_published(cfg["root"], "probe", "stable") == []


def test_check_published_reads_release_like_apt(cfg):
    write_tree(cfg["root"], ".", "stable", {"main": "s1"})
    assert gam.check_published(cfg["root"], ".", "stable") == []
    base = gam.dists_dir(cfg["root"], ".", "stable")
    assert base == os.path.join(cfg["root"], "public", "dists", "stable")
    with open(os.path.join(base, "Release"), "a") as fh:
        fh.write(" %s 3 main/Contents-amd64\n %s 3 main/i18n/Index\n" % ("0" * 64, "0" * 64))
    with open(os.path.join(base, "main", "Contents-amd64.gz"), "w") as fh:
        fh.write("gz")
    problems = gam.check_published(cfg["root"], ".", "stable")
    # a listed file absent beside its compressed variant is fine (aptly lists Contents-amd64, writes the .gz)
    assert problems == ["InRelease does not sign the Release", "main/i18n/Index is listed but missing"], problems
    os.remove(os.path.join(base, "InRelease"))
    assert any("InRelease: No such file" in p for p in gam.check_published(cfg["root"], ".", "stable"))
