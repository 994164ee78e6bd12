# -*- coding: utf-8 -*-
"""The install methods the mirror itself does not use, on the client (second-tier instances on loopback whose
upstream is the mirror): go (built with the go_toolchain Go) and archive (the release archive with its checksum);
and the Athens backend at the role's default version, built on the controller by prepare.yml from the source
snapshot served as the module (or from the module proxy) and installed by the role (install_method=controller);
skipped, saying why, only where neither has it."""
import hashlib
import json
import os
import time

import pytest

from scenario import CLIENT, PROJECT, run_playbook, service_env, shell_quote

BUILT = os.path.join(PROJECT, ".cache", "goproxy-build", "goproxy-v0.21.0")
ATHENS_VERSION = "v0.18.0"  # the role's default (molecule/goproxy/vars/athens.yml)
ATHENS_WHY = os.path.join(PROJECT, ".cache", "athens", "unavailable.txt")
ATHENS_WORK = "/root/athensclient"
ATHENS_MODCACHE = "/tmp/athens-modcache"
# A real graph, as in test_goproxy.py: go.uber.org/zap v1.28.0 and everything its go.mod needs.
GO_MOD = "module example.com/athensclient\n\ngo 1.22\n\nrequire go.uber.org/zap v1.28.0\n"
MAIN_GO = ('package main\n\nimport "go.uber.org/zap"\n\nfunc main() {\n\tl, _ := zap.NewProduction()\n'
           '\tl.Info("hello")\n}\n')
# Prefilled on the mirror. This file runs before test_goproxy.py (file order), while the mirror is online, so
# the second tier can also check the module against the checksum database through it.
MOD_PATH = "go.uber.org/multierr/@v/v1.10.0.mod"


def fetch_through(port):
    return CLIENT.run("curl -fsS --max-time 60 http://127.0.0.1:%d/%s" % (port, MOD_PATH))


def sandbox_exposure(unit):
    out = CLIENT.check_output("systemd-analyze security --no-pager %s" % unit)
    return float(out.rsplit("Overall exposure level for %s: " % unit, 1)[1].split()[0])


def test_go_method_built_with_the_toolchain_go():
    info = CLIENT.check_output("go version -m /opt/goproxy-go/bin/goproxy")
    toolchain = CLIENT.check_output("go env GOVERSION")
    assert info.splitlines()[0].endswith(": " + toolchain), info
    assert "\tpath\tgithub.com/goproxy/goproxy/cmd/goproxy" in info, info
    assert "github.com/goproxy/goproxy\tv0.21.0\th1:" in info, info


@pytest.mark.parametrize("unit,port", [("goproxy-go", 8081), ("goproxy-archive", 8082)])
def test_instance_serves_through_the_mirror(unit, port):
    """The instances of the go and archive install methods serve the module graph through the main mirror."""
    assert CLIENT.service(unit).is_running
    res = fetch_through(port)
    assert res.rc == 0, res.stderr
    assert "module go.uber.org/multierr" in res.stdout
    assert sandbox_exposure(unit + ".service") <= 2.0


def test_archive_method_installed_the_archived_binary():
    with open(BUILT, "rb") as handle:
        want = hashlib.sha256(handle.read()).hexdigest()
    assert CLIENT.file("/opt/goproxy-archive/bin/goproxy").sha256sum == want
    assert CLIENT.file("/opt/goproxy-archive/bin/goproxy").mode == 0o755


def test_wrong_checksum_installed_nothing():
    assert not CLIENT.file("/opt/goproxy-badsum/bin/goproxy").exists
    assert not CLIENT.file("/etc/systemd/system/goproxy-badsum.service").exists


# The credential converge.yml gives goproxy-archive and Athens (molecule/goproxy/vars/athens.yml).
NETRC_SECRET = "netrc-secret-7d41c2e9"
NETRC_LINE = "machine corp.example login gohost-bot password " + NETRC_SECRET


def assert_secret_not_logged(unit):
    """Not in the journal, the unit's properties or files, nor anywhere in its state and cache directories."""
    for cmd in ("journalctl --no-pager -o cat -u %s", "systemctl show %s", "systemctl cat %s"):
        assert NETRC_SECRET not in CLIENT.check_output(cmd % unit), "the credential shows in `%s`" % (cmd % unit)
    res = CLIENT.run("grep -rl -- %s /var/lib/%s/ /var/cache/%s/" % (NETRC_SECRET, unit, unit))
    assert res.rc == 1, "grep found the credential (rc %d): %s %s" % (res.rc, res.stdout, res.stderr)


