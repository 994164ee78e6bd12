#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time of one noble.gohost.kernel_facts run next to ansible.builtin.setup on this host.

Whole process: the real AnsiballZ files Ansible sends to a target (made here by `ansible localhost -m <module>`
with ANSIBLE_KEEP_REMOTE_FILES=1), each run as the target runs it (`python AnsiballZ_<module>.py`): interpreter
start, unpacking, ansible.module_utils.basic and the module's own code compiled from the zip (no .pyc), the
facts, the JSON result. ansible.builtin.ping is run the same way: the floor every module pays before doing
anything. In process: kernel_facts' probes (gather_facts) next to the collectors setup runs (gather_subset=all),
each timed inside one warm interpreter. The cases alternate, --repeat times each; medians are printed.
Goal (issue 3): kernel_facts under a fifth of setup's time, timing probe off.

    benchmarks/kernel_facts.py [--repeat 9] [--timing] [--ansible]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VENV_PY = os.path.join(TOP, ".venv", "bin", "python")
COLLECTIONS = os.path.join(TOP, ".cache", "collections")
GOAL = 0.2

IN_PROCESS = r"""
import json, statistics, sys, time
from ansible.module_utils import basic
kind, repeat, timing = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
if kind == "kernel_facts":
    from ansible_collections.noble.gohost.plugins.modules.kernel_facts import gather_facts
    run = lambda: gather_facts({"timing": timing})
else:  # what ansible.builtin.setup's main() does between argument parsing and exit_json
    from ansible.module_utils.facts import ansible_collector, default_collectors
    from ansible.module_utils.facts.namespace import PrefixFactNamespace
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": {}}).encode()
    basic._ANSIBLE_PROFILE = "legacy"  # what the AnsiballZ wrapper sets
    module = basic.AnsibleModule(argument_spec=dict(
        gather_subset=dict(default=["all"], type="list", elements="str"),
        gather_timeout=dict(default=10, type="int"), filter=dict(default=[], type="list", elements="str"),
        fact_path=dict(default="/etc/ansible/facts.d", type="path")), supports_check_mode=True)
    minimal = frozenset(["apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips", "local",
                         "lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr", "ssh_pub_keys", "user"])
    def run():
        collector = ansible_collector.get_ansible_collector(
            all_collector_classes=default_collectors.collectors,
            namespace=PrefixFactNamespace(namespace_name="ansible", prefix="ansible_"), filter_spec=[],
            gather_subset=["all"], gather_timeout=10, minimal_gather_subset=minimal)
        return collector.collect(module=module)
run()  # warm: imports and first reads
spent = []
for _ in range(repeat):
    start = time.perf_counter()
    run()
    spent.append(time.perf_counter() - start)
print(json.dumps(spent))
"""


