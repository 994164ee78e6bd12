"""Boot and stop the throwaway qemu VMs of the VM tier (see docs/vm-tier.md).

  vm.py up NAME      boot VM NAME from the image of tests/vm/build.py (built first when missing) on a qcow2 overlay,
                     wait until SSH answers, print its connection as JSON (address, port, user, identity_file, ...)
  vm.py down NAME    stop it and delete its overlay
  vm.py ssh NAME CMD run CMD in it as root (for debugging)

The VM has user-mode networking only: its SSH port is forwarded from a free port on 127.0.0.1; nothing else of the
VM can be reached and it reaches nothing but the host's loopback forwarders.

Acceleration (GOHOST_VM_ACCEL): ``tcg`` (software emulation), ``kvm``, or ``auto`` (default): KVM when /dev/kvm can
be opened and KVM has not failed before on this machine (.cache/vm/kvm-broken), else TCG. A KVM boot that does not
reach SSH in GOHOST_VM_KVM_TIMEOUT seconds (default 45) marks KVM broken and boots again under TCG.

An Ubuntu 24.04 cloud image (GOHOST_NOBLE_CLOUD_IMAGE: the path of a qcow2 ``noble-server-cloudimg-amd64.img``)
is booted instead when set: through its own bootloader, with a cloud-init NoCloud seed (made with genisoimage)
that authorizes the VM tier's SSH key for root.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build  # noqa: E402  pylint: disable=wrong-import-position

RUNS = os.path.join(build.STATE, "run")
KVM_BROKEN = os.path.join(build.STATE, "kvm-broken")
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


def log(msg: str) -> None:
    print(f"[vm] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kvm_usable() -> bool:
    if os.path.exists(KVM_BROKEN):
        return False
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def ssh_cmd(key: str, port: int, *cmd: str) -> list[str]:
    return ["ssh", *SSH_OPTS, "-i", key, "-p", str(port), "root@127.0.0.1", *cmd]


def wait_ssh(key: str, port: int, pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        try:
            if subprocess.run(ssh_cmd(key, port, "true"), capture_output=True, timeout=15,
                              check=False).returncode == 0:
                return True
        except subprocess.TimeoutExpired:
            pass
        time.sleep(1)
    return False


def cloud_seed(run_dir: str, pubkey: str, name: str) -> str:
    """A NoCloud seed ISO (volume label ``cidata``) that lets the VM tier's key log in as root."""
    seed_dir = os.path.join(run_dir, "seed")
    os.makedirs(seed_dir, exist_ok=True)
    with open(os.path.join(seed_dir, "meta-data"), "w", encoding="utf-8") as fh:
        fh.write(f"instance-id: {name}\nlocal-hostname: {name}\n")
    with open(os.path.join(seed_dir, "user-data"), "w", encoding="utf-8") as fh:
        fh.write("#cloud-config\n"
                 "disable_root: false\n"
                 "ssh_pwauth: false\n"
                 f"users:\n  - name: root\n    ssh_authorized_keys:\n      - {pubkey}\n"
                 "package_update: false\npackage_upgrade: false\n")
    iso = os.path.join(run_dir, "seed.iso")
    subprocess.run(["genisoimage", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock",
                    os.path.join(seed_dir, "user-data"), os.path.join(seed_dir, "meta-data")], check=True)
    return iso


def qemu_command(status: dict, run_dir: str, overlay: str, port: int, accel: str, memory: int, smp: int,
                 seed: str | None) -> list[str]:
    cmd = ["qemu-system-x86_64", "-name", os.path.basename(run_dir), "-machine", "q35", "-accel", accel,
           "-cpu", "host" if accel == "kvm" else "max", "-smp", str(smp), "-m", str(memory),
           "-drive", f"file={overlay},if=virtio,format=qcow2,discard=unmap",
           "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:22", "-device", "virtio-net-pci,netdev=net0",
           "-device", "virtio-rng-pci", "-display", "none", "-vga", "none", "-monitor", "none",
           "-serial", f"file:{os.path.join(run_dir, 'console.log')}",
           "-pidfile", os.path.join(run_dir, "qemu.pid"), "-daemonize"]
    if seed:
        cmd += ["-drive", f"file={seed},if=virtio,format=raw,readonly=on"]
    else:
        cmd += ["-kernel", status["kernel"], "-initrd", status["initrd"], "-append", status["cmdline"]]
    return cmd


