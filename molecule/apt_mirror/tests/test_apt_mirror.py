# -*- coding: utf-8 -*-
"""apt_mirror + apt_client: the signed publication, the client switched to it, a second update with a newer
package, a wrong upstream key that publishes nothing, a rollback through the role variable, the client's restore
when apt-get update fails. The tests run in file order (they move the mirror forward, then back)."""
import json
import os
import subprocess

import testinfra

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
MIRROR = testinfra.get_hosts(["apt_mirror_servers"], connection="ansible", ansible_inventory=INVENTORY)[0]
CLIENT = testinfra.get_hosts(["apt_clients"], connection="ansible", ansible_inventory=INVENTORY)[0]
STATUS = "runuser -u aptly -- /usr/local/sbin/gohost-apt-mirror status"
PROBE_RELEASE = "/var/lib/aptly/public/probe/dists/stable/InRelease"


def status():
    return json.loads(MIRROR.check_output(STATUS))


def playbook(name, *extra):
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".cache", "collections")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    return subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(SCENARIO, name)] + list(extra),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)


def candidate(pkg):
    CLIENT.check_output("apt-get update -q --error-on=any")
    out = CLIENT.check_output("apt-cache policy %s" % pkg)
    return [line.split(":", 1)[1].strip() for line in out.splitlines() if line.strip().startswith("Candidate:")][0]


def test_published_signed_and_served():
    st = status()
    assert st["all_published"], st
    stamps = {v["stamp"] for v in st["published"].values()}
    assert len(stamps) == 1 and None not in stamps, st
    key = MIRROR.check_output("curl -fsS http://127.0.0.1/gohost-apt-mirror.asc")
    assert key.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    MIRROR.check_output("curl -fsS http://127.0.0.1/gohost-apt-mirror.asc | gpg --dearmor > /tmp/mirror.gpg")
    for rel in ("debian/dists/%s" % MIRROR.system_info.codename, "probe/dists/stable"):
        verify = MIRROR.run("curl -fsS http://127.0.0.1/%s/InRelease | gpgv --keyring /tmp/mirror.gpg" % rel)
        assert verify.rc == 0, verify.stderr
        release = MIRROR.check_output("curl -fsS http://127.0.0.1/%s/Release" % rel)
        assert "Acquire-By-Hash: yes" in release
    # by-hash files are there for what the Release lists
    assert MIRROR.run("ls /var/lib/aptly/public/probe/dists/stable/main/binary-amd64/by-hash/SHA256/").stdout.strip()
    # the filter kept hello and its dependencies only
    listing = MIRROR.check_output("runuser -u aptly -- aptly -config=/etc/aptly.conf mirror show -with-packages "
                                  "debian-%s-main" % MIRROR.system_info.codename)
    assert "hello_" in listing and "libc6_" in listing and "nginx_" not in listing


def test_timer_and_service_units():
    assert MIRROR.service("gohost-apt-mirror-update.timer").is_enabled
    assert MIRROR.service("gohost-apt-mirror-update.timer").is_running
    assert MIRROR.service("nginx").is_running
    mode = MIRROR.file("/etc/gohost-apt-mirror/config.json")
    assert mode.mode == 0o640 and mode.group == "aptly"
    assert MIRROR.file("/var/lib/aptly/gnupg").mode == 0o700


