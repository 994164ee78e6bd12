# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor helpers shared by the noble.gohost modules (private: the API may change without notice).

Kernel state is read from securityfs (``/sys/kernel/security/apparmor``) and ``/sys/module/apparmor``; profiles are
parsed, loaded and removed with ``apparmor_parser`` (never by writing to securityfs directly).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

SECURITYFS = "/sys/kernel/security/apparmor"
SYSMODULE = "/sys/module/apparmor"

# The modes the kernel reports in securityfs' "profiles" file that this collection manages.
MANAGED_MODES = ("enforce", "complain")


def kernel_status(securityfs=None, sysmodule=None):
    """Whether profiles can be loaded here: ``(True, "")`` or ``(False, reason)``."""
    securityfs = securityfs or SECURITYFS
    sysmodule = sysmodule or SYSMODULE
    if not os.path.isdir(sysmodule):
        return False, "the running kernel has no AppArmor (%s does not exist)" % sysmodule
    enabled_path = os.path.join(sysmodule, "parameters", "enabled")
    try:
        with open(enabled_path) as fh:
            enabled = fh.read().strip()
    except (IOError, OSError) as exc:
        return False, "cannot read %s: %s" % (enabled_path, exc)
    if enabled != "Y":
        return False, ("AppArmor is built into the kernel but not enabled (%s is %r: apparmor=0 or another security "
                       "module on the kernel command line)" % (enabled_path, enabled))
    profiles = os.path.join(securityfs, "profiles")
    if not os.access(profiles, os.R_OK):
        return False, ("%s cannot be read: securityfs is not mounted or not visible here (a container?)"
                       % profiles)
    load = os.path.join(securityfs, ".replace")
    if not os.access(load, os.W_OK):
        return False, ("%s is not writable: profiles cannot be loaded from here (a container, or no "
                       "CAP_MAC_ADMIN)" % load)
    return True, ""


def loaded_profiles(securityfs=None):
    """``{profile name: mode}`` of the profiles loaded in the kernel (empty when they cannot be read)."""
    path = os.path.join(securityfs or SECURITYFS, "profiles")
    result = {}
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except (IOError, OSError):
        return result
    for line in lines:
        line = line.rstrip()
        if not line.endswith(")") or " (" not in line:
            continue
        name, mode = line[:-1].rsplit(" (", 1)
        result[name] = mode
    return result


# Profile modes (apparmor_parser --debug) that a "complain" flag conflicts with: the parser refuses both, and its
# --Complain would silently turn them into complain mode.
CONFLICTING_MODES = ("kill", "unconfined", "prompt", "default_allow")

# How the kernel (securityfs "profiles") names a mode the parser names otherwise.
_KERNEL_MODES = {"default_allow": ("unconfined",), "prompt": ("prompt", "user")}


def kernel_has_mode(compiled, loaded):
    """Whether a profile the parser compiles in mode ``compiled`` is loaded in it (``loaded``, or None)."""
    return loaded in _KERNEL_MODES.get(compiled, (compiled,))


# Lines apparmor_parser prints whatever the profile: without them, its real message is the first line.
_NOISE_RE = re.compile(
    r"^(Cache read/write disabled: .*"
    r"|Warning: unable to find a suitable fs in /proc/mounts, is it mounted\?"
    r"|Use --subdomainfs to override\."
    r"|Cache: added primary location .*)$")
_ASSIGN_RE = re.compile(r"^@\{[^}]*\}(\+?=.*)?$")


def clean_message(out, err):
    """The parser's message without its noise lines (stderr first, then stdout)."""
    text = "\n".join(part for part in ((err or "").strip(), (out or "").strip()) if part)
    lines = [line for line in text.splitlines() if line.strip() and not _NOISE_RE.match(line.strip())]
    return "\n".join(lines) if lines else text


class _Token(object):
    __slots__ = ("start", "end", "text")

    def __init__(self, start, end, text):
        self.start, self.end, self.text = start, end, text


