# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What noble.gohost.govulncheck does besides running govulncheck: read its JSON stream, give each vulnerability
its level, check a build policy against the build information, and build a CycloneDX SBOM from it.

``govulncheck -mode binary -format json FILE`` prints a stream of pretty-printed JSON objects, each with one key::

    {"config": {"scanner_name": "govulncheck", "scanner_version": "v1.9.0", "db": ..., "db_last_modified": ...}}
    {"progress": {"message": ...}}
    {"SBOM": {"go_version": ..., "modules": [...]}}
    {"osv": {"id": "GO-2022-1059", "aliases": [...], "summary": ..., "affected": [...], "database_specific": ...}}
    {"finding": {"osv": "GO-2022-1059", "fixed_version": "v0.3.8",
                 "trace": [{"module": ..., "version": ..., "package": ..., "function": ..., "receiver": ...}]}}

In binary mode govulncheck emits a vulnerability's findings level by level: first one per affected module (frames
with a module only), then per imported vulnerable package (a package too), then per vulnerable symbol present in
the binary (a function too). The level of a vulnerability is the deepest its findings reach.

Everything here is a plain function of its inputs (no module, no I/O but where a function says so) so that the
unit tests run it against captured real output.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json
import re
import uuid

from ansible_collections.noble.gohost.plugins.module_utils._go_buildinfo import version_key

LEVELS = ("symbol", "package", "module")
STDLIB = "stdlib"
TOOLCHAIN = "toolchain"
POLICY_RULES = ("min_go_version", "cgo_disabled", "trimpath", "vcs_clean")
# uuid5 namespace of the SBOM serial numbers: uuid5(NAMESPACE_URL, this) (the name is the binary's sha256)
SBOM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/noble-gohost/noble.gohost/govulncheck/sbom")


class StreamError(ValueError):
    """govulncheck's output is not the JSON stream it should be (the message says where)."""


class DatabaseError(Exception):
    """The vulnerability database is unreachable or not a database (the message says why)."""


# --- the JSON stream ------------------------------------------------------------------------------------------------

def decode_stream(text):
    """(messages, error): the JSON objects of govulncheck's output up to the first that does not parse, and why it
    does not ("" when all do)."""
    decoder = json.JSONDecoder()
    messages, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return messages, ""
        try:
            obj, pos_next = decoder.raw_decode(text, pos)
        except ValueError as exc:
            return messages, ("govulncheck printed invalid JSON at byte %d (message %d): %s"
                              % (pos, len(messages) + 1, exc))
        if not isinstance(obj, dict):
            return messages, ("govulncheck printed a JSON %s at byte %d, not an object (message %d)"
                              % (type(obj).__name__, pos, len(messages) + 1))
        messages.append(obj)
        pos = pos_next


def parse_stream(text):
    """The list of JSON objects in govulncheck's output; raises StreamError at the first one that does not parse."""
    messages, error = decode_stream(text)
    if error:
        raise StreamError(error)
    return messages


def semver_to_go_tag(version):
    """The Go release named by a semantic version of the stdlib or toolchain module, as Go tags its releases:
    v1.26.8 -> go1.26.8, v1.21.0 -> go1.21.0 (from 1.21 the first release has its .0), v1.20.0 -> go1.20,
    v1.21.0-rc.2 -> go1.21rc2, v1.0.0 -> go1 (after govulncheck's internal/semver.SemverToGoTag, without the dash
    it leaves before a prerelease). Anything else is returned unchanged."""
    match = re.match(r"^v(\d+)\.(\d+)\.(\d+)(?:-([a-z]+)\.?(\d+))?$", version or "")
    if not match:
        return version
    major, minor, patch, pre, pre_n = match.groups()
    if version == "v1.0.0":
        return "go1"
    out = "go%s.%s" % (major, minor)
    if patch != "0" or (not pre and (int(major), int(minor)) >= (1, 21)):
        out += "." + patch
    if pre:
        out += pre + (pre_n or "")
    return out


