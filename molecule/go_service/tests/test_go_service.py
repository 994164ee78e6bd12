# -*- coding: utf-8 -*-
"""go_service in a systemd container: cgroup limits, Go runtime limits, restarts, sandbox score, syscall filter,
rollback of a release in a crash loop, the rerun of a killed rollout."""
import glob
import hashlib
import json
import os
import platform
import re
import subprocess
import time

import pytest


SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def show(host, unit, *props):
    out = host.check_output("systemctl show %s " % unit + " ".join("-p " + p for p in props))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def environ(host, unit):
    pid = show(host, unit, "MainPID")["MainPID"]
    assert pid != "0", "%s has no main process" % unit
    raw = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid)
    return dict(line.split("=", 1) for line in raw.splitlines() if "=" in line)


def cgroup_file(host, unit, v2_name, v1_controller, v1_name):
    """Content of a cgroup attribute of the unit: cgroup v2 when the unit's cgroup has it, else the v1 hierarchy
    (the CI host is hybrid: the container runs with --cgroupns=host, so the unit's cgroup path is the full path)."""
    cg = show(host, unit, "ControlGroup")["ControlGroup"]
    for path in ("/sys/fs/cgroup%s/%s" % (cg, v2_name), "/sys/fs/cgroup/unified%s/%s" % (cg, v2_name)):
        if host.file(path).exists:
            return "v2", host.file(path).content_string.strip()
    path = "/sys/fs/cgroup/%s%s/%s" % (v1_controller, cg, v1_name)
    assert host.file(path).exists, "neither cgroup v2 %s nor v1 %s exists for %s" % (v2_name, path, unit)
    return "v1", host.file(path).content_string.strip()


