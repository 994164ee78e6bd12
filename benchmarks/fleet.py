#!/usr/bin/env python
"""The Go hosts' play of playbooks/site.yml at fleet scale: 1, 5, 10 and 20 systemd containers as Go hosts (a Go
toolchain, journald, one go_service service), each a fresh converge and then a no-change run, with forks equal to the
hosts, under the `linear` and `free` strategies and mitogen's `mitogen_linear` where it can be loaded. Prints wall
time, time per host, the controller's peak memory (the resident set of ansible-playbook and all its forks, summed,
sampled every 0.1 s) and the module calls per host (a callback counts every task result that ran on a host, loop
items one by one; tasks that only run on the controller, set_fact, assert, include_role and the like, are not
counted). A one-task ping play at each size is the reference: the no-change run at 20 hosts against it is the goal
(<= 8x, linear strategy). Prints numbers; never fails on speed.

    benchmarks/fleet.py [--hosts 1,5,10,20] [--strategies linear,free,mitogen] [--fresh-strategies linear]
                        [--connection community.docker.docker|docker]

Each size starts from fresh containers (noble-gohost/<GOHOST_PLATFORM or bookworm>, the Molecule scenarios' systemd
settings) named gohost-bench-fleet-<n>; a fresh converge for each strategy of --fresh-strategies (the containers are
made again before each), then one no-change run per strategy of --strategies. The Go archive comes from
tests/support/go_dist.py (bind-mounted read-only, base_url file:///srv/go-dl) and the service binary is
examples/zap-service built on the controller, as in the fleet scenario. mitogen (0.3.54 from PyPI) is installed with
`pip --target` into .cache/bench-mitogen, never into .venv; where it cannot be installed or loaded the row says why.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from _bench import ROOT, VENV_BIN, ping_playbook, run  # benchmarks/_bench.py, beside this script

PREFIX = "gohost-bench-fleet-"
MITOGEN = "mitogen==0.3.54"
MITOGEN_DIR = os.path.join(ROOT, ".cache", "bench-mitogen")

PING = ping_playbook("gohost")

GROUP_VARS = """---
go_toolchain_versions: ["{version}"]
go_toolchain_default: "{version}"
go_toolchain_base_url: file:///srv/go-dl
go_toolchain_checksums: {{"{version}": {{"{arch}": "{sha256}"}}}}
journald_storage: persistent
journald_system_max_use: 2G
go_service_services:
  - name: api
    binary: {{source: file, src: "{binary}", name: zap-service}}
    args: ["-listen", "127.0.0.1:8081"]
    memory_max: 512M
    cpu_quota: 200%
    health_check: {{url: "http://127.0.0.1:8081/healthz"}}
"""

# Counts, per host, the task results that ran something on that host (loop items one by one).
CALLBACK = '''
import collections
import json
import os

from ansible.plugins.callback import CallbackBase

CONTROLLER_ONLY = {"set_fact", "debug", "assert", "fail", "include_role", "include_tasks", "import_role",
                   "import_tasks", "meta", "add_host", "group_by", "include_vars", "set_stats", "pause", "noop",
                   "validate_argument_spec"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gohost_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = collections.Counter()
        self.by_task = collections.Counter()

    def _count(self, result):
        action = result._task.action.rsplit(".", 1)[-1]
        if action in CONTROLLER_ONLY:
            return
        res = result._result
        n = len([r for r in res["results"] if not r.get("skipped")]) if isinstance(res.get("results"), list) else 1
        host = result._host.get_name()
        self.calls[host] += n
        self.by_task["%s: %s" % (result._task.get_name(), action)] += n

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["GOHOST_COUNT_FILE"], "w") as handle:
            json.dump({"calls": self.calls, "by_task": self.by_task}, handle)
'''


def tree_rss(pid):
    """Resident memory (bytes) of pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    total, todo = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/statm" % p) as handle:
                total += int(handle.read().split()[1]) * page
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total


