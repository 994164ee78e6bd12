"""journald scenario: the role's drop-ins and namespace, and zap entries read back with noble.gohost.journal_query."""
import json
import os
import re
import subprocess
import time
import uuid

import pytest

DROPIN = "/etc/systemd/journald.conf.d/50-noble-gohost.conf"
NS_DROPIN = "/etc/systemd/journald@gohost-test.conf.d/50-noble-gohost.conf"
PORTS = {"zapjson": 8091, "zapnative": 8092, "zapns": 8093}


def query(host, **args):
    """Run noble.gohost.journal_query (module on the target, JMESPath on the controller)."""
    return host.ansible("noble.gohost.journal_query", json.dumps(args), check=False)


def log(host, svc, level, msg, **fields):
    params = "&".join("%s=%s" % kv for kv in [("level", level), ("msg", msg)] + sorted(fields.items()))
    out = host.run("curl -fsS %s", "http://127.0.0.1:%d/log?%s" % (PORTS[svc], params))
    assert out.rc == 0, out.stderr


def wait_for(host, want, **args):
    """Query until `want` entries come back (journald writes asynchronously); return the last result."""
    for _attempt in range(30):
        result = query(host, **args)
        if result["count"] >= want:
            return result
        time.sleep(0.5)
    return result


def test_dropin_has_header_and_settings(host):
    f = host.file(DROPIN)
    assert f.exists and f.user == "root" and f.mode == 0o644
    text = f.content_string
    assert text.startswith("#")
    assert "Ansible managed" in text
    for line in ("[Journal]", "Storage=persistent", "Compress=yes", "SystemMaxUse=256M", "SystemKeepFree=1G",
                 "SystemMaxFileSize=32M", "MaxRetentionSec=1month", "RateLimitIntervalSec=30s",
                 "RateLimitBurst=20000", "MaxLevelStore=debug", "ForwardToSyslog=no", "SplitMode=uid"):
        assert line in text.splitlines(), line
    # null settings are left out
    assert "RuntimeMaxUse=" not in text


def test_journald_runs_with_the_settings(host):
    assert host.service("systemd-journald").is_running
    cat = host.run("systemd-analyze cat-config systemd/journald.conf")
    assert DROPIN in cat.stdout
    # Storage=persistent: journald moved to /var/log/journal
    assert host.file("/var/log/journal").is_directory
    disk = host.run("journalctl --header --quiet | grep -m1 'File path'")
    assert "/var/log/journal/" in disk.stdout


def test_namespace_dropins(host):
    text = host.file(NS_DROPIN).content_string
    for line in ("Storage=volatile", "RuntimeMaxUse=16M", "MaxLevelStore=info", "RateLimitBurst=0"):
        assert line in text.splitlines(), line
    assert "SplitMode" not in text  # the system journal's extra options are not the namespace's
    assert not host.file("/etc/systemd/journald@gohost-gone.conf.d/50-noble-gohost.conf").exists


@pytest.mark.parametrize("svc,fmt", [("zapjson", "zap-json"), ("zapnative", "zap-native")])
def test_structured_fields_and_priorities(host, svc, fmt):
    token = uuid.uuid4().hex
    for level in ("debug", "info", "warn", "error"):
        log(host, svc, level, "verify+" + level, token=token, **{"order.id": "42"})
    unit = svc + ".service"
    # the token is a native field only for zapnative; for zapjson it is inside MESSAGE, so filter with JMESPath
    for _attempt in range(30):
        result = query(host, unit=[unit], since="-10min", query="[?fields.TOKEN=='%s']" % token)
        if len(result["query_result"]) >= 4:
            break
        time.sleep(0.5)
    entries = result["query_result"]
    by_level = {e["fields"]["ZAP_LEVEL"]: e for e in entries}
    assert set(by_level) == {"debug", "info", "warn", "error"}, entries
    for level, prio in (("debug", 7), ("info", 6), ("warn", 4), ("error", 3)):
        e = by_level[level]
        assert e["format"] == fmt
        assert e["priority"] == prio and e["fields"]["PRIORITY"] == str(prio)
        assert e["message"] == "verify " + level
        assert e["fields"]["ORDER_ID"] == "42"
        assert e["fields"]["CODE_FILE"].endswith("main.go")
        assert e["fields"]["CODE_LINE"].isdigit()
        assert e["fields"]["CODE_FUNC"].startswith("main.")
        assert e["unit"] == unit
    assert "ZAP_STACKTRACE" in by_level["error"]["fields"]
    if fmt == "zap-json":
        # journald itself stored the JSON line at priority 6; the zap level is what journal_query reports
        assert by_level["error"]["fields"]["_TRANSPORT"] == "stdout"
        assert json.loads(by_level["error"]["raw_message"])["level"] == "error"
    else:
        assert by_level["error"]["fields"]["_TRANSPORT"] == "journal"
        # native fields can be matched by journalctl itself
        direct = query(host, match={"TOKEN": token, "ZAP_LEVEL": ["warn", "error"]})
        assert sorted(e["priority"] for e in direct["entries"]) == [3, 4]


