"""tests/vm/vm.py: the qemu command line and the cloud-init seed of the Ubuntu 24.04 cloud-image path.

The VM scenarios boot the Debian image of tests/vm/build.py here (no Ubuntu cloud image can be downloaded on CI);
these tests exercise the noble path's own parts: the NoCloud seed and the command line that boots a cloud image
through its bootloader instead of a direct kernel.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "vm"))
import vm  # noqa: E402  pylint: disable=wrong-import-position

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