def up(name: str, memory: int, smp: int, timeout: float) -> dict:
    cloud = os.environ.get("GOHOST_NOBLE_CLOUD_IMAGE", "").strip()
    status = build.build()
    if not status["built"]:
        raise RuntimeError(f"no VM image: {status['reason']}")
    key = status["key"]
    run_dir = os.path.join(RUNS, name)
    down(name)
    os.makedirs(run_dir)
    overlay = os.path.join(run_dir, "overlay.qcow2")
    base, seed, kind = status["base"], None, "debian"
    if cloud:
        if not os.path.exists(cloud):
            raise RuntimeError(f"GOHOST_NOBLE_CLOUD_IMAGE={cloud} does not exist")
        with open(key + ".pub", encoding="utf-8") as fh:
            seed = cloud_seed(run_dir, fh.read().strip(), name)
        base, kind = os.path.abspath(cloud), "ubuntu-cloud"
    fmt = "qcow2" if base.endswith((".qcow2", ".img")) else "raw"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b", base, overlay], check=True)
    if cloud:
        subprocess.run(["qemu-img", "resize", "-q", overlay, "10G"], check=True)
    mode = os.environ.get("GOHOST_VM_ACCEL", "auto")
    accels = {"kvm": ["kvm"], "tcg": ["tcg"]}.get(mode, ["kvm", "tcg"] if kvm_usable() else ["tcg"])
    for accel in accels:
        port = free_port()
        start = time.monotonic()
        launched = subprocess.run(qemu_command(status, run_dir, overlay, port, accel, memory, smp, seed),
                                  capture_output=True, text=True, check=False)
        if launched.returncode != 0:
            if accel == "kvm" and len(accels) > 1:
                log(f"{name}: qemu fails under KVM ({launched.stderr.strip().splitlines()[-1:]}); KVM marked "
                    "broken on this machine, booting under TCG")
                open(KVM_BROKEN, "w", encoding="utf-8").close()
                continue
            raise RuntimeError(f"qemu failed under {accel}: {launched.stderr.strip()}")
        with open(os.path.join(run_dir, "qemu.pid"), encoding="utf-8") as fh:
            pid = int(fh.read().strip())
        limit = float(os.environ.get("GOHOST_VM_KVM_TIMEOUT", "45")) if accel == "kvm" and len(accels) > 1 \
            else timeout
        if wait_ssh(key, port, pid, limit):
            elapsed = round(time.monotonic() - start, 1)
            info = {"instance": name, "address": "127.0.0.1", "port": port, "user": "root", "identity_file": key,
                    "pid": pid, "accel": accel, "kind": kind, "boot_seconds": elapsed, "run_dir": run_dir,
                    "python": "/usr/bin/python3"}
            with open(os.path.join(run_dir, "instance.json"), "w", encoding="utf-8") as fh:
                json.dump(info, fh, indent=2)
            log(f"{name}: SSH on 127.0.0.1:{port} after {elapsed}s ({accel}, {kind})")
            return info
        _kill(pid)
        if accel == "kvm" and len(accels) > 1:
            log(f"{name}: no SSH after {limit:.0f}s under KVM; KVM marked broken, booting under TCG")
            open(KVM_BROKEN, "w", encoding="utf-8").close()
            continue
    tail = ""
    console = os.path.join(run_dir, "console.log")
    if os.path.exists(console):
        with open(console, encoding="utf-8", errors="replace") as fh:
            tail = "".join(fh.readlines()[-25:])
    raise RuntimeError(f"{name}: no SSH within {timeout:.0f}s; end of the serial console:\n{tail}")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    for _attempt in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def down(name: str) -> bool:
    run_dir = os.path.join(RUNS, name)
    pidfile = os.path.join(run_dir, "qemu.pid")
    found = os.path.isdir(run_dir)
    if os.path.exists(pidfile):
        with open(pidfile, encoding="utf-8") as fh:
            pid = int(fh.read().strip() or 0)
        # Only ever the qemu this tool started for NAME: its command line names the run directory.
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                ours = run_dir.encode() in fh.read()
        except OSError:
            ours = False
        if pid and ours:
            _kill(pid)
    shutil.rmtree(run_dir, ignore_errors=True)
    return found


def json_stdout():
    """The JSON result's own stream: a copy of stdout, with file descriptor 1 itself pointed at stderr from here on.

    `vm.py up` and `vm.py down` print exactly one JSON document on stdout (Molecule's create playbook parses it);
    everything else they run (mmdebstrap building the image first, its hooks, mkfs, qemu-img, ssh-keygen) inherits
    fd 1 and would write its progress into that JSON. Redirecting the descriptor, not just sys.stdout, sends every
    subprocess's output to stderr too."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up")
    p_up.add_argument("name")
    p_up.add_argument("--memory", type=int, default=int(os.environ.get("GOHOST_VM_MEMORY", "1536")))
    p_up.add_argument("--smp", type=int, default=int(os.environ.get("GOHOST_VM_SMP", "2")))
    p_up.add_argument("--timeout", type=float, default=float(os.environ.get("GOHOST_VM_TIMEOUT", "600")))
    p_down = sub.add_parser("down")
    p_down.add_argument("name")
    p_ssh = sub.add_parser("ssh")
    p_ssh.add_argument("name")
    p_ssh.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    out = json_stdout() if args.command in ("up", "down") else sys.stdout
    if args.command == "up":
        try:
            print(json.dumps(up(args.name, args.memory, args.smp, args.timeout)), file=out, flush=True)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            log(str(exc))
            return 1
        return 0
    if args.command == "down":
        print(json.dumps({"instance": args.name, "stopped": down(args.name)}), file=out, flush=True)
        return 0
    with open(os.path.join(RUNS, args.name, "instance.json"), encoding="utf-8") as fh:
        info = json.load(fh)
    return subprocess.run(ssh_cmd(info["identity_file"], info["port"], *args.cmd), check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