def _display_version(module, version):
    if module in (STDLIB, TOOLCHAIN):
        return semver_to_go_tag(version)
    return version or ""


def frame_symbol(frame):
    """govulncheck's name of the symbol of a trace frame ("golang.org/x/text/language.ParseAcceptLanguage",
    "crypto/x509.Certificate.Verify"), or None when the frame has no function."""
    function = frame.get("function")
    if not function:
        return None
    name = function.split("$")[0]
    receiver = frame.get("receiver") or ""
    if receiver:
        name = receiver.lstrip("*") + "." + name
    if frame.get("package"):
        name = frame["package"] + "." + name
    return name


def finding_level(finding):
    """symbol when a frame of the trace has a function, package when one has a package, module otherwise."""
    frames = finding.get("trace") or []
    if any(f.get("function") for f in frames):
        return "symbol"
    if any(f.get("package") for f in frames):
        return "package"
    return "module"


def _osv_url(osv):
    url = (osv.get("database_specific") or {}).get("url")
    if url:
        return url
    for ref in osv.get("references") or []:
        if ref.get("type") == "ADVISORY" and ref.get("url"):
            return ref["url"]
    return ""


def summarize_scan(messages, stripped=False):
    """{config, osv, vulns} from the parsed stream.

    ``vulns`` has one entry per vulnerability and module (an OSV entry may affect both stdlib and toolchain), with
    its level, sorted by level (symbol first), id, module. With ``stripped`` (the binary has no symbol table)
    govulncheck cannot see which symbols are present and reports every known vulnerable symbol of the affected
    modules (its code says: "we report vulnerabilities at the go.mod-level precision"), so every level is
    ``module`` there and no symbols are listed.
    """
    config, osvs, groups, order = {}, {}, {}, []
    for msg in messages:
        if "config" in msg and isinstance(msg["config"], dict):
            config = msg["config"]
        elif "osv" in msg and isinstance(msg["osv"], dict) and msg["osv"].get("id"):
            osvs[msg["osv"]["id"]] = msg["osv"]
        elif "finding" in msg and isinstance(msg["finding"], dict):
            finding = msg["finding"]
            frames = [f for f in finding.get("trace") or [] if isinstance(f, dict)]
            if not finding.get("osv"):
                raise StreamError("govulncheck printed a finding without an osv id: %s" % json.dumps(finding))
            module = next((f.get("module") for f in frames if f.get("module")), "")
            key = (finding["osv"], module)
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(dict(finding, trace=frames))
    vulns = []
    for key in order:
        osv_id, module = key
        findings = groups[key]
        rank = min(LEVELS.index(finding_level(f)) for f in findings)
        level = "module" if stripped else LEVELS[rank]
        deepest = [f for f in findings if LEVELS.index(finding_level(f)) == rank]
        frames = [fr for f in findings for fr in f["trace"]]
        package = ""
        if level != "module":
            # Every vulnerable package the deepest findings name, sorted: govulncheck emits findings from
            # concurrent workers, so "the first" would change from run to run.
            package = ", ".join(sorted(set(fr["package"] for f in deepest for fr in f["trace"][:1] if fr.get("package"))))
        symbols = []
        if level == "symbol":
            for f in deepest:
                for fr in f["trace"]:
                    name = frame_symbol(fr)
                    if name and name not in symbols:
                        symbols.append(name)
        osv = osvs.get(osv_id, {})
        found = next((fr.get("version") for fr in frames if fr.get("module") == module and fr.get("version")), "")
        fixed = next((f.get("fixed_version") for f in findings if f.get("fixed_version")), "")
        vulns.append({
            "id": osv_id,
            "aliases": list(osv.get("aliases") or []),
            "summary": osv.get("summary") or "",
            "url": _osv_url(osv),
            "module": module,
            "package": package,
            "found_version": _display_version(module, found),
            "fixed_version": _display_version(module, fixed) if fixed else "",
            "level": level,
            "symbols": sorted(symbols),
        })
    vulns.sort(key=lambda v: (LEVELS.index(v["level"]), v["id"], v["module"]))
    return {"config": config, "osv": osvs, "vulns": vulns}


