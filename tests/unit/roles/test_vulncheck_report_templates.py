# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/templates/vulncheck_report.{json,md,html}.j2 rendered by Ansible itself (ansible-playbook, the template
action on localhost, hostvars from an inventory) as playbooks/vulncheck.yml renders them, with the real result of
noble.gohost.govulncheck on lang-old, lang-new, a stripped lang-old and a script
(tests/unit/fixtures/govulncheck/module-result.json), a host whose executable could not be scanned, a host whose
scan failed and a host never scanned."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
import subprocess
import sys

from html.parser import HTMLParser

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TEMPLATES = os.path.join(ROOT, "playbooks", "templates")
RESULT = os.path.join(ROOT, "tests", "unit", "fixtures", "govulncheck", "module-result.json")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
HOSTS = ["web1", "web2", "web3", "web4", "web5"]
FAILED_MSG = "db http://vulndb:8080 is unreachable: GET http://vulndb:8080/index/db.json: Connection refused"
SCAN_ERROR = "govulncheck failed (rc 1): govulncheck: reading binary: unexpected EOF"
POLICY = {"min_go_version": "1.26.9", "cgo_disabled": True, "trimpath": True, "vcs_clean": None}
FAIL_ON = ("none", "symbol", "package", "module")


def module_result():
    with open(RESULT) as fh:
        return json.load(fh)


