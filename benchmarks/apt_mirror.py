#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt_mirror benchmark: in a throwaway container (noble-gohost/<platform> image), the role's update script
mirrors the Debian archive this machine's APT uses (read from its sources now, never stored), filtered to
BENCH_FILTER (default `hello`, with dependencies), and this prints:

- first update + snapshot + publish (downloads everything), and a second one (nothing new: a new snapshot and a
  switch), in seconds;
- disk use of the aptly pool, database and published tree;
- `apt-get update` from empty lists, direct from the upstream (same suite and component) and through the mirror
  (nginx on the container's loopback), median of BENCH_RUNS runs.

Numbers only; nothing is asserted. Needs docker and the image of tests/images/build.py.
"""
import glob
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))
import _deb822  # noqa: E402  (plain stdlib module of this collection)

PLATFORM = os.environ.get("GOHOST_PLATFORM", "bookworm")
IMAGE = "noble-gohost/%s:latest" % PLATFORM
NAME = "gohost-apt_mirror-bench"
FILTER = os.environ.get("BENCH_FILTER", "hello")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def sh(cmd, check=True):
    proc = subprocess.run(["docker", "exec", NAME, "bash", "-c", cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if check and proc.returncode:
        raise SystemExit("failed (%d): %s\n%s" % (proc.returncode, cmd, proc.stdout[-3000:]))
    return proc.stdout


def timed(cmd):
    start = time.monotonic()
    sh(cmd)
    return time.monotonic() - start


def upstream():
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path, encoding="utf-8") as fh:
            for stanza in _deb822.parse_deb822(fh.read(), path):
                if "debian-archive-keyring" in stanza.get("Signed-By", "") and PLATFORM in stanza.get("Suites", ""):
                    return stanza["URIs"].split()[0]
    raise SystemExit("no Debian %s archive in this machine's /etc/apt/sources.list.d/*.sources" % PLATFORM)


def main():
    uri = upstream()
    subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["docker", "run", "-d", "--name", NAME, IMAGE, "sleep", "infinity"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        sh("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aptly nginx gnupg >/dev/null")
        subprocess.run(["docker", "cp", os.path.join(ROOT, "roles", "apt_mirror", "files", "gohost_apt_mirror.py"),
                        NAME + ":/usr/local/sbin/gohost-apt-mirror"], check=True)
        config = {"root": "/var/lib/aptly", "aptly_config": "/etc/aptly.conf", "gnupghome": "/var/lib/aptly/gnupg",
                  "keep": 5, "acquire_by_hash": True, "max_tries": 3,
                  "archives": [{"name": "debian", "url": uri, "distributions": [PLATFORM], "components": ["main"],
                                "keyrings": ["/usr/share/keyrings/debian-archive-keyring.gpg"], "filter": FILTER,
                                "filter_with_deps": True}]}
        sh("mkdir -p -m 0700 /var/lib/aptly/gnupg /etc/gohost-apt-mirror && chmod 755 /usr/local/sbin/gohost-apt-mirror"
           " && GNUPGHOME=/var/lib/aptly/gnupg gpg --batch --passphrase '' --quick-gen-key bench ed25519 sign never"
           " 2>/dev/null")
        config["signing_key"] = sh("GNUPGHOME=/var/lib/aptly/gnupg gpg --batch --with-colons --list-secret-keys 2>/dev/null"
                                   " | awk -F: '/^fpr/{print $10; exit}'").strip()
        sh("cat > /etc/gohost-apt-mirror/config.json <<'EOF'\n%s\nEOF" % json.dumps(config))
        sh("""echo '{"rootDir": "/var/lib/aptly", "gpgProvider": "gpg", "skipLegacyPool": true}' > /etc/aptly.conf""")
        first = timed("python3 /usr/local/sbin/gohost-apt-mirror update >/dev/null")
        second = timed("python3 /usr/local/sbin/gohost-apt-mirror update >/dev/null")
        du = dict(line.split("\t")[::-1] for line in sh(
            "du -sk /var/lib/aptly/pool /var/lib/aptly/db /var/lib/aptly/public").strip().splitlines())
        packages = sh("aptly -config=/etc/aptly.conf mirror show -with-packages debian-%s-main | grep -c '^  '"
                      % PLATFORM, check=False).strip()
        sh("printf 'server { listen 127.0.0.1:80; root /var/lib/aptly/public; }\\n' > /etc/nginx/sites-enabled/default"
           " && (nginx -s reload 2>/dev/null || nginx)")
        sh("GNUPGHOME=/var/lib/aptly/gnupg gpg --batch --export %s > /etc/apt/keyrings-bench.gpg"
           % config["signing_key"])
        sources = {
            "direct": "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: "
                      "/usr/share/keyrings/debian-archive-keyring.gpg\n" % (uri, PLATFORM),
            "mirror": "Types: deb\nURIs: http://127.0.0.1/debian\nSuites: %s\nComponents: main\n"
                      "Signed-By: /etc/apt/keyrings-bench.gpg\n" % PLATFORM,
        }
        results = {}
        for label, text in sources.items():
            sh("rm -f /etc/apt/sources.list.d/* /etc/apt/sources.list && cat > /etc/apt/sources.list.d/bench.sources"
               " <<'EOF'\n%sEOF" % text)
            runs = [timed("rm -rf /var/lib/apt/lists/* && apt-get update -qq --error-on=any") for _run in range(RUNS)]
            lists = sh("du -sk /var/lib/apt/lists | cut -f1").strip()
            results[label] = (statistics.median(runs), lists)
    finally:
        subprocess.run(["docker", "rm", "-f", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    print("apt_mirror benchmark (%s, filter %r with dependencies: %s packages)" % (PLATFORM, FILTER, packages))
    print("  first update+snapshot+publish   %8.1f s" % first)
    print("  second update+snapshot+switch   %8.1f s" % second)
    print("  disk: pool %s KiB, db %s KiB, public %s KiB"
          % (du["/var/lib/aptly/pool"], du["/var/lib/aptly/db"], du["/var/lib/aptly/public"]))
    for label, (secs, lists) in results.items():
        print("  apt-get update %-6s (%s main)  %8.2f s median of %d, lists %s KiB"
              % (label, PLATFORM, secs, RUNS, lists))


if __name__ == "__main__":
    main()
