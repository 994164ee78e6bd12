# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bpftrace JSON output (``bpftrace -f json``) parsed into maps and histograms, and the reports of
noble.gohost.go_observability drawn from them (plain text, Markdown, self-contained HTML with SVG bars).

``bpftrace -f json`` prints one JSON object per line; the ones used here (bpftrace 0.17 and later):

- ``{"type": "attached_probes", "data": {"probes": N}}``
- ``{"type": "map", "data": {"@name": VALUE}}``: VALUE is a number (map without keys) or ``{"key": number}``;
  several keys are joined with commas (``"1,x"``), a stack key is the stack text.
- ``{"type": "hist", "data": {"@name": BUCKETS}}`` (``hist()`` and ``lhist()``), or ``{"@name": {"key": BUCKETS}}``
  with keys. BUCKETS is a list of ``{"min": a, "max": b, "count": n}``; the underflow bucket of ``lhist`` and the
  bucket of negative values of ``hist`` have no ``min``, the overflow bucket of ``lhist`` has no ``max``.
- ``{"type": "stats", "data": {"@name": {"count": n, "average": a, "total": t}}}`` (``stats()``) or a bare number
  (``avg()``).
- ``{"type": "printf", "data": "text"}``, ``{"type": "time", "data": "..."}``.

Lines that are not JSON (bpftrace's warnings, blank lines) are kept in ``other``. Pure Python, no third-party imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

_UNISTD_RE = re.compile(r"^\s*#\s*define\s+__NR3?2?_([A-Za-z0-9_]+)\s+(\d+)\s*$")

# What each program measures, in words for the report, and its main histogram.
PROGRAMS = {
    "runqlat": {
        "title": "Run-queue latency and context switches",
        "main": "@runq_latency_us",
        "unit": "us",
        "about": "How long the service's threads waited for a CPU after becoming runnable (woken up, or preempted "
                 "while still wanting to run). Time the unit spends throttled by its CPU quota shows up here.",
    },
    "offcpu": {
        "title": "Off-CPU time by kernel stack",
        "main": "@offcpu_us",
        "unit": "us",
        "about": "How long the service's threads stayed blocked (futex, epoll, I/O, sleep) each time they left the "
                 "CPU, and in which kernel code path they blocked.",
    },
    "syscalls": {
        "title": "System calls by latency",
        "main": "@syscall_us",
        "unit": "us",
        "about": "How long each system call of the service took, all calls together and per call.",
    },
    "clock": {
        "title": "Cost of reading the clock (time.Now)",
        "main": "@clock_syscall_ns",
        "unit": "ns",
        "about": "How often the Go runtime read the clock, and how many of those reads became clock_gettime "
                 "system calls (the vDSO falls back to them when the clocksource cannot be read from user space), "
                 "with the time each took.",
    },
}

_UNIT_WORDS = {"us": "µs", "ns": "ns", "ms": "ms"}


class BpftraceOutputError(ValueError):
    """The text is not bpftrace JSON output."""


def parse_events(text):
    """``bpftrace -f json`` output as ``{"maps", "hists", "stats", "printf", "attached_probes", "other"}``."""
    out = {"maps": {}, "hists": {}, "stats": {}, "printf": [], "attached_probes": None, "other": []}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            out["other"].append(line)
            continue
        if not isinstance(event, dict) or "type" not in event:
            out["other"].append(line)
            continue
        kind, data = event["type"], event.get("data")
        if kind == "attached_probes":
            out["attached_probes"] = (data or {}).get("probes")
        elif kind in ("map", "hist", "stats"):
            if not isinstance(data, dict):
                raise BpftraceOutputError("a %s event without a map: %r" % (kind, line[:200]))
            target = {"map": "maps", "hist": "hists", "stats": "stats"}[kind]
            for name, value in data.items():
                out[target][name] = _normalise_hist(value) if kind == "hist" else value
        elif kind == "printf":
            out["printf"].append(data)
        else:
            out["other"].append(line)
    return out


def _normalise_bucket(bucket):
    return {"min": bucket.get("min"), "max": bucket.get("max"), "count": int(bucket.get("count", 0))}


def _normalise_hist(value):
    if isinstance(value, list):
        return [_normalise_bucket(b) for b in value]
    if isinstance(value, dict):
        return dict((k, [_normalise_bucket(b) for b in v]) for k, v in value.items())
    raise BpftraceOutputError("a histogram that is neither a list of buckets nor keyed lists: %r" % (value,))


def parse_unistd(text):
    """``{number: name}`` from a kernel ``asm/unistd_64.h`` (``#define __NR_read 0``)."""
    names = {}
    for line in (text or "").splitlines():
        match = _UNISTD_RE.match(line)
        if match:
            names[int(match.group(2))] = match.group(1)
    return names


def _fmt_num(value):
    """1234567 -> '1.2M'; small numbers as they are."""
    value = int(value)
    for size, suffix in ((1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")):
        if abs(value) >= size and value % size == 0:
            return "%d%s" % (value // size, suffix)
    return str(value)


def bucket_label(bucket):
    """bpftrace's own labels: ``[4, 8)`` for log2 buckets, ``[10, 20)`` for linear ones, ``(..., 0)``, ``[100, ...)``."""
    low, high = bucket["min"], bucket["max"]
    if low is None:
        return "(..., %s)" % _fmt_num((high or 0) + 1)
    if high is None:
        return "[%s, ...)" % _fmt_num(low)
    if low == high:
        return "[%s]" % _fmt_num(low)
    return "[%s, %s)" % (_fmt_num(low), _fmt_num(high + 1))


def hist_total(buckets):
    return sum(b["count"] for b in buckets)


def percentile(buckets, fraction):
    """The upper bound of the bucket holding the given fraction of the samples (None without samples)."""
    total = hist_total(buckets)
    if not total:
        return None
    wanted = fraction * total
    seen = 0
    for bucket in buckets:
        seen += bucket["count"]
        if seen >= wanted and bucket["count"]:
            return bucket["max"] if bucket["max"] is not None else bucket["min"]
    return buckets[-1]["max"]


def share_at_least(buckets, value):
    """Fraction of samples in buckets whose lower bound is at least ``value``."""
    total = hist_total(buckets)
    if not total:
        return 0.0
    return sum(b["count"] for b in buckets if b["min"] is not None and b["min"] >= value) / float(total)


def render_hist_text(buckets, width=40):
    """The histogram as bpftrace prints it: ``[4, 8)   12 |@@@@   |``."""
    if not buckets:
        return "(no samples)\n"
    peak = max(b["count"] for b in buckets) or 1
    labels = [bucket_label(b) for b in buckets]
    lwidth = max(len(label) for label in labels)
    cwidth = max(len(str(b["count"])) for b in buckets)
    lines = []
    for label, bucket in zip(labels, buckets):
        marks = "@" * int(round(bucket["count"] * width / float(peak)))
        lines.append("%-*s %*d |%-*s|" % (lwidth, label, cwidth, bucket["count"], width, marks))
    return "\n".join(lines) + "\n"


def _esc(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def render_hist_svg(buckets, unit="", title=""):
    """The histogram as an inline SVG bar chart (one horizontal bar per bucket, labelled, no script)."""
    row, label_w, bar_w, count_w = 18, 130, 360, 70
    height = row * max(len(buckets), 1) + 28
    width = label_w + bar_w + count_w
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="monospace" font-size="12">' % (width, height, width, height),
             "<title>%s</title>" % _esc(title or "histogram")]
    parts.append('<text x="0" y="14" font-weight="bold">%s%s</text>'
                 % (_esc(title), (" (%s)" % _esc(_UNIT_WORDS.get(unit, unit))) if unit else ""))
    peak = max([b["count"] for b in buckets] + [1])
    for idx, bucket in enumerate(buckets):
        y = 24 + idx * row
        length = int(round(bucket["count"] * bar_w / float(peak)))
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                     % (label_w - 6, y + 12, _esc(bucket_label(bucket))))
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#3572b0"><title>%s: %d</title></rect>'
                     % (label_w, y + 2, max(length, 1 if bucket["count"] else 0), row - 4,
                        _esc(bucket_label(bucket)), bucket["count"]))
        parts.append('<text x="%d" y="%d">%d</text>' % (label_w + length + 4, y + 12, bucket["count"]))
    parts.append("</svg>")
    return "".join(parts)


def _sorted_keys(mapping, by_value=True):
    if by_value:
        return sorted(mapping, key=lambda k: (-_sort_value(mapping[k]), str(k)))
    return sorted(mapping, key=str)


def _sort_value(value):
    if isinstance(value, list):
        return hist_total(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def _key_label(name, key, syscall_names):
    if name.endswith("_by_nr") and syscall_names:
        try:
            return syscall_names.get(int(key), "syscall %s" % key)
        except ValueError:
            return key
    if name.endswith("_by_kstack"):
        frames = [f.strip() for f in str(key).strip().splitlines() if f.strip()]
        return " <- ".join(frames[:6]) + (" ..." if len(frames) > 6 else "") if frames else "(no stack)"
    return key


def summarise(parsed, program, syscall_names=None, top=10):
    """Numbers and plain-language findings of one run: ``{"program", "title", "about", "unit", "main", "figures",
    "findings", "sections"}``. ``sections`` are ``{"title", "hist"|"table"}`` ready to draw."""
    info = PROGRAMS.get(program, {"title": program, "main": None, "unit": "", "about": ""})
    syscall_names = syscall_names or {}
    unit_word = _UNIT_WORDS.get(info["unit"], info["unit"])
    main = parsed["hists"].get(info["main"]) if info["main"] else None
    figures = {}
    findings = []
    sections = []
    if isinstance(main, list):
        total = hist_total(main)
        figures.update(samples=total, p50=percentile(main, 0.5), p90=percentile(main, 0.9),
                       p99=percentile(main, 0.99), max_bucket=percentile(main, 1.0))
        sections.append({"title": info["main"].lstrip("@"), "unit": info["unit"], "hist": main})
    stats_name = {"runqlat": "@runq_latency_stats_us", "clock": "@clock_syscall_stats_ns"}.get(program)
    stats = parsed["stats"].get(stats_name) if stats_name else None
    if isinstance(stats, dict):
        figures["average"] = stats.get("average")
        figures["count"] = stats.get("count")

    if program == "runqlat":
        switches = parsed["maps"].get("@context_switches") or {}
        figures["voluntary_switches"] = int(switches.get("voluntary", 0))
        figures["involuntary_switches"] = int(switches.get("involuntary", 0))
        figures["threads"] = parsed["maps"].get("@threads_seen", 0)
        if figures.get("samples"):
            findings.append("%d times a thread of the service became runnable and waited for a CPU; half waited "
                            "at most %s %s, 9 in 10 at most %s %s, 99 in 100 at most %s %s (average %s %s)."
                            % (figures["samples"], figures["p50"], unit_word, figures["p90"], unit_word,
                               figures["p99"], unit_word, figures.get("average"), unit_word))
            slow = share_at_least(main, 1024)
            if slow >= 0.05:
                findings.append("%.0f%% of the waits were a millisecond or longer: the threads were runnable but "
                                "got no CPU. With a CPUQuota= on the unit this is usually throttling (the quota of "
                                "the period was used up); without one, other work competes for the CPUs."
                                % (slow * 100))
            else:
                findings.append("Waits of a millisecond or more were rare (%.1f%%): the service gets a CPU when it "
                                "needs one." % (slow * 100))
        else:
            findings.append("No thread of the service waited for a CPU while tracing: it was idle, or the cgroup "
                            "had no threads that ran.")
        findings.append("%d voluntary context switches (the thread blocked: futex, epoll, sleep, I/O) and %d "
                        "involuntary ones (preempted while it still wanted to run) by %s thread(s)."
                        % (figures["voluntary_switches"], figures["involuntary_switches"], figures["threads"]))
        table = [["voluntary", figures["voluntary_switches"]], ["involuntary", figures["involuntary_switches"]]]
        sections.append({"title": "context switches", "table": table})
    elif program == "offcpu":
        by_stack = parsed["maps"].get("@offcpu_us_by_kstack") or {}
        total = parsed["maps"].get("@offcpu_total_us", 0)
        figures["offcpu_total_us"] = total
        rows = [[_key_label("@offcpu_us_by_kstack", k, None), by_stack[k]] for k in _sorted_keys(by_stack)[:top]]
        if rows:
            findings.append("The threads were blocked for %s µs in total; the longest total was in: %s (%s µs)."
                            % (total, rows[0][0], rows[0][1]))
        else:
            findings.append("No thread of the service blocked while tracing.")
        sections.append({"title": "off-CPU µs by kernel stack (top %d)" % top, "table": rows})
    elif program == "syscalls":
        counts = parsed["maps"].get("@syscall_count_by_nr") or {}
        totals = parsed["maps"].get("@syscall_total_us_by_nr") or {}
        per_call = parsed["hists"].get("@syscall_us_by_nr") or {}
        rows = []
        for key in _sorted_keys(totals)[:top]:
            calls = int(counts.get(key, 0))
            rows.append([_key_label("@syscall_total_us_by_nr", key, syscall_names), calls, totals[key],
                         int(totals[key] / calls) if calls else 0])
        figures["syscalls"] = sum(int(v) for v in counts.values())
        if rows:
            findings.append("%d system calls; the most time went to %s (%d calls, %s µs in all, %d µs each on "
                            "average). Calls that wait by design (futex, epoll_pwait, nanosleep) lead this list in "
                            "an idle service." % (figures["syscalls"], rows[0][0], rows[0][1], rows[0][2],
                                                  rows[0][3]))
        else:
            findings.append("The service made no system calls while tracing.")
        sections.append({"title": "system calls by total time (top %d)" % top,
                         "columns": ["call", "calls", "total µs", "average µs"], "table": rows})
        for key in _sorted_keys(per_call)[:3]:
            sections.append({"title": "%s latency" % _key_label("@syscall_us_by_nr", key, syscall_names),
                             "unit": "us", "hist": per_call[key]})
    elif program == "clock":
        reads = parsed["maps"].get("@go_clock_reads") or {}
        by_clock = parsed["maps"].get("@clock_syscalls_by_clockid") or {}
        figures["go_clock_reads"] = sum(int(v) for v in reads.values())
        figures["clock_syscalls"] = sum(int(v) for v in by_clock.values())
        if figures["clock_syscalls"]:
            findings.append("%d clock_gettime system calls for %d clock reads by the Go runtime: the vDSO could not "
                            "read the clocksource from user space, so time.Now() enters the kernel; a call took "
                            "%s ns on average (half under %s ns)."
                            % (figures["clock_syscalls"], figures["go_clock_reads"], figures.get("average"),
                               figures.get("p50")))
        else:
            findings.append("%d clock reads by the Go runtime and no clock_gettime system call: time.Now() is "
                            "served by the vDSO without entering the kernel (tens of nanoseconds on the TSC "
                            "clocksource)." % figures["go_clock_reads"])
        sections.append({"title": "clock reads by the Go runtime",
                         "table": [[k, reads[k]] for k in _sorted_keys(reads)]})
    for line in parsed.get("other") or []:
        if line.startswith("ERROR") or "WARNING" in line:
            findings.append("bpftrace said: %s" % line)
    return {"program": program, "title": info["title"], "about": info["about"], "unit": info["unit"],
            "main": info["main"], "figures": figures, "findings": findings, "sections": sections}


def render_text(summary):
    """The human summary of one run (the histograms as bpftrace draws them)."""
    out = ["%s" % summary["title"], "=" * len(summary["title"]), "", summary["about"], ""]
    out.extend("- %s" % f for f in summary["findings"])
    for section in summary["sections"]:
        out.extend(["", section["title"] + ((" (%s)" % _UNIT_WORDS.get(section.get("unit"), section.get("unit")))
                                            if section.get("unit") else ""), "-" * len(section["title"])])
        if "hist" in section:
            out.append(render_hist_text(section["hist"]).rstrip("\n"))
        else:
            out.extend(_table_text(section))
    return "\n".join(out) + "\n"


def _table_text(section):
    rows = section.get("table") or []
    if not rows:
        return ["(none)"]
    return ["  ".join(str(c) for c in row) for row in rows]


def _run_facts(run):
    facts = [("service", run.get("service")), ("unit", run.get("unit")), ("host", run.get("host")),
             ("cgroup", run.get("cgroup")), ("traced for", "%s s" % run.get("duration")),
             ("started", run.get("started")), ("CPU quota", run.get("cpu_quota") or "none"),
             ("kernel", run.get("kernel")), ("clocksource", run.get("clocksource"))]
    return [(k, v) for k, v in facts if v not in (None, "")]


def render_markdown(run, summary):
    """The report of one run as Markdown (histograms as text blocks)."""
    out = ["# %s: %s" % (summary["title"], run.get("service", "?")), ""]
    out.extend("- **%s**: %s" % (k, v) for k, v in _run_facts(run))
    out.extend(["", summary["about"], "", "## What it shows", ""])
    out.extend("- %s" % f for f in summary["findings"])
    for section in summary["sections"]:
        out.extend(["", "## %s" % section["title"], ""])
        if "hist" in section:
            out.extend(["```", render_hist_text(section["hist"]).rstrip("\n"), "```"])
        else:
            columns = section.get("columns") or ["", "value"]
            out.append("| %s |" % " | ".join(columns))
            out.append("|%s" % ("---|" * len(columns)))
            out.extend("| %s |" % " | ".join(str(c).replace("|", "\\|") for c in row)
                       for row in section.get("table") or [])
    out.extend(["", "## Files", ""])
    out.extend(_files_lines(run, markdown=True))
    return "\n".join(out) + "\n"


def _files_lines(run, markdown):
    lines = []
    for name, desc in (("bpftrace_json", "bpftrace output (JSON lines, `bpftrace -f json`)"),
                       ("summary", "this summary as text"),
                       ("cpu_profile", "Go CPU profile: `go tool pprof -top %s`"),
                       ("runtime_trace", "Go runtime trace: `go tool trace %s`")):
        path = (run.get("files") or {}).get(name)
        if path:
            text = desc % path if "%s" in desc else desc
            lines.append(("- `%s`: %s" % (path, text)) if markdown else (path, text))
    for note in run.get("notes") or []:
        lines.append(("- %s" % note) if markdown else ("", note))
    if run.get("pprof_top"):
        if markdown:
            lines.extend(["", "CPU profile, top functions (`go tool pprof -top`):", "", "```",
                          run["pprof_top"].rstrip("\n"), "```"])
    return lines


def render_html(run, summary):
    """The report of one run as one self-contained HTML page (inline SVG histograms, no script, no links out)."""
    head = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s: %s</title>'
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
            "pre{background:#f4f4f4;padding:6px;overflow-x:auto}</style></head><body>"
            % (_esc(summary["title"]), _esc(run.get("service", "?"))))
    out = [head, "<h1>%s: %s</h1>" % (_esc(summary["title"]), _esc(run.get("service", "?"))), "<table>"]
    out.extend("<tr><th>%s</th><td>%s</td></tr>" % (_esc(k), _esc(v)) for k, v in _run_facts(run))
    out.extend(["</table>", "<p>%s</p>" % _esc(summary["about"]), "<h2>What it shows</h2><ul>"])
    out.extend("<li>%s</li>" % _esc(f) for f in summary["findings"])
    out.append("</ul>")
    for section in summary["sections"]:
        out.append("<h2>%s</h2>" % _esc(section["title"]))
        if "hist" in section:
            out.append(render_hist_svg(section["hist"], section.get("unit", ""), section["title"]))
        else:
            out.append("<table>")
            if section.get("columns"):
                out.append("<tr>%s</tr>" % "".join("<th>%s</th>" % _esc(c) for c in section["columns"]))
            out.extend("<tr>%s</tr>" % "".join("<td>%s</td>" % _esc(c) for c in row)
                       for row in section.get("table") or [])
            out.append("</table>")
    out.append("<h2>Files</h2><ul>")
    for path, text in _files_lines(run, markdown=False):
        out.append("<li>%s%s</li>" % (("<code>%s</code>: " % _esc(path)) if path else "", _esc(text)))
    out.append("</ul>")
    if run.get("pprof_top"):
        out.append("<h2>CPU profile, top functions</h2><pre>%s</pre>" % _esc(run["pprof_top"]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
