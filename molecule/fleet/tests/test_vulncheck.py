# -*- coding: utf-8 -*-
"""playbooks/vulncheck.yml over the fleet, against the vulnerability database the goproxy host mirrors.

The goproxy host builds the database from golang.org/x/vulndb fetched through its own module proxy and serves it
with nginx; the Go hosts run `langsvc` (prepare.yml, /opt/langsvc), built with golang.org/x/text v0.3.7 on app1 (GO-2022-1059, fixed in v0.3.8,
in ParseAcceptLanguage, which it calls) and with v0.3.8 on app2. The report must name the first, clear the second,
agree with govulncheck run by hand against the same database, and come from that database only. Then the faults:
an update that cannot resolve its version, a database that is unreachable or not a database, a file that is not Go.
"""
import json
import os
import subprocess
import tempfile

import pytest
import testinfra

PLATFORM = os.environ.get("GOHOST_PLATFORM", "bookworm")
FLEET = os.environ.get("GOHOST_FLEET", "fleet")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
PLAYBOOK = os.path.join(PROJECT, "playbooks", "vulncheck.yml")
GOVULNCHECK = "/usr/local/lib/gohost/govulncheck-v1.9.0/govulncheck"


def name(role):
    return "gohost-%s-%s-%s" % (FLEET, role, PLATFORM)


def get(role):
    return testinfra.get_host("ansible://%s" % name(role), ansible_inventory=INVENTORY)


PROXY = get("goproxy")
APP1, APP2 = get("app1"), get("app2")
DB_URL = "http://%s:8081" % name("goproxy")


# The main run builds govulncheck on the goproxy host (the playbook's default) through its proxy, about a minute in
# a fresh container; the compat runs (tests/compat.sh, GOHOST_FLEET=compat*) build it on the controller instead,
# where the build is cached across runs: both ways are proven, and each compat run is a minute shorter.
BUILD_ON = ["-e", "vulncheck_build_host=localhost"] if FLEET.startswith("compat") else []


def playbook(*args, check=True):
    args = tuple(BUILD_ON) + args
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".cache", "collections"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, PLAYBOOK] + list(args), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=900,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-5000:]
    return proc


def recap(out):
    """{host: {ok, changed, failed, ...}} from PLAY RECAP."""
    rows = {}
    for line in out.split("PLAY RECAP")[-1].splitlines()[1:]:
        if ":" in line and "=" in line:
            host, _sep, rest = line.partition(":")
            rows[host.strip()] = {k: int(v) for k, v in (kv.split("=") for kv in rest.split())}
    return rows


PATHS = '{"vulncheck_paths": ["/usr/bin/bash", "/opt/langsvc"]}'
POLICY = '{"vulncheck_policy": {"min_go_version": "1.26.6", "cgo_disabled": true, "trimpath": true}}'


@pytest.fixture(scope="module")
def report():
    """Check mode first (writes nothing), then the real run, then a second one as a gate
    (vulncheck_fail_on=symbol): it changes nothing on any host and fails on app1's finding."""
    with tempfile.TemporaryDirectory() as tmp:
        checked = playbook("--check", "-e", "vulncheck_report_dir=%s/check" % tmp, "-e", PATHS)
        assert not os.path.exists(os.path.join(tmp, "check", "vulncheck-report.json")), checked.stdout[-2000:]
        assert all(r["failed"] == 0 for r in recap(checked.stdout).values()), checked.stdout[-3000:]
        first = playbook("-e", "vulncheck_report_dir=%s/r" % tmp, "-e", PATHS, "-e", POLICY)
        second = playbook("-e", "vulncheck_report_dir=%s/r" % tmp, "-e", PATHS, "-e", POLICY)
        gate = playbook("-e", "vulncheck_report_dir=%s/r" % tmp, "-e", PATHS, "-e", POLICY,
                        "-e", "vulncheck_fail_on=symbol", check=False)
        files = {}
        for ext in ("json", "md", "html"):
            with open(os.path.join(tmp, "r", "vulncheck-report.%s" % ext), encoding="utf-8") as handle:
                files[ext] = handle.read()
        sboms = {}
        for fname in os.listdir(os.path.join(tmp, "r", "sbom")):
            with open(os.path.join(tmp, "r", "sbom", fname), encoding="utf-8") as handle:
                sboms[fname] = json.load(handle)
        yield {"json": json.loads(files["json"]), "files": files, "sboms": sboms, "first": first.stdout, "second": second.stdout,
               "gate": gate}


def gate_message(out):
    """The output of the playbook's last task (the gate), up to the recap."""
    return out.split("TASK [Fail for the hosts not scanned")[-1].split("PLAY RECAP")[0]


