#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: journal_query
short_description: Read systemd journal entries, with zap JSON parsed into journal fields
version_added: 1.0.0
description:
  - Runs C(journalctl --output=json) on the target and returns the entries that match a unit, a syslog identifier
    and/or arbitrary journal fields, between O(since) and O(until), from the system journal or a log namespace.
  - When an entry's C(MESSAGE) is a JSON line written by go.uber.org/zap (a JSON object with the message and level
    keys), its keys are mapped into journal fields the way the native journal core of C(examples/zap-service)
    writes them, so an entry reads the same whichever way the service logs. The mapping is in C(docs/journald.md), in short
    level to C(PRIORITY) (debug 7, info 6, warn 4, error 3, dpanic/panic/fatal 2) and C(ZAP_LEVEL), message to
    C(MESSAGE), caller to C(CODE_FILE)/C(CODE_LINE), function to C(CODE_FUNC), other keys upper-cased with every
    character outside C([A-Z0-9_]) replaced by C(_).
  - O(query) is a JMESPath expression evaluated on the controller by this module's action plugin (the target
    needs no jmespath library; the controller does).
  - Reads only; never changes the host.
author:
  - noble.gohost developers (@noble-gohost)
attributes:
  check_mode:
    support: full
    description: Runs in check mode too; it only reads.
  diff_mode:
    support: none
    description: Nothing to compare.
options:
  unit:
    description: Systemd units (C(journalctl --unit)); an entry matches any of them.
    type: list
    elements: str
  identifier:
    description: Syslog identifiers (C(SYSLOG_IDENTIFIER), C(journalctl --identifier)); an entry matches any of them.
    type: list
    elements: str
  match:
    description:
      - Journal fields to match, C(FIELD -> value) or C(FIELD -> [values]); values of one field are alternatives,
        different fields must all match. Field names are upper-case letters, digits and C(_).
      - Matched against what the journal stored, before zap JSON is parsed; to match a field inside zap JSON on
        stdout, use O(query).
    type: dict
  since:
    description: Oldest entries to show, in C(journalctl --since) syntax (V(-10min), V(today), V(2026-01-01 10:00:00)).
    type: str
  until:
    description: Newest entries to show, in C(journalctl --until) syntax.
    type: str
  lines:
    description:
      - Return only the last O(lines) entries that pass every filter (O(priority) included). C(0) means all.
    type: int
    default: 0
  priority:
    description:
      - Keep entries whose priority, after zap JSON is parsed, is this one or more important; a name (V(err),
        V(warning)) or a number 0-7. Applied by the module, so a zap error written as JSON on stdout (which
        journald stores with priority 6) counts as 3.
    type: str
  namespace:
    description: Log namespace (C(LogNamespace=)) to read instead of the system journal; V(*) reads all.
    type: str
  parse_zap:
    description: Parse zap JSON found in C(MESSAGE).
    type: bool
    default: true
  zap_encoder:
    description:
      - The keys of the service's zap JSON encoder (C(zapcore.EncoderConfig)), when they differ from zap's
        production encoder config.
    type: dict
    suboptions:
      message_key:
        description: C(MessageKey).
        type: str
        default: msg
      level_key:
        description: C(LevelKey).
        type: str
        default: level
      time_key:
        description: C(TimeKey) (mapped to C(ZAP_TS)).
        type: str
        default: ts
      caller_key:
        description: C(CallerKey) (C(file:line), mapped to C(CODE_FILE) and C(CODE_LINE)).
        type: str
        default: caller
      function_key:
        description: C(FunctionKey) (mapped to C(CODE_FUNC)).
        type: str
        default: func
      name_key:
        description: C(NameKey), the logger name (mapped to C(ZAP_LOGGER)).
        type: str
        default: logger
      stacktrace_key:
        description: C(StacktraceKey) (mapped to C(ZAP_STACKTRACE)).
        type: str
        default: stacktrace
  query:
    description:
      - JMESPath expression applied to the list of returned entries on the controller; the result is in
        RV(query_result). Needs the C(jmespath) Python library on the controller (as C(community.general.json_query)).
    type: str
notes:
  - Entries come oldest first.
  - Reading another user's entries needs root or the C(systemd-journal) group.
seealso:
  - name: journald role
    description: The C(noble.gohost.journald) role and the zap mapping.
    link: https://github.com/noble-gohost/noble.gohost/tree/main/docs/journald.md
  - module: community.general.json_query
"""

EXAMPLES = r"""
- name: Errors of the API service in the last ten minutes
  noble.gohost.journal_query:
    unit: api.service
    since: -10min
    priority: err
  register: api_errors

- name: Entries of one request, whichever way the service logs
  noble.gohost.journal_query:
    unit: api.service
    query: "[?fields.REQUEST_ID=='r-42'].{msg: message, prio: priority, file: fields.CODE_FILE}"
  register: one_request

- name: Last 20 entries of a service that logs into its own namespace
  noble.gohost.journal_query:
    namespace: payments
    identifier: payments
    lines: 20

