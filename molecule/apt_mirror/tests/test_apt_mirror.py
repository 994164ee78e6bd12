# -*- coding: utf-8 -*-
"""apt_mirror + apt_client: the signed publication, the client switched to it, TLS with the given certificate, a
second update with a newer package, a wrong upstream key that publishes nothing, a rollback through the role
variable, the client's restore when apt-get update fails, a switch to a given signing key (with a passphrase), the
client through the apt-cacher-ng of cache mode; then the faults (docs/apt_mirror.md, "Faults"): an unreachable
upstream, a full disk under aptly's pool, a run killed in the middle of `aptly publish`. The tests run in file order
(they move the mirror forward, then back, then forward again)."""
import base64
import json
import os
import re
import subprocess
import time

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
    env["ANSIBLE_FORCE_COLOR"] = "0"  # molecule sets it true when run without make
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


# --- Faults (issue 15): each leaves what clients are served as it was, or repairs it on the next run. ---

UNIT = "gohost-apt-mirror-update.service"
CONFIG = "/etc/gohost-apt-mirror/config.json"
POOL = "/var/lib/aptly/pool"
INTENT = "/var/lib/aptly/.gohost-apt-mirror.publishing"
# Checks a published distribution the way a client reads it, over HTTP from nginx: the InRelease and Release.gpg
# signatures (with the served key), InRelease signs the served Release, every file Release lists under SHA256 is
# served with that size and hash (aptly lists the uncompressed Contents-<arch> and serves only the .gz, as apt
# expects: a listed file may be absent when a compressed variant is served). Prints the problems, one a line.
CHECK = r"""
import hashlib, subprocess, sys, urllib.error, urllib.request
def get(url):
    try:
        return urllib.request.urlopen("http://127.0.0.1/" + url, timeout=30).read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
key = get("gohost-apt-mirror.asc")
subprocess.run(["gpg", "--batch", "--yes", "--dearmor", "-o", "/tmp/fault-served.gpg"], input=key, check=True)
problems = []
for rel in sys.argv[1:]:
    release, inrelease, detached = get(rel + "/Release"), get(rel + "/InRelease"), get(rel + "/Release.gpg")
    with open("/tmp/fault-Release", "wb") as fh:
        fh.write(release)
    with open("/tmp/fault-Release.gpg", "wb") as fh:
        fh.write(detached or b"")
    v = subprocess.run(["gpgv", "--keyring", "/tmp/fault-served.gpg", "--output", "-"], input=inrelease,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if v.returncode:
        problems.append("%s: InRelease: %s" % (rel, v.stderr.decode().strip()))
    elif v.stdout.rstrip(b"\n") != release.rstrip(b"\n"):
        problems.append("%s: InRelease signs another Release" % rel)
    d = subprocess.run(["gpgv", "--keyring", "/tmp/fault-served.gpg", "/tmp/fault-Release.gpg", "/tmp/fault-Release"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if d.returncode:
        problems.append("%s: Release.gpg: %s" % (rel, d.stderr.decode().strip()))
    listed, section = {}, False
    for line in release.decode().splitlines():
        if not line.startswith(" "):
            section = line.strip() == "SHA256:"
        elif section:
            sha, size, name = line.split()
            listed[name] = (sha, int(size))
    for name, (sha, size) in sorted(listed.items()):
        data = get(rel + "/" + name)
        if data is None:
            if not any(n.startswith(name + ".") and get(rel + "/" + n) is not None for n in listed):
                problems.append("%s: %s is listed, not served" % (rel, name))
        elif len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            problems.append("%s: %s is not what Release says" % (rel, name))
    if len(listed) < 4:
        problems.append("%s: Release lists %d files only" % (rel, len(listed)))
print("\n".join(problems))
"""
CLIENT_APT = ("apt-get -q -o Dir::Etc::SourceList=/tmp/fault.sources -o Dir::Etc::SourceParts=/nonexistent "
              "-o Dir::State::Lists=/tmp/fault-lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "
              "-o Acquire::http::Proxy::mirror.gohost.test=DIRECT ")


def rels():
    return ["debian/dists/%s" % MIRROR.system_info.codename, "probe/dists/stable"]


def served():
    """What clients get: the InRelease of each published distribution and the probe's package versions."""
    out = {rel: MIRROR.check_output("curl -fsS http://127.0.0.1/%s/InRelease | sha256sum" % rel) for rel in rels()}
    out["probe"] = MIRROR.check_output("curl -fsS http://127.0.0.1/probe/dists/stable/main/binary-amd64/Packages"
                                       " | sed -n 's/^Version: //p' | sort -V | xargs")
    return out


def inconsistencies():
    script = base64.b64encode(CHECK.encode()).decode()
    return MIRROR.check_output("echo %s | base64 -d > /tmp/fault-check.py && python3 /tmp/fault-check.py %s"
                               % (script, " ".join(rels()))).strip()


