# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers to run a module's main() in-process, after community.general's tests/unit/plugins/modules/utils.py.

    with set_module_args({"probes": ["cgroup"]}):
        result = run_module(kernel_facts.main)          # the dict given to exit_json
    with set_module_args({...}):
        failure = run_module(mod.main, expect_fail=True)  # the dict given to fail_json
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import threading

from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler

from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core 2.19 and later
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # pragma: no cover - ansible-core 2.16 to 2.18
    patch_module_args = None


class AnsibleExitJson(Exception):
    """Raised in place of exit_json; its first argument is the result."""


class AnsibleFailJson(Exception):
    """Raised in place of fail_json; its first argument is the result."""


def _exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self, msg="", **kwargs):  # pylint: disable=unused-argument
    kwargs["failed"] = True
    kwargs["msg"] = msg
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def set_module_args(args):
    """Make ``args`` the module arguments for the duration of the block."""
    args = dict(args)
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    serialized = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
        yield


def run_module(main, expect_fail=False):
    """Run ``main`` and return the result dict; fail the test if it exits the other way than expected."""
    with mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json):
        try:
            main()
        except AnsibleExitJson as exc:
            if expect_fail:
                raise AssertionError("module succeeded, a failure was expected: %r" % (exc.args[0],))
            return exc.args[0]
        except AnsibleFailJson as exc:
            if not expect_fail:
                raise AssertionError("module failed: %r" % (exc.args[0],))
            return exc.args[0]
    raise AssertionError("module returned without calling exit_json or fail_json")


@contextlib.contextmanager
def http_server(directory):
    """A static HTTP server on a free loopback port serving directory (a database over HTTP); yields its URL."""
    handler = partial(SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *a, **k: None
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
