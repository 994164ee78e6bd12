#!/usr/bin/env python
"""goproxy mirror benchmark: `go mod download` of go.uber.org/zap v1.28.0 and its graph, in a throwaway container.

Prints: the cold-cache time through goproxy (the mirror fetches from the machine's module proxy, read at run time
with `go env`), the warm-cache time through goproxy and through nginx serving the same cache directory statically
(the ceiling) for 1 and 8 concurrent clients, and goproxy's peak resident memory (VmHWM) after that load.
Needs docker, the noble-gohost image (tests/images/build.py), the goproxy binary built by the `goproxy` scenario's
prepare step (.cache/goproxy-build/goproxy-v0.21.0) and a Go archive from tests/support/go_dist.py.

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
        sh(["docker", "cp", BINARY, NAME + ":/usr/local/bin/goproxy"])
        sh(["docker", "cp", dist["path"], NAME + ":/tmp/go.tar.gz"])
        sh(["docker", "cp", ca, NAME + ":/etc/ssl/upstream-ca.pem"])
        dexec("tar -C /usr/local -xzf /tmp/go.tar.gz && ln -sf /usr/local/go/bin/go /usr/local/bin/go && "
              "DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null && "
              "DEBIAN_FRONTEND=noninteractive apt-get -qq install -y nginx-light bc >/dev/null")
        dexec("mkdir -p /var/cache/goproxy/modules /root/bench && printf '%%s' %s > /etc/nginx/sites-enabled/default "
              "&& systemctl restart nginx" % shlex.quote(NGINX_CONF))
        dexec("systemd-run --unit goproxy -p Environment=SSL_CERT_FILE=/etc/ssl/upstream-ca.pem "
              "-p Environment=GOPROXY=%s -p 'Environment=\"GOSUMDB=%s %s/sumdb/%s\"' /usr/local/bin/goproxy server "
              "--address 127.0.0.1:8080 --cacher-dir /var/cache/goproxy/modules "
              "'--proxied-sumdbs=%s %s/sumdb/%s'" % (upstream, sumdb, upstream, sumdb, sumdb, upstream, sumdb))
        for _attempt in range(50):
            if dexec("curl -fs -o /dev/null http://127.0.0.1:8080/sumdb/%s/supported" % sumdb, check=False) == "":
                break
            time.sleep(0.2)
        dexec("cd /root/bench && printf '%%s' %s > go.mod && printf '%%s' %s > main.go" % (
            shlex.quote(GO_MOD), shlex.quote(MAIN_GO)))
        # Cold: the mirror's cache is empty, go.sum is made through the mirror's /sumdb/.
        start = time.time()
        dexec("cd /root/bench && GOMODCACHE=/tmp/cold GOPROXY=http://127.0.0.1:8080 "
              "GOSUMDB='%s http://127.0.0.1:8080/sumdb/%s' go mod tidy >/dev/null 2>&1 && "
              "GOMODCACHE=/tmp/cold GOPROXY=http://127.0.0.1:8080 go mod download all" % (sumdb, sumdb))
        cold = time.time() - start
        files = dexec("find /var/cache/goproxy/modules -name '*.zip' | wc -l")
        print("goproxy cold cache (tidy + download, %s module zips): %.2f s" % (files, cold))
        pid = dexec("systemctl show -p MainPID --value goproxy")
        for clients in (1, 8):
            for label, url in (("goproxy", "http://127.0.0.1:8080"), ("nginx  ", "http://127.0.0.1:8081")):
                runs = [timed_downloads(url, clients) for _round in range(args.rounds)]
                print("warm cache, %d client(s), %s: median %.3f s (min %.3f, max %.3f, %d rounds)"
                      % (clients, label, statistics.median(runs), min(runs), max(runs), args.rounds))
        rss = dexec("awk '/^VmHWM|^VmRSS/ {print $1, $2, $3}' /proc/%s/status" % pid)
        print("goproxy memory after the load: %s" % rss.replace("\n", ", "))
    finally:
        if not args.keep:
            sh(["docker", "rm", "-f", NAME], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
