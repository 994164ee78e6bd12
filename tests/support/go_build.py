"""Build a Go command at a pinned module version on the controller, once: the tests' one way to do it.

    python3 tests/support/go_build.py github.com/goproxy/goproxy/cmd/goproxy v0.21.0 --out .cache/goproxy-build/goproxy-v0.21.0

`go install pkg@version` asks the module proxy for the module's version list, which the CI machines' proxy refuses;
so this runs `go get pkg@version` in a throwaway module (every checksum still verified against the checksum
database) and `go build -trimpath -ldflags=-s` with CGO_ENABLED=0, GOTOOLCHAIN=local, into a temporary file that is
renamed over OUT only when the build info says the wanted module version. A second call finds OUT with that version
and builds nothing. Scenarios running at once (goproxy and fleet, compat runs) build under one lock per OUT, so
they never race on the same file. Prints {"binary": OUT, "built": bool} on stdout; go's output goes to stderr.

GOPROXY, GONOSUMDB and the rest come from the environment (the machine's `go env`); callers such as athens_src.py
pass their own chain with `build(..., env=...)`.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile


def module_version(binary: str, module: str, go: str = "go") -> str | None:
    """The version of MODULE in the binary's build info (None when it is not a Go binary or lacks it)."""
    try:
        out = subprocess.run([go, "version", "-m", binary], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"(?m)^\s+(?:mod|dep)\s+" + re.escape(module) + r"\s+(\S+)", out)
    return found.group(1) if found else None


def build(package: str, module: str, version: str, out: str, env: dict | None = None, go: str = "go") -> bool:
    """Build PACKAGE (of MODULE) at VERSION into OUT unless OUT already has it; True when it built."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    env = dict(env if env is not None else os.environ)
    env.setdefault("CGO_ENABLED", "0")
    env.setdefault("GOTOOLCHAIN", "local")
    with open(out + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(out) and module_version(out, module, go) == version:
            return False
        with tempfile.TemporaryDirectory(prefix="go-build.") as work:
            tmp = os.path.join(os.path.dirname(os.path.abspath(out)), ".%s.tmp.%d" % (os.path.basename(out), os.getpid()))
            steps = ([go, "mod", "init", "build.local/tool"], [go, "get", "%s@%s" % (package, version)],
                     [go, "build", "-trimpath", "-ldflags=-s", "-o", tmp, package])
            try:
                for argv in steps:
                    print("go_build: " + " ".join(argv), file=sys.stderr, flush=True)
                    done = subprocess.run(argv, cwd=work, env=env, stdout=sys.stderr, stderr=subprocess.PIPE,
                                          text=True, check=False)
                    if done.returncode:
                        raise RuntimeError("%s failed: %s" % (" ".join(argv[:3]), done.stderr.strip()))
                got = module_version(tmp, module, go)
                if got != version:
                    raise RuntimeError("the build info of the new binary says %s %s, expected %s"
                                       % (module, got, version))
                os.replace(tmp, out)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package", help="the command's import path, e.g. github.com/goproxy/goproxy/cmd/goproxy")
    parser.add_argument("version", help="the module version, e.g. v0.21.0")
    parser.add_argument("--module", help="the module that holds the package (default: the package path up to /cmd/)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--go", default=os.environ.get("GO", "go"), help="the go command (default: $GO or go)")
    args = parser.parse_args(argv)
    module = args.module or args.package.split("/cmd/")[0]
    try:
        built = build(args.package, module, args.version, args.out, go=args.go)
    except RuntimeError as exc:
        print("go_build: %s" % exc, file=sys.stderr)
        return 1
    print(json.dumps({"binary": args.out, "built": built}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
