#!/usr/bin/env python
"""go_toolchain: role install time next to the floor (`sha256sum` + `tar -xzf` of the same archive on the same
container), and the time of a second, no-change run. Prints numbers; never fails on speed.

    benchmarks/go_toolchain.py [--version 1.26.6] [--repeat 3]

A throwaway container `gohost-bench-go_toolchain` (image noble-gohost/<GOHOST_PLATFORM or bookworm>) gets the
archive of tests/support/go_dist.py bind-mounted read-only; the role reads it with base_url file:///srv/go-dl
(download_on target: the archive is streamed through the hash into tar). Runs alternate floor / install /
no-change, as this machine's timings drift.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "gohost-bench-go_toolchain"
VENV_BIN = os.path.join(ROOT, ".venv", "bin")

PLAYBOOK = """---
- name: Bench go_toolchain
  hosts: all
  gather_facts: false
  roles:
    - role: noble.gohost.go_toolchain
      vars:
        go_toolchain_versions:
          - version: "{version}"
            checksum: "sha256:{sha256}"
        go_toolchain_default: "{version}"
        go_toolchain_base_url: file:///srv/go-dl
"""


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def timed(cmd, **kwargs):
    start = time.monotonic()
    out = run(cmd, **kwargs).stdout
    return time.monotonic() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="1.26.6")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dist = json.loads(run([sys.executable, os.path.join(ROOT, "tests", "support", "go_dist.py"), args.version]).stdout)
    image = "noble-gohost/%s:latest" % os.environ.get("GOHOST_PLATFORM", "bookworm")
    subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    run(["docker", "run", "-d", "--name", NAME, "-v", "%s:/srv/go-dl:ro" % os.path.dirname(dist["path"]),
         "--entrypoint", "sleep", image, "infinity"])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_PIPELINING="1")
    archive = "/srv/go-dl/" + os.path.basename(dist["path"])
    floor, first, second = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            playbook = os.path.join(tmp, "bench.yml")
            with open(playbook, "w") as fh:
                fh.write(PLAYBOOK.format(version=args.version, sha256=dist["sha256"]))
            inventory = os.path.join(tmp, "hosts.yml")
            with open(inventory, "w") as fh:
                fh.write("all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n"
                         "      ansible_python_interpreter: /usr/bin/python3\n" % NAME)
            ap = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, playbook]
            for _round in range(args.repeat):
                reset = "rm -rf /usr/local/lib/go /usr/local/go /usr/local/bin/go* /tmp/floor; sync"
                run(["docker", "exec", NAME, "sh", "-c", reset])
                floor_cmd = "mkdir -p /tmp/floor && sha256sum %s && tar -xzf %s -C /tmp/floor" % (archive, archive)
                seconds, _out = timed(["docker", "exec", NAME, "sh", "-c", floor_cmd])
                floor.append(seconds)
                run(["docker", "exec", NAME, "sh", "-c", reset])
                seconds, out = timed(ap, env=env, cwd=ROOT)
                first.append(seconds)
                seconds, out = timed(ap, env=env, cwd=ROOT)
                second.append(seconds)
                if "changed=0" not in out:
                    print("WARNING: the second run changed something:\n" + out[-800:])
    finally:
        subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    med = statistics.median
    print("go%s, %d repeats (seconds, median; all: floor %s, install %s, no-change %s)"
          % (args.version, args.repeat, [round(x, 2) for x in floor], [round(x, 2) for x in first],
             [round(x, 2) for x in second]))
    print("floor sha256sum + tar -xzf : %.2f" % med(floor))
    print("role install (fresh host)   : %.2f  (%.2fx the floor; goal <= 1.3x)" % (med(first), med(first) / med(floor)))
    # Each round's install against the floor measured just before it: less sensitive to load that drifts.
    ratios = [f / x for f, x in zip(first, floor)]
    print("per-round install/floor     : %s (median %.2fx)" % ([round(r, 2) for r in ratios], med(ratios)))
    print("role second run (no change) : %.2f" % med(second))
    return 0


if __name__ == "__main__":
    sys.exit(main())
