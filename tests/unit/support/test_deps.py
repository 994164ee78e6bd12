# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/deps.sh (`make deps`), the real script, against fake commands on a PATH of its own: apt-get, dockerd,
docker, systemctl and one stub per command the script looks for. The stubs record their calls; apt-get install
creates the stubs of the packages it "installs"; dockerd and `systemctl start` make `docker info` answer."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(TOP, "tests", "deps.sh")
BASH = shutil.which("bash")
REAL = ["id", "sleep"]  # the only real commands the script may call

pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


def packages():
    """(package, test) of the script's PACKAGES array: the list the script itself uses."""
    with open(SCRIPT, encoding="utf-8") as fh:
        text = fh.read()
    body = re.search(r"^PACKAGES=\(\n(.*?)^\)", text, re.M | re.S).group(1)
    return [tuple(m.group(1).split("|", 1)) for m in re.finditer(r'^\s+"([^"]+)"$', body, re.M)]


def provides(test):
    """The command a package's test looks for (the first word after `command -v`, or the bare word)."""
    m = re.match(r"command -v (\S+)", test)
    return m.group(1) if m else test.split()[0]


APT = """#!/bin/sh
PATH=/usr/bin:/bin  # the stub's own tools, not the PATH under test
echo "apt-get $*" >>"$STUB_LOG"
[ "$1" = install ] || exit 0
for p in "$@"; do
  [ -f "$STUB_PROVIDES/$p" ] || continue
  cmd=$(cat "$STUB_PROVIDES/$p")
  if [ -f "$STUB_PAYLOAD/$cmd" ]; then cp "$STUB_PAYLOAD/$cmd" "$STUB_BIN/$cmd"; else printf '#!/bin/sh\\nexit 0\\n' >"$STUB_BIN/$cmd"; fi
  chmod +x "$STUB_BIN/$cmd"
done
exit 0
"""
DOCKER = """#!/bin/sh
PATH=/usr/bin:/bin  # the stub's own tools, not the PATH under test
echo "docker $*" >>"$STUB_LOG"
[ -f "$STUB_STATE/running" ] || { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1; }
[ "$2" = --format ] && echo "make deps: docker 99.1, cgroup v2, overlay2"
exit 0
"""
DOCKERD = """#!/bin/sh
PATH=/usr/bin:/bin  # the stub's own tools, not the PATH under test
echo "dockerd $*" >>"$STUB_LOG"
[ -n "$STUB_DOCKERD_BROKEN" ] || touch "$STUB_STATE/running"
"""
SYSTEMCTL = """#!/bin/sh
PATH=/usr/bin:/bin  # the stub's own tools, not the PATH under test
echo "systemctl $*" >>"$STUB_LOG"
case "$1" in
  cat) [ -n "$STUB_DOCKER_UNIT" ] ;;
  start) touch "$STUB_STATE/running" ;;
esac
"""


