# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the system call names out of strace output, in every layout strace (5.x, 6.x) writes, or refuse it.

A trace line is ``[PID] [TIME] [(+ REL)] [[ NR]] [[ADDR]] name(args...) = ret [<dur>]``:

- the PID is ``1234 `` (``-f -o FILE``), ``[pid  1234] `` (``-f`` to stderr), ``1234<comm> `` (``-Y``) or absent
  (one process, or ``-ff -o FILE`` which writes one file per process);
- TIME is ``12:00:01`` (``-t``), ``12:00:01.123456`` (``-tt``), ``1700000000.123456`` (``-ttt``) or the relative
  ``     0.000123`` (``-r``), and ``-ttt -r`` adds ``(+     0.000123)``;
- ``[ 257]`` is the system call number (``-n``), ``[00007f3b2c1d5e8b]`` the instruction pointer (``-i``);
- ``-T``, ``-y``, ``-X``, ``-v``, ``-s`` only change what follows the name.

Other lines strace writes: ``<... read resumed>`` (the end of a call another process interrupted), a lone
``<unfinished ...>``, ``--- SIGCHLD {...} ---`` and ``--- stopped by ... ---``, ``+++ exited with 0 +++``, stack frames
`` > /lib/...`` (``-k``), ``strace: Process 1234 attached`` (stderr), ``[ Process PID=1 runs in 32 bit mode. ]``, and
the ``-c``/``-C`` summary table (a header naming the ``calls`` and ``syscall`` columns, dashes, one row per call,
dashes, ``total``). Anything else raises StraceParseError naming the line: a log the parser does not understand must
not quietly give a shorter list.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_NAME = r"[a-z_][a-z0-9_]*"
_PREFIX = re.compile(
    r"^\s*"
    r"(?:\[pid\s+\d+(?:<[^>]*>)?\]\s+|\d+(?:<[^>]*>)?\s+(?=\S))?"  # -f (file or stderr), -Y
    r"(?:(?:\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+)?"  # -t, -tt, -ttt, -r
    r"(?:\(\+\s*\d+\.\d+\)\s+)?"  # -ttt -r
    r"(?:\[\s*\d+\]\s+)?"  # -n
    r"(?:\[(?:[0-9a-f]{8,16}|\?+)\]\s+)?"  # -i
)
_CALL = re.compile(r"(%s)\(" % _NAME)
_RESUMED = re.compile(r"<\.\.\. (?:(%s) )?resumed>" % _NAME)
_UNKNOWN = re.compile(r"syscall_(?:0x[0-9a-f]+|\d+)$")
_SKIP = (
    re.compile(r"--- .* ---$"),  # signals, stops
    re.compile(r"\+\+\+ .* \+\+\+$"),  # exits, kills, superseded by execve
    re.compile(r"<unfinished \.\.\.>$"),
    re.compile(r"\[ Process PID=\d+ runs in .* mode\. \]$"),
)
_SUMMARY_HEAD = re.compile(r"^\s*(?:%\s*time\s+)?.*\bcalls\b.*\bsyscall\b")
_DASHES = re.compile(r"^[-\s]+$")
_NUMBER = re.compile(r"^[0-9.:]+%?$")


class StraceParseError(Exception):
    """A line that is not strace output in any layout this parser reads."""


class Trace(object):
    """What a log holds: names (known system calls), unknown (``syscall_0x1b6`` and such), layouts seen."""

    def __init__(self):
        self.names = set()
        self.unknown = set()
        self.formats = set()
        self.lines = 0

    def add(self, name):
        if _UNKNOWN.match(name) or name == "????":
            self.unknown.add(name)
        else:
            self.names.add(name)


def _describe(prefix):
    formats = set()
    if re.match(r"^\s*\[pid\s", prefix):
        formats.add("-f (stderr)")
    elif re.match(r"^\s*\d+(?:<[^>]*>)?\s", prefix):
        formats.add("-f")
    if "<" in prefix:
        formats.add("-Y")
    if re.search(r"\d:\d{2}:\d{2}\.\d", prefix):
        formats.add("-tt")
    elif re.search(r"\d:\d{2}:\d{2}", prefix):
        formats.add("-t")
    elif re.search(r"\d{9,}\.\d+", prefix):
        formats.add("-ttt")
    elif re.search(r"(?:^|\s)\d{1,8}\.\d{6}\s", prefix):
        formats.add("-r")
    if "(+" in prefix:
        formats.add("-r")
    if re.search(r"\[\s*\d{1,4}\]", prefix):
        formats.add("-n")
    if re.search(r"\[(?:[0-9a-f]{8,16}|\?+)\]", prefix):
        formats.add("-i")
    return formats


def parse(text, source="strace output"):
    """A Trace of ``text``; raises StraceParseError on a line strace does not write."""
    trace = Trace()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        trace.lines += 1
        if line.startswith(" > "):  # -k stack frame
            trace.formats.add("-k")
            continue
        if line.startswith("strace: "):  # strace's own messages, when its stderr was captured
            continue
        if _SUMMARY_HEAD.match(line) and i < len(lines) and _DASHES.match(lines[i]):
            trace.formats.add("-c")
            i = _parse_summary(lines, i + 1, trace, source)
            continue
        if _DASHES.match(line) or re.match(r"^System call usage summary for .* mode:$", line):
            continue
        match = _PREFIX.match(line)
        prefix, body = line[:match.end()], line[match.end():]
        call = _CALL.match(body)
        if call:
            trace.add(call.group(1))
        elif body.startswith("????("):
            trace.add("????")
        elif _RESUMED.match(body):
            name = _RESUMED.match(body).group(1)
            if name:
                trace.add(name)
        elif not any(skip.match(body) for skip in _SKIP):
            raise StraceParseError(
                "cannot parse line %d of %s: %r is not a line strace writes in any layout this module reads "
                "(-f, -ff, -Y, -t/-tt/-ttt, -r, -T, -n, -i, -y, -k, -X, -c/-C summaries)" % (i, source, line[:200]))
        trace.formats |= _describe(prefix)
    return trace


def _parse_summary(lines, i, trace, source):
    """Rows of a ``-c`` table from lines[i] up to and with its ``total`` row; the index after it."""
    while i < len(lines):
        line = lines[i]
        i += 1
        if _DASHES.match(line):
            if i < len(lines) and lines[i].split()[-1:] == ["total"]:
                i += 1
            return i
        tokens = line.split()
        words = [t for t in tokens if not _NUMBER.match(t)]
        if len(words) != 1 or not re.match("^%s$|^\\?{4}$" % _NAME, words[0]):
            raise StraceParseError("cannot parse line %d of %s: %r is not a row of an strace -c summary table"
                                   % (i, source, line[:200]))
        if words[0] != "total":
            trace.add(words[0])
    raise StraceParseError("the strace -c summary table of %s ends without its closing line (cut short?)" % source)


def syscalls(text, source="strace output"):
    """The known system call names of ``text``."""
    return parse(text, source).names