def test_private_module_comes_from_its_origin_with_the_netrc_credential():
    """GOPRIVATE=corp.example: goproxy-archive fetches corp.example/private directly from its origin (prepare.yml:
    https on the client's loopback, every request behind basic auth) with the go command and the netrc credential,
    and serves it to its clients."""
    refused = CLIENT.run("curl -sS -o /dev/null -w '%{http_code}' --cacert /etc/private-origin/cert.pem "
                         "'https://corp.example/private?go-get=1'")
    assert refused.stdout == "401", "the origin must refuse requests without the credential: %r" % refused.stdout
    CLIENT.check_output("truncate -s 0 /var/log/private-origin.log")
    info = CLIENT.run("curl -fsS --max-time 120 http://127.0.0.1:8082/corp.example/private/@v/v1.0.0.info")
    journal = CLIENT.run("journalctl --no-pager -o cat -n 20 -u goproxy-archive").stdout
    assert info.rc == 0, "%s\n%s" % (info.stderr, journal)
    assert json.loads(info.stdout)["Version"] == "v1.0.0", info.stdout
    source = CLIENT.check_output(
        "curl -fsS --max-time 120 -o /tmp/private.zip http://127.0.0.1:8082/corp.example/private/@v/v1.0.0.zip && "
        "python3 -c 'import zipfile; print(zipfile.ZipFile(\"/tmp/private.zip\").read("
        "\"corp.example/private@v1.0.0/private.go\").decode())'")
    assert "const Answer = 42" in source, source
    log = CLIENT.check_output("cat /var/log/private-origin.log")
    assert "auth-ok /private?go-get=1" in log, log
    assert "auth-ok /modproxy/corp.example/private/@v/v1.0.0.zip" in log, log


def test_netrc_reaches_the_service_only_in_its_runtime_directory():
    """goproxy: the go command finds the credential through NETRC, git through $HOME/.netrc; both are the read-only
    copy in the RuntimeDirectory, which is gone once the service stops."""
    _pid, uid, env = service_env(CLIENT, "goproxy-archive")
    assert env.get("HOME") == "/run/goproxy-archive", env
    assert env.get("NETRC") == "/run/goproxy-archive/.netrc", env
    copy = CLIENT.file("/run/goproxy-archive/.netrc")
    assert copy.mode == 0o400 and copy.uid == uid, (oct(copy.mode), copy.uid, uid)
    assert NETRC_LINE in CLIENT.check_output("cat /run/goproxy-archive/.netrc")
    source = CLIENT.file("/etc/goproxy-archive/netrc")
    assert source.mode == 0o600 and source.uid == 0 and source.gid == 0
    assert_secret_not_logged("goproxy-archive")
    CLIENT.check_output("systemctl stop goproxy-archive")
    try:
        assert not CLIENT.file("/run/goproxy-archive").exists, "the runtime copy outlived the service"
    finally:
        CLIENT.check_output("systemctl start goproxy-archive")
    deadline = time.time() + 60
    while fetch_through(8082).rc != 0:
        assert time.time() < deadline, "goproxy-archive did not serve again after its restart"
        time.sleep(1)


PRIVATE = "http://127.0.0.1:8082/corp.example/private/@v/"
# goproxy-archive's cache (CacheDirectory with DynamicUser: /var/cache/private/<name>): the dir cacher's files and
# the go command's module cache and build cache, all on one file system.
CACHE = "/var/cache/private/goproxy-archive"


def wait_serving(port):
    """Until the instance answers HTTP at all (the full-disk test must not depend on what it has cached)."""
    deadline = time.time() + 60
    while CLIENT.run("curl -sS -o /dev/null --max-time 5 http://127.0.0.1:%d/" % port).rc != 0:
        assert time.time() < deadline, "the instance on :%d did not serve again after its restart" % port
        time.sleep(1)


