"""tests/vm/vm.py: the qemu command line and the cloud-init seed of the Ubuntu 24.04 cloud-image path.

The VM scenarios boot the Debian image of tests/vm/build.py here (no Ubuntu cloud image can be downloaded on CI);
these tests exercise the noble path's own parts: the NoCloud seed and the command line that boots a cloud image
through its bootloader instead of a direct kernel.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "vm"))
import vm  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import host_apt  # noqa: E402  pylint: disable=wrong-import-position

STATUS = {"kernel": "/img/vmlinuz", "initrd": "/img/initrd.img", "cmdline": "root=/dev/vda apparmor=1"}
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSeedTest gohost-vm-tier"


def test_debian_image_boots_its_kernel_directly(tmp_path):
    cmd = vm.qemu_command(STATUS, str(tmp_path), "/run/o.qcow2", 2222, "tcg", 2048, 2, None)
    assert cmd[cmd.index("-kernel") + 1] == "/img/vmlinuz"
    assert cmd[cmd.index("-append") + 1] == STATUS["cmdline"]
    assert cmd[cmd.index("-cpu") + 1] == "max"  # TCG has no host CPU to pass through
    # SSH is forwarded from loopback only.
    assert "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22" in cmd


def test_cloud_image_boots_through_its_bootloader_with_the_seed(tmp_path):
    cmd = vm.qemu_command(STATUS, str(tmp_path), "/run/o.qcow2", 2222, "kvm", 2048, 2, "/run/seed.iso")
    assert "-kernel" not in cmd and "-append" not in cmd
    assert "file=/run/seed.iso,if=virtio,format=raw,readonly=on" in cmd
    assert cmd[cmd.index("-cpu") + 1] == "host"


@pytest.mark.skipif(not shutil.which("genisoimage") or not shutil.which("isoinfo"),
                    reason="genisoimage/isoinfo are not installed (apt-get install genisoimage)")
def test_cloud_seed_is_a_nocloud_iso_that_authorizes_the_key(tmp_path):
    iso = vm.cloud_seed(str(tmp_path), PUBKEY, "gohost-apparmor-vm")
    info = subprocess.run(["isoinfo", "-d", "-i", iso], capture_output=True, text=True, check=True).stdout
    # cloud-init's NoCloud datasource finds the seed by this volume label.
    assert "Volume id: cidata" in info
    user_data = subprocess.run(["isoinfo", "-R", "-x", "/user-data", "-i", iso], capture_output=True, text=True,
                               check=True).stdout
    meta_data = subprocess.run(["isoinfo", "-R", "-x", "/meta-data", "-i", iso], capture_output=True, text=True,
                               check=True).stdout
    assert user_data.startswith("#cloud-config\n")
    assert f"      - {PUBKEY}\n" in user_data and "ssh_pwauth: false" in user_data
    assert "instance-id: gohost-apparmor-vm" in meta_data


def test_missing_cloud_image_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GOHOST_NOBLE_CLOUD_IMAGE", str(tmp_path / "noble-server-cloudimg-amd64.img"))
    monkeypatch.setattr(vm, "RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(vm.build, "build", lambda: {"built": True, "key": str(tmp_path / "key"),
                                                    "base": "/img/base.qcow2", **STATUS})
    with pytest.raises(RuntimeError, match="GOHOST_NOBLE_CLOUD_IMAGE=.*does not exist"):
        vm.up("gohost-test-vm", 1024, 1, 5)


# Fake tools for `vm.py up` on a fresh machine (no image yet): each one chatters on stdout, as mmdebstrap, its
# hooks, mkfs.ext4 and qemu-img do, and leaves the files the real one would. qemu "daemonizes" into a sleeping
# process whose command line names the run directory (as `vm.py down` checks); ssh answers at once.
FAKE_TOOLS = {
    "mmdebstrap": """
pos = [a for a in sys.argv[1:] if not a.startswith("--")]
rootfs = pos[1]
os.makedirs(os.path.join(rootfs, "boot"))
for name in ("vmlinuz-6.1.0-fake", "initrd.img-6.1.0-fake"):
    open(os.path.join(rootfs, "boot", name), "w").write(name)