def ansiballz(module, args, workdir, python, env):
    """The AnsiballZ file Ansible builds for `module` with `args`, kept by ANSIBLE_KEEP_REMOTE_FILES."""
    tmp = os.path.join(workdir, module.rsplit(".", 1)[-1])
    os.makedirs(tmp)
    cmd = [os.path.join(os.path.dirname(python), "ansible"), "localhost", "-c", "local", "-i", "localhost,",
           "-e", "ansible_python_interpreter=%s" % python, "-m", module] + (["-a", args] if args else [])
    proc = subprocess.run(cmd, env=dict(env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=tmp),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    found = glob.glob(os.path.join(tmp, "*", "AnsiballZ_*.py"))
    if proc.returncode != 0 or len(found) != 1:
        sys.exit("could not get the AnsiballZ file of %s:\n%s" % (module, proc.stdout.decode()[-3000:]))
    return found[0]


def run_once(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    spent = time.perf_counter() - start
    if proc.returncode != 0 or (cmd[-1].endswith(".py") and json.loads(proc.stdout).get("failed")):
        sys.exit("%s failed:\n%s%s" % (" ".join(cmd), proc.stdout.decode()[-2000:], proc.stderr.decode()[-2000:]))
    return spent


def show(name, values):
    print("  %-34s median %7.1f ms  (min %7.1f, max %7.1f)" % (
        name, statistics.median(values) * 1000, min(values) * 1000, max(values) * 1000))


def verdict(ratio):
    return "goal < %.3f %s" % (GOAL, "met" if ratio < GOAL else "NOT met")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--timing", action="store_true", help="kernel_facts with the clock timing probe on")
    parser.add_argument("--ansible", action="store_true", help="also time whole `ansible localhost -m` runs")
    opts = parser.parse_args()
    python = VENV_PY if os.path.exists(VENV_PY) else sys.executable
    env = dict(os.environ, PYTHONPATH=COLLECTIONS, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "setup": ansiballz("ansible.builtin.setup", "", tmp, python, env),
            "kernel_facts": ansiballz("noble.gohost.kernel_facts", "timing=%s" % opts.timing, tmp, python, env),
            "ping (floor of any module)": ansiballz("ansible.builtin.ping", "", tmp, python, env),
        }
        cases = dict((name, [python, path]) for name, path in files.items())
        if opts.ansible:
            base = [os.path.join(os.path.dirname(python), "ansible"), "localhost", "-c", "local", "-i", "localhost,",
                    "-e", "ansible_python_interpreter=%s" % python, "-m"]
            cases["ansible -m setup"] = base + ["ansible.builtin.setup"]
            cases["ansible -m kernel_facts"] = base + ["noble.gohost.kernel_facts"]
        times = dict((name, []) for name in cases)
        for cmd in cases.values():  # warm the page cache once
            run_once(cmd, env)
        for _round in range(opts.repeat):
            for name, cmd in cases.items():  # alternate, so load on the machine hits every case alike
                times[name].append(run_once(cmd, env))
        inproc = {}
        for kind in ("kernel_facts", "setup"):
            proc = subprocess.run([python, "-c", IN_PROCESS, kind, str(opts.repeat), "1" if opts.timing else "0"],
                                  env=env, stdout=subprocess.PIPE, check=True)
            inproc[kind] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    med = dict((name, statistics.median(values)) for name, values in times.items())
    floor = med["ping (floor of any module)"]
    print("host %s, Python %s, %d runs each, alternating; timing probe %s; load average %s"
          % (os.uname()[1], sys.version.split()[0], opts.repeat, "on" if opts.timing else "off",
             " ".join("%.2f" % x for x in os.getloadavg())))
    print("whole process (python AnsiballZ_<module>.py, as on a target):")
    for name in files:
        show(name, times[name])
    ratio = med["kernel_facts"] / med["setup"]
    print("  kernel_facts / setup            = %.3f  (%s)" % (ratio, verdict(ratio)))
    print("  ping / setup                    = %.3f  (the least any module can score here)" % (floor / med["setup"]))
    print("  above the floor: (kernel_facts - ping) / (setup - ping) = %.3f"
          % ((med["kernel_facts"] - floor) / max(med["setup"] - floor, 1e-9)))
    print("in process (the facts alone, one warm interpreter):")
    show("kernel_facts gather_facts()", inproc["kernel_facts"])
    show("setup collectors (gather_subset=all)", inproc["setup"])
    ratio = statistics.median(inproc["kernel_facts"]) / statistics.median(inproc["setup"])
    print("  kernel_facts / setup            = %.3f  (%s)" % (ratio, verdict(ratio)))
    if opts.ansible:
        print("whole `ansible localhost -m` runs (controller start-up included):")
        show("ansible -m setup", times["ansible -m setup"])
        show("ansible -m kernel_facts", times["ansible -m kernel_facts"])
        print("  kernel_facts / setup            = %.3f"
              % (med["ansible -m kernel_facts"] / med["ansible -m setup"]))


if __name__ == "__main__":
    main()