def host_results():
    """web1: the real result; web2: one executable govulncheck could not scan; web3: failed; web5: skipped (a task
    result); web4 has none."""
    web1 = module_result()
    web2 = copy.deepcopy(web1)
    broken = [b for b in web2["binaries"] if b["path"].endswith("/lang-new")][0]
    broken.update(scan_error=SCAN_ERROR, vulns=[])
    broken.pop("sbom", None)
    web2.update(binaries=[broken], not_go=[],
                counts={"symbol": 0, "package": 0, "module": 0, "policy": len(broken["policy_violations"]),
                        "binaries": 1, "not_go": 0})
    web3 = {"failed": True, "changed": False, "msg": FAILED_MSG}
    web5 = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    return {"web1": web1, "web2": web2, "web3": web3, "web5": web5}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{fail_on: {json|md|html: text}}."""
    if not os.path.exists(PLAYBOOK):
        pytest.skip("ansible-playbook is not next to %s (run from the venv: make unit)" % sys.executable)
    work = tmp_path_factory.mktemp("vulncheck-report")
    hosts = dict((h, {"vulncheck_scan": r}) for h, r in host_results().items())
    hosts["web4"] = {}
    hosts["localhost"] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = work / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
    plays = []
    for fail_on in FAIL_ON:
        out = work / fail_on
        out.mkdir()
        plays.append({
            "name": fail_on, "hosts": "localhost", "gather_facts": False,
            "vars": {"__vulncheck_hosts": HOSTS, "vulncheck_db_url": "file:///work/scratch/DB",
                     "vulncheck_fail_on": fail_on, "vulncheck_policy": POLICY},
            "tasks": [{"name": "render", "loop": ["json", "md", "html"],
                       "ansible.builtin.template": {"src": os.path.join(TEMPLATES, "vulncheck_report.{{ item }}.j2"),
                                                    "dest": str(out) + "/report.{{ item }}", "mode": "0644"}}],
        })
    playbook = work / "render.yml"
    playbook.write_text(json.dumps(plays))
    config = work / "ansible.cfg"
    config.write_text("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", str(inventory), str(playbook)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=600, check=False)
    assert proc.returncode == 0, (proc.stdout[-6000:], proc.stderr[-3000:])
    out = {}
    for fail_on in FAIL_ON:
        out[fail_on] = {}
        for kind in ("json", "md", "html"):
            with open(str(work / fail_on / ("report." + kind))) as fh:
                out[fail_on][kind] = fh.read()
    return out


def lang_old(result):
    return [b for b in result["binaries"] if b["path"].endswith("/lang-old")][0]


# --- JSON ------------------------------------------------------------------------------------------------------------

def test_json_is_the_module_results(rendered):
    doc = json.loads(rendered["package"]["json"])
    result = module_result()
    assert sorted(doc) == ["fail_on", "generated_from", "hosts", "policy", "scanner"]
    assert doc["generated_from"] == {"db": {"url": "file:///work/scratch/DB", "modified": result["db"]["modified"],
                                            "last_modified": result["db"]["last_modified"]}}
    assert doc["scanner"] == result["scanner"] == {"name": "govulncheck", "version": "v1.9.0"}
    assert doc["policy"] == POLICY and doc["fail_on"] == "package"
    assert list(doc["hosts"]) == HOSTS
    web1 = doc["hosts"]["web1"]
    assert web1["binaries"] == result["binaries"] and web1["not_go"] == result["not_go"]
    assert web1["error"] is None and web1["counts"] == result["counts"]
    old = lang_old(web1)
    assert old["vulns"][0]["id"] == "GO-2022-1059" and old["vulns"][0]["fixed_version"] == "v0.3.8"
    assert web1["not_go"] == [{"path": "/tmp/gohost-vulncheck/bin/backup.sh", "reason": "not an ELF executable"}]
    assert doc["hosts"]["web2"]["binaries"][0]["scan_error"] == SCAN_ERROR
    assert doc["hosts"]["web3"] == {"binaries": [], "not_go": [], "counts": None, "error": FAILED_MSG}
    assert doc["hosts"]["web4"]["error"].startswith("not scanned") and doc["hosts"]["web5"] == doc["hosts"]["web4"]
    # deterministic: the same inputs render the same bytes whatever the fail_on
    assert json.loads(rendered["none"]["json"])["hosts"] == doc["hosts"]


# --- Markdown --------------------------------------------------------------------------------------------------------

def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("|")]


def cells(row):
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_markdown_content(rendered):
    md = rendered["package"]["md"]
    result = module_result()
    assert md.startswith("# Fleet vulnerability report\n")
    assert "`file:///work/scratch/DB` (modified %s)" % result["db"]["modified"] in md
    assert "govulncheck v1.9.0" in md and "Fail on: **package**" in md
    assert "`min_go_version: 1.26.9`, `cgo_disabled: True`, `trimpath: True`." in md
    # the summary first, one row per host
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = table_rows(summary)
    assert [cells(r)[0] for r in rows[2:]] == HOSTS
    web1 = cells(rows[2])
    c = result["counts"]
    assert web1[1:8] == [str(c[k]) for k in ("binaries", "symbol", "package", "module", "policy", "not_go")] + ["0"]
    assert web1[8] == "❌ 1 at package"
    assert cells(rows[3])[7:] == ["1", "⚠️ not all scanned"]  # web2's scan error
    assert "scan failed: " + FAILED_MSG in rows[4]
    assert "not scanned (unreachable or skipped)" in rows[5] and "not scanned (unreachable or skipped)" in rows[6]
    # every table has as many cells per row as its header
    for block in md.split("\n\n"):
        trs = table_rows(block)
        if trs:
            assert len(set(len(cells(r)) for r in trs)) == 1, block
    section = md.split("### `/tmp/gohost-vulncheck/bin/lang-old`", 1)[1].split("\n### ", 1)[0]
    row = [r for r in table_rows(section) if "GO-2022-1059" in r][0]
    assert cells(row) == [
        "❌ [GO-2022-1059](https://pkg.go.dev/vuln/GO-2022-1059) Denial of service via crafted Accept-Language "
        "header in golang.org/x/text/language",
        "CVE-2022-32149", "golang.org/x/text (`golang.org/x/text/language`)", "v0.3.7 → v0.3.8", "symbol",
        "`golang.org/x/text/language.ParseAcceptLanguage`"]
    assert any("standard library" in r and "go1.26.8 → go1.26.9" in r for r in table_rows(section))
    assert "- **cgo_disabled**: expected CGO_ENABLED=0, found 1 - evidence: `build CGO_ENABLED=1`" in section
    assert "- **trimpath**: expected -trimpath=true, found absent - evidence: `-trimpath is absent" in section
    new = md.split("### `/tmp/gohost-vulncheck/bin/lang-new`", 1)[1].split("\n### ", 1)[0]
    assert "GO-2022-1059" not in new.split("Policy violations")[0].replace("| ❌", "")
    stripped = md.split("### `/tmp/gohost-vulncheck/bin/lang-old-stripped`", 1)[1].split("\n## ", 1)[0]
    assert "Stripped (no symbol table)" in stripped
    assert "- `/tmp/gohost-vulncheck/bin/backup.sh`: not an ELF executable" in md
    assert "**Scan error:** " + SCAN_ERROR in md
    assert "**The scan failed:** " + FAILED_MSG in md
    assert "Not scanned: the host was unreachable" in md


def test_markdown_fail_on(rendered):
    def web1_status(fail_on):
        rows = table_rows(rendered[fail_on]["md"].split("## Summary", 1)[1].split("\n## ", 1)[0])
        return cells(rows[2])[8]
    total = sum(module_result()["counts"][k] for k in ("symbol", "package", "module"))
    want = ["✅", "❌ 1 at symbol", "❌ 1 at package", "❌ %d at module" % total]
    assert [web1_status(f) for f in FAIL_ON] == want
    assert "❌ [GO-2022-1059]" not in rendered["none"]["md"] and "[GO-2022-1059]" in rendered["none"]["md"]


# --- HTML ------------------------------------------------------------------------------------------------------------

VOID = {"meta", "br", "link", "img", "hr", "input"}


class Checker(HTMLParser):
    """Tags balanced, the text, the links and the summary table's cells."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.stack, self.errors, self.text, self.links, self.tags = [], [], [], [], set()
        self.rows, self._row, self._cell, self._table = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag == "table":
            self._table = attrs.get("id")
        if tag == "tr" and self._table == "summary":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(html):
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (checker.errors, checker.stack)
    return checker