print("I: automatically chosen format: directory")
print("I: running --customize-hook in shell: sh -c 'chroot \\"$1\\" update-initramfs -u -k all'")
print("update-initramfs: Generating /boot/initrd.img-6.1.0-fake")
""",
    "mkfs.ext4": """
print("mke2fs 1.47.0 (5-Feb-2023)")
open(sys.argv[-2], "w").write("raw")
""",
    "qemu-img": """
print("Formatting %r, fmt=qcow2" % sys.argv[-1])
open(sys.argv[-1], "w").write("qcow2")
""",
    "ssh-keygen": """
key = sys.argv[sys.argv.index("-f") + 1]
print("Generating public/private ed25519 key pair.")
open(key, "w").write("private")
open(key + ".pub", "w").write("ssh-ed25519 AAAAfake gohost-vm-tier")
""",
    "qemu-system-x86_64": """
import subprocess
print("qemu-system-x86_64: warning: fake qemu")
pidfile = sys.argv[sys.argv.index("-pidfile") + 1]
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", os.path.dirname(pidfile)],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(pidfile, "w").write(str(child.pid))
""",
    "ssh": """
print("Warning: Permanently added '[127.0.0.1]' (ED25519) to the list of known hosts.")
""",
}


def _fake_tree(tmp_path):
    """A copy of tests/vm and tests/support (so that .cache/vm is under tmp_path) and a bin/ of fake tools."""
    here = os.path.dirname(os.path.abspath(__file__))
    for sub, names in (("vm", ["vm.py", "build.py"]), ("support", ["host_apt.py"])):
        os.makedirs(tmp_path / "tests" / sub)
        for name in names:
            shutil.copy(os.path.join(here, "..", "..", sub, name), tmp_path / "tests" / sub / name)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for tool, body in FAKE_TOOLS.items():
        (fake_bin / tool).write_text("#!%s\nimport os, sys\n%s" % (sys.executable, body))
        (fake_bin / tool).chmod(0o755)
    env = dict(os.environ, PATH="%s:%s" % (fake_bin, os.environ["PATH"]), GOHOST_VM_ACCEL="tcg")
    env.pop("GOHOST_NOBLE_CLOUD_IMAGE", None)
    return str(tmp_path / "tests" / "vm" / "vm.py"), env


def test_up_on_a_fresh_machine_prints_only_its_json(tmp_path):
    """The image is built first (mmdebstrap & co. on a fresh machine): their output goes to stderr, and stdout is
    exactly the one JSON document Molecule's create playbook parses (tests/vm/create.yml, from_json)."""
    codename = host_apt.os_release().get("VERSION_CODENAME", "")
    if host_apt.os_release().get("ID") != "debian" or not host_apt.apt_lines(codename):
        pytest.skip("the VM image is built from a Debian machine's apt sources; this machine has none")
    tool, env = _fake_tree(tmp_path)
    up = subprocess.run([sys.executable, tool, "up", "gohost-test-vm", "--timeout", "30"], env=env,
                        capture_output=True, text=True, timeout=120, check=False)
    info = None
    try:
        assert up.returncode == 0, up.stderr
        info = json.loads(up.stdout)  # fails on any text before or after the document
        assert info["instance"] == "gohost-test-vm" and info["accel"] == "tcg", info
        # The chatter went to stderr, the subprocesses' included.
        assert "I: automatically chosen format: directory" in up.stderr
        assert "update-initramfs: Generating" in up.stderr and "mke2fs" in up.stderr
        assert "building" in up.stderr and "SSH on 127.0.0.1" in up.stderr
    finally:
        down = subprocess.run([sys.executable, tool, "down", "gohost-test-vm"], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        if info:
            try:
                os.kill(info["pid"], signal.SIGKILL)  # only if down left it: then the assertion below fails
                alive = True
            except OSError:
                alive = False
            assert not alive, "vm.py down left the (fake) qemu running"
    assert json.loads(down.stdout) == {"instance": "gohost-test-vm", "stopped": True}, down.stdout
