#!/usr/bin/env python
"""goproxy mirror benchmark: `go mod download` of go.uber.org/zap v1.28.0 and its graph, in a throwaway container.

Prints, for each backend (goproxy, and Athens when its binary exists): the cold-cache time (the mirror fetches
from the machine's module proxy, read at run time with `go env`), the warm-cache time for 1 and 8 concurrent
clients next to nginx serving goproxy's cache directory statically (the ceiling: the same files, no proxy logic),
and the backend's peak resident memory (VmHWM) after that load. Every client starts with an empty module cache and
the same go.sum (made once, untimed, straight from the upstream), so cold and warm runs of both backends do the
same work.

Then the servers themselves under load: `wrk` (Debian's package) inside the container, on loopback, at 1, 16 and 64
connections for --seconds each, against the `.info`, `.mod` and `.zip` URLs of go.uber.org/zap v1.28.0 in the warm
cache, for each backend, for the same goproxy with GOMAXPROCS=1 (`goproxy1`: its tail on two shared cores is the
Go scheduler's) and for nginx serving the same files: requests per second, p50 and p99 latency, and each server's
peak resident memory after it. The goal: a warm goproxy serves at least half of nginx's requests per
second, with a p99 under twice nginx's. All run on the same 2 cores as wrk, so only ratios from one run mean
anything. Last, a cold fill of a large graph through each backend: the go.mod and go.sum of a real Prometheus
exporter (github.com/prometheus/node_exporter v1.10.2, 77 modules; fetched once on the controller through the
machine's module proxy, untimed), `go mod download all` with an empty module cache.

Needs docker, the noble-gohost image (tests/images/build.py), the goproxy binary built by the `goproxy` scenario's
prepare step (.cache/goproxy-build/goproxy-v0.21.0) and a Go archive from tests/support/go_dist.py. Athens v0.18.0
comes from tests/support/athens_src.py build (the source snapshot in shared/vendor/athens served as its module;
about 2 minutes the first time, then cached in .cache/athens/bin); where neither the snapshot nor the module proxy
has it, the Athens rows are skipped and the reason printed.

    benchmarks/goproxy.py [--rounds 3] [--seconds 5] [--no-load] [--no-graph] [--keep] [--pin]
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "gohost-goproxy-bench"
IMAGE = "noble-gohost/%s:latest" % os.environ.get("GOHOST_PLATFORM", "bookworm")
BINARY = os.path.join(ROOT, ".cache", "goproxy-build", "goproxy-v0.21.0")
ATHENS_VERSION = "v0.18.0"
# The settings the role writes (Athens v0.18.0 starts from its defaults; the file says what runs).
ATHENS_CONF = """GoBinary = "/usr/local/go/bin/go"
GoBinaryEnvVars = ["GOPROXY=%(upstream)s", "GOTOOLCHAIN=local", "SSL_CERT_FILE=/etc/ssl/upstream-ca.pem"]
GoEnv = "production"
GoGetWorkers = 10
ProtocolWorkers = 30
Timeout = 300
CloudRuntime = "none"
IndexType = "none"
LogFormat = "plain"
LogLevel = "warning"
ShutdownTimeout = 60
Port = "127.0.0.1:3000"
StorageType = "disk"
SingleFlightType = "memory"
NetworkMode = "strict"
DownloadMode = "sync"
SumDBs = []

[Storage]
  [Storage.Disk]
    RootPath = "/var/cache/athens"
