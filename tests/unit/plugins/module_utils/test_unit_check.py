# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_unit_check: the offline gate's parsing and its decisions, with systemd-analyze stood in for by a recorder
(the real tool: tests/integration/test_systemd_unit_check_host.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.noble.gohost.plugins.module_utils import _unit_check as uc

SECURITY = u"""  NAME                    DESCRIPTION                                           EXPOSURE
\u2713 SystemCallFilter=~@swap  System call allow list defined for service
\u2717 PrivateNetwork=          Service has access to the host's network                   0.5
\u2717 UMask=                   Files created by service are world-readable by default     0.1
\u2717 RestrictAddressFamilies=~AF_(INET|INET6) Service may allocate Internet sockets   0.3

\u2192 Overall exposure level for api.service: 1.6 OK \U0001f642
"""
UNIT = "[Service]\nExecStart=/usr/local/bin/api --listen :8080\nExecStartPre=+/bin/sh -c true\nExecStop=-/bin/kill x\n"


class Recorder(object):
    """Answers like systemd-analyze: verify with (rc, text), security with (rc, SECURITY-like text)."""

    def __init__(self, verify=(0, ""), security=(0, SECURITY)):
        self.verify, self.security, self.calls, self.seen = verify, security, [], {}

    def __call__(self, argv, environ):
        self.calls.append((list(argv), dict(environ)))
        for path in argv:
            if path.startswith("/") and os.path.exists(path):
                with open(path) as handle:
                    self.seen[os.path.basename(path)] = handle.read()
        if argv[1] == "verify":
            rc, text = self.verify
            return rc, "", text.replace("TMP", os.path.dirname(argv[-1]))
        return self.security[0], self.security[1], ""


def test_parse_security_gives_the_score_and_the_findings_worst_first():
    exposure, findings = uc.parse_security(SECURITY)
    assert exposure == 1.6
    assert findings == ["0.5 PrivateNetwork= (Service has access to the host's network)",
                        "0.3 RestrictAddressFamilies=~AF_(INET|INET6) (Service may allocate Internet sockets)",
                        "0.1 UMask= (Files created by service are world-readable by default)"]
    assert uc.parse_security("no score here") == (None, [])


def test_executables_are_the_programs_of_the_exec_lines_without_prefixes():
    assert uc.executables(UNIT) == ["/usr/local/bin/api", "/bin/sh", "/bin/kill"]
    assert uc.executables("[Service]\nExecStart=api\nEnvironment=ExecStart=/x\n") == []


@pytest.mark.parametrize("threshold, arg", [(4.5, "--threshold=45"), (2, "--threshold=20"), (0.05, "--threshold=0")])
def test_threshold_is_given_in_tenths(threshold, arg):
    assert uc.threshold_arg(threshold) == arg


def test_units_are_verified_together_and_services_rated_then_removed(tmp_path):
    run = Recorder()
    units = [{"name": "api.service", "content": UNIT}, {"name": "api.timer", "content": "[Timer]\nOnCalendar=daily\n"}]
    result = uc.check_units(run, units, threshold=2.0, tmp_root=str(tmp_path))
    verify, security = run.calls
    assert verify[0][:3] == ["systemd-analyze", "verify", "--man=no"] and len(verify[0]) == 5
    assert security[0][:5] == ["systemd-analyze", "security", "--offline=true", "--no-pager", "--threshold=20"]
    assert security[1] == {"SYSTEMD_COLORS": "0"} and security[0][-1].endswith("/api.service")
    assert run.seen == {"api.service": UNIT, "api.timer": "[Timer]\nOnCalendar=daily\n"}
    assert result["exposure"] == {"api.service": 1.6} and len(result["findings"]["api.service"]) == 3
    assert os.listdir(str(tmp_path)) == []


def test_a_rejected_unit_quotes_systemd_and_names_the_label(tmp_path):
    run = Recorder(verify=(1, "api.service: Command /x is not executable: No such file or directory"))
    with pytest.raises(uc.GateError) as err:
        uc.check_units(run, [{"name": "api.service", "content": UNIT}], label="svc[0] (api)", tmp_root=str(tmp_path))
    assert err.value.step == "verify" and len(run.calls) == 1
    assert err.value.message == ("svc[0] (api): systemd-analyze verify rejected the unit (rc=1): api.service: "
                                 "Command /x is not executable: No such file or directory")
    assert os.listdir(str(tmp_path)) == []


def test_an_ignored_setting_is_refused_or_reported(tmp_path):
    text = ("TMP/api.service:4: Invalid memory limit 'lots', ignoring: Invalid argument\n"
            "TMP/other.service:2: Unknown key 'X' in section [Service], ignoring.\n"
            "api.service: some notice")
    with pytest.raises(uc.GateError) as err:
        uc.check_units(Recorder(verify=(0, text)), [{"name": "api.service", "content": UNIT}], label="L")
    assert err.value.message == ("L: systemd ignores settings of the unit, which would leave them unset: "
                                 "api.service:4: Invalid memory limit 'lots', ignoring: Invalid argument")
    result = uc.check_units(Recorder(verify=(0, text)), [{"name": "api.service", "content": UNIT}], ignored="warn")
    assert result["ignored"] == ["api.service:4: Invalid memory limit 'lots', ignoring: Invalid argument"]


def test_a_sandbox_above_the_threshold_lists_the_worst_findings():
    run = Recorder(security=(1, SECURITY))
    with pytest.raises(uc.GateError) as err:
        uc.check_units(run, [{"name": "api.service", "content": UNIT}], threshold=1.0, hint="preset strict",
                       findings=2)
    assert err.value.step == "security" and err.value.result["exposure"] == {"api.service": 1.6}
    assert err.value.message == (
        "systemd-analyze security rates the unit api.service 1.6, above the threshold 1.0 (preset strict). "
        "Worst findings (exposure, setting): 0.5 PrivateNetwork= (Service has access to the host's network); "
        "0.3 RestrictAddressFamilies=~AF_(INET|INET6) (Service may allocate Internet sockets)")


def test_without_a_threshold_the_score_is_reported_only():
    run = Recorder(security=(0, SECURITY.replace("1.6 OK", "9.6 UNSAFE")))
    result = uc.check_units(run, [{"name": "api.service", "content": UNIT}])
    assert result["exposure"] == {"api.service": 9.6}
    assert not any(a.startswith("--threshold") for a in run.calls[1][0])


def test_output_without_a_score_is_an_error_not_a_pass():
    with pytest.raises(uc.GateError) as err:
        uc.check_units(Recorder(security=(1, "Failed to parse unit")), [{"name": "api.service", "content": UNIT}],
                       threshold=5)
    assert "could not rate api.service (rc=1)" in err.value.message