def client_reads_the_mirror():
    """apt-get update (every error an error) and a download on the client, straight from nginx (no cache mode
    proxy), with fresh lists; returns the candidate version of the probe."""
    CLIENT.check_output("printf 'Types: deb\\nURIs: http://mirror.gohost.test/debian\\nSuites: %s\\nComponents: main\\n"
                        "Signed-By: /etc/apt/keyrings/gohost-apt-mirror.asc\\n\\nTypes: deb\\n"
                        "URIs: http://mirror.gohost.test/probe\\nSuites: stable\\nComponents: main\\n"
                        "Signed-By: /etc/apt/keyrings/gohost-apt-mirror.asc\\n' > /tmp/fault.sources"
                        % CLIENT.system_info.codename)
    update = CLIENT.run("rm -rf /tmp/fault-lists && mkdir -p /tmp/fault-lists/partial && %s update --error-on=any"
                        % CLIENT_APT)
    assert update.rc == 0, update.stdout + update.stderr
    got = CLIENT.run("cd /tmp && rm -f gohost-mirror-probe_*.deb hello_*.deb && %s download gohost-mirror-probe hello"
                     % CLIENT_APT)
    assert got.rc == 0, got.stdout + got.stderr
    install = CLIENT.run("%s -s install gohost-mirror-probe" % CLIENT_APT)  # resolvable, from these lists
    assert install.rc == 0, install.stdout + install.stderr
    policy = CLIENT.check_output("apt-cache -o Dir::Etc::SourceList=/tmp/fault.sources -o Dir::Etc::SourceParts=/x "
                                 "-o Dir::State::Lists=/tmp/fault-lists -o Dir::Cache::pkgcache= "
                                 "-o Dir::Cache::srcpkgcache= policy gohost-mirror-probe")
    return [line.split(":", 1)[1].strip() for line in policy.splitlines() if line.strip().startswith("Candidate:")][0]


def start_update():
    """systemctl start of the update unit, as the timer does: (rc, unit properties, the run's own journal)."""
    run = MIRROR.run("systemctl start %s" % UNIT)
    props = dict(line.split("=", 1) for line in MIRROR.check_output(
        "systemctl show -p Result -p ExecMainStatus -p ActiveState -p InvocationID %s" % UNIT).splitlines())
    journal = MIRROR.check_output("journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=%s" % props["InvocationID"])
    return run.rc, props, journal


def test_fault_upstream_unreachable():
    """The upstream on a closed port: the timer's unit fails (result, exit status), the journal names the upstream
    URL and why, and what clients are served does not change (InRelease, packages, signatures, apt-get update)."""
    before, candidate_before = served(), client_reads_the_mirror()
    MIRROR.check_output("cp -p %s /root/config.json.fault" % CONFIG)
    try:
        MIRROR.check_output("python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); "
                            "[a.update(url=\"http://127.0.0.1:9/\") for a in c[\"archives\"] if a[\"name\"]==\"probe\"];"
                            " json.dump(c, open(sys.argv[1], \"w\"))' %s" % CONFIG)
        rc, props, journal = start_update()
        assert rc != 0 and props["Result"] == "exit-code" and props["ExecMainStatus"] == "1", props
        assert props["ActiveState"] == "failed", props
        assert "upstream http://127.0.0.1:9/ could not be reached (connection refused) while editing mirror " \
               "probe-stable-main (stable/main); nothing was published, clients keep the current snapshot" in journal, \
            journal[-3000:]
        assert served() == before
        assert inconsistencies() == ""
        assert client_reads_the_mirror() == candidate_before
    finally:
        MIRROR.check_output("cp -p /root/config.json.fault %s && rm -f /root/config.json.fault" % CONFIG)


def test_fault_full_disk():
    """aptly's pool on a full filesystem (an 8 MiB tmpfs over it holding a copy, filled up) while the upstream
    offers a new version: the update fails, naming the full disk and its free space (it used to be reported as a
    failed signature verification), clients are served exactly what they had; with the pool back on a disk with
    room, the next run publishes the new version."""
    before, candidate_before = served(), client_reads_the_mirror()
    new = "%d.0" % (int(before["probe"].split()[-1].split(".")[0]) + 1)  # 4.0 after the tests above
    MIRROR.check_output("/usr/local/bin/gohost-test-upstream %s" % new)
    assert served() == before
    try:
        MIRROR.check_output(
            "set -e; rm -rf /root/pool.fault; cp -a {p} /root/pool.fault; "
            "mount -t tmpfs -o size=8m,mode=0755 gohost-full {p}; cp -a /root/pool.fault/. {p}/; chown aptly:aptly {p};"
            " dd if=/dev/zero of={p}/.filler bs=4k 2>/dev/null || true; test \"$(stat -f -c %a {p})\" = 0".format(p=POOL))
        rc, props, journal = start_update()
        assert rc != 0 and props["Result"] == "exit-code" and props["ActiveState"] == "failed", props
        assert re.search(r"^gohost-apt-mirror: the disk is full: no space left on device while updating mirror "
                         r"probe-stable-main \(http://127.0.0.1:8079/ stable/main\), 0 MiB free of 8 MiB on the "
                         r"filesystem of %s[/0-9a-f]*; nothing was published" % POOL, journal, re.M), journal[-3000:]
        assert "signature verification" not in journal, journal[-3000:]
        assert served() == before
        assert inconsistencies() == ""
        assert client_reads_the_mirror() == candidate_before
    finally:
        MIRROR.run("mountpoint -q {p} && umount {p}; rm -rf /root/pool.fault".format(p=POOL))
    assert MIRROR.run("mountpoint -q %s" % POOL).rc != 0
    rc, props, journal = start_update()
    assert rc == 0 and props["Result"] == "success", journal[-3000:]
    assert new in served()["probe"].split()
    assert inconsistencies() == ""
    assert client_reads_the_mirror() == new