def count_levels(vulns):
    counts = dict((level, 0) for level in LEVELS)
    for vuln in vulns:
        counts[vuln["level"]] += 1
    return counts


# --- running it ----------------------------------------------------------------------------------------------------

def scan_argv(govulncheck, db, path, timeout=None, timeout_bin=None):
    """argv of one scan; with coreutils' timeout when given (SIGTERM after `timeout` s, SIGKILL 10 s later)."""
    argv = [govulncheck, "-db", db, "-mode", "binary", "-format", "json", path]
    if timeout and timeout_bin:
        argv = [timeout_bin, "--kill-after=10", str(int(timeout))] + argv
    return argv


SCAN_ENV = {"GOTOOLCHAIN": "local"}
SCAN_ENV_UNSET = ("GOFLAGS",)


def _last_lines(text, count=5):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])


def run_scan(run_command, argv, timeout=None):
    """(messages, error) of one govulncheck run. `run_command` is AnsibleModule.run_command (argv list, no shell).

    error is "" on success, else govulncheck's own message (its stderr), the timeout, or where its output does
    not parse; messages then holds what was read before (the config message, usually)."""
    rc, out, err = run_command(argv, environ_update=dict(SCAN_ENV))
    messages, parse_error = decode_stream(out or "")
    if timeout and argv and argv[0].endswith("timeout") and rc in (124, 137):
        return messages, "govulncheck did not finish within %d seconds (timeout %s)" % (timeout, "SIGKILL" if rc == 137
                                                                                        else "SIGTERM")
    if rc != 0:
        detail = _last_lines(err) or _last_lines(out) or "no message"
        return messages, "govulncheck failed (rc %d): %s" % (rc, detail)
    if parse_error:
        return messages, parse_error
    if not any("config" in m for m in messages):
        return messages, "govulncheck printed no config message (is it govulncheck v1.0 or later?)"
    return messages, ""


def parse_version_output(text):
    """{name, version} from `govulncheck -version` ("Scanner: govulncheck@v1.9.0"), None when absent."""
    match = re.search(r"^Scanner:\s*(\S+?)@(\S+)\s*$", text or "", re.M)
    if not match:
        return None
    return {"name": match.group(1), "version": match.group(2)}


# --- the database --------------------------------------------------------------------------------------------------

def db_index_url(db):
    return db.rstrip("/") + "/index/db.json"


