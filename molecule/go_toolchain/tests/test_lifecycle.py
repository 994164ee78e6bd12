"""go_toolchain scenario: the life of a host after converge, one lifecycle.yml run per step (each step applied twice:
the second run must change nothing). The tests run in file order, after test_go_toolchain.py, and end in the
converge state:

0. a run killed (ansible-playbook and its processes on the host, SIGKILL) while it unpacks the older patch: the
   host is as before (no half tree in place, links, default and fact untouched), and the rerun of step 1 finishes
   the install and removes the leftover;
1. an older patch (1.25.4) from its tarball, or built from source with make.bash when GOHOST_GO_SOURCE_BUILD=1
   (10 to 25 minutes on two loaded cores: too slow for every CI run); 1.25.5, no longer listed, pruned;
2. a module the checksum database does not vouch for is refused, the host unchanged;
3. the newer patch (1.25.5) joins through the checksum database and becomes the default, 1.25.4 kept
   (go_toolchain_prune=false given as a string);
4. pruning with a default that is not listed is refused before anything is removed;
5. prune and switch back: 1.25.4 removed, /usr/local/go back on 1.26.6; the converge variables change nothing.
"""
import json
import os
import re
import signal
import subprocess
import tarfile
import time

import pytest

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = "/usr/local/lib/go"
SOURCE_BUILD = os.environ.get("GOHOST_GO_SOURCE_BUILD") == "1"
OLDER = "source1254" if SOURCE_BUILD else "tarball1254"


def step_argv(pick, default, prune):
    """A lifecycle.yml run's argv and environment; prune is passed as a key=value string, as an operator would."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".cache", "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    argv = ["ansible-playbook", "-i", env["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO, "lifecycle.yml"),
            "-e", json.dumps({"gt_pick": pick, "gt_default": default}), "-e", "go_toolchain_prune=%s" % prune]
    return argv, env


def step(pick, default, prune):
    """One lifecycle.yml run."""
    argv, env = step_argv(pick, default, prune)
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=2400, check=False)
    return proc.returncode, proc.stdout


def flat(out):
    """The output with YAML line folding and escaped quotes undone, for substring checks on messages."""
    return re.sub(r"\s+", " ", out.replace('\\"', '"'))


def recap(out):
    found = re.findall(r"^gohost-\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out, re.M)
    assert len(found) == 1, out[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, found[0])))


def apply_twice(pick, default, prune):
    rc, out = step(pick, default, prune)
    assert rc == 0, out[-6000:]
    assert recap(out)["changed"] > 0, out[-3000:]
    rc, again = step(pick, default, prune)
    assert rc == 0, again[-6000:]
    changed = [line for line in again.splitlines() if line.startswith("changed:")]
    assert recap(again)["changed"] == 0, "second run not idempotent: %s\n%s" % (changed, again[-3000:])
    return out


def sh(host, cmd):
    result = host.run(cmd)
    assert result.rc == 0, "%s: rc=%s\n%s\n%s" % (cmd, result.rc, result.stdout, result.stderr)
    return result.stdout.strip()


def lexists(host, path):
    return host.run("test -L %s || test -e %s" % (path, path)).rc == 0


def snapshot(host):
    """Everything a failed step must leave alone: the root's entries (leftovers too), links, markers, go.env, fact."""
    return sh(host, "cd %s && find . -mindepth 1 -maxdepth 1 -printf '%%f %%y\\n' | sort;"
                    " for f in /usr/local/go /usr/local/bin/go /usr/local/bin/gofmt /usr/local/bin/go1.*;"
                    " do echo \"$f -> $(readlink $f)\"; done;"
                    " sha1sum %s/go*/.noble-gohost.json %s/go*/go.env /etc/ansible/facts.d/go_toolchain.fact"
              % (ROOT, ROOT, ROOT))


def fact(host):
    return json.loads(host.file("/etc/ansible/facts.d/go_toolchain.fact").content_string)


def marker(host, version):
    return json.loads(host.file("%s/go%s/.noble-gohost.json" % (ROOT, version)).content_string)


