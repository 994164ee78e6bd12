# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the goproxy role: GOPROXY protocol paths (module path escaping), go.mod parsing for the cache
prefill, checks of the upstream chain, and the environment of the mirror's clients."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

_MODULE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~/+-]*$")
_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_URL_RE = re.compile(r"^(https?|file)://[^\s,|]+$")
_SUMDB_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*(\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)?$")


def _escape(value):
    if not isinstance(value, str) or not value:
        raise AnsibleFilterError("goproxy_escape_path: expected a non-empty string, got %r" % (value,))
    out = []
    for char in value:
        if char == "!":
            raise AnsibleFilterError("goproxy_escape_path: %r contains '!', which module paths never do" % value)
        out.append("!" + char.lower() if "A" <= char <= "Z" else char)
    return "".join(out)


def goproxy_escape_path(value):
    """``github.com/BurntSushi/toml`` -> ``github.com/!burnt!sushi/toml``."""
    return _escape(value)


def _split_module(item, var_name, idx):
    where = "%s[%d]" % (var_name, idx)
    if not isinstance(item, str) or item.count("@") != 1:
        raise AnsibleFilterError("%s must be 'module@version' (e.g. go.uber.org/zap@v1.28.0), got %r"
                                 % (where, item))
    path, version = item.split("@")
    if not _MODULE_RE.match(path) or "//" in path or path.endswith("/") or ".." in path.split("/"):
        raise AnsibleFilterError("%s: %r is not a module path" % (where, path))
    if not _VERSION_RE.match(version):
        raise AnsibleFilterError("%s: %r is not a canonical semantic version (vMAJOR.MINOR.PATCH[-pre][+build])"
                                 " of %s; queries such as 'latest' change over time and are not prefilled"
                                 % (where, version, path))
    return path, version


def goproxy_prefill_paths(items, var_name="goproxy_prefill_modules", with_zip=True):
    """URL paths (no leading slash) of every file the proxy serves for each ``module@version``: .info, .mod and,
    unless ``with_zip`` is false, .zip. Duplicates are dropped, order kept."""
    if not isinstance(items, list):
        raise AnsibleFilterError("%s must be a list of 'module@version' strings, got %r" % (var_name, items))
    paths = []
    seen = set()
    for idx, item in enumerate(items):
        path, version = _split_module(item, var_name, idx)
        base = "%s/@v/%s" % (_escape(path), _escape(version))
        for ext in (".info", ".mod", ".zip") if with_zip else (".info", ".mod"):
            if base + ext not in seen:
                seen.add(base + ext)
                paths.append(base + ext)
    return paths


def _strip_comment(line):
    return line.split("//", 1)[0].strip()


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"`":
        return token[1:-1]
    return token


def goproxy_gomod_requires(text, name="go.mod"):
    """``module@version`` for every requirement of a go.mod file, after its ``replace`` directives (a requirement
    replaced by a local directory is dropped; one replaced by another module version becomes that version).
    ``exclude`` and ``retract`` lines are ignored."""
    if not isinstance(text, str):
        raise AnsibleFilterError("goproxy_gomod_requires: %s is not text" % name)
    requires = []
    replaces = {}
    block = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line:
            continue
        if block:
            if line == ")":
                block = None
                continue
            verb, rest = block, line
        else:
            verb, _sep, rest = line.partition(" ")
            rest = rest.strip()
            if rest == "(":
                block = verb
                continue
        tokens = [_unquote(t) for t in rest.split()]
        if verb == "require":
            if len(tokens) != 2:
                raise AnsibleFilterError("%s line %d: cannot read the requirement %r" % (name, lineno, raw.strip()))
            requires.append((tokens[0], tokens[1]))
        elif verb == "replace":
            if "=>" not in tokens:
                raise AnsibleFilterError("%s line %d: replace without '=>': %r" % (name, lineno, raw.strip()))
            arrow = tokens.index("=>")
            old, new = tokens[:arrow], tokens[arrow + 1:]
            if not old or len(old) > 2 or not new or len(new) > 2:
                raise AnsibleFilterError("%s line %d: cannot read the replacement %r" % (name, lineno, raw.strip()))
            target = None if len(new) == 1 else (new[0], new[1])
            replaces[(old[0], old[1] if len(old) == 2 else None)] = target
    out = []
    for path, version in requires:
        key = (path, version) if (path, version) in replaces else (path, None)
        if key in replaces:
            target = replaces[key]
            if target is None:
                continue
            path, version = target
        item = "%s@%s" % (path, version)
        if item not in out:
            out.append(item)
    return out


def goproxy_upstream_errors(chain, var_name="goproxy_upstream"):
    """Error messages for a GOPROXY chain (``https://a,https://b|direct``); empty means Go's default."""
    if chain is None or chain == "":
        return []
    if not isinstance(chain, str):
        return ["%s must be a GOPROXY string such as 'https://proxy.example,direct', got %r" % (var_name, chain)]
    errors = []
    entries = re.split(r"[,|]", chain)
    for idx, entry in enumerate(entries):
        if entry in ("direct", "off"):
            if idx != len(entries) - 1:
                errors.append("%s: %r ends the chain, so it must be the last entry of %r" % (var_name, entry, chain))
        elif not _URL_RE.match(entry):
            errors.append("%s: %r is neither an http(s):// or file:// URL nor 'direct' or 'off' (in %r)"
                          % (var_name, entry, chain))
    return errors


def goproxy_client_env(mirror_urls, sumdbs=None, gonosumdb=None, goprivate=None, fallback="off"):
    """GOPROXY/GOSUMDB/GONOSUMDB/GOPRIVATE for the clients of one or more mirrors (tried in order; ``fallback``
    ends the chain: ``off`` keeps clients on the mirrors, ``direct`` lets them reach origins when every mirror
    answers 404/410). The first checksum database is checked through the first mirror's /sumdb/ endpoint."""
    if isinstance(mirror_urls, str):
        mirror_urls = [mirror_urls]
    if not isinstance(mirror_urls, list) or not mirror_urls:
        raise AnsibleFilterError("goproxy_client_env: no mirror URL (is the mirror group empty?)")
    if fallback not in ("off", "direct", ""):
        raise AnsibleFilterError("goproxy_client_env: fallback must be off, direct or '', got %r" % (fallback,))
    urls = []
    for url in mirror_urls:
        if not isinstance(url, str) or not re.match(r"^https?://[^\s,|]+$", url):
            raise AnsibleFilterError("goproxy_client_env: %r is not an http(s) URL" % (url,))
        urls.append(url.rstrip("/"))
    env = {"GOPROXY": ",".join(urls + ([fallback] if fallback else []))}
    sumdbs = sumdbs or []
    if sumdbs:
        first = sumdbs[0]
        name = first.get("name") if isinstance(first, dict) else first
        if not isinstance(name, str) or not _SUMDB_NAME_RE.match(name):
            raise AnsibleFilterError("goproxy_client_env: %r is not a checksum database name" % (name,))
        env["GOSUMDB"] = "%s %s/sumdb/%s" % (name, urls[0], name.split("+", 1)[0])
    if gonosumdb:
        env["GONOSUMDB"] = ",".join(gonosumdb)
    if goprivate:
        env["GOPRIVATE"] = ",".join(goprivate)
    return env


class FilterModule(object):
    def filters(self):
        return {
            "goproxy_escape_path": goproxy_escape_path,
            "goproxy_prefill_paths": goproxy_prefill_paths,
            "goproxy_gomod_requires": goproxy_gomod_requires,
            "goproxy_upstream_errors": goproxy_upstream_errors,
            "goproxy_client_env": goproxy_client_env,
        }