def test_full_cache_disk_fails_the_fill_and_keeps_serving_the_cache():
    """The cache's file system full (a tmpfs over goproxy-archive's cache directory, holding a copy of the cache,
    then filled): what is cached is still served byte for byte; a module that is not cached fails with the disk's
    error instead of a truncated file; once there is room again the same module is fetched whole (nothing partial
    from the failed fill is served). Afterwards the cache's own disk is back."""
    v100_zip = CLIENT.check_output("curl -fsS --max-time 60 %sv1.0.0.zip | sha256sum" % PRIVATE)
    assert CLIENT.run("find %s -path '*corp.example/private*v1.1.0*' | grep -q ." % CACHE).rc == 1, \
        "v1.1.0 must not be cached yet"
    CLIENT.check_output("systemctl stop goproxy-archive")
    # Room for the cache plus 8 MiB once the filler is gone: a direct fill of the 1 MiB module needs about three
    # times its zip (the go command's zip and extracted tree in gomodcache, then the cache's own copy).
    mounted = False
    try:
        CLIENT.check_output(
            "tar -C {c} -cf /root/gpa-cache.tar . && size=$(( $(du -sk {c} | cut -f1) + 8192 ))k"
            " && mount -t tmpfs -o size=$size,mode=0750 gpa-full {c} && tar -C {c} -xpf /root/gpa-cache.tar"
            " && rm /root/gpa-cache.tar".format(c=CACHE))
        mounted = True
        res = CLIENT.run("dd if=/dev/zero of=%s/filler bs=64k 2>&1" % CACHE)
        assert "No space left on device" in res.stdout, res.stdout
        CLIENT.check_output("systemctl start goproxy-archive")
        wait_serving(8082)
        # Cached: served as before.
        assert CLIENT.check_output("curl -fsS --max-time 60 %sv1.0.0.zip | sha256sum" % PRIVATE) == v100_zip
        # Not cached: the fill fails, saying why.
        res = CLIENT.run("curl -sS --max-time 120 -w '\\n%%{http_code}' %sv1.1.0.zip" % PRIVATE)
        assert res.rc == 0 and res.stdout.rsplit("\n", 1)[-1] != "200", "a fill onto a full disk answered 200"
        journal = CLIENT.check_output("journalctl --no-pager -o cat -n 50 -u goproxy-archive")
        said = (res.stdout + journal).lower()
        assert "no space left on device" in said, res.stdout[-2000:] + journal[-3000:]
        # Room again: v1.1.0 comes whole, and a client's go command verifies it against its own go.sum entry.
        CLIENT.check_output("rm %s/filler" % CACHE)
        zip_sum = CLIENT.check_output(
            "curl -fsS --max-time 120 -o /tmp/private-v110.zip %sv1.1.0.zip && sha256sum < /tmp/private-v110.zip"
            " && python3 -c 'import zipfile; z = zipfile.ZipFile(\"/tmp/private-v110.zip\"); "
            "assert z.testzip() is None; print(z.read(\"corp.example/private@v1.1.0/private.go\").decode())'"
            % PRIVATE)
        assert "const Answer = 43" in zip_sum, zip_sum
        origin = CLIENT.check_output(
            "curl -fsS --max-time 60 --cacert /etc/private-origin/cert.pem --netrc-file /etc/goproxy-archive/netrc"
            " https://corp.example/modproxy/corp.example/private/@v/v1.1.0.zip | sha256sum")
        assert zip_sum.splitlines()[0] == origin, "the mirror served other bytes than the origin"
    finally:
        CLIENT.run("systemctl stop goproxy-archive")
        if mounted:
            CLIENT.check_output("umount %s" % CACHE)
        CLIENT.check_output("systemctl start goproxy-archive")
    wait_serving(8082)
    assert CLIENT.check_output("findmnt -n -o FSTYPE --target %s" % CACHE) != "tmpfs"


def _athens_missing():
    """Why Athens could not be built here (prepare.yml wrote it), or None."""
    if not os.path.exists(ATHENS_WHY):
        return None
    with open(ATHENS_WHY) as handle:
        return "Athens %s cannot be built here, Athens backend not run: %s" % (ATHENS_VERSION, handle.read().strip())


ATHENS_SKIP = pytest.mark.skipif(_athens_missing() is not None, reason=str(_athens_missing()))


def athens_mode(offline):
    run_playbook("athens_mode.yml", offline)
    wait_healthy()


def wait_healthy():
    deadline = time.time() + 60
    while CLIENT.run("curl -fsS -o /dev/null http://127.0.0.1:3000/healthz").rc != 0:
        assert time.time() < deadline, "Athens did not answer on /healthz"
        time.sleep(1)


def download_through_athens():
    """go mod download of the graph with Athens as the only GOPROXY and an empty module cache: (rc, output)."""
    res = CLIENT.run("rm -rf %s && cd %s && GOPROXY=http://127.0.0.1:3000 GOMODCACHE=%s GOFLAGS=-modcacherw "
                     "timeout 600 go mod download all 2>&1" % (ATHENS_MODCACHE, ATHENS_WORK, ATHENS_MODCACHE))
    return res.rc, res.stdout + res.stderr


