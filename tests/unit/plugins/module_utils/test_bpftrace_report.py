# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_bpftrace_report against real `bpftrace -f json` output (bpftrace 0.17, captured with the role's programs on a
6.18 kernel: tests/unit/fixtures/bpftrace/)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _bpftrace_report as br

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "bpftrace")


def sample(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def parsed(name):
    return br.parse_events(sample(name))


def test_runqlat_sample_parses_into_maps_hists_stats():
    out = parsed("runqlat_unlimited.json")
    assert out["attached_probes"] == 6
    assert set(out["hists"]) == {"@runq_latency_us"}
    assert set(out["maps"]) == {"@cgroup_id", "@context_switches", "@threads_seen"}
    stats = out["stats"]["@runq_latency_stats_us"]
    # the stats() count is the number of latencies recorded, as is the histogram's total
    assert br.hist_total(out["hists"]["@runq_latency_us"]) == stats["count"]
    assert set(out["maps"]["@context_switches"]) == {"voluntary", "involuntary"}
    assert out["other"] == []


def test_keyed_histograms_and_numeric_keys():
    out = parsed("syscalls.json")
    by_nr = out["hists"]["@syscall_us_by_nr"]
    assert isinstance(by_nr, dict) and all(isinstance(v, list) for v in by_nr.values())
    counts = out["maps"]["@syscall_count_by_nr"]
    for nr, buckets in by_nr.items():
        assert br.hist_total(buckets) == counts[nr]


def test_edge_cases_open_buckets_multi_keys_avg_printf():
    out = parsed("edge_cases.json")
    lh = out["hists"]["@lh"]
    assert lh[0] == {"min": None, "max": -1, "count": 1}        # below lhist's min
    assert lh[-1] == {"min": 100, "max": None, "count": 1}      # above lhist's max
    assert br.bucket_label(lh[0]) == "(..., 0)"
    assert br.bucket_label(lh[-1]) == "[100, ...)"
    assert br.bucket_label(lh[1]) == "[0, 10)"
    assert out["hists"]["@z"] == [{"min": None, "max": -1, "count": 1}]  # negative value in hist()
    assert out["maps"]["@t"] == {"1,x": 1, "2,y": 1}
    assert out["stats"]["@avg"] == 3
    assert out["stats"]["@s"] == {"count": 2, "average": 20, "total": 40}
    assert out["printf"] == ["hello 1\n"]
    assert out["maps"]["@e"] == 0


def test_non_json_lines_are_kept_and_bad_events_refused():
    out = br.parse_events('ERROR: something\n\n{"type": "map", "data": {"@a": 1}}\n[1, 2]\n')
    assert out["other"] == ["ERROR: something", "[1, 2]"]
    assert out["maps"] == {"@a": 1}
    with pytest.raises(br.BpftraceOutputError):
        br.parse_events('{"type": "hist", "data": [1]}')
    with pytest.raises(br.BpftraceOutputError):
        br.parse_events('{"type": "hist", "data": {"@h": 3}}')


@pytest.mark.parametrize("bucket, label", [
    ({"min": 0, "max": 0, "count": 1}, "[0]"),
    ({"min": 1, "max": 1, "count": 1}, "[1]"),
    ({"min": 4, "max": 7, "count": 1}, "[4, 8)"),
    ({"min": 1024, "max": 2047, "count": 1}, "[1K, 2K)"),
    ({"min": 1048576, "max": 2097151, "count": 1}, "[1M, 2M)"),
    ({"min": 10, "max": 19, "count": 1}, "[10, 20)"),
])
def test_bucket_labels_match_bpftrace(bucket, label):
    assert br.bucket_label(bucket) == label


def test_percentiles_from_buckets():
    buckets = [{"min": 0, "max": 0, "count": 50}, {"min": 1, "max": 1, "count": 40}, {"min": 2, "max": 3, "count": 9},
               {"min": 4, "max": 7, "count": 1}]
    assert br.percentile(buckets, 0.5) == 0
    assert br.percentile(buckets, 0.9) == 1
    assert br.percentile(buckets, 0.99) == 3
    assert br.percentile(buckets, 1.0) == 7
    assert br.percentile([], 0.5) is None
    assert br.share_at_least(buckets, 2) == pytest.approx(0.10)


def test_text_histogram_is_drawn_like_bpftrace():
    buckets = parsed("runqlat_quota10.json")["hists"]["@runq_latency_us"]
    text = br.render_hist_text(buckets, width=20)
    lines = text.splitlines()
    assert len(lines) == len(buckets)
    peak = max(b["count"] for b in buckets)
    for line, bucket in zip(lines, buckets):
        marks = re.search(r"\|(@*) *\|$", line).group(1)
        assert len(marks) == int(round(bucket["count"] * 20.0 / peak))
        assert line.startswith(br.bucket_label(bucket))
    assert br.render_hist_text([]) == "(no samples)\n"


def test_svg_histogram_is_well_formed_with_one_bar_per_bucket():
    buckets = parsed("runqlat_quota10.json")["hists"]["@runq_latency_us"]
    svg = br.render_hist_svg(buckets, "us", "runq <latency>")
    root = ET.fromstring(svg)
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == len(buckets)
    widths = [int(r.get("width")) for r in rects]
    assert max(widths) == 360
    assert "runq &lt;latency&gt;" in svg


def test_quota_run_summary_is_slower_than_unlimited_run():
    # The two samples: the same busy Go program without a CPU limit and with cpu.cfs_quota_us=10000 (10%).
    free = br.summarise(parsed("runqlat_unlimited.json"), "runqlat")
    limited = br.summarise(parsed("runqlat_quota10.json"), "runqlat")
    assert limited["figures"]["average"] > 5 * free["figures"]["average"]
    assert limited["figures"]["p90"] > free["figures"]["p90"]
    assert any("a millisecond or longer" in f for f in limited["findings"])
    assert free["figures"]["threads"] >= 1


def test_clock_summaries_tell_vdso_from_syscall_fallback():
    vdso = br.summarise(parsed("clock_vdso.json"), "clock")
    assert vdso["figures"]["clock_syscalls"] == 0
    assert vdso["figures"]["go_clock_reads"] > 0
    assert "served by the vDSO" in vdso["findings"][0]
    slow = br.summarise(parsed("clock_syscall_fallback.json"), "clock")
    assert slow["figures"]["clock_syscalls"] > 0
    assert slow["figures"]["average"] == 1467
    assert "clock_gettime system calls" in slow["findings"][0]


def test_syscall_names_from_unistd_header():
    names = br.parse_unistd(sample("unistd_64.h"))
    assert names[0] == "read" and names[202] == "futex" and names[281] == "epoll_pwait"
    summary = br.summarise(parsed("syscalls.json"), "syscalls", names)
    table = [s for s in summary["sections"] if "table" in s][0]["table"]
    assert all(not str(row[0]).startswith("syscall ") for row in table)
    totals = [row[2] for row in table]
    assert totals == sorted(totals, reverse=True)
    unnamed = br.summarise(parsed("syscalls.json"), "syscalls", {0: "read"})
    assert any(str(row[0]).startswith("syscall ") for row in [s for s in unnamed["sections"] if "table" in s][0]["table"])


def test_offcpu_stacks_are_folded_and_ranked():
    summary = br.summarise(parsed("offcpu.json"), "offcpu")
    rows = summary["sections"][1]["table"]
    assert rows and all(" <- " in row[0] or row[0] == "(no stack)" for row in rows)
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    assert rows[0][0].startswith("__schedule")


def test_empty_output_gives_findings_not_errors():
    summary = br.summarise(br.parse_events(""), "runqlat")
    assert "No thread of the service waited" in summary["findings"][0]
    assert br.render_text(summary)


@pytest.mark.parametrize("program, fixture", [("runqlat", "runqlat_quota10.json"), ("offcpu", "offcpu.json"),
                                              ("syscalls", "syscalls.json"), ("clock", "clock_vdso.json")])
def test_reports_render_in_every_format(program, fixture):
    summary = br.summarise(parsed(fixture), program, br.parse_unistd(sample("unistd_64.h")))
    run = {"service": "zapdemo", "unit": "zapdemo.service", "duration": 3, "host": "h1",
           "files": {"bpftrace_json": "bpftrace.json", "cpu_profile": "cpu.pprof", "runtime_trace": "trace.out"},
           "pprof_top": "flat flat% <main.busy>"}
    text = br.render_text(summary)
    assert summary["title"] in text
    md = br.render_markdown(run, summary)
    assert md.startswith("# %s: zapdemo" % summary["title"])
    assert "go tool pprof -top cpu.pprof" in md
    html = br.render_html(run, summary)
    assert "<script" not in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "&lt;main.busy&gt;" in html
    if program != "clock":
        assert html.count("<svg") >= 1