def parse_db_json(db, data):
    """{modified} of <db>/index/db.json; raises DatabaseError naming `db` when it is not a database's."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DatabaseError("db %s: %s is not UTF-8 text, not a vulnerability database" % (db, db_index_url(db)))
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise DatabaseError("db %s: %s is not JSON (%s), not a vulnerability database" % (db, db_index_url(db), exc))
    if not isinstance(doc, dict) or not isinstance(doc.get("modified"), str) or not doc.get("modified"):
        raise DatabaseError("db %s: %s has no \"modified\" timestamp, not a vulnerability database (got %s)"
                            % (db, db_index_url(db), json.dumps(doc)[:200]))
    return {"modified": doc["modified"]}


def db_scheme(db):
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", db or "")
    return match.group(1).lower() if match else ""


# --- build policy --------------------------------------------------------------------------------------------------

def _setting_line(info, key):
    """The module information line that sets `key` ("build\\tCGO_ENABLED=1"), or None."""
    prefix = "build\t%s=" % key
    for line in info.get("modinfo_lines") or []:
        if line.startswith(prefix):
            return line
    return None


def normalize_policy(policy):
    """The policy with every rule (None = not checked); raises ValueError on an unknown rule or a bad version."""
    policy = dict(policy or {})
    unknown = sorted(set(policy) - set(POLICY_RULES))
    if unknown:
        raise ValueError("policy: unknown rule(s) %s (known: %s)" % (", ".join(unknown), ", ".join(POLICY_RULES)))
    out = dict((rule, policy.get(rule)) for rule in POLICY_RULES)
    if out["min_go_version"] is not None:
        out["min_go_version"] = str(out["min_go_version"]).strip()
        if version_key(out["min_go_version"]) is None:
            raise ValueError("policy.min_go_version %r is not a Go release such as 1.25 or 1.25.3"
                             % out["min_go_version"])
    for rule in ("cgo_disabled", "trimpath", "vcs_clean"):
        if out[rule] is not None and not isinstance(out[rule], bool):
            raise ValueError("policy.%s must be a boolean, got %r" % (rule, out[rule]))
    return out


def check_policy(info, policy):
    """Violations of `policy` (see normalize_policy) by a binary's build information (_go_buildinfo.summarize):
    a list of {rule, expected, found, evidence}; evidence is the build information line it comes from."""
    policy = normalize_policy(policy)
    settings = info.get("settings") or {}
    out = []
    minimum = policy["min_go_version"]
    if minimum:
        found_key = version_key(info.get("go_version"))
        if found_key is None or found_key < version_key(minimum):
            out.append({"rule": "min_go_version", "expected": ">= go%s" % minimum.lstrip("go"),
                        "found": info.get("go_version"),
                        "evidence": info.get("go_version") if found_key is not None
                        else "%s (not a Go release: cannot be compared)" % info.get("go_version")})

    def require(rule, key, want):
        value = settings.get(key)
        if value == want:
            return
        line = _setting_line(info, key)
        out.append({"rule": rule, "expected": "%s=%s" % (key, want), "found": None if line is None else value,
                    "evidence": line if line is not None else "%s is absent from the build settings" % key})

    if policy["cgo_disabled"]:
        require("cgo_disabled", "CGO_ENABLED", "0")
    if policy["trimpath"]:
        require("trimpath", "-trimpath", "true")
    if policy["vcs_clean"] and settings.get("vcs.modified") == "true":
        out.append({"rule": "vcs_clean", "expected": "vcs.modified=false", "found": "true",
                    "evidence": _setting_line(info, "vcs.modified")})
    return out


# --- CycloneDX ------------------------------------------------------------------------------------------------------

def h1_to_sha256_hex(go_sum):
    """The hex of a Go module h1: hash (base64 SHA-256 of the module's file list, golang.org/x/mod/sumdb/dirhash);
    None when it is not one."""
    if not go_sum or not go_sum.startswith("h1:"):
        return None
    try:
        raw = base64.b64decode(go_sum[3:].encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32:
        return None
    return binascii.hexlify(raw).decode("ascii")


_PURL_SAFE = re.compile(r"[^A-Za-z0-9.\-_~]")


def _purl_escape(text):
    return _PURL_SAFE.sub(lambda m: "".join("%%%02X" % b for b in m.group(0).encode("utf-8")), text)


def go_purl(path, version):
    """pkg:golang/<path>@<version>, each path segment and the version percent-encoded (package-url spec)."""
    purl = "pkg:golang/" + "/".join(_purl_escape(seg) for seg in path.split("/"))
    if version:
        purl += "@" + _purl_escape(version)
    return purl


def _is_local_path(path):
    return path.startswith(("./", "../", "/")) or path in (".", "..")


def _component(kind, module, replaces=None):
    comp = {"type": kind, "name": module["path"]}
    if module.get("version"):
        comp["version"] = module["version"]
    if _is_local_path(module["path"]):
        # a replacement by a directory has no package URL: it is not a published module
        comp["bom-ref"] = "go-module-dir:%s" % module["path"]
    else:
        comp["purl"] = go_purl(module["path"], module.get("version"))
        comp["bom-ref"] = comp["purl"]
    digest = h1_to_sha256_hex(module.get("sum"))
    if digest:
        comp["hashes"] = [{"alg": "SHA-256", "content": digest}]
    if replaces:
        comp["properties"] = [{"name": "noble.gohost:replaces",
                               "value": "%s@%s" % (replaces["path"], replaces["version"])}]
    return comp


def build_sbom(info, sha256, tool_version=None):
    """A CycloneDX 1.5 JSON document (dict) of one binary from its build information (_go_buildinfo.summarize).

    metadata.component is the main module (application); components are every dependency (library; a replaced
    module by its replacement, the replaced one named in the property noble.gohost:replaces) and the standard
    library (pkg:golang/stdlib@1.26.8). Hashes are the Go module h1: sums converted to hex (CycloneDX takes hex
    only): the SHA-256 of the module's file list, not of a file. No timestamp, and serialNumber is the uuid5 of
    the binary's sha256, so that a rerun on the same binary gives the same document."""
    main = info.get("main_module") or {"path": info.get("package") or "unknown", "version": "", "sum": ""}
    app = _component("application", main)
    props = [{"name": "cdx:gomod:binary:hash:SHA-256", "value": sha256}]
    if info.get("package"):
        props.append({"name": "noble.gohost:main_package", "value": info["package"]})
    for key in ("GOOS", "GOARCH", "CGO_ENABLED", "GOAMD64", "GOARM64"):
        value = (info.get("settings") or {}).get(key)
        if value is not None:
            props.append({"name": "cdx:gomod:build:env:%s" % key, "value": value})
    components, seen = [], set([app["bom-ref"]])
    for dep in info.get("deps") or []:
        comp = _component("library", dep["replace"], replaces=dep) if dep.get("replace") else \
            _component("library", dep)
        if comp["bom-ref"] in seen:
            continue
        seen.add(comp["bom-ref"])
        components.append(comp)
    go_version = info.get("go_version") or ""
    std_version = go_version[2:] if go_version.startswith("go") else go_version
    std_version = std_version.split()[0] if std_version else ""
    std = {"type": "library", "name": "stdlib", "version": std_version, "purl": go_purl("stdlib", std_version),
           "description": "The Go standard library (%s)" % go_version}
    std["bom-ref"] = std["purl"]
    if std["bom-ref"] not in seen:
        components.append(std)
    tool = {"type": "application", "name": "noble.gohost.govulncheck", "group": "noble.gohost"}
    if tool_version:
        tool["version"] = tool_version
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:%s" % uuid.uuid5(SBOM_NAMESPACE, sha256),
        "version": 1,
        "metadata": {"tools": {"components": [tool]}, "component": app, "properties": props},
        "components": components,
        "dependencies": [{"ref": app["bom-ref"], "dependsOn": [c["bom-ref"] for c in components]}],
    }


