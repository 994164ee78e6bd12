#!/usr/bin/env python
"""go_toolchain: role install time next to the floor (`sha256sum` + `tar -xzf` of the same archive on the same
container), and the time of a second, no-change run. Prints numbers; never fails on speed.

    benchmarks/go_toolchain.py [--version 1.26.6] [--repeat 3]

A throwaway container `gohost-bench-go_toolchain` (image noble-gohost/<GOHOST_PLATFORM or bookworm>) gets the
archive of tests/support/go_dist.py bind-mounted read-only; the role reads it with base_url file:///srv/go-dl
(download_on target: the archive is streamed through the hash into tar). Each round measures, in this order: the
floor, the role's helper alone (`install` through `docker exec`, no Ansible), the role on a fresh host, and the
no-change run; ratios are also given per round, as this machine's timings drift with other load.

The floor has no Ansible at all. ansible-playbook's own start and the role's fixed per-task costs (the no-change
run: start, argument checks, one probe) are paid by every run, so besides the plain ratio (the goal) the output
decomposes the install into that fixed cost and the rest, and gives the helper alone against the floor.

A play with one `ping` task against the same container (no facts) is also timed each round: the least any
playbook run costs here. "install minus the ping play" is what the role adds to that, set against the floor.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _bench import ROOT, VENV_BIN, ping_playbook, run  # benchmarks/_bench.py, beside this script

NAME = "gohost-bench-go_toolchain"

PING = ping_playbook("all")

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


def timed(cmd, **kwargs):
    start = time.monotonic()
    out = run(cmd, **kwargs).stdout
    return time.monotonic() - start, out


def r2(values):
    return [round(x, 2) for x in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="1.26.6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tmpfs", action="store_true",
                        help="the install root and the floor's directory on tmpfs: takes the disk out of every "
                             "measurement (this machine's disk slows down after a burst of writes)")
    args = parser.parse_args()
    dist = json.loads(run([sys.executable, os.path.join(ROOT, "tests", "support", "go_dist.py"), args.version]).stdout)
    image = "noble-gohost/%s:latest" % os.environ.get("GOHOST_PLATFORM", "bookworm")
    subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    tmpfs = ["--tmpfs", "/usr/local/lib/go:exec,mode=0755,size=2g", "--tmpfs", "/tmp/floor:exec,size=2g"]
    tmpfs = tmpfs if args.tmpfs else []
    mount = ["-v", "%s:/srv/go-dl:ro" % os.path.dirname(dist["path"])]
    run(["docker", "run", "-d", "--name", NAME] + tmpfs + mount + ["--entrypoint", "sleep", image, "infinity"])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               PATH=VENV_BIN + os.pathsep + os.environ["PATH"], ANSIBLE_PIPELINING="1")
    archive = "/srv/go-dl/" + os.path.basename(dist["path"])
    floor, alone, first, second, ping = [], [], [], [], []
    with open(os.path.join(ROOT, "roles", "go_toolchain", "files", "go_toolchain_helper.py"), "rb") as fh:
        helper = fh.read()
    helper_cmd = ["docker", "exec", "-i", NAME, "python3", "-", "install", "--src=file://" + archive,
                  "--checksum=sha256:" + dist["sha256"], "--version=" + args.version, "--arch=" + dist["arch"],
                  "--root=/usr/local/lib/go", "--source=tarball"]
    load = [os.getloadavg()]
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
            ping_playbook = os.path.join(tmp, "ping.yml")
            with open(ping_playbook, "w") as fh:
                fh.write(PING)
            for _round in range(args.repeat):
                reset = ("rm -rf /usr/local/lib/go/* /usr/local/lib/go/.[!.]* /tmp/floor/*" if args.tmpfs  # mounts stay
                         else "rm -rf /usr/local/lib/go /tmp/floor") + " /usr/local/go /usr/local/bin/go*; sync"
                run(["docker", "exec", NAME, "sh", "-c", reset])
                floor_cmd = "mkdir -p /tmp/floor && sha256sum %s && tar -xzf %s -C /tmp/floor" % (archive, archive)
                seconds, _out = timed(["docker", "exec", NAME, "sh", "-c", floor_cmd])
                floor.append(seconds)
                run(["docker", "exec", NAME, "sh", "-c", reset])
                start = time.monotonic()
                subprocess.run(helper_cmd, input=helper, check=True, stdout=subprocess.DEVNULL)
                alone.append(time.monotonic() - start)
                run(["docker", "exec", NAME, "sh", "-c", reset])
                seconds, out = timed(ap, env=env, cwd=ROOT)
                first.append(seconds)
                seconds, out = timed(ap, env=env, cwd=ROOT)
                second.append(seconds)
                if "changed=0" not in out:
                    print("WARNING: the second run changed something:\n" + out[-800:])
                seconds, out = timed(ap[:-1] + [ping_playbook], env=env, cwd=ROOT)
                ping.append(seconds)
    finally:
        subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    load.append(os.getloadavg())
    med = statistics.median
    print("go%s, %d repeats%s (seconds, median; load average %s at the start, %s at the end)"
          % (args.version, args.repeat, ", install root and floor on tmpfs" if args.tmpfs else "",
             "/".join("%.2f" % x for x in load[0]), "/".join("%.2f" % x for x in load[1])))
    print("all: floor %s, helper alone %s, install %s, no-change %s, ping play %s"
          % (r2(floor), r2(alone), r2(first), r2(second), r2(ping)))
    busy = max(load[0][0], load[1][0])
    if busy > (os.cpu_count() or 1):
        print("WARNING: load average %.2f on %d CPUs: other load dominates these timings (the floor itself drifts); "
              "compare the per-round ratios, or run again on a quieter machine" % (busy, os.cpu_count() or 1))
    print("floor sha256sum + tar -xzf : %.2f" % med(floor))
    print("role install (fresh host)   : %.2f  (%.2fx the floor; goal <= 1.3x)" % (med(first), med(first) / med(floor)))
    # Each round's install against the floor measured just before it: less sensitive to load that drifts.
    ratios = [f / x for f, x in zip(first, floor)]
    print("per-round install/floor     : %s (median %.2fx)" % (r2(ratios), med(ratios)))
    print("role second run (no change) : %.2f" % med(second))
    print("decomposition (not the goal's ratio):")
    ratios = [a / x for a, x in zip(alone, floor)]
    print("  helper alone, no Ansible  : %.2f  (per round /floor %s, median %.2fx)" % (med(alone), r2(ratios), med(ratios)))
    rest = [f - n for f, n in zip(first, second)]
    ratios = [r / x for r, x in zip(rest, floor)]
    print("  fixed cost of a run       : %.2f  (the no-change run: ansible-playbook start, checks, probe)" % med(second))
    print("  install minus fixed cost  : %.2f  (per round /floor %s, median %.2fx)" % (med(rest), r2(ratios), med(ratios)))
    print("  ping play (one task)      : %.2f  (per round /floor %s: the least any playbook costs here)"
          % (med(ping), r2([p / x for p, x in zip(ping, floor)])))
    rest = [f - p for f, p in zip(first, ping)]
    ratios = [r / x for r, x in zip(rest, floor)]
    print("  install minus ping play   : %.2f  (per round /floor %s, median %.2fx)" % (med(rest), r2(ratios), med(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
