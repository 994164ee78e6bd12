#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time of one noble.gohost.kernel_facts run next to ansible.builtin.setup on this host.

Both modules run as the target runs them (a fresh Python process executing the module with its arguments file,
which is what AnsiballZ does after unpacking), alternately, --repeat times each; prints the medians and the ratio.
Goal: kernel_facts under a fifth of setup with the timing probe off. --ansible also times whole
`ansible localhost -m ...` runs (controller overhead included, which dominates both).

    benchmarks/kernel_facts.py [--repeat 9] [--timing] [--ansible]
"""
import argparse
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


def run_once(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    spent = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(cmd), proc.stdout.decode()[-2000:], proc.stderr.decode()[-2000:]))
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--timing", action="store_true", help="kernel_facts with the clock timing probe on")
    parser.add_argument("--ansible", action="store_true", help="also time `ansible localhost -m` runs")
    opts = parser.parse_args()
    python = VENV_PY if os.path.exists(VENV_PY) else sys.executable
    env = dict(os.environ, PYTHONPATH=COLLECTIONS, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        setup_args = os.path.join(tmp, "setup.json")
        kf_args = os.path.join(tmp, "kernel_facts.json")
        with open(setup_args, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"_ansible_remote_tmp": tmp}}, handle)
        with open(kf_args, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"timing": opts.timing, "_ansible_remote_tmp": tmp}}, handle)
        cases = {
            "setup": [python, "-m", "ansible.modules.setup", setup_args],
            "kernel_facts": [python, "-m", "ansible_collections.noble.gohost.plugins.modules.kernel_facts", kf_args],
            "python+AnsibleModule import": [python, "-c", "import ansible.module_utils.basic"],
        }
        if opts.ansible:
            ansible = os.path.join(os.path.dirname(python), "ansible")
            base = [ansible, "localhost", "-c", "local", "-i", "localhost,", "-e",
                    "ansible_python_interpreter=%s" % python, "-m"]
            cases["ansible -m setup"] = base + ["ansible.builtin.setup"]
            cases["ansible -m kernel_facts"] = base + ["noble.gohost.kernel_facts"]
        times = dict((name, []) for name in cases)
        for name, cmd in cases.items():  # warm the page cache and __pycache__ once
            run_once(cmd, env)
        for _round in range(opts.repeat):
            for name, cmd in cases.items():  # alternate, so load on the machine hits every case alike
                times[name].append(run_once(cmd, env))
    print("host: %s, Python %s, %d runs each, alternating; timing probe %s"
          % (os.uname()[1], sys.version.split()[0], opts.repeat, "on" if opts.timing else "off"))
    for name, values in times.items():
        print("  %-30s median %7.1f ms  (min %7.1f, max %7.1f)" % (
            name, statistics.median(values) * 1000, min(values) * 1000, max(values) * 1000))
    ratio = statistics.median(times["kernel_facts"]) / statistics.median(times["setup"])
    print("kernel_facts / setup = %.3f (goal < 0.200: %s)" % (ratio, "met" if ratio < 0.2 else "NOT met"))
    base = statistics.median(times["python+AnsibleModule import"])
    net = (statistics.median(times["kernel_facts"]) - base) / max(statistics.median(times["setup"]) - base, 1e-9)
    print("without the shared interpreter start and ansible import: kernel_facts / setup = %.3f" % net)
    probe = ("import json, statistics, time\n"
             "from ansible_collections.noble.gohost.plugins.modules.kernel_facts import gather_facts\n"
             "spent = []\n"
             "for _ in range(%d):\n"
             "    start = time.perf_counter(); gather_facts({'timing': %s}); spent.append(time.perf_counter() - start)\n"
             "print(json.dumps(statistics.median(spent)))\n" % (opts.repeat, opts.timing))
    inproc = json.loads(subprocess.run([python, "-c", probe], env=env, stdout=subprocess.PIPE, check=True).stdout)
    print("kernel_facts probes alone (in-process, no interpreter start): median %.1f ms" % (inproc * 1000))
    if opts.ansible:
        ratio = statistics.median(times["ansible -m kernel_facts"]) / statistics.median(times["ansible -m setup"])
        print("whole `ansible -m` runs: kernel_facts / setup = %.3f (controller start-up included)" % ratio)


if __name__ == "__main__":
    main()