def test_client_uses_the_mirror():
    sources = CLIENT.file("/etc/apt/sources.list.d/0000debian.sources").content_string
    assert "URIs: http://mirror.gohost.test/debian" in sources
    assert "Signed-By: /etc/apt/keyrings/gohost-apt-mirror.asc" in sources
    assert "deb.debian.org" not in sources
    backups = CLIENT.check_output("ls /var/backups/gohost-apt-client")
    assert "_etc_apt_sources.list.d_0000debian.sources.orig" in backups
    orig = CLIENT.file("/var/backups/gohost-apt-client/_etc_apt_sources.list.d_0000debian.sources.orig")
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in orig.content_string
    dropin = CLIENT.file("/etc/apt/apt.conf.d/80gohost-apt-client").content_string
    assert 'Acquire::Retries "3";' in dropin and 'Acquire::Queue-Mode "host";' in dropin
    pkg = CLIENT.package("gohost-mirror-probe")
    assert pkg.is_installed and pkg.version == "1.0"
    assert CLIENT.package("hello").is_installed  # a dependency, from the filtered Debian mirror
    policy = CLIENT.check_output("apt-cache policy hello")
    assert "mirror.gohost.test/debian" in policy


def test_second_update_publishes_a_newer_package():
    before = status()["published"]["probe/stable"]["stamp"]
    MIRROR.check_output("/usr/local/bin/gohost-test-upstream 2.0")
    run = MIRROR.run("systemctl start gohost-apt-mirror-update.service")
    assert run.rc == 0, MIRROR.run("journalctl -u gohost-apt-mirror-update.service -n 30 --no-pager").stdout
    st = status()["published"]["probe/stable"]
    assert st["stamp"] != before and st["snapshots"][-2:] == [before, st["stamp"]], st
    assert candidate("gohost-mirror-probe") == "2.0"


def test_wrong_upstream_key_publishes_nothing():
    published = MIRROR.check_output("sha256sum %s" % PROBE_RELEASE)
    st_before = status()
    MIRROR.check_output("/usr/local/bin/gohost-test-upstream 3.0 rogue")
    run = MIRROR.run("systemctl start gohost-apt-mirror-update.service")
    assert run.rc != 0
    journal = MIRROR.check_output("journalctl -u gohost-apt-mirror-update.service -n 40 --no-pager")
    assert "failed signature verification against keyring(s) /srv/upstream-keyring.gpg" in journal, journal
    assert "nothing was published" in journal
    assert MIRROR.check_output("sha256sum %s" % PROBE_RELEASE) == published
    assert status() == st_before
    assert candidate("gohost-mirror-probe") == "2.0"
    # the role says the same when asked to update now
    proc = playbook("rollback.yml", "-e", "rollback_stamp=''", "-e", "apt_mirror_update_now=true")
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "failed signature verification" in proc.stdout, proc.stdout[-3000:]
    assert MIRROR.check_output("sha256sum %s" % PROBE_RELEASE) == published


def test_rollback_restores_the_previous_snapshot():
    snaps = status()["published"]["probe/stable"]["snapshots"]
    first = snaps[-2]
    proc = playbook("rollback.yml", "-e", "rollback_stamp=%s" % first)
    assert proc.returncode == 0, proc.stdout[-3000:]
    st = status()
    assert {v["stamp"] for v in st["published"].values()} == {first}, st
    assert candidate("gohost-mirror-probe") == "1.0"
    again = playbook("rollback.yml", "-e", "rollback_stamp=%s" % first)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    missing = playbook("rollback.yml", "-e", "rollback_stamp=20000101T000000Z")
    assert missing.returncode != 0 and "has no snapshot 20000101T000000Z" in missing.stdout, missing.stdout[-3000:]


def test_client_restores_sources_when_apt_fails():
    paths = ["/etc/apt/sources.list.d/0000debian.sources", "/etc/apt/sources.list.d/gohost-probe.sources",
             "/etc/apt/apt.conf.d/80gohost-apt-client"]
    before = {p: CLIENT.file(p).content_string for p in paths}
    proc = playbook("client_bad.yml")
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "the sources were restored" in proc.stdout, proc.stdout[-3000:]
    assert "no-such-prefix" in proc.stdout and "Release" in proc.stdout, proc.stdout[-3000:]  # apt's own words
    assert {p: CLIENT.file(p).content_string for p in paths} == before
    assert CLIENT.run("apt-get update -q --error-on=any").rc == 0