def lang_binary(app):
    """langsvc (prepare.yml), running as a transient unit."""
    assert app.service("langsvc").is_running
    return "/opt/langsvc/langsvc"


def entry(rep, app):
    path = lang_binary(app)
    host = rep["json"]["hosts"][app.backend.get_hostname()]
    found = [b for b in host["binaries"] if b["path"] == path]
    assert found, (path, [b["path"] for b in host["binaries"]])
    return found[0], host


def test_the_mirror_serves_the_database_built_from_the_module():
    state = json.loads(PROXY.check_output("cat /var/lib/gohost-vulndb/state.json"))
    assert state["module"] == "golang.org/x/vulndb" and state["sum"].startswith("h1:"), state
    osv = PROXY.check_output("unzip -l /var/cache/goproxy/golang.org/x/vulndb/@v/%s.zip 2>/dev/null | "
                             "grep -c '/data/osv/GO-.*\\.json$' || find / -xdev -path '*vulndb@%s/data/osv/GO-*.json'"
                             " 2>/dev/null | wc -l" % (state["version"], state["version"]))
    assert state["entries"] == int(osv.split()[-1]) > 4000, (state, osv)
    served = json.loads(PROXY.check_output("curl -fsS http://127.0.0.1:8081/index/db.json"))
    assert served == {"modified": state["modified"]}
    assert PROXY.check_output("curl -fsS http://127.0.0.1:8081/ID/GO-2022-1059.json.gz | gzip -dc | "
                              "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id\"])'") == "GO-2022-1059"
    # The module came through this host's own proxy, verified like any module.
    assert PROXY.run("find /var/cache/goproxy /var/cache/private/goproxy -path '*golang.org/x/vulndb/@v/%s.zip'"
                     % state["version"]).stdout.strip()
    timer = PROXY.service("gohost-vulndb-update.timer")
    assert timer.is_enabled and timer.is_running


def test_the_report_names_the_vulnerable_build_and_clears_the_fixed_one(report):
    vulnerable, _host = entry(report, APP1)
    hits = [v for v in vulnerable["vulns"] if v["id"] == "GO-2022-1059"]
    assert hits, vulnerable["vulns"]
    assert hits[0]["module"] == "golang.org/x/text" and hits[0]["found_version"] == "v0.3.7"
    assert hits[0]["fixed_version"] in ("v0.3.8", "0.3.8") and hits[0]["level"] == "symbol"
    assert "CVE-2022-32149" in hits[0]["aliases"]
    assert any("ParseAcceptLanguage" in s for s in hits[0]["symbols"]), hits[0]
    # v0.3.8 fixes GO-2022-1059; later x/text entries (fixed in v0.39.0 and after) only reach it as a required
    # module, none of their functions is in the binary.
    fixed, _host = entry(report, APP2)
    text = [v for v in fixed["vulns"] if v["module"] == "golang.org/x/text"]
    assert "GO-2022-1059" not in [v["id"] for v in text] and all(v["level"] == "module" for v in text), text
    for text in (report["files"]["md"], report["files"]["html"]):
        assert "GO-2022-1059" in text and "0.3.8" in text and name("app1") in text


@pytest.mark.parametrize("app", [APP1, APP2], ids=["app1", "app2"])
def test_the_report_equals_govulncheck_by_hand(report, app):
    found, _host = entry(report, app)
    out = app.check_output("%s -db %s -mode binary -format json %s" % (GOVULNCHECK, DB_URL, lang_binary(app)))
    decoder, pos, by_hand = json.JSONDecoder(), 0, {}
    while pos < len(out):
        obj, end = decoder.raw_decode(out, pos)
        pos = end
        while pos < len(out) and out[pos].isspace():
            pos += 1
        finding = obj.get("finding")
        if finding:
            frames = finding.get("trace") or []
            level = "symbol" if any(f.get("function") for f in frames) else (
                "package" if any(f.get("package") for f in frames) else "module")
            rank = {"module": 0, "package": 1, "symbol": 2}
            if rank[level] >= rank[by_hand.get(finding["osv"], "module")]:
                by_hand[finding["osv"]] = level
    assert {v["id"]: v["level"] for v in found["vulns"]} == by_hand


def test_the_scan_used_only_the_mirrors_database(report):
    assert report["json"]["generated_from"]["db"]["url"] == DB_URL, report["json"]["generated_from"]
    log = PROXY.check_output("cat /var/log/nginx/gohost-vulndb.access.log")
    for app in (APP1, APP2):
        addr = app.check_output("hostname -i").split()[0]
        assert any(line.startswith(addr + " ") and "/index/modules.json.gz" in line for line in log.splitlines()), \
            (addr, log[-2000:])