def wait_for(predicate, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out waiting for " + what)


def healthz(host, port=8080):
    return json.loads(host.check_output("curl -fsS http://127.0.0.1:%d/healthz" % port))


def test_units_active(host):
    for unit in ("zapdemo", "zapfilter"):
        assert host.service(unit).is_running
        assert host.service(unit).is_enabled


def test_cgroup_has_the_limits(host):
    props = show(host, "zapdemo", "MemoryMax", "MemoryHigh", "CPUWeight", "CPUQuotaPerSecUSec", "IOWeight", "TasksMax")
    assert props["MemoryMax"] == str(256 * 1024 ** 2)
    assert props["MemoryHigh"] == str(200 * 1024 ** 2)
    assert props["CPUWeight"] == "200"
    assert props["CPUQuotaPerSecUSec"] == "1s"
    assert props["TasksMax"] == "256"
    kind, mem = cgroup_file(host, "zapdemo", "memory.max", "memory", "memory.limit_in_bytes")
    assert int(mem) == 256 * 1024 ** 2, (kind, mem)
    kind, cpu = cgroup_file(host, "zapdemo", "cpu.weight", "cpu", "cpu.shares")
    # systemd writes CPUWeight= as cpu.weight on v2, and as cpu.shares = weight * 1024 / 100 on v1.
    assert int(cpu) == (200 if kind == "v2" else 2048), (kind, cpu)


def test_go_runtime_limits_in_environment(host):
    env = environ(host, "zapdemo")
    assert env["GOMEMLIMIT"] == "180MiB"  # 0.9 * min(MemoryHigh=200M, MemoryMax=256M)
    assert env["GOMAXPROCS"] == "1"  # ceil(CPUQuota=100% / 100)
    assert env["PPROF_ADDR"] == "127.0.0.1:6060"
    assert env["LOCAL_OVERRIDE"] == "1"  # from the drop-in
    seen = healthz(host)
    assert json.dumps(seen).count("180MiB") or "188743680" in json.dumps(seen), seen
    env2 = environ(host, "zapfilter")
    assert env2["GOMAXPROCS"] == "1"  # AllowedCPUs=0
    assert env2["GOMEMLIMIT"].endswith("MiB")  # 0.9 * 50% of the memory


def test_journal_settings_in_unit(host):
    props = show(host, "zapdemo", "SyslogIdentifier", "LogLevelMax", "LogRateLimitBurst", "LogExtraFields")
    assert props["SyslogIdentifier"] == "zapdemo"
    assert props["LogLevelMax"] == "6"
    assert props["LogRateLimitBurst"] == "5000"
    assert "DEPLOYED_BY=noble.gohost" in props["LogExtraFields"]


def test_restart_after_crash_not_after_clean_exit(host):
    before = show(host, "zapdemo", "NRestarts", "MainPID")
    host.run("curl -sS http://127.0.0.1:8080/crash")
    wait_for(lambda: int(show(host, "zapdemo", "NRestarts")["NRestarts"]) == int(before["NRestarts"]) + 1,
             "a restart after SIGSEGV")
    wait_for(lambda: host.run("curl -fsS http://127.0.0.1:8080/healthz").rc == 0, "zapdemo back up")
    after = show(host, "zapdemo", "NRestarts", "MainPID", "ActiveState")
    assert after["MainPID"] != before["MainPID"]
    assert after["ActiveState"] == "active"
    log = host.check_output("journalctl -u zapdemo --no-pager -n 50 -o cat")
    assert "SIGSEGV" in log or "signal=SEGV" in log, log

    host.run("curl -sS 'http://127.0.0.1:8080/exit?code=0'")
    wait_for(lambda: show(host, "zapdemo", "ActiveState")["ActiveState"] == "inactive", "zapdemo stopped")
    time.sleep(3)  # longer than RestartSec=1s: a restart would have happened by now
    final = show(host, "zapdemo", "NRestarts", "ActiveState", "Result")
    assert final["ActiveState"] == "inactive"
    assert final["NRestarts"] == after["NRestarts"]
    assert final["Result"] == "success"
    host.check_output("systemctl start zapdemo")
    wait_for(lambda: host.run("curl -fsS http://127.0.0.1:8080/healthz").rc == 0, "zapdemo started again")


def test_default_preset_scores_ok(host):
    out = host.check_output("SYSTEMD_COLORS=0 systemd-analyze security --no-pager zapdemo.service")
    match = re.search(r"Overall exposure level for zapdemo.service: ([0-9.]+) (\w+)", out)
    assert match, out[-500:]
    assert float(match.group(1)) < 5.0
    assert match.group(2) in ("OK", "SAFE", "PERFECT"), match.group(0)


def probe(host, port, name):
    return json.loads(host.check_output("curl -sS 'http://127.0.0.1:%d/probe?syscall=%s'" % (port, name)))


def test_derived_syscall_filter_allows_service_denies_others(host):
    """The default filter of syscall_allowlist: @system-service and what the trace saw outside it. pidfd_getfd (in
    @debug) stays denied with EPERM; getpriority, which the trace never saw, is in @system-service: allowed."""
    state = json.loads(host.file("/var/lib/go-service-syscalls/zapfilter.json").content_string)
    assert "getpriority" not in state["syscalls"] and "pidfd_getfd" not in state["syscalls"]
    props = show(host, "zapfilter", "SystemCallFilter", "SystemCallErrorNumber", "SystemCallLog")
    assert props["SystemCallFilter"] and not props["SystemCallFilter"].startswith("~"), props  # an allow list
    assert "getpriority" in props["SystemCallFilter"].split() and "ptrace" not in props["SystemCallFilter"].split()
    assert props["SystemCallErrorNumber"] in ("1", "EPERM"), props
    # "~" and the calls seen: every other call is logged
    assert props["SystemCallLog"].startswith("~"), props
    logged_not = props["SystemCallLog"][1:].split()
    assert "accept4" in logged_not and "getpriority" not in logged_not, props
    assert healthz(host, 8081)
    assert probe(host, 8081, "pidfd_getfd")["errno"] == 1  # EPERM from the seccomp filter
    assert probe(host, 8081, "getpriority")["errno"] == 0  # not seen, but in @system-service
    # the same binary outside systemd: pidfd_getfd works there, so the EPERM above is the filter's
    free = host.run("(timeout 5 /usr/local/bin/zap-service-trace -listen 127.0.0.1:18099 >/dev/null 2>&1 &); "
                    "for i in 1 2 3 4 5 6 7 8 9 10; do curl -fsS 'http://127.0.0.1:18099/probe?syscall=pidfd_getfd' "
                    "&& exit 0; sleep 0.3; done; exit 1")
    assert free.rc == 0 and json.loads(free.stdout)["errno"] == 0, free.stdout + free.stderr
    assert host.service("zapfilter").is_running


def test_syscall_log_records_the_unseen_call(host):
    """SystemCallLog= logs getpriority (allowed, never traced) to the kernel audit log; the container shares this
    machine's kernel, so the record is in the controller's kernel log. pidfd_getfd, denied, is not logged: seccomp's
    errno action outranks its log action."""
    if not os.path.exists("/proc/self/loginuid"):
        pytest.skip("this kernel has no audit support (CONFIG_AUDITSYSCALL): seccomp log records are not written")
    before = subprocess.run(["dmesg"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            check=False)
    if before.returncode != 0:
        pytest.skip("the kernel log cannot be read here (dmesg: %s)" % before.stderr.strip())
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            with open(comm) as handle:
                if handle.read().strip() == "auditd":
                    pytest.skip("auditd runs on this machine: audit records go to its log, not the kernel log")
        except OSError:
            continue

    def records(nr):
        out = subprocess.run(["dmesg"], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
        return [line for line in out.splitlines() if "type=1326" in line and 'comm="zapfilter"' in line
                and " syscall=%d " % nr in line and "code=0x7ffc0000" in line]

    def logged():
        # called again on each try: the kernel rate-limits the audit messages it prints
        assert probe(host, 8081, "getpriority")["errno"] == 0
        assert probe(host, 8081, "pidfd_getfd")["errno"] == 1
        return True

    getpriority = {"x86_64": 140, "aarch64": 141}.get(platform.machine())  # pidfd_getfd is 438 everywhere
    if getpriority is None:
        pytest.skip("getpriority's number on %s is not known to this test" % platform.machine())
    wait_for(lambda: logged() and records(getpriority), "an audit record of getpriority by zapfilter")
    assert records(438) == []


def sha256_of(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def release_bin(name):
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "bin", name)


def test_crash_loop_is_rolled_back(host):
    """A release in a crash loop (files/bad-release.sh exits 1 every time): systemd restarts it until its start limit
    (StartLimitBurst=5 in 60 s); the rollout fails naming the unit, the start limit and the journal lines, and the
    previous release (v1) runs healthy again."""
    link_before = host.file("/opt/go-services/zapdemo/current").linked_to
    version_before = healthz(host)["version"]
    stamp_before = host.file("/opt/go-services/zapdemo/deployed").content_string
    proc = run_playbook("redeploy.yml", "-e", "zapdemo_binary=" + os.path.join(SCENARIO, "files", "bad-release.sh"))
    out = re.sub(r"\s+", " ", proc.stdout)
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "failed its rollout" in out, proc.stdout[-3000:]
    print(re.search(r"release \S+ failed its rollout.*?\(ok\)\.", out).group(0))
    assert re.search(r"unit zapdemo\.service hit systemd's start limit \(\d+ automatic restarts", out), proc.stdout[-3000:]
    assert "Start request repeated too quickly" in out, proc.stdout[-3000:]  # from the journal lines
    assert "bad release: refusing to start" in out, proc.stdout[-3000:]  # what the release printed, from the journal
    assert "was restored and restarted (ok)" in out, proc.stdout[-3000:]
    assert host.file("/opt/go-services/zapdemo/current").linked_to == link_before
    wait_for(lambda: host.run("curl -fsS http://127.0.0.1:8080/healthz").rc == 0, "zapdemo answering again")
    assert healthz(host)["version"] == version_before == "v1"
    assert show(host, "zapdemo", "ActiveState")["ActiveState"] == "active"
    # the stamp still names the release that last passed its health check
    assert host.file("/opt/go-services/zapdemo/deployed").content_string == stamp_before


def test_killed_run_is_finished_by_the_rerun(host):
    """Reproduces, deterministically, a SIGKILL of ansible-playbook right after the task "Point current at the
    release" of a run deploying v2 over v1: release v2 staged, the unit unchanged, `current` switched to v2, no
    restart and no health check (v1 still runs). The rerun with v2 must restart, health-check and stamp v2."""
    svc = "/opt/go-services/zapdemo"
    v1, v2 = release_bin("zap-service-v1"), release_bin("zap-service-v2")
    rel1, rel2 = sha256_of(v1)[:16], sha256_of(v2)[:16]
    assert "release=%s" % rel1 in host.file(svc + "/deployed").content_string
    # the host as the killed run leaves it
    host.check_output("install -d -o root -g root -m 0755 %s/releases/%s" % (svc, rel2))
    copied = host.ansible("copy", "src=%s dest=%s/releases/%s/zap-service owner=root group=root mode=0755" % (v2, svc, rel2),
                          check=False)
    assert not copied.get("failed"), copied
    host.check_output("ln -sfn releases/%s %s/current" % (rel2, svc))
    assert healthz(host)["version"] == "v1"  # new files, old process
    try:
        proc = run_playbook("redeploy.yml", "-e", "zapdemo_binary=" + v2)
        assert proc.returncode == 0, proc.stdout[-3000:]
        # the health check ran (its tasks are only included when the role restarts the service)
        # (profile_tasks may print a timing line between the task's header and its result)
        assert re.search(r"TASK \[[^\]]*Check the health endpoint: zapdemo\][^\n]*\n(?:[^\n]*\n){0,2}?ok: ", proc.stdout), \
            proc.stdout[-3000:]
        # the running process is v2 (its /proc/PID/exe is not readable from `docker exec` without CAP_SYS_PTRACE)
        assert healthz(host)["version"] == "v2"
        assert "release=%s" % rel2 in host.file(svc + "/deployed").content_string
    finally:
        # back to the converged state (v1) for the tests after this one
        back = run_playbook("redeploy.yml", "-e", "zapdemo_binary=" + v1)
        assert back.returncode == 0, back.stdout[-3000:]
    assert healthz(host)["version"] == "v1"
    assert "release=%s" % rel1 in host.file(svc + "/deployed").content_string


def test_releases_and_url_source(host):
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "bin", "zap-service-v1"), "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    for unit, exe in (("zapdemo", "zap-service"), ("zapfilter", "zapfilter")):
        current = host.file("/opt/go-services/%s/current" % unit)
        assert current.is_symlink and current.linked_to.endswith("/releases/" + digest[:16]), current.linked_to
        binary = host.file("/opt/go-services/%s/current/%s" % (unit, exe))
        assert binary.sha256sum == digest
        assert binary.user == "root" and binary.mode == 0o755
    unit = host.file("/etc/systemd/system/zapfilter.service").content_string
    assert "ExecStart=/opt/go-services/zapfilter/current/zapfilter -listen 127.0.0.1:8081" in unit
    assert "User=zapfilter" in unit and "DynamicUser" not in unit


def run_playbook(name, *args):
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".cache", "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"  # molecule sets it true when run without make
    env["ANSIBLE_NOCOLOR"] = "1"
    return subprocess.run(
        ["ansible-playbook", "-i", env["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO, name)] + list(args),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=900, check=False)


def test_check_mode_with_string_booleans_and_slice_warning(host):
    # -e values are strings: the role's conditionals must take "true"/"false" as booleans (ansible-core 2.19
    # refuses a string as a conditional).
    proc = run_playbook("recheck.yml", "--check", "-e", "go_service_verify=true")
    out = re.sub(r"\s+", " ", proc.stdout)  # messages may be wrapped in the YAML output
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"changed=0\s+unreachable=0\s+failed=0", out), out[-1500:]
    # Nothing to deploy, so no gate: the stamp says these very units passed it at this threshold, and every file
    # is as it should be (one release_info call, then deploy.yml is not even included).
    assert re.search(r"Deploy the release: zapdemo\] \*+ (?:[^*]*\*+ )?skipping", out), out[-3000:]
    assert "Verify and score the unit offline: zapdemo" not in out, out[-3000:]
    warnings = re.findall(r"WARNING: go_service_services\[(\d)\] \((\w+)\): the limits of its slice (\S+) \(([^)]*)\)", out)
    assert [(w[1], w[2]) for w in warnings] == [("zapslice", "gohost-limited.slice")], out[-3000:]
    assert "MemoryMax=314572800" in warnings[0][3] and "CPUQuotaPerSecUSec=500ms" in warnings[0][3], warnings

    # A lower threshold is a new gate: "true" (a string) runs it, and it refuses the units.
    proc = run_playbook("recheck.yml", "--check", "-e", "go_service_verify=true", "-e", "go_service_security_threshold=0.5")
    out = re.sub(r"\s+", " ", proc.stdout)
    assert proc.returncode != 0 and "above the threshold 0.5 (sandbox preset strict)" in out, out[-3000:]

    proc = run_playbook("recheck.yml", "--check", "-e", "go_service_verify=false", "-e", "go_service_security_threshold=0.5")
    out = re.sub(r"\s+", " ", proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:]  # "false" (a string) turned the checks off
    assert "above the threshold" not in out


def test_parent_slice_delegate_apparmor(host):
    props = show(host, "zapslice", "Slice", "Delegate", "AppArmorProfile", "ActiveState", "ControlGroup")
    assert props["ActiveState"] == "active"
    assert props["Slice"] == "gohost-limited.slice"
    assert props["ControlGroup"].endswith("/gohost-limited.slice/zapslice.service"), props
    assert props["Delegate"] == "yes", props
    # "1 name": the "-" prefix (errors ignored) and the profile
    # "-gohost-zapslice" (systemd 252, bookworm) or "1 gohost-zapslice" (newer: ignore-failure flag, then the name).
    assert props["AppArmorProfile"].split() in (["-gohost-zapslice"], ["1", "gohost-zapslice"]), props
    unit = host.file("/etc/systemd/system/zapslice.service").content_string
    assert "AppArmorProfile=-gohost-zapslice" in unit and "Delegate=yes" in unit
    # the slice's limits are not turned into Go runtime limits
    env = environ(host, "zapslice")
    assert "GOMEMLIMIT" not in env and "GOMAXPROCS" not in env, env
    assert show(host, "gohost-limited.slice", "MemoryMax")["MemoryMax"] == str(300 * 1024 ** 2)
    assert show(host, "zapdemo", "Delegate")["Delegate"] == "no"


def test_go_install_source(host):
    assert host.service("hello").is_running
    current = host.file("/opt/go-services/hello/current")
    assert current.is_symlink and "/releases/go-" in current.linked_to, current.linked_to
    binary = host.file("/opt/go-services/hello/current/hello")
    assert binary.exists and binary.user == "root" and binary.mode == 0o755
    # built on the target by the go_toolchain Go, from the module of the file GOPROXY
    info = host.check_output("/usr/local/bin/go version -m /opt/go-services/hello/current/hello")
    # noble.gohost.go_build (go get + go build in a throwaway module): the main package's module is `mod`
    assert "path\tgohost.test/hello" in info and "mod\tgohost.test/hello\tv1.0.0" in info, info
    assert "CGO_ENABLED=0" in info, info
    unit = host.file("/etc/systemd/system/hello.service").content_string
    assert "ExecStart=/opt/go-services/hello/current/hello" in unit
    log = host.check_output("journalctl -u hello --no-pager -o cat")
    assert "hello v1.0.0 started, built by go install" in log


def test_pprof_on_loopback_only_when_set(host):
    # zapdemo has pprof.enabled (PPROF_ADDR=127.0.0.1:6060); zapfilter has not
    index = host.check_output("curl -fsS http://127.0.0.1:6060/debug/pprof/")
    assert "goroutine" in index
    assert host.run("curl -fsS http://127.0.0.1:6060/debug/pprof/cmdline").stdout.startswith("/opt/go-services/zapdemo/")
    assert host.run("curl -fsS -o /dev/null http://127.0.0.1:8080/debug/pprof/").rc != 0  # not on the main listener
    assert "PPROF_ADDR" not in environ(host, "zapfilter")
    # only on loopback: nothing answers on the container's other addresses
    for addr in host.check_output("hostname -I").split():
        if ":" not in addr:
            assert host.run("curl -sS -o /dev/null --max-time 3 http://%s:6060/debug/pprof/" % addr).rc != 0, addr
