"""The apparmor scenario, in the VM after converge, the complain-then-enforce run and a reboot (side_effect.yml)."""
import pytest

SERVICES = {"probe": (8089, "enforce"), "quiet": (8091, "enforce"), "noisy": (8090, "complain")}


def loaded(host):
    out = host.file("/sys/kernel/security/apparmor/profiles").content_string
    return dict(line[:-1].rsplit(" (", 1) for line in out.splitlines() if line.endswith(")"))


def fetch(host, port, path):
    code = ("import sys, urllib.request, urllib.error\n"
            "try:\n"
            "    r = urllib.request.urlopen(sys.argv[1], timeout=10); print(r.status); print(r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(e.code); print(e.read().decode())\n")
    out = host.check_output("python3 -c %s %s", code, "http://127.0.0.1:%d%s" % (port, path))
    status, _sep, body = out.partition("\n")
    return int(status), body.strip()


def test_the_vm_rebooted_and_the_profiles_came_back(host):
    before = host.file("/root/boot-id-before-reboot").content_string.strip()
    assert before and before != host.file("/proc/sys/kernel/random/boot_id").content_string.strip()
    modes = loaded(host)
    assert modes["gohost-probe"] == "enforce"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_profiles_are_loaded_in_their_mode(host, name):
    assert loaded(host)["gohost-" + name] == SERVICES[name][1]


def test_modes_are_in_the_files(host):
    assert "flags=(complain)" in host.file("/etc/apparmor.d/gohost.noisy").content_string
    assert "flags=" not in host.file("/etc/apparmor.d/gohost.quiet").content_string  # promoted
    # The toolchain profile learned in complain mode too; nothing ran the go command in the VM, so it logged
    # nothing and the workflow promoted it with quiet.
    assert "flags=" not in host.file("/etc/apparmor.d/gohost.go").content_string
    assert loaded(host)["gohost-go"] == "enforce"
    assert "abi <abi/3.0>," in host.file("/etc/apparmor.d/gohost.probe").content_string  # Debian 12
    assert host.file("/etc/apparmor.d/local/gohost.probe").exists


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_run_confined(host, name):
    port, mode = SERVICES[name]
    pid = host.check_output("systemctl show -p MainPID --value %s.service", name)
    assert pid != "0"
    assert host.file("/proc/%s/attr/current" % pid).content_string.strip() == "gohost-%s (%s)" % (name, mode)
    status, body = fetch(host, port, "/self")
    assert status == 200 and body.strip() == "gohost-%s (%s)" % (name, mode)


def test_probe_is_the_go_service_deployment(host):
    # Deployed by noble.gohost.go_service: its release directory, a dynamic user, and confined by the profile that
    # attaches to every release (the apparmor role restarted it after loading the profile).
    pid = host.check_output("systemctl show -p MainPID --value probe.service")
    exe = host.check_output("readlink /proc/%s/exe", pid)
    assert exe.startswith("/opt/go-services/probe/releases/") and exe.endswith("/probe"), exe
    assert host.check_output("systemctl show -p DynamicUser --value probe.service") == "yes"
    assert host.file("/proc/%s/attr/current" % pid).content_string.strip() == "gohost-probe (enforce)"


def test_allowed_access_works(host):
    status, body = fetch(host, 8089, "/read?path=/etc/probe/config.txt")
    assert status == 200 and body == "config of probe"
    assert host.file("/var/lib/probe/started").exists  # the state directory is writable


def test_denied_access_is_denied_and_logged(host):
    status, body = fetch(host, 8089, "/read?path=/etc/gohost-secret")
    assert status == 403 and "permission denied" in body
    log = host.check_output(
        "journalctl --no-pager -o cat -b _TRANSPORT=audit _TRANSPORT=kernel --grep %s",
        'apparmor="DENIED".*profile="gohost-probe".*name="/etc/gohost-secret"')
    assert 'operation="open"' in log and 'requested_mask="r"' in log


def test_complain_mode_allows_and_logs(host):
    status = fetch(host, 8090, "/read?path=/etc/gohost-secret")[0]
    assert status == 200
    log = host.check_output(
        "journalctl --no-pager -o cat -b _TRANSPORT=audit _TRANSPORT=kernel --grep %s",
        'apparmor="ALLOWED".*profile="gohost-noisy".*name="/etc/gohost-secret"')
    assert log


def test_invalid_profile_left_nothing(host):
    assert not host.file("/etc/apparmor.d/gohost.broken").exists
    assert "gohost-broken" not in loaded(host)


def test_userns_profile_skipped_on_abi_3(host):
    # Debian 12's AppArmor 3.0 has no userns rule and its kernel no restriction to lift.
    assert not host.file("/etc/apparmor.d/gohost.userns.sandboxer").exists


def test_kernel_facts_agree_with_the_kernel(host):
    facts = host.ansible("noble.gohost.kernel_facts", "probes=cgroup,security", check=False)["ansible_facts"]
    kernel = facts["gohost_kernel"]
    assert kernel["readiness"]["apparmor"]["status"] == "pass", kernel["readiness"]["apparmor"]
    assert kernel["readiness"]["cgroup_v2_unified"]["status"] == "pass", kernel["readiness"]["cgroup_v2_unified"]
    # ... and agree with what the VM's kernel says itself.
    assert kernel["security"]["apparmor_enabled"]["value"] is True
    assert host.file("/sys/module/apparmor/parameters/enabled").content_string.strip() == "Y"
    assert kernel["cgroup"]["mode"]["value"] == "unified"
    assert host.check_output("stat -fc %T /sys/fs/cgroup") == "cgroup2fs"