def _tokens(text):
    """AppArmor's lexical structure, as far as block headers need it.

    Yields ``("tok", token)``, ``("open", pos)``, ``("close", pos)``, ``("end", pos)`` (a ``,`` ending a rule) and
    ``("nl", pos)``. Comments (``#`` starting a token, not ``#include``) are skipped; quoted strings, parenthesised
    groups (``flags=(a, b)``) and alternations (``/etc/{a,b}``, ``@{VAR}``) stay inside their token. A ``{`` is a
    block opener where it starts a token and is followed by white space, ``}`` or the end of the text.
    """
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            yield "nl", i
            i += 1
            continue
        if char.isspace():
            i += 1
            continue
        if char == "#" and not text.startswith("#include", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if char == "{" and (i + 1 == n or text[i + 1].isspace() or text[i + 1] == "}"):
            yield "open", i
            i += 1
            continue
        if char == "}":
            yield "close", i
            i += 1
            continue
        if char == ",":
            yield "end", i
            i += 1
            continue
        start, braces, parens = i, 0, 0
        while i < n:
            char = text[i]
            if char == '"':
                i += 1
                while i < n and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
                i += 1
                continue
            if parens:
                parens += {"(": 1, ")": -1}.get(char, 0)
                i += 1
                if not parens:
                    break  # "flags=(complain){": the group ends the token
                continue
            if char == "(":
                parens += 1
            elif char == "{":
                braces += 1
            elif char == "}":
                if not braces:
                    break
                braces -= 1
            elif braces == 0 and (char.isspace() or char == ","):
                break
            i += 1
        yield "tok", _Token(start, min(i, n), text[start:min(i, n)])


class Header(object):
    """A block header: its tokens, its kind (``profile``, ``hat`` or ``other``) and its depth."""

    def __init__(self, tokens, open_pos, depth):
        self.tokens = tokens
        self.open_pos = open_pos
        self.depth = depth
        first = tokens[0].text if tokens else ""
        if first in ("profile", "hat") or first.startswith("^"):
            self.kind = "profile" if first == "profile" else "hat"
        elif depth == 0 and first[:1] in ("/", "@", '"', ":"):
            self.kind = "profile"
        else:
            self.kind = "other"  # conditionals (if/else), qualifier blocks (owner { ... }), ...

    def flags_span(self):
        """``(start, end, flags)`` of the header's flags group, or ``None``."""
        toks = self.tokens
        for k, tok in enumerate(toks):
            text = tok.text
            if text.startswith("flags=("):
                return tok.start, tok.end, _split_flags(text[len("flags="):])
            if text == "flags" and k + 1 < len(toks):
                nxt = toks[k + 1]
                if nxt.text.startswith("=("):
                    return tok.start, nxt.end, _split_flags(nxt.text[1:])
                if nxt.text == "=" and k + 2 < len(toks) and toks[k + 2].text.startswith("("):
                    return tok.start, toks[k + 2].end, _split_flags(toks[k + 2].text)
            if text.startswith("(") and k > 0 and not toks[k - 1].text.endswith("=") and toks[k - 1].text != "flags":
                return tok.start, tok.end, _split_flags(text)  # flags without "flags=" (allowed by the grammar)
        return None


def _split_flags(group):
    inner = group.strip()
    if inner.startswith("("):
        inner = inner[1:]
    if inner.endswith(")"):
        inner = inner[:-1]
    return [f for f in re.split(r"[\s,]+", inner) if f]


def _ends_at_newline(stmt):
    """Include lines and variable or boolean assignments end at the end of their line (no comma)."""
    if not stmt:
        return False
    first = stmt[0].text
    if first in ("include", "#include") or first.startswith("$"):
        return True
    match = _ASSIGN_RE.match(first)
    if not match:
        return False
    return bool(match.group(1)) or (len(stmt) > 1 and stmt[1].text.lstrip("+").startswith("="))


def headers(content):
    """The block headers of ``content`` (profiles, hats and other blocks), in text order."""
    found = []
    stmt = []
    depth = 0
    for kind, value in _tokens(content):
        if kind == "tok":
            stmt.append(value)
        elif kind == "nl":
            if _ends_at_newline(stmt):
                stmt = []
        elif kind == "open":
            found.append(Header(stmt, value, depth))
            depth += 1
            stmt = []
        elif kind == "close":
            depth = max(depth - 1, 0)
            stmt = []
        else:
            stmt = []
    return found


def set_mode(content, mode):
    """``content`` with the ``complain`` flag of every profile and hat set (``complain``) or removed (``enforce``).

    As ``aa-complain`` / ``aa-enforce`` do: the flags of every profile header of the text (children and hats too,
    whose mode the kernel does not inherit) are rewritten, sorted and joined with ``, ``; other flags are kept, and a
    header whose flags do not change is left as it is. Returns the new text and the number of profile headers found.
    Which profiles the text really defines, and their modes after the rewrite, are the parser's to say: see
    ``Parser.profiles``.
    """
    if mode not in MANAGED_MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MANAGED_MODES))
    edits = []
    count = 0
    for header in headers(content):
        if header.kind == "other" or not header.tokens:
            continue
        count += 1
        span = header.flags_span()
        flags = list(span[2]) if span else []
        wanted = [f for f in flags if f not in ("complain", "enforce")]
        if mode == "complain":
            wanted.append("complain")
        wanted = sorted(set(wanted))
        if sorted(set(flags)) == wanted and "enforce" not in flags:
            continue
        if span:
            start, end = span[0], span[1]
            if wanted:
                edits.append((start, end, "flags=(%s)" % ", ".join(wanted)))
            else:
                # drop the group and the blanks before it; "flags=(complain){" keeps a blank before its "{"
                while start > 0 and content[start - 1] in " \t":
                    start -= 1
                edits.append((start, end, "" if end == len(content) or content[end].isspace() else " "))
        else:
            end = header.tokens[-1].end
            edits.append((end, end, " flags=(%s)" % ", ".join(wanted)))
    for start, end, text in sorted(edits, reverse=True):
        content = content[:start] + text + content[end:]
    return content, count