def test_policy_sboms_and_not_go_files(report):
    vulnerable, host = entry(report, APP1)
    # Built by prepare.yml with the controller's Go, CGO off and -trimpath: only the Go version can violate.
    rules = {v["rule"] for v in vulnerable["policy_violations"]}
    assert "cgo_disabled" not in rules and "trimpath" not in rules, vulnerable["policy_violations"]
    assert "/usr/bin/bash" in [n["path"] for n in host["not_go"]], host["not_go"]
    sbom = report["sboms"]["%s%s.cdx.json" % (APP1.backend.get_hostname(), lang_binary(APP1).replace("/", "_"))]
    assert sbom["bomFormat"] == "CycloneDX" and sbom["metadata"]["component"]["name"].endswith("langsvc")
    assert "pkg:golang/golang.org/x/text@v0.3.7" in [c.get("purl") for c in sbom["components"]], sbom["components"]


def test_a_second_run_changes_nothing(report):
    rows = recap(report["second"])
    assert rows and all(r["changed"] == 0 and r["failed"] == 0 for r in rows.values()), report["second"][-3000:]


def test_the_gate_fails_on_the_vulnerable_build(report):
    """vulncheck_fail_on=symbol: the report is written (it records the setting), then the play fails."""
    gate = report["gate"]
    rows = recap(gate.stdout)
    assert rows and all(r["changed"] == 0 for h, r in rows.items() if h != "localhost"), gate.stdout[-3000:]
    assert gate.returncode != 0 and rows["localhost"]["failed"] == 1, gate.stdout[-3000:]
    assert all(r["failed"] == 0 for h, r in rows.items() if h != "localhost"), gate.stdout[-3000:]
    # One " | "-separated part per binary with findings at symbol level (the standard library of the Go that
    # built them has some too): app1's lang names GO-2022-1059, app2's does not.
    msg = gate_message(gate.stdout)
    msg = " ".join(line.strip() for line in msg.splitlines())
    parts = {p.split(": ")[0].strip(): p for p in msg.split(" | ") if "langsvc" in p.split(": ")[0]}
    app1 = [p for k, p in parts.items() if name("app1") in k]
    assert app1 and "GO-2022-1059" in app1[0], msg[-3000:]
    assert all("GO-2022-1059" not in p for k, p in parts.items() if name("app2") in k), msg[-3000:]


def test_a_web_server_that_is_not_a_database_fails_clearly_and_writes_nothing():
    """The module proxy's URL: it answers, but not with a database (an unreachable one: the module's unit tests)."""
    db = "http://%s:8080" % name("goproxy")
    with tempfile.TemporaryDirectory() as tmp:
        proc = playbook("-e", "vulncheck_report_dir=%s/r" % tmp, "-e", "vulncheck_db=%s" % db,
                        "-e", "vulncheck_hosts=%s" % name("app2"), check=False)
        assert proc.returncode != 0, proc.stdout[-3000:]
        tail = gate_message(proc.stdout)
        assert db in tail and "db" in tail and name("app2") in tail, tail[-3000:]
        assert not os.path.exists(os.path.join(tmp, "r", "vulncheck-report.json")), proc.stdout[-2000:]


def test_a_failed_update_leaves_the_served_database():
    before = PROXY.check_output("readlink /var/lib/gohost-vulndb/current; curl -fsS http://127.0.0.1:8081/index/db.json")
    config = "/etc/gohost-vulndb/config.json"
    PROXY.check_output("cp %s /root/vulndb-config.json" % config)
    try:
        PROXY.check_output("python3 - <<'EOF'\nimport json\np='%s'\nc=json.load(open(p))\n"
                           "c['version']='v0.0.0-20990101000000-000000000000'\njson.dump(c, open(p, 'w'))\nEOF"
                           % config)
        run = PROXY.run("systemctl start gohost-vulndb-update.service")
        assert run.rc != 0
        journal = PROXY.check_output("journalctl -u gohost-vulndb-update.service -n 5 --no-pager -o cat")
        assert "the served database is unchanged" in journal and "v0.0.0-20990101000000-000000000000" in journal, \
            journal
        assert PROXY.check_output(
            "readlink /var/lib/gohost-vulndb/current; curl -fsS http://127.0.0.1:8081/index/db.json") == before
    finally:
        PROXY.check_output("cp /root/vulndb-config.json %s && systemctl reset-failed gohost-vulndb-update.service"
                           % config)
