"""Build the systemd-ready container images the Molecule scenarios run on.

Images are made with ``mmdebstrap`` and ``docker import`` (no image registry is needed) and are cached by a hash of
their recipe: a second call with the same recipe does nothing.

Platforms:
  host     the distribution of this machine, from this machine's own apt sources (read at run time, never written
           into any file of the project). On an Ubuntu 24.04 workstation that yields ``noble``, on CI ``bookworm``.
  noble    Ubuntu 24.04: from the mirror in GOHOST_UBUNTU_MIRROR (for example the collection's own apt mirror;
           GOHOST_UBUNTU_KEYRING names its keyring, Ubuntu's archive keyring by default), else from
           ``ubuntu:24.04`` where a registry can be reached. Skipped, with the reason, where neither can be had.

Every image is tagged ``noble-gohost/<codename>:latest``. ``.cache/images/<codename>.json`` records what was built
or why not; ``--list`` prints the platforms available now.
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from host_apt import os_release, source_files as host_sources  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(ROOT, ".cache", "images")
REPO = "noble-gohost"

# What a fresh cloud/server install has that Ansible and the roles rely on: systemd as PID 1, Python for modules.
PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "python3", "python3-apt", "sudo", "ca-certificates", "iproute2",
    "procps", "gnupg", "curl", "xz-utils", "zstd", "kmod", "less", "lsb-release", "locales",
]
# Units that make no sense in a container and only slow its boot down.
MASK = [
    "getty.target", "console-getty.service", "systemd-firstboot.service", "systemd-udevd.service",
    "systemd-udev-trigger.service", "systemd-modules-load.service", "sys-kernel-config.mount",
    "sys-kernel-debug.mount", "sys-kernel-tracing.mount", "apt-daily.timer", "apt-daily-upgrade.timer",
    "e2scrub_all.timer", "fstrim.timer", "motd-news.timer",
]
CUSTOMIZE = [
    'chroot "$1" systemctl mask --quiet ' + " ".join(MASK),
    # systemd writes a fresh machine-id on the first boot of every container.
    'rm -f "$1/etc/machine-id" "$1/var/lib/dbus/machine-id" && touch "$1/etc/machine-id"',
    'rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/archives/"*.deb',
    "echo 'en_US.UTF-8 UTF-8' > \"$1/etc/locale.gen\" && chroot \"$1\" locale-gen >/dev/null",
]
DOCKER_CHANGES = ["ENV container=docker", 'CMD ["/lib/systemd/systemd"]']
# Bump when the build steps change in a way the hashed recipe (packages, hooks, sources, changes) does not show.
RECIPE_VERSION = "2"


def log(msg: str) -> None:
    print(f"[images] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def recipe_hash(parts: list[str]) -> str:
    """Hash of what goes into the image (not of this file: editing its comments must not cost a rebuild)."""
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    for part in [*DOCKER_CHANGES, *parts]:
        digest.update(part.encode())
    return digest.hexdigest()[:12]


def image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True, check=False).returncode == 0


def record(codename: str, built: bool, reason: str, image: str | None = None) -> dict:
    os.makedirs(STATE, exist_ok=True)
    status = {"platform": codename, "built": built, "reason": reason, "image": image}
    with open(os.path.join(STATE, f"{codename}.json"), "w", encoding="utf-8") as fh:
        json.dump(status, fh, indent=2)
    log(f"{codename}: {'ready' if built else 'skipped'}: {reason}")
    return status


def mmdebstrap_import(codename: str, mirrors: list[str], extra: list[str], tag_hash: str) -> str:
    ref = f"{REPO}/{codename}:{tag_hash}"
    if image_exists(ref):
        run(["docker", "tag", ref, f"{REPO}/{codename}:latest"])
        return ref
    if not shutil.which("mmdebstrap"):
        raise RuntimeError("mmdebstrap is not installed (apt-get install mmdebstrap)")
    with tempfile.TemporaryDirectory(prefix="gohost-image-") as tmp:
        tarball = os.path.join(tmp, "rootfs.tar")
        cmd = ["mmdebstrap", "--quiet", "--variant=apt", "--format=tar", "--include=" + ",".join(PACKAGES)]
        cmd += [f"--customize-hook={hook}" for hook in CUSTOMIZE] + extra + [codename, tarball] + mirrors
        log(f"{codename}: building with mmdebstrap (a few minutes)")
        run(cmd)
        imp = ["docker", "import"]
        for change in DOCKER_CHANGES:
            imp += ["--change", change]
        run(imp + [tarball, ref], stdout=subprocess.DEVNULL)
    run(["docker", "tag", ref, f"{REPO}/{codename}:latest"])
    return ref


def build_host() -> dict:
    rel = os_release()
    codename = rel.get("VERSION_CODENAME") or "unknown"
    sources = host_sources()
    if not sources:
        return record(codename, False, "this machine has no apt sources to build from")
    parts = [codename, ",".join(PACKAGES), "\n".join(CUSTOMIZE)]
    for path in sources:
        with open(path, encoding="utf-8") as fh:
            parts.append(fh.read())
    try:
        ref = mmdebstrap_import(codename, sources, [], recipe_hash(parts))
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        return record(codename, False, f"build failed: {exc}")
    return record(codename, True, f"{rel.get('PRETTY_NAME', codename)} from this machine's apt sources", ref)


def build_noble() -> dict:
    if os_release().get("VERSION_CODENAME") == "noble":
        return build_host()
    mirror = os.environ.get("GOHOST_UBUNTU_MIRROR", "").strip()
    if mirror:
        keyring = os.environ.get("GOHOST_UBUNTU_KEYRING", "/usr/share/keyrings/ubuntu-archive-keyring.gpg")
        if not os.path.exists(keyring):
            return record("noble", False, f"keyring {keyring} is missing (apt-get install ubuntu-keyring)")
        line = f"deb [signed-by={keyring}] {mirror} noble main universe"
        try:
            ref = mmdebstrap_import("noble", [line], [f"--keyring={keyring}"],
                                    recipe_hash(["noble", mirror, keyring, ",".join(PACKAGES)]))
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            return record("noble", False, f"build from GOHOST_UBUNTU_MIRROR failed: {exc}")
        return record("noble", True, "Ubuntu 24.04 from GOHOST_UBUNTU_MIRROR", ref)
    pulled = image_exists("ubuntu:24.04")
    if not pulled:
        try:
            pulled = subprocess.run(["docker", "pull", "-q", "ubuntu:24.04"], capture_output=True,
                                    timeout=120, check=False).returncode == 0
        except subprocess.TimeoutExpired:
            pulled = False
    if not pulled:
        return record("noble", False, "no Ubuntu mirror given (GOHOST_UBUNTU_MIRROR) and ubuntu:24.04 cannot be "
                                      "pulled from a registry")
    dockerfile = (
        "FROM ubuntu:24.04\n"
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        + " ".join(PACKAGES) + " && systemctl mask " + " ".join(MASK) + " && rm -rf /var/lib/apt/lists/*\n"
        "ENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nCMD [\"/lib/systemd/systemd\"]\n"
    )
    ref = f"{REPO}/noble:{recipe_hash(['noble-docker', dockerfile])}"
    if not image_exists(ref):
        with tempfile.TemporaryDirectory(prefix="gohost-image-") as tmp:
            with open(os.path.join(tmp, "Dockerfile"), "w", encoding="utf-8") as fh:
                fh.write(dockerfile)
            try:
                run(["docker", "build", "-q", "-t", ref, tmp], stdout=subprocess.DEVNULL)
            except subprocess.CalledProcessError as exc:
                return record("noble", False, f"docker build on ubuntu:24.04 failed: {exc}")
    run(["docker", "tag", ref, f"{REPO}/noble:latest"])
    return record("noble", True, "Ubuntu 24.04 from the ubuntu:24.04 image", ref)


def available() -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(STATE, "*.json"))):
        with open(path, encoding="utf-8") as fh:
            status = json.load(fh)
        if status.get("built") and image_exists(f"{REPO}/{status['platform']}:latest"):
            out.append(status["platform"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("platforms", nargs="*", default=["host", "noble"], help="host, noble (default: both)")
    parser.add_argument("--list", action="store_true", help="print the platforms whose images are ready")
    args = parser.parse_args()
    if args.list:
        print(" ".join(available()))
        return 0
    builders = {"host": build_host, "noble": build_noble}
    results = []
    for name in args.platforms:
        if name not in builders:
            parser.error(f"unknown platform {name!r}: choose from {', '.join(builders)}")
        results.append(builders[name]())
    # One image at least must exist, or no scenario can run.
    return 0 if any(r["built"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