# Starts the update unit and kills it while `aptly publish` is writing: once its *.tmp files are in the published
# tree and the aptly publish process is alive, that process is stopped (SIGSTOP: frozen in the middle), the updater
# and then aptly are SIGKILLed. The kill counts when *.tmp files are still there after it; else it tries again (the
# next run then repairs first, and is killed in that publish).
KILL = r"""
for try in 1 2 3 4 5 6; do
  systemctl start --no-block {unit}
  for i in $(seq 200); do [ "$(systemctl show -P ActiveState {unit})" = activating ] && break; sleep 0.02; done
  while [ "$(systemctl show -P ActiveState {unit})" = activating ]; do
    [ -n "$(find /var/lib/aptly/public -path '*/dists/*' -name '*.tmp' -print -quit)" ] || continue
    a=$(pgrep -f '^aptly -config=/etc/aptly.conf publish (switch|snapshot) ') || continue
    kill -STOP $a || continue
    m=$(systemctl show -P MainPID {unit})
    kill -9 "$m"; kill -9 $a
    for i in $(seq 200); do  # until systemd has seen the unit die (it is `deactivating` a moment)
      case $(systemctl show -P ActiveState {unit}) in activating|deactivating) sleep 0.05;; *) break;; esac
    done
    left=$(find /var/lib/aptly/public -path '*/dists/*' -name '*.tmp' | wc -l)
    [ "$left" -gt 0 ] && {{ echo "killed try=$try updater=$m aptly publish=$a, $left *.tmp left"; exit 0; }}
  done
  while [ "$(systemctl show -P ActiveState {unit})" = activating ]; do sleep 0.1; done
done
echo "missed: every run finished before a kill landed in aptly publish"; exit 1
""".format(unit=UNIT)


def test_fault_killed_while_publishing():
    """SIGKILL of the update run in the middle of `aptly publish` (proven: the aptly publish process was alive and
    had written its *.tmp files). The next run repairs that publish first, before it asks the upstream (which is down
    here: that run fails, yet leaves a consistent tree, no leftovers); the run after completes. Every published
    distribution is then consistent (signatures, every file Release lists) and clients update and download."""
    start = time.time()
    killed = MIRROR.run("echo %s | base64 -d > /tmp/fault-kill.sh && bash /tmp/fault-kill.sh"
                        % base64.b64encode(KILL.encode()).decode())
    assert killed.rc == 0 and killed.stdout.startswith("killed"), killed.stdout + killed.stderr
    assert MIRROR.check_output("systemctl show -P ActiveState %s" % UNIT) == "failed"
    assert MIRROR.check_output("find /var/lib/aptly/public -path '*/dists/*' -name '*.tmp'"), "no half-written publish"
    MIRROR.check_output("systemctl stop gohost-test-upstream")
    try:
        rc, props, journal = start_update()
        assert rc != 0, journal[-3000:]
        assert MIRROR.check_output("find /var/lib/aptly/public -name '*.tmp'") == "", journal[-3000:]
        assert inconsistencies() == ""
        assert "could not be reached (connection refused)" in journal, journal[-3000:]
        assert re.search(r"^gohost-apt-mirror: found an interrupted publish \(started \d{8}T\d{6}Z\) to .* of "
                         r"(probe/stable|debian/\w+): publishing its current snapshots .* again$", journal, re.M), \
            journal[-3000:]
        assert not MIRROR.file(INTENT).exists
    finally:
        MIRROR.check_output("systemctl start gohost-test-upstream")
    rc, props, journal = start_update()
    assert rc == 0 and props["Result"] == "success", journal[-3000:]
    assert "interrupted" not in journal
    st = status()
    assert st["all_published"] and len({v["stamp"] for v in st["published"].values()}) == 1, st
    assert inconsistencies() == ""
    assert client_reads_the_mirror() == served()["probe"].split()[-1]
    took = time.time() - start
    print("killed in aptly publish (%s), repaired and republished in %.0f s" % (killed.stdout.strip(), took))
