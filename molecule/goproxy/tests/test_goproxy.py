# -*- coding: utf-8 -*-
"""goproxy mirror + client: a real module graph through the mirror, then the same graph from its cache with the
upstream cut (offline mode), across a restart; an uncached module fails fast with the mirror's error; the sandbox is
rated OK by systemd-analyze security. The tests run in file order (online first, then offline)."""
import re
import time

from scenario import CLIENT, PLATFORM, PROXY, run_playbook, service_env, shell_quote

MIRROR = "http://gohost-goproxy-proxy-%s:8080" % PLATFORM
WORK = "/root/zapclient"
# A real graph: go.uber.org/zap v1.28.0 and everything its go.mod needs (testify, goleak, multierr, yaml...).
GO_MOD = "module example.com/zapclient\n\ngo 1.22\n\nrequire go.uber.org/zap v1.28.0\n"
MAIN_GO = ('package main\n\nimport "go.uber.org/zap"\n\nfunc main() {\n\tl, _ := zap.NewProduction()\n'
           '\tl.Info("hello")\n}\n')


def run_mode_playbook(offline):
    return run_playbook("mode.yml", offline)


def proxy_env():
    return service_env(PROXY, "goproxy")[2]


def download(clear_cache):
    """go mod download of the graph on the client; returns (rc, seconds, output)."""
    if clear_cache:
        CLIENT.check_output("go clean -modcache")
        assert not CLIENT.file("/root/go/pkg/mod/go.uber.org").exists
    start = time.time()
    res = CLIENT.run("cd %s && timeout 300 go mod download all 2>&1" % WORK)
    return res.rc, time.time() - start, res.stdout + res.stderr


def test_service_is_running_sandboxed():
    svc = PROXY.service("goproxy")
    assert svc.is_running
    assert svc.is_enabled
    props = PROXY.check_output("systemctl show -p DynamicUser -p ProtectSystem -p NoNewPrivileges -p Restart "
                               "-p StateDirectory -p CacheDirectory goproxy")
    for want in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "Restart=on-failure",
                 "StateDirectory=goproxy", "CacheDirectory=goproxy"):
        assert want in props, props
    pid = PROXY.check_output("systemctl show -p MainPID --value goproxy")
    uid = PROXY.check_output("awk '/^Uid:/ {print $2}' /proc/%s/status" % pid)
    assert uid != "0", "goproxy runs as root"


def test_security_exposure_is_ok():
    out = PROXY.check_output("systemd-analyze security --no-pager goproxy.service")
    level = float(re.search(r"Overall exposure level for goproxy.service: ([0-9.]+)", out).group(1))
    assert level <= 2.0, out


def test_listens_and_logs_to_the_journal():
    assert PROXY.socket("tcp://0.0.0.0:8080").is_listening
    assert PROXY.run("journalctl -u goproxy --no-pager -q -o cat | grep -q .").rc == 0


def test_prefill_cached_the_listed_module():
    # Disable-Module-Fetch: goproxy answers from its cache only.
    res = PROXY.run("curl -fsS -H 'Disable-Module-Fetch: true' "
                    "http://127.0.0.1:8080/go.uber.org/multierr/@v/v1.10.0.mod")
    assert res.rc == 0, res.stderr
    assert "module go.uber.org/multierr" in res.stdout


def test_retention_timer_is_active():
    assert PROXY.service("goproxy-prune.timer").is_running
    PROXY.check_output("systemctl start goproxy-prune.service")
    assert PROXY.service("goproxy-prune.service").systemd_properties["Result"] == "success"


def test_client_go_env_points_at_the_mirror():
    env = {name: CLIENT.check_output("go env %s" % name) for name in ("GOPROXY", "GOSUMDB")}
    assert env["GOPROXY"] == MIRROR
    assert env["GOSUMDB"].endswith(" %s/sumdb/%s" % (MIRROR, env["GOSUMDB"].split()[0].split("+")[0]))


def test_online_download_through_the_mirror():
    CLIENT.check_output("mkdir -p %s && printf '%%s' %s > %s/go.mod && printf '%%s' %s > %s/main.go" % (
        WORK, shell_quote(GO_MOD), WORK, shell_quote(MAIN_GO), WORK))
    res = CLIENT.run("cd %s && timeout 300 go mod tidy 2>&1" % WORK)
    assert res.rc == 0, res.stdout + res.stderr
    assert "go.uber.org/multierr" in CLIENT.file(WORK + "/go.sum").content_string
    rc, _elapsed, out = download(clear_cache=True)
    assert rc == 0, out
    assert CLIENT.file("/root/go/pkg/mod/go.uber.org/zap@v1.28.0/logger.go").exists
    # The graph is in the mirror's cache now (asked without fetching).
    res = PROXY.run("curl -fsS -o /dev/null -H 'Disable-Module-Fetch: true' "
                    "http://127.0.0.1:8080/go.uber.org/zap/@v/v1.28.0.zip")
    assert res.rc == 0, res.stderr


def test_offline_mode_serves_the_cache():
    run_mode_playbook(offline=True)
    assert proxy_env()["GOPROXY"] == "off"
    rc, _elapsed, out = download(clear_cache=True)
    assert rc == 0, out
    assert CLIENT.file("/root/go/pkg/mod/go.uber.org/zap@v1.28.0/logger.go").exists


def test_offline_cache_survives_a_restart():
    PROXY.check_output("systemctl restart goproxy")
    deadline = time.time() + 30
    while PROXY.run("curl -fsS -o /dev/null http://127.0.0.1:8080/sumdb/%s/supported" %
                    CLIENT.check_output("go env GOSUMDB").split()[0].split("+")[0]).rc != 0:
        assert time.time() < deadline, "goproxy did not answer after the restart"
        time.sleep(1)
    rc, _elapsed, out = download(clear_cache=True)
    assert rc == 0, out


def test_uncached_module_fails_fast_with_the_mirrors_error():
    start = time.time()
    # In neither graph fetched through the mirror (zap's, and goproxy's own for the install_method=go build).
    res = CLIENT.run("cd /tmp && timeout 60 go mod download rsc.io/quote@v1.5.2")
    elapsed = time.time() - start
    assert res.rc != 0, res.stdout
    assert elapsed < 30, "the uncached module took %.0fs to fail" % elapsed
    out = res.stdout + res.stderr
    # The mirror's answer, passed on by go: "reading <mirror>/...: 404 Not Found / server response: ...".
    assert "%s/rsc.io/quote/@v/v1.5.2.info: 404 Not Found" % MIRROR in out, out
    assert "server response: not found" in out, out