"""
GO_MOD = "module example.com/bench\n\ngo 1.22\n\nrequire go.uber.org/zap v1.28.0\n"
MAIN_GO = 'package main\n\nimport "go.uber.org/zap"\n\nfunc main() { _ = zap.NewNop() }\n'
NGINX_CONF = """server {
    listen 127.0.0.1:8081;
    root /var/cache/goproxy/modules;
    location / { try_files $uri =404; }
}
"""


def sh(cmd, check=True, capture=True):
    res = subprocess.run(cmd, shell=isinstance(cmd, str), stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.STDOUT if capture else None, universal_newlines=True, check=False)
    if check and res.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (res.returncode, cmd, res.stdout))
    return (res.stdout or "").strip()


def dexec(script, check=True):
    return sh(["docker", "exec", NAME, "bash", "-c", script], check=check)


def timed_downloads(url, clients):
    """Seconds for `clients` parallel `go mod download all` through url, each with an empty module cache."""
    script = (
        "set -e; for i in $(seq %(n)d); do rm -rf /tmp/c$i; mkdir -p /tmp/c$i; done; start=$(date +%%s.%%N); "
        "for i in $(seq %(n)d); do (cd /root/bench && GOMODCACHE=/tmp/c$i/mod GOPROXY=%(url)s GOSUMDB=off "
        "go mod download all) & done; wait; end=$(date +%%s.%%N); "
        "echo \"$end - $start\" | bc" % {"n": clients, "url": url})
    return float(dexec(script))


GRAPH = ("github.com/prometheus/node_exporter", "v1.10.2")
LOAD_MODULE = "go.uber.org/zap/@v/v1.28.0"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, connections, seconds, pin=False):
    """{rps, p50_ms, p99_ms, errors} of `wrk` at `connections` against url (inside the container); with pin, wrk
    runs on CPU 1 only (the servers on CPU 0)."""
    prefix = "taskset -c 1 " if pin else ""
    out = dexec("%swrk -t%d -c%d -d%ds --latency %s" % (prefix, min(connections, 2), connections, seconds, url))
    result = {"errors": 0}
    latency = False
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif "Latency Distribution" in line:
            latency = True
        elif latency and len(words) == 2 and words[0] in ("50%", "99%"):
            value = words[1]
            unit = value.lstrip("0123456789.")
            result["p%s_ms" % words[0][:-1]] = float(value[:-len(unit)]) * UNITS[unit]
        elif line.strip().startswith(("Non-2xx", "Socket errors")):
            result["errors"] += sum(int(w.strip(",")) for w in words if w.strip(",").isdigit())
    if "rps" not in result or "p99_ms" not in result:
        raise SystemExit("wrk printed no result for %s:\n%s" % (url, out))
    return result


def load_table(servers, seconds, pin=False):
    """wrk against every server, URL kind and connection count; prints the table and the goal's ratios."""
    print("server load (wrk on loopback, %d s each; rps = requests/s; latency in ms%s)"
          % (seconds, "; servers on CPU 0, wrk on CPU 1" if pin else "; servers and wrk share both CPUs"))
    print("  %-8s %-5s %5s %10s %8s %8s %7s" % ("server", "url", "conns", "rps", "p50", "p99", "errors"))
    results = {}
    for kind in ("info", "mod", "zip"):
        for conns in (1, 16, 64):
            for label, url, _pid in servers:
                res = wrk("%s/%s.%s" % (url, LOAD_MODULE, kind), conns, seconds, pin)
                results[(label.strip(), kind, conns)] = res
                print("  %-8s %-5s %5d %10.0f %8.2f %8.2f %7d"
                      % (label.strip(), kind, conns, res["rps"], res["p50_ms"], res["p99_ms"], res["errors"]))
    cells = [(k, c) for k in ("info", "mod", "zip") for c in (1, 16, 64)]
    for label, _url, _pid in servers:
        label = label.strip()
        if label == "nginx":
            continue
        worst_rps = min(results[(label,) + cell]["rps"] / results[("nginx",) + cell]["rps"] for cell in cells)
        worst_p99 = max(results[(label,) + cell]["p99_ms"] / results[("nginx",) + cell]["p99_ms"] for cell in cells)
        print("%s against nginx: worst requests/s ratio %.2f (goal >= 0.5), worst p99 ratio %.2f (goal < 2)"
              % (label, worst_rps, worst_p99))
    return results


def graph_files():
    """go.mod and go.sum of the large graph, from the controller's module cache (through its module proxy)."""
    out = json.loads(sh(["go", "mod", "download", "-json", "%s@%s" % GRAPH]))
    return os.path.join(out["Dir"], "go.mod"), os.path.join(out["Dir"], "go.sum")


def wait_for(url):
    for _attempt in range(100):
        if dexec("curl -fs -o /dev/null %s" % url, check=False) == "":
            return
        time.sleep(0.2)
    raise SystemExit("no answer from %s after 20 s:\n%s" % (url, dexec("journalctl -n 30 --no-pager", check=False)))


def athens_binary():
    """(path, None): Athens built by tests/support/athens_src.py (cached by version), or (None, why not)."""
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "support", "athens_src.py"), "build",
                          ATHENS_VERSION], stdout=subprocess.PIPE, universal_newlines=True, check=False)
    try:
        out = json.loads(res.stdout)
    except ValueError:
        return None, "tests/support/athens_src.py build %s failed (exit %d)" % (ATHENS_VERSION, res.returncode)
    return out.get("binary"), out.get("unavailable")