def test_priority_filter_counts_zap_levels(host):
    token = uuid.uuid4().hex
    log(host, "zapjson", "error", "prio+check", token=token)
    log(host, "zapjson", "info", "prio+check", token=token)
    for _attempt in range(30):
        result = query(host, unit=["zapjson.service"], since="-10min", priority="err",
                       query="[?fields.TOKEN=='%s'].message" % token)
        if result["query_result"]:
            break
        time.sleep(0.5)
    assert result["query_result"] == ["prio check"]


def test_namespace_receives_entries_with_its_own_max_level(host):
    token = uuid.uuid4().hex
    log(host, "zapns", "debug", "ns+debug", token=token)
    log(host, "zapns", "warn", "ns+warn", token=token)
    result = wait_for(host, 1, namespace="gohost-test", match={"TOKEN": token})
    time.sleep(1)
    result = query(host, namespace="gohost-test", match={"TOKEN": token})
    # MaxLevelStore=info in the namespace: the debug entry is dropped, the warning kept
    assert [(e["message"], e["priority"]) for e in result["entries"]] == [("ns warn", 4)]
    assert result["entries"][0]["fields"]["_NAMESPACE"] == "gohost-test"
    # and nothing of it reached the system journal
    assert query(host, match={"TOKEN": token})["count"] == 0
    # Storage=volatile: the namespace's journal is under /run, not /var
    # (systemd-journald@.service makes the /var directory anyway: LogsDirectory=)
    assert host.run("ls /run/log/journal/*.gohost-test/*.journal").rc == 0
    assert host.run("ls /var/log/journal/*.gohost-test/*.journal").rc != 0


def test_journal_query_reports_journalctl_errors(host):
    result = query(host, since="not-a-time")
    # (testinfra drops the "failed" key of the result; the message and the missing entries say it failed)
    assert "entries" not in result, result
    assert "journalctl failed (rc 1)" in result["msg"]
    assert "not-a-time" in result["msg"]


def test_string_booleans_from_extra_vars_change_nothing(host):
    """-e passes strings: "true"/"false" must validate and render as the converged booleans (check mode, no change)."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".cache", "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    playbook = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recheck.yml")
    proc = subprocess.run(
        ["ansible-playbook", "-i", env["MOLECULE_INVENTORY_FILE"], playbook, "--check", "--diff",
         "-e", "journald_compress=yes", "-e", "journald_forward_to_syslog=false"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    # rendered as the converged booleans (Compress=yes, ForwardToSyslog=no): nothing to change
    assert re.search(r"changed=0\s+unreachable=0\s+failed=0", proc.stdout), proc.stdout[-3000:]
    dropin = host.file(DROPIN).content_string
    assert "Compress=yes" in dropin and "ForwardToSyslog=no" in dropin


def test_log_namespace_set_by_go_service(host):
    out = host.check_output("systemctl show zapns.service -p LogNamespace --value")
    assert out.strip() == "gohost-test"
    assert "LogNamespace=gohost-test" in host.file("/etc/systemd/system/zapns.service").content_string
    assert host.check_output("systemctl show zapjson.service -p LogNamespace --value").strip() == ""
