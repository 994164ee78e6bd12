# -*- coding: utf-8 -*-
"""apt_mirror + apt_client: the signed publication, the client switched to it, TLS with the given certificate, a
second update with a newer package, a wrong upstream key that publishes nothing, a rollback through the role
variable, the client's restore when apt-get update fails, a switch to a given signing key (with a passphrase), the
client through the apt-cacher-ng of cache mode. The tests run in file order (they move the mirror forward, then
back, then forward again)."""
import json
import os
import re
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
                          timeout=900, check=False)  # minutes under load on a shared 2-core CI machine


def fingerprint(host, cmd):
    """Fingerprint of the first key in the output of cmd (a key, armored or binary)."""
    return host.check_output("%s | gpg --batch --with-colons --import-options show-only --import 2>/dev/null"
                             " | awk -F: '/^fpr/{print $10; exit}'" % cmd)


def signer(rel):
    """Fingerprint of the key that made the valid signature of a published InRelease (gpgv's VALIDSIG)."""
    out = MIRROR.check_output("curl -fsS http://127.0.0.1/%s/InRelease | gpgv --status-fd 1 --keyring "
                              "/tmp/signer.gpg 2>/dev/null || true" % rel)
    found = re.findall(r"^\[GNUPG:\] VALIDSIG ([0-9A-F]{40}) ", out, re.M)
    return found[0] if found else None


def unchanged(proc):
    """Every host of the play recap has changed=0."""
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):]
    counts = re.findall(r"\bchanged=(\d+)", recap)
    return bool(counts) and set(counts) == {"0"}


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


def test_tls_with_the_given_certificate():
    """nginx serves the same tree on 443 with the certificate the scenario gave; apt on the client reads the mirror
    over HTTPS when it trusts that certificate (Acquire::https::CAInfo), and refuses it when it does not."""
    http = MIRROR.check_output("curl -fsS http://127.0.0.1/gohost-apt-mirror.asc")
    https = CLIENT.check_output("curl -fsS --cacert /etc/gohost-test/mirror-ca.crt "
                                "https://mirror.gohost.test/gohost-apt-mirror.asc")
    assert https == http
    served = CLIENT.check_output("openssl s_client -connect mirror.gohost.test:443 -servername mirror.gohost.test "
                                 "</dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256")
    given = MIRROR.check_output("openssl x509 -noout -fingerprint -sha256 -in /etc/ssl/gohost-test/mirror.crt")
    assert served == given
    untrusted = CLIENT.run("curl -fsS https://mirror.gohost.test/gohost-apt-mirror.asc")
    assert untrusted.rc == 60, untrusted.stderr  # peer certificate cannot be authenticated
    CLIENT.check_output("printf 'Types: deb\\nURIs: https://mirror.gohost.test/probe\\nSuites: stable\\n"
                        "Components: main\\nSigned-By: /etc/apt/keyrings/gohost-apt-mirror.asc\\n' > /tmp/https.sources")
    apt = ("rm -rf /tmp/https-lists && mkdir -p /tmp/https-lists/partial && apt-get update -q --error-on=any "
           "-o Dir::Etc::SourceList=/tmp/https.sources -o Dir::Etc::SourceParts=/nonexistent "
           "-o Dir::State::Lists=/tmp/https-lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= ")
    trusted = CLIENT.run(apt + "-o Acquire::https::CAInfo=/etc/gohost-test/mirror-ca.crt")
    assert trusted.rc == 0, trusted.stdout + trusted.stderr
    assert "https://mirror.gohost.test/probe stable InRelease" in trusted.stdout, trusted.stdout
    assert CLIENT.file("/tmp/https-lists/mirror.gohost.test_probe_dists_stable_InRelease").exists
    refused = CLIENT.run(apt)
    assert refused.rc != 0, refused.stdout
    assert "certificate" in (refused.stdout + refused.stderr).lower(), refused.stdout + refused.stderr


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