def measured(cmd, env):
    """(seconds, peak tree RSS in MiB, output) of a command."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.communicate()[0]
    done.set()
    sampler.join()
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), proc.returncode, out[-4000:]))
    return seconds, peak[0] / 2 ** 20, out


def containers(n, image, dist_dir):
    """n fresh systemd containers, running."""
    names = ["%s%d" % (PREFIX, i) for i in range(1, n + 1)]
    remove_all()
    for name in names:
        run(["docker", "run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_ADMIN",
             "--security-opt", "seccomp=unconfined", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
             "--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "%s:/srv/go-dl:ro" % dist_dir, image,
             "/lib/systemd/systemd"])
    for name in names:
        subprocess.run(["docker", "exec", name, "systemctl", "is-system-running", "--wait"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=120)
    return names


def remove_all():
    listed = run(["docker", "ps", "-aq", "--filter", "name=^" + PREFIX]).stdout.split()
    if listed:
        run(["docker", "rm", "-f"] + listed)


def mitogen_strategy_dir():
    """(path of mitogen's strategy plugins, None) or (None, why not)."""
    plugins = os.path.join(MITOGEN_DIR, "ansible_mitogen", "plugins", "strategy")
    if not os.path.isdir(plugins):
        done = subprocess.run([os.path.join(VENV_BIN, "pip"), "install", "-q", "--target", MITOGEN_DIR, MITOGEN],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if done.returncode != 0:
            return None, "pip install %s failed: %s" % (MITOGEN, done.stdout.strip().splitlines()[-1:])
    return plugins, None


def build_service(tmp):
    out = os.path.join(tmp, "zap-service")
    run(["go", "build", "-trimpath", "-o", out, "."], cwd=os.path.join(ROOT, "examples", "zap-service"),
        env=dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local"))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default="1,5,10,20", help="fleet sizes, comma-separated")
    parser.add_argument("--strategies", default="linear,free,mitogen", help="strategies of the no-change runs")
    parser.add_argument("--fresh-strategies", default="linear,free,mitogen",
                        help="strategies of the fresh converges (each on containers made again)")
    parser.add_argument("--version", default="1.26.6", help="the Go version installed")
    parser.add_argument("--keep", action="store_true", help="leave the last size's containers running")
    parser.add_argument("--connection", default="community.docker.docker",
                        help="ansible_connection of the hosts (`docker`, the short name, is what mitogen's strategy "
                             "replaces with its own transport; the FQCN runs through ansible's plugin)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.hosts.split(",")]
    strategies = args.strategies.split(",")
    fresh = args.fresh_strategies.split(",")
    dist = json.loads(run([sys.executable, os.path.join(ROOT, "tests", "support", "go_dist.py"), args.version]).stdout)
    image = "noble-gohost/%s:latest" % os.environ.get("GOHOST_PLATFORM", "bookworm")
    mitogen_dir, mitogen_why = (None, None)
    if "mitogen" in strategies + fresh:
        mitogen_dir, mitogen_why = mitogen_strategy_dir()
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        binary = build_service(tmp)
        inv = os.path.join(tmp, "inventory")
        os.makedirs(os.path.join(inv, "group_vars"))
        with open(os.path.join(inv, "group_vars", "gohost.yml"), "w") as handle:
            handle.write(GROUP_VARS.format(version=args.version, sha256=dist["sha256"], arch=dist["arch"],
                                           binary=binary))
        cb_dir = os.path.join(tmp, "callback")
        os.makedirs(cb_dir)
        with open(os.path.join(cb_dir, "gohost_count.py"), "w") as handle:
            handle.write(CALLBACK)
        ping = os.path.join(tmp, "ping.yml")
        with open(ping, "w") as handle:
            handle.write(PING)
        site = os.path.join(ROOT, "playbooks", "site.yml")
        count_file = os.path.join(tmp, "count.json")

        def play(playbook, n, strategy):
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
                       PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_PIPELINING="1",
                       ANSIBLE_FORKS=str(n), ANSIBLE_CALLBACK_PLUGINS=cb_dir,
                       ANSIBLE_CALLBACKS_ENABLED="gohost_count", GOHOST_COUNT_FILE=count_file,
                       ANSIBLE_STRATEGY=strategy, ANSIBLE_HOST_KEY_CHECKING="0")
            if strategy.startswith("mitogen"):
                env["ANSIBLE_STRATEGY_PLUGINS"] = mitogen_dir
                env["PYTHONPATH"] = MITOGEN_DIR + os.pathsep + os.environ.get("PYTHONPATH", "")
            seconds, peak, out = measured([os.path.join(VENV_BIN, "ansible-playbook"), "-i", hosts_file, playbook],
                                          env)
            with open(count_file) as handle:
                counts = json.load(handle)
            changed = sum(int(part.split("=")[1]) for line in out.rsplit("PLAY RECAP", 1)[-1].splitlines()
                          for part in line.split() if part.startswith("changed="))
            calls = sorted(counts["calls"].values()) or [0]
            return {"seconds": seconds, "peak_mib": peak, "calls": calls[len(calls) // 2], "changed": changed,
                    "by_task": counts["by_task"], "out": out}

        try:
            for n in sizes:
                names = containers(n, image, os.path.dirname(dist["path"]))
                hosts_file = os.path.join(inv, "hosts.yml")
                with open(hosts_file, "w") as handle:
                    handle.write("gohost:\n  vars:\n    ansible_connection: %s\n" % args.connection +
                                 "    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n"
                                 + "".join("    %s:\n" % name for name in names))
                ref = play(ping, n, "linear")
                rows.append((n, "ping play", "linear", ref))
                for i, strategy in enumerate(fresh):
                    name = "mitogen_linear" if strategy == "mitogen" else strategy
                    if strategy == "mitogen" and mitogen_why:
                        notes.append("%d hosts, fresh, mitogen: not run: %s" % (n, mitogen_why))
                        continue
                    if i:
                        containers(n, image, os.path.dirname(dist["path"]))
                    try:
                        rows.append((n, "fresh converge", strategy, play(site, n, name)))
                    except RuntimeError as err:
                        notes.append("%d hosts, fresh, %s: FAILED: %s" % (n, strategy, str(err)[-1500:]))
                for strategy in strategies:
                    name = "mitogen_linear" if strategy == "mitogen" else strategy
                    if strategy == "mitogen" and mitogen_why:
                        notes.append("%d hosts, no-change, mitogen: not run: %s" % (n, mitogen_why))
                        continue
                    try:
                        result = play(site, n, name)
                    except RuntimeError as err:
                        notes.append("%d hosts, no-change, %s: FAILED: %s" % (n, strategy, str(err)[-1500:]))
                        continue
                    if result["changed"]:
                        notes.append("%d hosts, no-change, %s: %d changed (a no-change run must change nothing)"
                                     % (n, strategy, result["changed"]))
                    rows.append((n, "no-change run", strategy, result))
                if n == sizes[-1]:
                    top = [r for r in rows if r[0] == n and r[1] == "no-change run" and r[2] == "linear"]
                    if top:
                        by_task = sorted(top[0][3]["by_task"].items(), key=lambda kv: -kv[1])
                        notes.append("module calls of the no-change run at %d hosts (linear), by task, all hosts: %s"
                                     % (n, "; ".join("%s %d" % kv for kv in by_task)))
        finally:
            if not args.keep:
                remove_all()
    load = os.getloadavg()
    print("Go hosts' play of playbooks/site.yml (go_toolchain %s, journald, apparmor, one go_service service), forks ="
          " hosts, connection %s; load average at the end %s"
          % (args.version, args.connection, "/".join("%.2f" % x for x in load)))
    print("%5s  %-15s %-8s %9s %9s %10s %11s" % ("hosts", "run", "strategy", "wall s", "s/host", "peak MiB",
                                                 "calls/host"))
    for n, kind, strategy, r in rows:
        print("%5d  %-15s %-8s %9.1f %9.2f %10.0f %11d"
              % (n, kind, strategy, r["seconds"], r["seconds"] / n, r["peak_mib"], r["calls"]))
    for n in sizes:
        ping = [r for m, k, s, r in rows if m == n and k == "ping play"]
        nochange = [r for m, k, s, r in rows if m == n and k == "no-change run" and s == "linear"]
        if ping and nochange:
            ratio = nochange[0]["seconds"] / ping[0]["seconds"]
            goal = " (goal at 20 hosts: <= 8x)" if n == 20 else ""
            print("%d hosts: no-change run (linear) / ping play = %.1fx%s" % (n, ratio, goal))
    for note in notes:
        print("NOTE: " + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
