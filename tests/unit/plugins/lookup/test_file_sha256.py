# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file_sha256 lookup: the hash of controller files, a relative path found as copy finds src, a missing file
as an error or as an empty string."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.noble.gohost.plugins.lookup import file_sha256

NAME = "noble.gohost.file_sha256"


def lookup():
    """The plugin with its options read from its DOCUMENTATION, as the plugin loader would set it up."""
    C.config.initialize_plugin_configuration_definitions("lookup", NAME,
                                                         yaml.safe_load(file_sha256.DOCUMENTATION)["options"])
    plugin = file_sha256.LookupModule()
    plugin._load_name = NAME
    return plugin


def test_the_hash_of_each_file(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_bytes(b"\x7fELF" + b"x" * (3 << 20))
    two.write_bytes(b"")
    assert lookup().run([str(one), str(two)], variables={}) == [
        hashlib.sha256(one.read_bytes()).hexdigest(), hashlib.sha256(b"").hexdigest()]


def test_a_missing_file_fails_or_gives_an_empty_string(tmp_path):
    with pytest.raises(AnsibleLookupError, match="is not a file on the controller"):
        lookup().run([str(tmp_path / "none")], variables={})
    assert lookup().run([str(tmp_path / "none")], variables={}, missing="empty") == [""]
    with pytest.raises(AnsibleLookupError, match="is not a file on the controller"):
        lookup().run([str(tmp_path)], variables={})


def test_a_relative_path_is_found_in_the_search_path(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "api").write_bytes(b"binary")
    plugin = lookup()

    def dwim(self, paths, dirname, source, is_role=False):  # pylint: disable=unused-argument
        return str(tmp_path / dirname / source)

    plugin._loader = type("Loader", (), {"path_dwim_relative_stack": dwim})()
    got = plugin.run(["api"], variables={"ansible_search_path": [str(tmp_path)]})
    assert got == [hashlib.sha256(b"binary").hexdigest()]