# --- one binary ----------------------------------------------------------------------------------------------------

def binary_entry(path, info, sha256, stripped, messages, scan_error, policy, sbom, tool_version=None):
    """The module's entry of one Go binary from its build information and its scan."""
    settings = info.get("settings") or {}
    modified = (info.get("vcs") or {}).get("modified")
    main = info.get("main_module")
    entry = {
        "path": path,
        "sha256": sha256,
        "go_version": info.get("go_version"),
        "main_module": {"path": main["path"], "version": main["version"]} if main else None,
        "vcs": {"revision": settings.get("vcs.revision"), "time": settings.get("vcs.time"),
                "modified": None if modified is None else modified == "true"},
        "settings": {"cgo_enabled": settings.get("CGO_ENABLED"), "trimpath": settings.get("-trimpath") == "true",
                     "goos": settings.get("GOOS"), "goarch": settings.get("GOARCH"),
                     "ldflags": settings.get("-ldflags")},
        "stripped": bool(stripped),
        "vulns": [],
        "policy_violations": check_policy(info, policy),
        "scan_error": scan_error or "",
    }
    if messages and not entry["scan_error"]:  # a failed run's findings are partial (levels too shallow): left out
        try:
            entry["vulns"] = summarize_scan(messages, stripped=stripped)["vulns"]
        except StreamError as exc:
            entry["scan_error"] = entry["scan_error"] or str(exc)
    if sbom:
        entry["sbom"] = build_sbom(info, sha256, tool_version)
    return entry


def scan_config(messages):
    """The config message of a stream ({} when there is none)."""
    for msg in messages or []:
        if isinstance(msg.get("config"), dict):
            return msg["config"]
    return {}