def test_given_signing_key_with_passphrase():
    """The mirror switches to a given key (made by prepare.yml, with a passphrase): the next update is signed with
    it, the served key and the client's key are it, neither the key nor the passphrase shows in the output; a second
    run changes nothing, with booleans and numbers given as -e strings (ansible-core 2.19); the timer's service
    signs with it too, through the passphrase file (the gpg-agent stopped first, so nothing is cached)."""
    given = fingerprint(MIRROR, "cat /root/given-signing-key.pub.gpg")
    assert re.match(r"^[0-9A-F]{40}$", given), given
    MIRROR.check_output("cp /root/given-signing-key.pub.gpg /tmp/signer.gpg")
    passphrase = MIRROR.check_output("cat /root/given-signing-key.pass").strip()
    assert signer("probe/dists/stable") is None  # still signed with the generated key
    MIRROR.check_output("/usr/local/bin/gohost-test-upstream 3.0")  # the upstream signs with its own key again
    proc = playbook("given_key.yml", "-e", "apt_mirror_update_now=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "PRIVATE KEY" not in proc.stdout and passphrase not in proc.stdout
    assert fingerprint(MIRROR, "curl -fsS http://127.0.0.1/gohost-apt-mirror.asc") == given
    assert fingerprint(CLIENT, "cat /etc/apt/keyrings/gohost-apt-mirror.asc") == given
    for rel in ("debian/dists/%s" % MIRROR.system_info.codename, "probe/dists/stable"):
        assert signer(rel) == given, rel
    passfile = MIRROR.file("/etc/gohost-apt-mirror/signing-passphrase")
    assert passfile.user == "aptly" and passfile.mode == 0o400
    assert candidate("gohost-mirror-probe") == "3.0"
    again = playbook("given_key.yml", "-e", "apt_mirror_update_now=false", "-e", "apt_mirror_timer_enabled=true",
                     "-e", "apt_mirror_nginx_disable_default_site=true", "-e", "apt_mirror_acquire_by_hash=true",
                     "-e", "apt_mirror_skip_contents=false", "-e", "apt_mirror_keep_snapshots=3",
                     "-e", "apt_mirror_download_concurrency=4", "-e", "apt_client_retries=3")
    assert again.returncode == 0 and unchanged(again), again.stdout[-3000:]
    before = status()["published"]["probe/stable"]["stamp"]
    MIRROR.check_output("runuser -u aptly -- env GNUPGHOME=/var/lib/aptly/gnupg gpgconf --kill gpg-agent")
    run = MIRROR.run("systemctl start gohost-apt-mirror-update.service")
    assert run.rc == 0, MIRROR.run("journalctl -u gohost-apt-mirror-update.service -n 30 --no-pager").stdout
    assert status()["published"]["probe/stable"]["stamp"] != before
    assert signer("probe/dists/stable") == given
    assert candidate("gohost-mirror-probe") == "3.0"


def test_cache_mode_through_apt_cacher_ng():
    """Cache mode (apt-cacher-ng on port 3143 of the mirror host, set up by converge.yml) with the client's
    apt_client_proxy: the sources stay, the proxy is in the drop-in, apt-get update works through it, a downloaded
    package lands in the cache and the next download of it is served from there (nginx is not asked again)."""
    assert MIRROR.service("apt-cacher-ng").is_running and MIRROR.service("apt-cacher-ng").is_enabled
    assert MIRROR.socket("tcp://3143").is_listening
    assert "Port: 3143" in MIRROR.file("/etc/apt-cacher-ng/zz_gohost.conf").content_string
    sources = "/etc/apt/sources.list.d/0000debian.sources"
    before = CLIENT.file(sources).content_string
    proc = playbook("client_cache.yml")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert CLIENT.file(sources).content_string == before
    dropin = CLIENT.file("/etc/apt/apt.conf.d/80gohost-apt-client").content_string
    assert 'Acquire::http::Proxy "http://mirror.gohost.test:3143";' in dropin
    acng_log = "/var/log/apt-cacher-ng/apt-cacher.log"
    assert "mirror.gohost.test/probe/dists/stable/InRelease" in MIRROR.file(acng_log).content_string
    # aptly's pool is pool/<component>/<initial>/<source>/<file>.
    access = ("grep -cE 'GET /probe/pool/main/[^ ]*/gohost-mirror-probe_3\\.0_all\\.deb ' "
              "/var/log/nginx/gohost-apt-mirror.access.log || true")
    got = CLIENT.check_output("cd /tmp && rm -f gohost-mirror-probe_*.deb && apt-get download -q gohost-mirror-probe"
                              " 2>&1 && apt-config dump Acquire::http::Proxy")
    cached = MIRROR.check_output("find /var/cache/apt-cacher-ng -name gohost-mirror-probe_3.0_all.deb")
    assert cached, "%s\n%s" % (got, MIRROR.check_output("tail -n 20 %s" % acng_log))
    fetched = int(MIRROR.check_output(access))
    assert fetched >= 1, "cached as %s, but nginx logged no download of it:\n%s" % (
        cached, MIRROR.check_output("grep gohost-mirror-probe /var/log/nginx/gohost-apt-mirror.access.log | tail -n 5"))
    CLIENT.check_output("cd /tmp && rm -f gohost-mirror-probe_*.deb && apt-get download -q gohost-mirror-probe")
    assert CLIENT.run("ls /tmp/gohost-mirror-probe_3.0_all.deb").rc == 0
    assert int(MIRROR.check_output(access)) == fetched  # the second download came from the cache