def pid_of(unit):
    return dexec("systemctl show -p MainPID --value %s" % unit)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--no-load", action="store_true", help="leave out the wrk load table")
    parser.add_argument("--no-graph", action="store_true", help="leave out the large graph's cold fill")
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    parser.add_argument("--pin", action="store_true",
                        help="every server on CPU 0 (CPUAffinity=, from its start, so the Go servers run with "
                             "GOMAXPROCS=1) and wrk on CPU 1 (taskset), so that the load generator does not take the "
                             "servers' CPU")
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        print("skipped: %s is missing (run the goproxy scenario's prepare step: "
              "MOLECULE_COMMAND=prepare make molecule SCENARIO=goproxy)" % BINARY)
        return 0
    upstream = sh("go env GOPROXY").split(",")[0].split("|")[0]
    sumdb = sh("go env GOSUMDB").split()[0]
    dist = json.loads(sh([sys.executable, os.path.join(ROOT, "tests", "support", "go_dist.py"), "1.26.6"]))
    ca = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    sh(["docker", "rm", "-f", NAME], check=False)
    sh(["docker", "run", "-d", "--name", NAME, "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
        "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
        IMAGE, "/lib/systemd/systemd"])
    try:
        # systemd mounts a tmpfs on /tmp while it boots: wait, so that nothing copied there is hidden.
        dexec("timeout 60 systemctl is-system-running --wait >/dev/null || true")
        sh(["docker", "cp", BINARY, NAME + ":/usr/local/bin/goproxy"])
        sh(["docker", "cp", dist["path"], NAME + ":/root/go.tar.gz"])
        sh(["docker", "cp", ca, NAME + ":/etc/ssl/upstream-ca.pem"])
        dexec("tar -C /usr/local -xzf /root/go.tar.gz && ln -sf /usr/local/go/bin/go /usr/local/bin/go && "
              "DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null && "
              "DEBIAN_FRONTEND=noninteractive apt-get -qq install -y nginx-light bc wrk >/dev/null")
        # --pin: every server on CPU 0 from its start (CPUAffinity=, which a process may set for itself; taskset on
        # another user's process needs CAP_SYS_NICE, which the container has not), wrk on CPU 1.
        aff = "-p CPUAffinity=0 " if args.pin else ""
        if args.pin:
            dexec("mkdir -p /etc/systemd/system/nginx.service.d && printf '[Service]\\nCPUAffinity=0\\n' "
                  "> /etc/systemd/system/nginx.service.d/cpu.conf && systemctl daemon-reload")
        dexec("mkdir -p /var/cache/goproxy/modules /root/bench && printf '%%s' %s > /etc/nginx/sites-enabled/default "
              "&& systemctl restart nginx" % shlex.quote(NGINX_CONF))
        dexec("systemd-run --unit goproxy " + aff + "-p Environment=SSL_CERT_FILE=/etc/ssl/upstream-ca.pem "
              "-p Environment=GOPROXY=%s -p 'Environment=\"GOSUMDB=%s %s/sumdb/%s\"' /usr/local/bin/goproxy server "
              "--address 127.0.0.1:8080 --cacher-dir /var/cache/goproxy/modules "
              "'--proxied-sumdbs=%s %s/sumdb/%s'" % (upstream, sumdb, upstream, sumdb, sumdb, upstream, sumdb))
        wait_for("http://127.0.0.1:8080/sumdb/%s/supported" % sumdb)
        dexec("cd /root/bench && printf '%%s' %s > go.mod && printf '%%s' %s > main.go" % (
            shlex.quote(GO_MOD), shlex.quote(MAIN_GO)))
        # go.sum once, straight from the upstream and its checksum database (untimed; neither mirror sees it).
        dexec("cd /root/bench && SSL_CERT_FILE=/etc/ssl/upstream-ca.pem GOMODCACHE=/tmp/sum GOPROXY=%s "
              "go mod tidy 2>&1 && rm -rf /tmp/sum" % upstream)
        backends = [("goproxy", "http://127.0.0.1:8080", pid_of("goproxy"))]
        athens, athens_why = athens_binary()
        if athens:
            sh(["docker", "cp", athens, NAME + ":/usr/local/bin/athens"])
            dexec("mkdir -p /var/cache/athens /etc/athens && printf '%%s' %s > /etc/athens/athens.toml" % shlex.quote(
                ATHENS_CONF % {"upstream": upstream}))
            dexec("systemd-run --unit athens " + aff + "-p Environment=SSL_CERT_FILE=/etc/ssl/upstream-ca.pem "
                  "-p Environment=HOME=/root /usr/local/bin/athens -config_file=/etc/athens/athens.toml")
            wait_for("http://127.0.0.1:3000/healthz")
            backends.append(("athens ", "http://127.0.0.1:3000", pid_of("athens")))
        else:
            print("athens: skipped: %s" % athens_why)
        for label, url, _pid in backends:
            cold = timed_downloads(url, 1)
            files = dexec("find /tmp/c1/mod/cache/download -name '*.zip' | wc -l")
            print("%s cold cache (download all, %s module zips): %.2f s" % (label, files, cold))
        # Warm: the servers take turns within each round (the first one rotates), as this machine's timings drift.
        servers = backends + [("nginx  ", "http://127.0.0.1:8081", None)]
        for clients in (1, 8):
            runs = {label: [] for label, _url, _pid in servers}
            for rnd in range(args.rounds):
                for label, url, _pid in servers[rnd % len(servers):] + servers[:rnd % len(servers)]:
                    runs[label].append(timed_downloads(url, clients))
            for label, _url, _pid in servers:
                print("warm cache, %d client(s), %s: median %.3f s (min %.3f, max %.3f, %d rounds)"
                      % (clients, label, statistics.median(runs[label]), min(runs[label]), max(runs[label]),
                         args.rounds))
        for label, _url, pid in backends:
            rss = dexec("awk '/^VmHWM|^VmRSS/ {print $1, $2, $3}' /proc/%s/status" % pid)
            print("%s memory after the load: %s" % (label.strip(), rss.replace("\n", ", ")))
        if not args.no_load:
            # The same goproxy and cache with the Go runtime on one P (GOMAXPROCS=1): wrk and the server share this
            # machine's two cores, and the tail of the default (one P per core) is the scheduler's, not the cache's.
            dexec("systemd-run --unit goproxy-gomaxprocs1 " + aff + "-p Environment=GOMAXPROCS=1 "
                  "-p Environment=GOPROXY=off -p Environment=GOSUMDB=off /usr/local/bin/goproxy server "
                  "--address 127.0.0.1:8082 "
                  "--cacher-dir /var/cache/goproxy/modules")
            wait_for("http://127.0.0.1:8082/%s.info" % LOAD_MODULE)
            servers = servers[:1] + [("goproxy1", "http://127.0.0.1:8082", pid_of("goproxy-gomaxprocs1"))] + servers[1:]
            load_table(servers, args.seconds, args.pin)
            for label, _url, pid in servers:
                pids = [pid] if pid else dexec("pgrep -x nginx").split()
                rss = sum(int(dexec("awk '/^VmHWM/ {print $2}' /proc/%s/status" % p) or 0) for p in pids)
                print("%s peak resident memory after the load: %d MiB%s" % (
                    label.strip(), rss // 1024, "" if pid else " (master and workers, summed)"))
        if not args.no_graph:
            gomod, gosum = graph_files()
            dexec("mkdir -p /root/graph")
            sh(["docker", "cp", gomod, NAME + ":/root/graph/go.mod"])
            sh(["docker", "cp", gosum, NAME + ":/root/graph/go.sum"])
            for label, url, _pid in backends:
                script = ("set -e; rm -rf /tmp/g; start=$(date +%%s.%%N); cd /root/graph && GOMODCACHE=/tmp/g "
                          "GOPROXY=%s GOSUMDB=off GOFLAGS=-mod=mod go mod download all; end=$(date +%%s.%%N); "
                          "echo \"$(find /tmp/g/cache/download -name '*.zip' | wc -l) $(echo \"$end - $start\" | bc)\""
                          % url)
                zips, secs = dexec(script).split()[-2:]
                print("%s cold fill of %s@%s's graph (%s module zips): %.1f s"
                      % (label.strip(), GRAPH[0], GRAPH[1], zips, float(secs)))
    finally:
        if not args.keep:
            sh(["docker", "rm", "-f", NAME], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