- name: Entries with a native journal field
  noble.gohost.journal_query:
    match:
      TENANT: [t1, t2]
      _SYSTEMD_UNIT: api.service
"""

RETURN = r"""
entries:
  description: The entries, oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    fields:
      description:
        - Every field of the entry as journalctl gave it (trusted C(_*) and C(__*) fields too; binary values
          decoded as UTF-8 with replacement characters; a field given several times is a list), with the fields of
          parsed zap JSON laid over it (C(MESSAGE) becomes zap's message, C(PRIORITY) the level's priority).
      type: dict
    format:
      description: V(zap-json) (zap JSON parsed from MESSAGE), V(zap-native) (native fields with C(ZAP_LEVEL)), or V(plain).
      type: str
    zap:
      description: The parsed zap JSON object with its own keys and types, or null.
      type: dict
    raw_message:
      description: C(MESSAGE) as the journal stored it.
      type: str
    message:
      description: C(fields.MESSAGE).
      type: str
    priority:
      description: C(fields.PRIORITY) as a number, or null.
      type: int
    timestamp:
      description: When journald received the entry, ISO 8601 UTC.
      type: str
    unit:
      description: C(_SYSTEMD_UNIT).
      type: str
    identifier:
      description: C(SYSLOG_IDENTIFIER).
      type: str
    cursor:
      description: C(__CURSOR), to resume with C(journalctl --after-cursor).
      type: str
  sample:
    - fields: {MESSAGE: db down, PRIORITY: "3", ZAP_LEVEL: error, USER_ID: "42", CODE_FILE: zap-service/main.go, CODE_LINE: "229"}
      format: zap-json
      message: db down
      priority: 3
      unit: zap-json.service
count:
  description: Number of entries.
  returned: success
  type: int
command:
  description: The journalctl command that ran.
  returned: success
  type: list
  elements: str
query_result:
  description: The result of O(query) (any JSON type).
  returned: when O(query) is set
  type: raw
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.noble.gohost.plugins.module_utils._journal import (
    DEFAULT_ZAP_KEYS,
    FIELD_NAME_RE,
    command,
    parse_output,
    priority_number,
)


# zap_encoder suboption -> key of DEFAULT_ZAP_KEYS
ENCODER_KEYS = {"message_key": "message", "level_key": "level", "time_key": "time", "caller_key": "caller",
                "function_key": "function", "name_key": "logger", "stacktrace_key": "stacktrace"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            unit=dict(type="list", elements="str"),
            identifier=dict(type="list", elements="str"),
            match=dict(type="dict"),
            since=dict(type="str"),
            until=dict(type="str"),
            lines=dict(type="int", default=0),
            priority=dict(type="str"),
            namespace=dict(type="str"),
            parse_zap=dict(type="bool", default=True),
            zap_encoder=dict(type="dict", options=dict(
                message_key=dict(type="str", default="msg", no_log=False),
                level_key=dict(type="str", default="level", no_log=False),
                time_key=dict(type="str", default="ts", no_log=False),
                caller_key=dict(type="str", default="caller", no_log=False),
                function_key=dict(type="str", default="func", no_log=False),
                name_key=dict(type="str", default="logger", no_log=False),
                stacktrace_key=dict(type="str", default="stacktrace", no_log=False),
            )),
            query=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["query"] is not None:
        module.fail_json(msg="query is evaluated on the controller by the noble.gohost.journal_query action plugin; "
                             "run the module by that name")
    if p["lines"] < 0:
        module.fail_json(msg="lines: %d is negative" % p["lines"])
    for field in p["match"] or {}:
        if not FIELD_NAME_RE.match(field):
            module.fail_json(msg="match: field name %r is not upper-case letters, digits and _" % field)
    max_priority = None
    if p["priority"] is not None:
        try:
            max_priority = priority_number(p["priority"])
        except ValueError as exc:
            module.fail_json(msg="priority: %s" % exc)
    keys = dict(DEFAULT_ZAP_KEYS)
    for option, value in (p["zap_encoder"] or {}).items():
        if value:
            keys[ENCODER_KEYS[option]] = value

    journalctl = module.get_bin_path("journalctl", required=True)
    # With a priority filter the module must see every entry before it keeps the last `lines`.
    argv = command(journalctl, p, with_lines=max_priority is None)
    rc, out, err = module.run_command(argv, environ_update={"SYSTEMD_COLORS": "0", "LC_ALL": "C"})
    if rc != 0:
        module.fail_json(msg="journalctl failed (rc %d): %s" % (rc, err.strip()), rc=rc, command=argv,
                         stderr=err)
    entries = parse_output(out, p["parse_zap"], keys)
    if max_priority is not None:
        entries = [e for e in entries if e["priority"] is not None and e["priority"] <= max_priority]
    if p["lines"]:
        entries = entries[-p["lines"]:]
    module.exit_json(changed=False, entries=entries, count=len(entries), command=argv)


if __name__ == "__main__":
    main()
