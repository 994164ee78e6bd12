"""Build the disk image of the VM tier: a Debian VM with the distribution's kernel, AppArmor and cgroup v2.

Containers cannot load AppArmor profiles or change kernel settings, so the scenarios that need a real kernel
(``molecule/apparmor``) boot a qemu VM from this image (see ``tests/vm/vm.py`` and ``docs/vm-tier.md``).

The image is made with ``mmdebstrap`` from this machine's own apt sources, read at run time like
``tests/images/build.py`` does (only the entries of the host's own release are used; their addresses are passed on
the command line and never written into any file). It holds what the tests need, so that nothing is installed in
the VM at test time (software emulation is slow): the kernel, systemd, OpenSSH (key login only), AppArmor and its
utilities, Python for Ansible, sudo and iproute2. A oneshot unit gives eth0 qemu's user-mode address statically,
without waiting for udev.

Output, cached by a hash of the recipe (a second call with the same recipe does nothing):
  .cache/vm/id_ed25519{,.pub}          the SSH key of the VM's root account (generated once)
  .cache/vm/<hash>/base.qcow2          the root file system (ext4 on the whole virtio disk, no partition table)
  .cache/vm/<hash>/vmlinuz, initrd.img the kernel and initramfs, booted directly by qemu (no bootloader: faster)
  .cache/vm/<hash>/cmdline             the kernel command line
  .cache/vm/image.json                 what was built, or why not (``--json`` prints it)
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from host_apt import apt_lines as host_apt_lines, os_release  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(ROOT, ".cache", "vm")
KEY = os.path.join(STATE, "id_ed25519")
DISK_SIZE = "4G"
# Bump when the build steps change in a way the hashed recipe (packages, hooks, command line, sources) does not show.
RECIPE_VERSION = "1"

PACKAGES = [
    "linux-image-amd64", "initramfs-tools", "systemd", "systemd-sysv", "udev", "dbus", "openssh-server",
    "apparmor", "apparmor-utils", "python3", "python3-apt", "sudo", "iproute2", "procps", "kmod",
    "ca-certificates", "bpftrace",
]
CMDLINE = ("root=/dev/vda rw rootfstype=ext4 apparmor=1 security=apparmor systemd.unified_cgroup_hierarchy=1 "
           "console=ttyS0 net.ifnames=0 quiet loglevel=3 mitigations=off")
# Units that only slow a throwaway VM's boot down (and systemd-firstboot, which would wait for input).
MASK = [
    "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
    "man-db.timer", "systemd-firstboot.service", "getty@tty1.service", "systemd-networkd-wait-online.service",
    "logrotate.timer", "dpkg-db-backup.timer", "serial-getty@ttyS0.service",
]
# qemu's user-mode network has fixed addresses (guest 10.0.2.15, gateway 10.0.2.2). This unit sets them as soon as
# the kernel has eth0 (net.ifnames=0; virtio_net is loaded by the initramfs): ifupdown and systemd-networkd both
# wait for udev first, which under emulation on a loaded machine takes minutes or times out (ifupdown-pre's
# `udevadm settle`), and then sshd never gets a network.
NETWORK_UNIT = """[Unit]
Description=Static address of qemu's user-mode network (no wait for udev)
DefaultDependencies=no
After=local-fs.target
Before=network.target ssh.service
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for i in $$(seq 1 1200); do [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done; \\
  ip link set lo up; ip link set eth0 up; ip addr replace 10.0.2.15/24 dev eth0; ip route replace default via 10.0.2.2'

[Install]
WantedBy=sysinit.target
"""
SSHD = "PasswordAuthentication no\\nKbdInteractiveAuthentication no\\nPermitRootLogin prohibit-password\\nUseDNS no\\n"
INITRAMFS_MODULES = "virtio_pci\\nvirtio_blk\\nvirtio_net\\next4\\n"


def customize_hooks(pubkey: str, unit_file: str) -> list[str]:
    return [
        'echo gohost-vm > "$1/etc/hostname"',
        'printf "127.0.1.1 gohost-vm\\n" >> "$1/etc/hosts"',
        'printf "/dev/vda / ext4 defaults,noatime 0 1\\n" > "$1/etc/fstab"',
        f"upload {unit_file} /etc/systemd/system/gohost-net.service",
        'chroot "$1" systemctl enable --quiet gohost-net ssh',
        f'printf "{SSHD}" > "$1/etc/ssh/sshd_config.d/gohost.conf"',
        'install -d -m 0700 "$1/root/.ssh"',
        f'echo "{pubkey}" > "$1/root/.ssh/authorized_keys" && chmod 0600 "$1/root/.ssh/authorized_keys"',
        'chroot "$1" systemctl mask --quiet ' + " ".join(MASK),
        # A fixed machine-id: no first-boot logic in the VM (every run starts from the same clean base).
        'rm -f "$1/etc/machine-id" && chroot "$1" systemd-machine-id-setup --print >/dev/null',
        # Persistent journal: the tests read denials from before a reboot too.
        'install -d "$1/var/log/journal"',
        # A small initramfs with exactly the drivers of the VM: quicker to load and unpack under emulation. virtio_net
        # is loaded there too, so that eth0 exists before udev gets round to it.
        f'printf "{INITRAMFS_MODULES}" >> "$1/etc/initramfs-tools/modules"',
        'sed -i "s/^MODULES=.*/MODULES=list/" "$1/etc/initramfs-tools/initramfs.conf"',
        'chroot "$1" update-initramfs -u -k all',
        'rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/archives/"*.deb',
    ]


def log(msg: str) -> None:
    print(f"[vm-image] {msg}", file=sys.stderr, flush=True)


def ensure_key() -> str:
    os.makedirs(STATE, exist_ok=True)
    if not os.path.exists(KEY):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gohost-vm-tier", "-f", KEY],
                       check=True)
    with open(KEY + ".pub", encoding="utf-8") as fh:
        return fh.read().strip()


def recipe_hash(parts: list[str]) -> str:
    """Hash of what goes into the image (not of this file: editing its comments must not cost a rebuild)."""
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()[:12]


def record(status: dict) -> dict:
    os.makedirs(STATE, exist_ok=True)
    with open(os.path.join(STATE, "image.json"), "w", encoding="utf-8") as fh:
        json.dump(status, fh, indent=2)
    return status


def build() -> dict:
    rel = os_release()
    codename = rel.get("VERSION_CODENAME", "")
    if rel.get("ID") != "debian" or not codename:
        return record({"built": False, "reason": f"the VM image is built from Debian sources; this machine runs "
                                                 f"{rel.get('PRETTY_NAME', 'an unknown system')}"})
    for tool in ("mmdebstrap", "mkfs.ext4", "qemu-img", "ssh-keygen"):
        if not shutil.which(tool):
            return record({"built": False, "reason": f"{tool} is not installed"})
    lines = host_apt_lines(codename)
    if not lines:
        return record({"built": False, "reason": f"this machine has no apt sources for {codename}"})
    pubkey = ensure_key()
    unit_file = os.path.join(STATE, "gohost-net.service")
    with open(unit_file, "w", encoding="utf-8") as fh:
        fh.write(NETWORK_UNIT)
    hooks = customize_hooks(pubkey, unit_file)
    digest = recipe_hash([codename, ",".join(PACKAGES), CMDLINE, DISK_SIZE, NETWORK_UNIT, *MASK, *hooks, *lines])
    out = os.path.join(STATE, digest)
    status = {"built": True, "hash": digest, "dir": out, "codename": codename,
              "base": os.path.join(out, "base.qcow2"), "kernel": os.path.join(out, "vmlinuz"),
              "initrd": os.path.join(out, "initrd.img"), "cmdline": CMDLINE, "key": KEY,
              "reason": f"Debian {codename} VM image (kernel, AppArmor, cgroup v2) from this machine's apt sources"}
    if all(os.path.exists(status[k]) for k in ("base", "kernel", "initrd")):
        return record(status)
    log(f"building {digest} with mmdebstrap (a few minutes)")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gohost-vm-", dir=STATE) as tmp:
        rootfs = os.path.join(tmp, "rootfs")
        cmd = ["mmdebstrap", "--quiet", "--mode=root", "--variant=apt", "--format=directory",
               "--aptopt=Apt::Install-Recommends \"false\"", "--include=" + ",".join(PACKAGES)]
        cmd += [f"--customize-hook={hook}" for hook in hooks]
        try:
            subprocess.run(cmd + [codename, rootfs, *lines], check=True)
            stage = os.path.join(tmp, "out")
            os.makedirs(stage)
            kernels = sorted(glob.glob(os.path.join(rootfs, "boot", "vmlinuz-*")))
            initrds = sorted(glob.glob(os.path.join(rootfs, "boot", "initrd.img-*")))
            if not kernels or not initrds:
                raise RuntimeError("no kernel or initramfs under /boot of the image")
            shutil.copy(kernels[-1], os.path.join(stage, "vmlinuz"))
            shutil.copy(initrds[-1], os.path.join(stage, "initrd.img"))
            raw = os.path.join(tmp, "root.raw")
            subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "gohost-root", "-d", rootfs, raw, DISK_SIZE], check=True)
            subprocess.run(["qemu-img", "convert", "-O", "qcow2", raw, os.path.join(stage, "base.qcow2")],
                           check=True)
            with open(os.path.join(stage, "cmdline"), "w", encoding="utf-8") as fh:
                fh.write(CMDLINE + "\n")
        except subprocess.CalledProcessError as exc:
            # Not the command line: it carries the mirror's address.
            return record({"built": False, "reason": f"{exc.cmd[0]} failed with exit code {exc.returncode}"})
        except (RuntimeError, OSError) as exc:
            return record({"built": False, "reason": f"build failed: {exc}"})
        shutil.rmtree(out, ignore_errors=True)
        os.rename(stage, out)
    log(f"built {digest} in {time.monotonic() - start:.0f}s")
    # Images of older recipes are never booted again.
    for old in glob.glob(os.path.join(STATE, "[0-9a-f]" * 12)):
        if old != out:
            shutil.rmtree(old, ignore_errors=True)
    return record(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print what was built (or why not) as JSON")
    args = parser.parse_args()
    status = build()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        log(("ready: " + status["base"]) if status["built"] else ("not built: " + status["reason"]))
    return 0 if status["built"] else 1


if __name__ == "__main__":
    sys.exit(main())
