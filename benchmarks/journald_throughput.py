"""Log lines per second that examples/zap-service gets into the journal: zap JSON on stdout vs native fields.

Builds the example with the host's Go, starts a throwaway systemd container from noble-gohost/<platform>:latest
(named gohost-journald-bench; removed afterwards unless --keep), and runs the service in its `load` mode as a
transient unit (LogRateLimitIntervalSec=0, so journald's rate limit drops nothing) once per format and run. For
each run it prints:
  stored      entries of the run found in the journal (of --count written)
  journal/s   stored / (last - first __REALTIME_TIMESTAMP): the rate journald took them in
  writer/s    the rate the service itself reports (its "load done" entry): writes block when journald lags
Numbers only; nothing here fails on speed. Usage: benchmarks/journald_throughput.py [--count N] [--runs R]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "gohost-journald-bench"


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, universal_newlines=True, **kw).stdout


def dexec(*argv):
    return sh("docker", "exec", NAME, *argv)


def build(out):
    go = shutil.which("go") or "/usr/local/go/bin/go"
    env = dict(os.environ, CGO_ENABLED="0")
    subprocess.run([go, "build", "-trimpath", "-o", out, "."], cwd=os.path.join(ROOT, "examples", "zap-service"),
                   env=env, check=True)


def start_container(image):
    subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    sh("docker", "run", "-d", "--name", NAME, "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
       "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
       image, "/lib/systemd/systemd")
    for _attempt in range(120):
        r = subprocess.run(["docker", "exec", NAME, "systemctl", "is-system-running"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
        if r.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise SystemExit("the container's systemd did not come up")


def run_once(fmt, count, idx):
    unit = "bench-%s-%d" % (fmt, idx)
    dexec("systemd-run", "--quiet", "--wait", "--unit", unit, "-p", "LogRateLimitIntervalSec=0",
          "-p", "Environment=ZAPSVC_MODE=load", "-p", "Environment=ZAPSVC_COUNT=%d" % count,
          "-p", "Environment=ZAPSVC_LOG_FORMAT=%s" % fmt, "/usr/local/bin/zap-service")
    stored, first, last, writer = 0, None, None, None
    for _attempt in range(60):  # journald may still be writing what the service wrote
        out = dexec("journalctl", "--no-pager", "-o", "json", "--output-fields=MESSAGE,LINES_PER_SECOND",
                    "_SYSTEMD_UNIT=%s.service" % unit)
        stored, first, last = 0, None, None
        for line in out.splitlines():
            e = json.loads(line)
            msg = e.get("MESSAGE") or ""
            ts = int(e["__REALTIME_TIMESTAMP"])
            if "load done" in msg:
                writer = float(e.get("LINES_PER_SECOND") or json.loads(msg)["lines_per_second"])
            elif "load entry" in msg:
                stored += 1
                first = ts if first is None else first
                last = ts
        if writer is not None and stored >= count:
            break
        time.sleep(0.5)
    span = (last - first) / 1e6 if first is not None and last > first else float("nan")
    return {"format": fmt, "run": idx, "stored": stored, "journal_per_s": stored / span if span else float("nan"),
            "writer_per_s": writer or float("nan")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50000, help="entries per run (default 50000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per format (default 3)")
    ap.add_argument("--platform", default=os.environ.get("GOHOST_PLATFORM", "bookworm"))
    ap.add_argument("--keep", action="store_true", help="leave the container running")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="journald-bench-")
    try:
        binary = os.path.join(tmp, "zap-service")
        build(binary)
        start_container("noble-gohost/%s:latest" % args.platform)
        sh("docker", "cp", binary, NAME + ":/usr/local/bin/zap-service")
        print("journald throughput: %d entries per run, %d runs per format, platform %s, %d CPUs, load %.1f"
              % (args.count, args.runs, args.platform, os.cpu_count(), os.getloadavg()[0]))
        print("%-8s %4s %8s %12s %12s" % ("format", "run", "stored", "journal/s", "writer/s"))
        results = []
        for idx in range(args.runs):
            for fmt in ("json", "journal"):
                r = run_once(fmt, args.count, idx)
                results.append(r)
                print("%-8s %4d %8d %12.0f %12.0f" % (fmt, idx, r["stored"], r["journal_per_s"], r["writer_per_s"]))
                sys.stdout.flush()
        for fmt in ("json", "journal"):
            rates = [r["journal_per_s"] for r in results if r["format"] == fmt]
            print("median %-8s journal/s %.0f" % (fmt, statistics.median(rates)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


if __name__ == "__main__":
    main()
