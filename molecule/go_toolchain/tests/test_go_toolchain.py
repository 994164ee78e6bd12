"""go_toolchain scenario: what converge left on the host (two versions, policy, cgo and arm64 cross builds)."""
import json

import pytest

CGO_MAIN = r'''package main

/*
int twice(int x) { return 2 * x; }
*/
import "C"

import "fmt"

func main() { fmt.Println(int(C.twice(21))) }
'''


def sh(host, cmd):
    """Run through a non-login shell, as `docker exec host go ...` does: no /etc/profile."""
    result = host.run(cmd)
    assert result.rc == 0, "%s: rc=%s\n%s\n%s" % (cmd, result.rc, result.stdout, result.stderr)
    return result.stdout.strip()


def test_versions_side_by_side(host):
    assert sh(host, "go version") == "go version go1.26.6 linux/amd64"
    assert sh(host, "go1.26.6 version") == "go version go1.26.6 linux/amd64"
    assert sh(host, "go1.25.5 version") == "go version go1.25.5 linux/amd64"
    assert sh(host, "gofmt -l /dev/null; echo ok") == "ok"
    assert host.file("/usr/local/go").linked_to == "/usr/local/lib/go/go1.26.6"
    assert sh(host, "go env GOROOT") == "/usr/local/lib/go/go1.26.6"
    assert sh(host, "go1.25.5 env GOROOT") == "/usr/local/lib/go/go1.25.5"


def test_module_source_unpacked_like_the_go_command(host):
    """1.25.5 came from the golang.org/toolchain zip: modes restored, _go.mod copied back to go.mod."""
    assert host.file("/usr/local/lib/go/go1.25.5/pkg/tool/linux_amd64/compile").mode == 0o755
    assert host.file("/usr/local/lib/go/go1.25.5/src/go.mod").exists
    marker = json.loads(host.file("/usr/local/lib/go/go1.25.5/.noble-gohost.json").content_string)
    assert marker["source"] == "module" and marker["h1"].startswith("h1:")


@pytest.mark.parametrize("goversion", ["go", "go1.25.5"])
def test_go_env_policy(host, goversion):
    env = json.loads(sh(host, "%s env -json GOTOOLCHAIN GOPROXY GOSUMDB GOPRIVATE GOFLAGS CGO_ENABLED" % goversion))
    assert env == {"GOTOOLCHAIN": "local", "GOPROXY": "http://127.0.0.1:8099/goproxy,off", "GOSUMDB": "off",
                   "GOPRIVATE": "git.example.com/*", "GOFLAGS": "-mod=readonly", "CGO_ENABLED": "1"}


def test_profile_and_fact(host):
    assert sh(host, "bash -lc 'echo $GOPATH; echo $PATH'").splitlines()[0] == "/root/go"
    fact = json.loads(host.file("/etc/ansible/facts.d/go_toolchain.fact").content_string)
    assert fact["default"] == "1.26.6" and fact["versions"] == ["1.26.6", "1.25.5"]
    assert fact["goroot"] == "/usr/local/lib/go/go1.26.6" and fact["go_binary"] == "/usr/local/bin/go"
    assert fact["go_env"]["GOTOOLCHAIN"] == "local"
    assert fact["cross_cc"] == {"arm64": "aarch64-linux-gnu-gcc"}


@pytest.mark.parametrize("cgo,goarch,cc,machine", [
    ("0", "amd64", "", "Advanced Micro Devices X86-64"),
    ("1", "amd64", "", "Advanced Micro Devices X86-64"),
    ("0", "arm64", "", "AArch64"),
    ("1", "arm64", "aarch64-linux-gnu-gcc", "AArch64"),
])
def test_cgo_and_cross_builds(host, cgo, goarch, cc, machine):
    work = "/tmp/gt-build-%s-%s" % (cgo, goarch)
    host.run("rm -rf %s && mkdir -p %s" % (work, work))
    source = CGO_MAIN if cgo == "1" else "package main\nfunc main() {}\n"
    sh(host, "cd %s && printf 'module selftest\\n\\ngo 1.21\\n' > go.mod && cat > main.go <<'EOF'\n%s\nEOF"
       % (work, source))
    sh(host, "cd %s && CGO_ENABLED=%s GOARCH=%s %s go build -o out . " % (work, cgo, goarch, "CC=" + cc if cc else ""))
    header = sh(host, "readelf -h %s/out 2>/dev/null | grep Machine || od -An -tu2 -j18 -N2 %s/out" % (work, work))
    expected_num = {"AArch64": "183", "Advanced Micro Devices X86-64": "62"}[machine]
    assert machine in header or header.strip() == expected_num
    if cgo == "1" and goarch == "amd64":
        assert sh(host, "%s/out" % work) == "42"


def test_go_binary_info_reads_the_installed_go(host):
    """The module on the target agrees with `go version -m` about the toolchain's own go."""
    result = host.ansible("noble.gohost.go_binary_info",
                          "paths=/usr/local/lib/go/go1.25.5/bin min_go_version=1.26 include_modinfo=true", check=False)
    lines = sh(host, "go version -m /usr/local/lib/go/go1.25.5/bin/go").splitlines()
    got = [b for b in result["binaries"] if b["path"].endswith("/bin/go")][0]
    assert lines[0].endswith(": " + got["go_version"])
    assert got["modinfo_lines"] == [line[1:] for line in lines[1:]]
    assert sorted(result["outdated"]) == ["/usr/local/lib/go/go1.25.5/bin/go", "/usr/local/lib/go/go1.25.5/bin/gofmt"]