@ATHENS_SKIP
def test_athens_installed_at_its_default_version():
    """github.com/gomods/athens at the role's default version in the installed binary's build info (the snapshot
    served as that module keeps the version, unlike a build from a checkout), the binary prepare.yml built."""
    info = CLIENT.check_output("go version -m /usr/local/bin/athens")
    built = os.path.join(PROJECT, ".cache", "athens", "bin", "athens-" + ATHENS_VERSION)
    with open(built, "rb") as handle:
        assert CLIENT.check_output("sha256sum /usr/local/bin/athens").split()[0] == hashlib.sha256(
            handle.read()).hexdigest()
    assert "\tpath\tgithub.com/gomods/athens/cmd/proxy\n" in info, info
    assert "\tmod\tgithub.com/gomods/athens\t%s\th1:" % ATHENS_VERSION in info, info
    assert "(devel)" not in info, info
    assert "Go module proxy mirror (athens %s" % ATHENS_VERSION in CLIENT.check_output("systemctl cat athens")


@ATHENS_SKIP
def test_athens_serves_a_module_through_the_mirror():
    assert CLIENT.service("athens").is_running
    assert CLIENT.run("curl -fsS http://127.0.0.1:3000/healthz").rc == 0
    res = fetch_through(3000)
    assert res.rc == 0, res.stderr
    assert "module go.uber.org/multierr" in res.stdout
    assert sandbox_exposure("athens.service") <= 2.0
    config = CLIENT.check_output("cat /etc/athens/athens.toml")
    assert 'NetworkMode = "strict"' in config and 'StorageType = "disk"' in config, config


@ATHENS_SKIP
def test_athens_netrc_stays_in_its_runtime_directory():
    """Athens copies NETRCPath to $HOME/.netrc at start: with HOME in the RuntimeDirectory no copy lands on disk."""
    _pid, uid, env = service_env(CLIENT, "athens")
    assert env.get("HOME") == "/run/athens", env
    assert 'NETRCPath = "/run/athens/netrc"' in CLIENT.check_output("cat /etc/athens/athens.toml")
    written = CLIENT.file("/run/athens/.netrc")
    assert written.exists and written.uid == uid and written.mode == 0o600, "Athens did not write $HOME/.netrc"
    assert NETRC_LINE in CLIENT.check_output("cat /run/athens/.netrc")
    assert not CLIENT.file("/var/lib/athens/.netrc").exists
    assert_secret_not_logged("athens")


@ATHENS_SKIP
def test_athens_downloads_a_module_graph():
    CLIENT.check_output("mkdir -p %s && printf '%%s' %s > %s/go.mod && printf '%%s' %s > %s/main.go" % (
        ATHENS_WORK, shell_quote(GO_MOD), ATHENS_WORK, shell_quote(MAIN_GO), ATHENS_WORK))
    res = CLIENT.run("cd %s && GOPROXY=http://127.0.0.1:3000 GOMODCACHE=%s GOFLAGS=-modcacherw timeout 600 "
                     "go mod tidy 2>&1" % (ATHENS_WORK, ATHENS_MODCACHE))
    assert res.rc == 0, res.stdout + res.stderr
    rc, out = download_through_athens()
    assert rc == 0, out
    assert CLIENT.file(ATHENS_MODCACHE + "/go.uber.org/zap@v1.28.0/logger.go").exists
    # Athens' own disk storage holds the graph now.
    assert CLIENT.file("/var/cache/athens/athens/go.uber.org/zap/v1.28.0/source.zip").exists


@ATHENS_SKIP
def test_athens_offline_serves_its_storage_across_a_restart():
    athens_mode(offline=True)
    config = CLIENT.check_output("cat /etc/athens/athens.toml")
    assert 'NetworkMode = "offline"' in config and 'DownloadMode = "none"' in config, config
    rc, out = download_through_athens()
    assert rc == 0, out
    CLIENT.check_output("systemctl restart athens")
    wait_healthy()
    rc, out = download_through_athens()
    assert rc == 0, out
    assert CLIENT.file(ATHENS_MODCACHE + "/go.uber.org/zap@v1.28.0/logger.go").exists


@ATHENS_SKIP
def test_athens_offline_fails_fast_on_an_uncached_module():
    start = time.time()
    res = CLIENT.run("cd /tmp && GOPROXY=http://127.0.0.1:3000 GOMODCACHE=%s GOFLAGS=-modcacherw GONOSUMDB=rsc.io "
                     "timeout 60 go mod download rsc.io/quote@v1.5.2" % ATHENS_MODCACHE)
    elapsed = time.time() - start
    assert res.rc != 0, res.stdout
    assert elapsed < 30, "the uncached module took %.0fs to fail" % elapsed
    out = res.stdout + res.stderr
    assert "127.0.0.1:3000/rsc.io/quote/@v/v1.5.2.info: 404 Not Found" in out, out
    athens_mode(offline=False)
    assert 'NetworkMode = "strict"' in CLIENT.check_output("cat /etc/athens/athens.toml")
