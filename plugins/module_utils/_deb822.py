# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""APT sources: deb822 ``.sources`` files (sources.list(5), "DEB822-STYLE FORMAT") and the legacy one-line
``sources.list`` format, parsed into stanzas (dicts of field -> value) and rendered back; and the rewrite of a
distribution's sources to a mirror (the apt_client role).

Only the standard library is used: the code runs on the controller (filters) and may run on targets."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):(.*)$")
# Options of the one-line format and the deb822 field each one becomes (sources.list(5)).
_LEGACY_OPTIONS = {
    "arch": "Architectures", "lang": "Languages", "target": "Targets", "pdiffs": "PDiffs",
    "by-hash": "By-Hash", "allow-insecure": "Allow-Insecure", "allow-weak": "Allow-Weak",
    "allow-downgrade-to-insecure": "Allow-Downgrade-To-Insecure", "trusted": "Trusted",
    "signed-by": "Signed-By", "check-valid-until": "Check-Valid-Until", "valid-until-min": "Valid-Until-Min",
    "valid-until-max": "Valid-Until-Max", "check-date": "Check-Date", "date-max-future": "Date-Max-Future",
    "inrelease-path": "InRelease-Path", "snapshot": "Snapshot",
}


class SourcesError(ValueError):
    """A sources file that cannot be understood (the message names the line)."""


def _get(stanza, name, default=None):
    """Field lookup, case-insensitive as in apt."""
    low = name.lower()
    for key, value in stanza.items():
        if key.lower() == low:
            return value
    return default


def _set(stanza, name, value):
    """Set a field in place (keeping its position), case-insensitively; None removes it."""
    low = name.lower()
    items = list(stanza.items())
    stanza.clear()
    found = False
    for key, old in items:
        if key.lower() != low:
            stanza[key] = old
        elif not found and value is not None:
            stanza[name] = value
            found = True
    if not found and value is not None:
        stanza[name] = value


def words(value):
    return (value or "").split()


def parse_deb822(text, where="sources"):
    """Stanzas of a deb822 text, in order. Comment lines (``#``) are dropped, continuation lines (leading
    whitespace) are appended to the field with a newline, as apt does. A field before any ``Name:`` or a line that
    is neither raises SourcesError."""
    stanzas = []
    current = None
    last = None
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, last = None, None
            continue
        if line[0] in " \t":
            if last is None:
                raise SourcesError("%s line %d: continuation line without a field: %r" % (where, num, raw))
            current[last] = (current[last] + "\n" + line.strip()).strip("\n")
            continue
        match = _FIELD_RE.match(line)
        if not match:
            raise SourcesError("%s line %d: not a 'Field: value' line: %r" % (where, num, raw))
        if current is None:
            current = {}
        last = match.group(1)
        if _get(current, last) is not None:
            raise SourcesError("%s line %d: field %s given twice in one stanza" % (where, num, last))
        current[last] = match.group(2).strip()
    if current:
        stanzas.append(current)
    return stanzas


def parse_sources_list(text, where="sources.list"):
    """Stanzas (deb822 fields) of a legacy one-line sources.list: ``deb [opt=v ...] URI suite [component ...]``.
    Comments and blank lines are skipped."""
    stanzas = []
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        options = {}
        match = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not match:
            raise SourcesError("%s line %d: not 'deb[-src] [options] URI suite [component ...]': %r"
                               % (where, num, raw))
        kind, opts, uri, suite, comps = match.groups()
        for opt in (opts or "").split():
            if "=" not in opt:
                raise SourcesError("%s line %d: option %r is not key=value" % (where, num, opt))
            key, value = opt.split("=", 1)
            key = key.rstrip("+-")
            field = _LEGACY_OPTIONS.get(key.lower())
            if field is None:
                raise SourcesError("%s line %d: unknown option %r" % (where, num, key))
            options[field] = " ".join(value.split(","))
        stanza = {"Types": kind, "URIs": uri, "Suites": suite}
        if comps.strip():
            stanza["Components"] = " ".join(comps.split())
        stanza.update(options)
        stanzas.append(stanza)
    return _merge(stanzas)