class Machine:
    def __init__(self, tmp):
        self.bin = tmp / "bin"
        self.state = tmp / "state"
        self.provides = tmp / "provides"
        self.payload = tmp / "payload"  # what apt-get "installs" for a command (default: a stub that exits 0)
        for d in (self.bin, self.state, self.provides, self.payload):
            d.mkdir()
        self.log = tmp / "calls.log"
        self.log.write_text("")
        self.env = {"PATH": str(self.bin), "STUB_LOG": str(self.log), "STUB_BIN": str(self.bin),
                    "STUB_STATE": str(self.state), "STUB_PROVIDES": str(self.provides),
                    "STUB_PAYLOAD": str(self.payload), "GOHOST_DEPS_UID": "0",
                    "GOHOST_DEPS_DOCKERD_LOG": str(tmp / "dockerd.log"), "GOHOST_DEPS_SYSTEMD": str(tmp / "nosystemd"),
                    "GOHOST_DEPS_DOCKER_WAIT": "5"}
        for name in REAL:
            os.symlink(shutil.which(name), str(self.bin / name))
        for name, text in (("apt-get", APT), ("docker", DOCKER), ("dockerd", DOCKERD), ("systemctl", SYSTEMCTL)):
            self.stub(name, text)
        (self.payload / "dockerd").write_text(DOCKERD)
        for package, test in packages():
            (self.provides / package).write_text(provides(test))
            if package != "docker.io":
                self.stub(provides(test))
        (self.state / "running").touch()

    def stub(self, name, text="#!/bin/sh\nexit 0\n"):
        path = self.bin / name
        path.write_text(text)
        path.chmod(0o755)

    def remove(self, *names):
        for name in names:
            (self.bin / name).unlink()

    def run(self, **env):
        self.log.write_text("")
        return subprocess.run([BASH, SCRIPT], env=dict(self.env, **env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)

    def calls(self):
        return self.log.read_text().splitlines()


@pytest.fixture
def machine(tmp_path):
    return Machine(tmp_path)


def test_the_package_list_is_parsed():
    names = [p for p, _t in packages()]
    assert {"docker.io", "mmdebstrap", "qemu-system-x86", "shellcheck", "python3-venv"} <= set(names)


def test_everything_there_is_a_no_op(machine):
    proc = machine.run()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "make deps: docker 99.1, cgroup v2, overlay2\n"
    assert machine.calls() == ["docker info", "docker info --format make deps: docker {{.ServerVersion}}, "
                                              "cgroup v{{.CgroupVersion}}, {{.Driver}}"]


def test_installs_only_what_is_missing_once(machine):
    machine.remove("jq", "mmdebstrap", "python3")
    proc = machine.run()
    assert proc.returncode == 0, proc.stderr
    apt = [c for c in machine.calls() if c.startswith("apt-get")]
    assert apt == ["apt-get update -qq",
                   "apt-get install -y -qq --no-install-recommends mmdebstrap jq python3-venv"]
    assert "make deps: installing mmdebstrap jq python3-venv" in proc.stdout
    proc = machine.run()
    assert proc.returncode == 0 and not [c for c in machine.calls() if c.startswith("apt-get")]


def test_a_docker_client_alone_gets_the_engine(machine):
    machine.remove("dockerd")
    (machine.state / "running").unlink()
    proc = machine.run()
    assert proc.returncode == 0, proc.stderr
    assert "apt-get install -y -qq --no-install-recommends docker.io" in machine.calls()
    assert "dockerd " in machine.calls()  # then started: the stub of docker.io's dockerd


def test_an_engine_docker_reaches_needs_no_docker_io(machine):
    machine.remove("dockerd")
    proc = machine.run()
    assert proc.returncode == 0, proc.stderr
    assert not [c for c in machine.calls() if c.startswith("apt-get")]


def test_not_root_prints_the_exact_command_and_installs_nothing(machine):
    machine.remove("jq", "shellcheck")
    proc = machine.run(GOHOST_DEPS_UID="1000")
    assert proc.returncode == 1
    assert "make deps: missing: shellcheck jq\n" in proc.stderr
    assert ("make deps: run: sudo apt-get update && sudo apt-get install -y --no-install-recommends shellcheck jq\n"
            in proc.stderr)
    assert not [c for c in machine.calls() if c.startswith("apt-get")]


def test_no_apt_says_so(machine):
    machine.remove("jq", "apt-get")
    proc = machine.run()
    assert proc.returncode == 1
    assert "no apt-get here; on Debian/Ubuntu: apt-get update && apt-get install -y --no-install-recommends jq" \
        in proc.stderr


def test_starts_dockerd_in_the_background_when_docker_info_fails(machine):
    (machine.state / "running").unlink()
    proc = machine.run()
    assert proc.returncode == 0, proc.stderr
    assert "make deps: starting dockerd (log: %s)" % machine.env["GOHOST_DEPS_DOCKERD_LOG"] in proc.stdout
    assert machine.calls().count("dockerd ") == 1
    assert proc.stdout.endswith("make deps: docker 99.1, cgroup v2, overlay2\n")


def test_starts_docker_service_where_systemd_has_it(machine, tmp_path):
    (machine.state / "running").unlink()
    (tmp_path / "systemd").mkdir()
    proc = machine.run(GOHOST_DEPS_SYSTEMD=str(tmp_path / "systemd"), STUB_DOCKER_UNIT="1")
    assert proc.returncode == 0, proc.stderr
    assert "systemctl start docker.service" in machine.calls() and "dockerd " not in machine.calls()


def test_not_root_and_no_engine_prints_the_command(machine):
    (machine.state / "running").unlink()
    proc = machine.run(GOHOST_DEPS_UID="1000")
    assert proc.returncode == 1
    assert ("make deps: the Docker engine is not running; run: sudo sh -c 'dockerd >%s 2>&1 &'\n"
            % machine.env["GOHOST_DEPS_DOCKERD_LOG"]) in proc.stderr
    assert "dockerd " not in machine.calls()


def test_dockerd_that_never_answers_fails_after_the_wait(machine):
    (machine.state / "running").unlink()
    proc = machine.run(STUB_DOCKERD_BROKEN="1", GOHOST_DEPS_DOCKER_WAIT="1")
    assert proc.returncode == 1
    assert "the Docker engine did not answer within 1s; see %s" % machine.env["GOHOST_DEPS_DOCKERD_LOG"] in proc.stderr