class Parser(object):
    """``apparmor_parser`` run through an AnsibleModule (so that unit tests mock ``module.run_command``).

    Every method returns the parser's message without its noise lines (``clean_message``).
    """

    def __init__(self, module, binary, base_dir):
        self.module = module
        self.binary = binary
        self.base_dir = base_dir

    def _run(self, args, path):
        return self.module.run_command([self.binary, "--base", self.base_dir] + args + [path])

    def check(self, path):
        """Compile ``path`` without touching the kernel or the cache: ``(ok, message)``."""
        rc, out, err = self._run(["--skip-kernel-load", "--skip-cache", "--quiet"], path)
        return rc == 0, clean_message(out, err)

    def names(self, path):
        """Names of the profiles defined in ``path`` (hats and children too, as ``parent//child``)."""
        rc, out, err = self._run(["--names"], path)
        if rc != 0:
            return None, clean_message(out, err)
        return [n.strip() for n in out.splitlines() if n.strip()], ""

    def profiles(self, path):
        """``[(name, mode)]`` of every profile ``path`` defines, as the parser compiles them, or ``(None, why)``.

        Names come from ``--names``, modes from ``--debug`` (one ``Name:`` line on stdout and one ``Mode:`` line on
        stderr per profile, in the order of ``--names``). A profile without a mode flag is ``enforce``.
        """
        names, err = self.names(path)
        if names is None:
            return None, err
        rc, out, err = self._run(["--skip-kernel-load", "--skip-cache", "--debug"], path)
        if rc != 0:
            return None, clean_message(out, err)
        dumped = [line.split("\t", 1)[1].strip() for line in out.splitlines() if line.startswith("Name:\t\t")]
        modes = [line[len("Mode: "):].split(",")[0].strip() for line in err.splitlines() if line.startswith("Mode: ")]
        if not (len(names) == len(dumped) == len(modes)) or any(
                name != local and not name.endswith("//" + local) for name, local in zip(names, dumped)):
            return None, ("apparmor_parser --names lists %s, its --debug dump %s with %d mode(s): cannot tell the "
                          "modes of the profiles apart" % (names, dumped, len(modes)))
        return [(name, mode or "enforce") for name, mode in zip(names, modes)], ""

    def replace(self, path):
        rc, out, err = self._run(["--replace", "--write-cache"], path)
        return rc == 0, clean_message(out, err)

    def remove(self, path):
        rc, out, err = self._run(["--remove"], path)
        return rc == 0, clean_message(out, err)


def plan(parser, content, mode, write, real_path):
    """What to write for ``content`` in ``mode``, checked by the parser: ``(text, [(name, mode)], None)`` or
    ``(None, profiles, message)``; nothing is written to the policy directory.

    ``write(text)`` saves ``text`` to a temporary file and returns its path; the parser's messages name
    ``real_path`` instead. The parser says which profiles the content defines (``--names``) and their modes
    (``--debug``), before and after the mode flags are set by ``set_mode``; a profile whose mode the text cannot set
    (its header is in an included file) or whose flags conflict with ``complain`` is refused, naming it.
    """
    def fix(message, path):
        return message.replace(path, real_path)

    path = write(content)
    before, err = parser.profiles(path)
    if before is None:
        return None, [], "profile %s does not parse, nothing was written: %s" % (real_path, fix(err, path))
    if not before:
        return None, [], "content defines no profile (apparmor_parser --names lists none)"
    if mode not in MANAGED_MODES:
        text, after, path_after = content, before, path
    else:
        if mode == "complain":
            conflicts = ["%s (flags=(%s))" % (name, m) for name, m in before if m in CONFLICTING_MODES]
            if conflicts:
                return None, before, ("mode complain conflicts with the mode flag of profile(s) %s: a profile cannot "
                                      "be complain and %s at once; nothing was written"
                                      % (", ".join(conflicts), "/".join(sorted(set(
                                          m for _n, m in before if m in CONFLICTING_MODES)))))
        text, _count = set_mode(content, mode)
        after, path_after = before, path
        if text != content:
            path_after = write(text)
            after, err = parser.profiles(path_after)
            if after is None:
                return None, before, ("setting mode %s breaks the profile, nothing was written (please report this "
                                      "as a bug of noble.gohost): %s" % (mode, fix(err, path_after)))
        want = [(name, mode if mode == "complain" or m == "complain" else m) for name, m in before]
        if [n for n, _m in after] != [n for n, _m in before]:
            return None, before, ("setting mode %s changed the profiles from %s to %s, nothing was written (please "
                                  "report this as a bug of noble.gohost)"
                                  % (mode, [n for n, _m in before], [n for n, _m in after]))
        wrong = ["%s (%s)" % (name, got) for (name, got), (_n, wanted) in zip(after, want) if got != wanted]
        if wrong:
            return None, before, ("cannot set mode %s on profile(s) %s of %s: their header is not in the content "
                                  "(a profile of an included file?); nothing was written"
                                  % (mode, ", ".join(wrong), real_path))
    ok, err = parser.check(path_after)
    if not ok:
        return None, after, "profile %s does not parse, nothing was written: %s" % (real_path, fix(err, path_after))
    return text, after, None