def leftovers(host):
    return sh(host, "find %s -mindepth 1 -maxdepth 1 -name '.go*' -printf '%%f\\n' | sort" % ROOT).split()


# What runs on the host for one install: the module (AnsiballZ_command.py), the helper it started
# (python3 - install ...) and what that starts (tar; make.bash for a source build). Killing ansible-playbook alone
# would not stop them: `docker exec` leaves its process running when the client dies (over SSH it may or may not
# get SIGHUP), so a crash of the whole run kills them too. The [x] patterns keep pkill from matching its own shell.
KILL_ON_HOST = ("pkill -9 -f '[A]nsiballZ_'; pkill -9 -f '^python3 - install'; pkill -9 -x tar;"
                " pkill -9 -f '[m]ake[.]bash'; true")


def test_0_run_killed_while_unpacking_leaves_the_host_as_before(host):
    before = snapshot(host)
    assert not leftovers(host)
    argv, env = step_argv(["tarball126", OLDER], "1.26.6", "true")
    with open(os.devnull, "w") as devnull:
        proc = subprocess.Popen(argv, env=env, stdout=devnull, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Wait until the helper has unpacked part of the tree into its temporary directory, then kill everything.
        deadline = time.monotonic() + 900
        partial = ""
        while time.monotonic() < deadline and proc.poll() is None:
            partial = host.run("ls -d %s/.go1.25.4.tmp-*/src/*/ 2>/dev/null | head -n 1" % ROOT).stdout.strip()
            if partial:
                break
            time.sleep(0.1)
        assert partial, "the run ended (rc=%s) or timed out before it unpacked anything" % proc.poll()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        sh(host, KILL_ON_HOST)
    # Killed halfway: the partial tree is there under its temporary name, nothing else moved.
    left = leftovers(host)
    assert len(left) == 1 and left[0].startswith(".go1.25.4.tmp-"), left
    assert not lexists(host, "%s/go1.25.4" % ROOT) and not lexists(host, "/usr/local/bin/go1.25.4")
    assert re.sub(r"^\.go1\.25\.4\.tmp-\S+ d\n", "", snapshot(host), flags=re.M) == before
    assert sh(host, "go version") == "go version go1.26.6 linux/amd64"
    assert fact(host)["versions"] == ["1.26.6", "1.25.5"]


def test_1_older_patch_pinned_and_unlisted_version_pruned(host):
    # After test 0: this rerun of the killed step finishes the install and removes the partial tree.
    apply_twice(["tarball126", OLDER], "1.26.6", "true")
    assert not leftovers(host)
    assert sh(host, "go1.25.4 version") == "go version go1.25.4 linux/amd64"
    older = marker(host, "1.25.4")
    assert older["source"] == ("source" if SOURCE_BUILD else "tarball")
    assert older["archive"] == "go1.25.4.linux-amd64.tar.gz"
    # 1.25.5 is no longer listed and go_toolchain_prune=true: its tree and command are gone; the default stays.
    assert not lexists(host, "%s/go1.25.5" % ROOT) and not lexists(host, "/usr/local/bin/go1.25.5")
    assert host.file("/usr/local/go").linked_to == "%s/go1.26.6" % ROOT
    assert sh(host, "go version") == "go version go1.26.6 linux/amd64"
    assert fact(host)["versions"] == ["1.26.6", "1.25.4"]


SKIP_SOURCE = ("source: source (make.bash) runs only with GOHOST_GO_SOURCE_BUILD=1: 10 to 25 minutes on two loaded "
               "cores, too slow for every CI run")


@pytest.mark.skipif(not SOURCE_BUILD, reason=SKIP_SOURCE)
def test_1b_older_patch_was_built_from_source(host):
    # make.bash ran: the go command in the tree was written by it, not unpacked from the archive the tree came from
    # (tar keeps the archive's modification times); the bytes may well be the same (Go's toolchain builds are
    # reproducible), so they are no evidence. And the toolchain it built compiles and runs a program.
    dist = json.loads(subprocess.run(
        ["python3", os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "tests", "support", "go_dist.py"), "1.25.4"],
        stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout)
    with tarfile.open(dist["path"]) as archive:
        shipped = archive.getmember("go/bin/go").mtime
    built = int(sh(host, "stat -c %%Y %s/go1.25.4/bin/go" % ROOT))
    assert built > shipped + 60, "bin/go has the archive's time (%s): make.bash did not write it" % shipped
    assert marker(host, "1.25.4")["source"] == "source"
    sh(host, "rm -rf /tmp/gt-src && mkdir /tmp/gt-src && cd /tmp/gt-src && printf 'module hello\\n\\ngo 1.25\\n' > go.mod"
             " && printf 'package main\\n\\nimport \"fmt\"\\n\\nfunc main() { fmt.Println(\"hello\") }\\n' > main.go")
    assert sh(host, "cd /tmp/gt-src && CGO_ENABLED=0 go1.25.4 run .") == "hello"


def test_2_module_the_checksum_database_does_not_vouch_for_is_refused(host):
    before = snapshot(host)
    rc, out = step(["tarball126", OLDER, "module199"], "1.26.6", "false")
    assert rc != 0, out[-3000:]
    assert "checksum mismatch" in out and "SECURITY ERROR" in out, out[-3000:]
    assert "nothing was changed" in flat(out) and "sumdb.gohost.test" in out, out[-3000:]
    assert snapshot(host) == before


def test_3_newer_patch_joins_through_the_checksum_database_and_becomes_default(host):
    apply_twice(["tarball126", "module125"], "1.25.5", "false")
    # The default switch: /usr/local/go moved, so go, gofmt and GOROOT follow; the links in /usr/local/bin did not.
    assert host.file("/usr/local/go").linked_to == "%s/go1.25.5" % ROOT
    assert sh(host, "readlink /usr/local/bin/go") == "/usr/local/go/bin/go"
    assert sh(host, "go version") == "go version go1.25.5 linux/amd64"
    assert sh(host, "go env GOROOT") == "%s/go1.25.5" % ROOT
    assert sh(host, "gofmt -l /dev/null; echo ok") == "ok"
    # Checked against the scenario's checksum database: the hash in the marker is the one it vouched for.
    module = marker(host, "1.25.5")
    assert module["source"] == "module" and module["h1"].startswith("h1:")
    vouched = sh(host, "journalctl -u gohost-sumdb --no-pager -o cat")
    assert "vouching for golang.org/toolchain@v0.0.1-go1.25.5.linux-amd64 %s" % module["h1"] in vouched
    # go_toolchain_prune=false (a string): the older patch joins rather than being replaced.
    assert sh(host, "go1.25.4 version") == "go version go1.25.4 linux/amd64"
    assert fact(host)["versions"] == ["1.26.6", "1.25.5", "1.25.4"] and fact(host)["default"] == "1.25.5"


def test_4_prune_never_removes_the_default(host):
    before = snapshot(host)
    rc, out = step(["tarball126"], "1.25.5", "true")
    assert rc != 0, out[-3000:]
    # The failed condition is the one about the default (the message lists every rule).
    assert "go_toolchain_default is string and go_toolchain_default in" in flat(out), out[-3000:]
    assert "nothing was changed" in flat(out)
    assert snapshot(host) == before


def test_5_prune_and_switch_the_default_back(host):
    apply_twice(["tarball126", "module125"], "1.26.6", "true")
    assert host.file("/usr/local/go").linked_to == "%s/go1.26.6" % ROOT
    assert sh(host, "go version") == "go version go1.26.6 linux/amd64"
    assert not lexists(host, "%s/go1.25.4" % ROOT) and not lexists(host, "/usr/local/bin/go1.25.4")
    assert sh(host, "go1.25.5 version") == "go version go1.25.5 linux/amd64"
    assert fact(host)["versions"] == ["1.26.6", "1.25.5"] and fact(host)["default"] == "1.26.6"
    # Back in the converge state: the converge variables (1.25.5 with its h1 pinned) change nothing.
    rc, out = step(["tarball126", "module125_pinned"], "1.26.6", "true")
    assert rc == 0 and recap(out)["changed"] == 0, out[-3000:]
