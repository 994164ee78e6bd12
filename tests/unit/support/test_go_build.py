"""tests/support/go_build.py, the tests' one way to build a pinned Go command, with a fake `go` that records its calls:
built once, never over a good binary with a wrong one, never leaving a half-written file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import go_build  # noqa: E402  pylint: disable=wrong-import-position

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "support", "go_build.py")
MODULE = "example.com/tool"
PACKAGE = MODULE + "/cmd/tool"

# A `go` that writes "BUILT <version>" as the binary and reads it back for `go version -m`.
FAKE_GO = r'''#!/usr/bin/env python3
import os, sys
with open(os.environ["FAKE_GO_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if args[:2] == ["version", "-m"]:
    try:
        version = open(args[2]).read().split()[1]
    except (OSError, IndexError):
        sys.exit(1)
    print("%s: go1.26.8\n\tpath\t{pkg}\n\tmod\t{mod}\t%s\th1:x=" % (args[2], version))
elif args[0] == "get" and os.environ.get("FAKE_GO_FAIL") == "get":
    sys.stderr.write("go: module lookup disabled\n")
    sys.exit(1)
elif args[0] == "build":
    with open(args[args.index("-o") + 1], "w") as out:
        out.write("BUILT " + os.environ.get("FAKE_GO_VERSION", "v1.2.3"))
'''.replace("{pkg}", PACKAGE).replace("{mod}", MODULE)


def fake_go(tmp_path, monkeypatch, **env):
    go = tmp_path / "go"
    go.write_text(FAKE_GO)
    go.chmod(0o755)
    monkeypatch.setenv("FAKE_GO_LOG", str(tmp_path / "calls.log"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return str(go)


def calls(tmp_path):
    path = tmp_path / "calls.log"
    return path.read_text().splitlines() if path.exists() else []


def test_builds_once_then_finds_the_binary(tmp_path, monkeypatch):
    go = fake_go(tmp_path, monkeypatch)
    out = str(tmp_path / "bin" / "tool-v1.2.3")
    assert go_build.build(PACKAGE, MODULE, "v1.2.3", out, go=go) is True
    assert open(out).read() == "BUILT v1.2.3"
    assert "get %s@v1.2.3" % PACKAGE in calls(tmp_path)
    assert any(c.startswith("build -trimpath -ldflags=-s -o ") and c.endswith(PACKAGE) for c in calls(tmp_path))
    before = len(calls(tmp_path))
    assert go_build.build(PACKAGE, MODULE, "v1.2.3", out, go=go) is False
    assert [c.split()[0] for c in calls(tmp_path)[before:]] == ["version"]  # only read back, nothing built


def test_a_binary_of_another_version_is_rebuilt(tmp_path, monkeypatch):
    go = fake_go(tmp_path, monkeypatch)
    out = tmp_path / "tool"
    out.write_text("BUILT v1.0.0")
    assert go_build.build(PACKAGE, MODULE, "v1.2.3", str(out), go=go) is True
    assert out.read_text() == "BUILT v1.2.3"


def test_a_build_with_the_wrong_version_keeps_the_old_binary_and_no_temporary(tmp_path, monkeypatch):
    go = fake_go(tmp_path, monkeypatch, FAKE_GO_VERSION="v9.9.9")
    out = tmp_path / "tool"
    out.write_text("BUILT v1.0.0")
    try:
        go_build.build(PACKAGE, MODULE, "v1.2.3", str(out), go=go)
        raise AssertionError("a build whose build info says v9.9.9 was accepted")
    except RuntimeError as exc:
        assert "v9.9.9" in str(exc) and "expected v1.2.3" in str(exc)
    assert out.read_text() == "BUILT v1.0.0"
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp." in p.name) == []


def test_the_command_line_prints_json_and_fails_with_go_s_reason(tmp_path, monkeypatch):
    go = fake_go(tmp_path, monkeypatch)
    out = str(tmp_path / "tool")
    done = subprocess.run([sys.executable, SCRIPT, PACKAGE, "v1.2.3", "--module", MODULE, "--out", out, "--go", go],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"binary": out, "built": True}
    monkeypatch.setenv("FAKE_GO_FAIL", "get")
    done = subprocess.run([sys.executable, SCRIPT, PACKAGE, "v2.0.0", "--module", MODULE, "--out", out, "--go", go],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert "go get %s@v2.0.0 failed: go: module lookup disabled" % PACKAGE in done.stderr
    assert open(out).read() == "BUILT v1.2.3"


def test_the_module_defaults_to_the_path_before_cmd(tmp_path, monkeypatch):
    go = fake_go(tmp_path, monkeypatch)
    out = str(tmp_path / "tool")
    done = subprocess.run([sys.executable, SCRIPT, PACKAGE, "v1.2.3", "--out", out, "--go", go],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["built"], done.stderr