def render_deb822(stanzas, header=None):
    """deb822 text of the stanzas (one blank line between), with an optional comment header."""
    out = []
    if header:
        out.extend("# " + line if line else "#" for line in header.splitlines())
        out.append("")
    for idx, stanza in enumerate(stanzas):
        if idx:
            out.append("")
        for key, value in stanza.items():
            lines = str(value).split("\n")
            out.append("%s: %s" % (key, lines[0]))
            out.extend(" " + (part if part else ".") for part in lines[1:])
    return "\n".join(out) + "\n"


def _merge(stanzas):
    """Stanzas equal but for their suites become one stanza with the suites of all, in order of appearance."""
    merged = []
    for stanza in stanzas:
        key = sorted((k.lower(), v) for k, v in stanza.items() if k.lower() != "suites")
        for other in merged:
            if sorted((k.lower(), v) for k, v in other.items() if k.lower() != "suites") == key:
                suites = words(_get(other, "Suites"))
                suites.extend(s for s in words(_get(stanza, "Suites")) if s not in suites)
                _set(other, "Suites", " ".join(suites))
                break
        else:
            merged.append(dict(stanza))
    return merged


def enabled(stanza):
    return (_get(stanza, "Enabled", "yes") or "yes").strip().lower() not in ("no", "false", "0")


def to_mirror(stanzas, uri, signed_by, suites=None, components=None, types=None, architectures=None):
    """The stanzas rewritten to the mirror at ``uri`` (every suite of every enabled stanza is published under one
    prefix there), verified with the ``signed_by`` keyring. ``suites``/``components`` (lists) keep only those
    entries, in the original order; ``types`` keeps only those types (e.g. ``['deb']`` when the mirror has no
    sources); ``architectures`` sets the field. Disabled stanzas are dropped; stanzas left with no suite, no
    component (when the original had components) or no type are dropped. Options that describe the upstream
    (Snapshot, Signed-By, Trusted, ...) are not carried over. Stanzas that end up equal but for their suites are
    merged. Raises SourcesError when nothing is left."""
    if not uri or not isinstance(uri, str) or not re.match(r"^(https?|file)://\S+$", uri):
        raise SourcesError("mirror URI must be an http(s):// or file:// URL, got %r" % (uri,))
    if not signed_by or not isinstance(signed_by, str):
        raise SourcesError("Signed-By must be a keyring path, got %r" % (signed_by,))
    keep_fields = {"types", "suites", "components", "architectures", "languages", "targets", "pdiffs", "by-hash"}
    out = []
    for stanza in stanzas:
        if not enabled(stanza):
            continue
        stanza_types = [t for t in words(_get(stanza, "Types")) if not types or t in types]
        stanza_suites = [s for s in words(_get(stanza, "Suites")) if not suites or s in suites]
        orig_comps = words(_get(stanza, "Components"))
        stanza_comps = [c for c in orig_comps if not components or c in components]
        if not stanza_types or not stanza_suites or (orig_comps and not stanza_comps):
            continue
        new = {"Types": " ".join(stanza_types), "URIs": uri.rstrip("/"), "Suites": " ".join(stanza_suites)}
        if stanza_comps:
            new["Components"] = " ".join(stanza_comps)
        for key, value in stanza.items():
            if key.lower() in keep_fields and key.lower() not in ("types", "suites", "components"):
                new[key] = value
        if architectures:
            _set(new, "Architectures", " ".join(architectures))
        new["Signed-By"] = signed_by
        out.append(new)
    out = _merge(out)
    if not out:
        raise SourcesError("no enabled stanza is left once suites %r, components %r and types %r are kept"
                           % (suites, components, types))
    return out