def test_html_parses_and_says_it_all(rendered):
    page = parse(rendered["package"]["html"])
    text = re.sub(r"\s+", " ", "".join(page.text))
    assert not page.tags & {"script", "link", "img", "iframe"}, page.tags  # self-contained
    assert "https://pkg.go.dev/vuln/GO-2022-1059" in page.links
    assert all(href.startswith(("https://pkg.go.dev/vuln/GO-", "#host-")) for href in page.links), page.links
    # the summary: header, then one row per host
    assert page.rows[0][0] == "host" and [r[0] for r in page.rows[1:]] == HOSTS
    c = module_result()["counts"]
    assert page.rows[1][1:7] == [str(c[k]) for k in ("binaries", "symbol", "package", "module", "policy", "not_go")]
    assert page.rows[1][8] == "1 at package or deeper"
    assert page.rows[2][7:] == ["1", "not all scanned"]
    assert page.rows[3][1] == "scan failed: " + FAILED_MSG
    assert page.rows[4][1].startswith("not scanned") and page.rows[5][1] == page.rows[4][1]
    for words in ("GO-2022-1059", "CVE-2022-32149", "v0.3.7 → v0.3.8",
                  "golang.org/x/text/language.ParseAcceptLanguage",
                  "standard library", "go1.26.8 → go1.26.9", "evidence: build\tCGO_ENABLED=1".replace("\t", " "),
                  "/tmp/gohost-vulncheck/bin/backup.sh: not an ELF executable", "Stripped (no symbol table)",
                  "Scan error: " + SCAN_ERROR, "The scan failed: " + FAILED_MSG, "Not scanned"):
        assert words in text, words
    assert rendered["package"]["html"].count('<tr class="over">') == 1
    assert rendered["none"]["html"].count('<tr class="over">') == 0
    parse(rendered["module"]["html"])
