#!/usr/bin/env python
"""goproxy mirror benchmark: `go mod download` of go.uber.org/zap v1.28.0 and its graph, in a throwaway container.

Prints, for each backend (goproxy, and Athens when its binary exists): the cold-cache time (the mirror fetches
from the machine's module proxy, read at run time with `go env`), the warm-cache time for 1 and 8 concurrent
clients next to nginx serving goproxy's cache directory statically (the ceiling: the same files, no proxy logic),
and the backend's peak resident memory (VmHWM) after that load. Every client starts with an empty module cache and
the same go.sum (made once, untimed, straight from the upstream), so cold and warm runs of both backends do the
same work.

Needs docker, the noble-gohost image (tests/images/build.py), the goproxy binary built by the `goproxy` scenario's
prepare step (.cache/goproxy-build/goproxy-v0.21.0) and a Go archive from tests/support/go_dist.py. Athens v0.18.0
comes from tests/support/athens_src.py build (the source snapshot in shared/vendor/athens served as its module;
about 2 minutes the first time, then cached in .cache/athens/bin); where neither the snapshot nor the module proxy
has it, the Athens rows are skipped and the reason printed.

    benchmarks/goproxy.py [--rounds 3] [--keep]
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
    parser.add_argument("--keep", action="store_true", help="leave the container running")
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
              "DEBIAN_FRONTEND=noninteractive apt-get -qq install -y nginx-light bc >/dev/null")
        dexec("mkdir -p /var/cache/goproxy/modules /root/bench && printf '%%s' %s > /etc/nginx/sites-enabled/default "
              "&& systemctl restart nginx" % shlex.quote(NGINX_CONF))
        dexec("systemd-run --unit goproxy -p Environment=SSL_CERT_FILE=/etc/ssl/upstream-ca.pem "
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
            dexec("systemd-run --unit athens -p Environment=SSL_CERT_FILE=/etc/ssl/upstream-ca.pem "
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
    finally:
        if not args.keep:
            sh(["docker", "rm", "-f", NAME], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
