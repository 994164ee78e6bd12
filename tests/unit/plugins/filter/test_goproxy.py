# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.noble.gohost.plugins.filter import goproxy as f


def test_escape_path_lowers_capitals_with_bang():
    assert f.goproxy_escape_path("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml"
    assert f.goproxy_escape_path("go.uber.org/zap") == "go.uber.org/zap"


@pytest.mark.parametrize("bad", ["", None, "github.com/a!b/c", 3])
def test_escape_path_refuses_bad_input(bad):
    with pytest.raises(AnsibleFilterError):
        f.goproxy_escape_path(bad)


def test_prefill_paths_lists_info_mod_zip_once():
    paths = f.goproxy_prefill_paths(["go.uber.org/zap@v1.28.0", "github.com/Masterminds/semver/v3@v3.2.1",
                                     "go.uber.org/zap@v1.28.0"])
    assert paths == [
        "go.uber.org/zap/@v/v1.28.0.info", "go.uber.org/zap/@v/v1.28.0.mod", "go.uber.org/zap/@v/v1.28.0.zip",
        "github.com/!masterminds/semver/v3/@v/v3.2.1.info", "github.com/!masterminds/semver/v3/@v/v3.2.1.mod",
        "github.com/!masterminds/semver/v3/@v/v3.2.1.zip",
    ]
    assert f.goproxy_prefill_paths(["a.example/m@v1.0.0"], with_zip=False) == [
        "a.example/m/@v/v1.0.0.info", "a.example/m/@v/v1.0.0.mod"]


def test_prefill_paths_keeps_pseudo_and_incompatible_versions():
    paths = f.goproxy_prefill_paths(["github.com/x/y@v0.0.0-20240101000000-abcdefabcdef",
                                     "github.com/x/z@v2.0.0+incompatible"])
    assert "github.com/x/y/@v/v0.0.0-20240101000000-abcdefabcdef.zip" in paths
    assert "github.com/x/z/@v/v2.0.0+incompatible.mod" in paths


@pytest.mark.parametrize("bad, words", [
    ("go.uber.org/zap", "module@version"),
    ("go.uber.org/zap@latest", "canonical semantic version"),
    ("go.uber.org/zap@1.28.0", "canonical semantic version"),
    ("../etc@v1.0.0", "not a module path"),
    ("a@b@v1.0.0", "module@version"),
])
def test_prefill_paths_names_the_variable_and_the_item(bad, words):
    with pytest.raises(AnsibleFilterError) as err:
        f.goproxy_prefill_paths(["go.uber.org/zap@v1.28.0", bad])
    assert "goproxy_prefill_modules[1]" in str(err.value)
    assert words in str(err.value)


def test_prefill_paths_wants_a_list():
    with pytest.raises(AnsibleFilterError) as err:
        f.goproxy_prefill_paths("go.uber.org/zap@v1.28.0")
    assert "goproxy_prefill_modules must be a list" in str(err.value)


GO_MOD = """module example.com/app // the app

go 1.22

require (
\tgo.uber.org/zap v1.28.0
\tgithub.com/BurntSushi/toml v1.4.0 // indirect
\texample.com/local v0.0.0
\texample.com/forked v1.2.3
\t"example.com/quoted" v1.0.0
)

require go.uber.org/multierr v1.10.0

exclude golang.org/x/net v0.1.0
retract v0.9.0

replace example.com/local => ../local

replace (
\texample.com/forked v1.2.3 => github.com/me/forked v1.2.4
\tgo.uber.org/multierr => go.uber.org/multierr v1.11.0
)
"""


def test_gomod_requires_applies_replace_directives():
    assert f.goproxy_gomod_requires(GO_MOD) == [
        "go.uber.org/zap@v1.28.0",
        "github.com/BurntSushi/toml@v1.4.0",
        "github.com/me/forked@v1.2.4",
        "example.com/quoted@v1.0.0",
        "go.uber.org/multierr@v1.11.0",
    ]


def test_gomod_requires_of_a_real_file_feeds_prefill_paths():
    zap = ("module go.uber.org/zap\n\ngo 1.19\n\nrequire (\n\tgithub.com/stretchr/testify v1.8.1\n"
           "\tgo.uber.org/goleak v1.3.0\n)\n")
    assert f.goproxy_prefill_paths(f.goproxy_gomod_requires(zap), with_zip=False) == [
        "github.com/stretchr/testify/@v/v1.8.1.info", "github.com/stretchr/testify/@v/v1.8.1.mod",
        "go.uber.org/goleak/@v/v1.3.0.info", "go.uber.org/goleak/@v/v1.3.0.mod"]


@pytest.mark.parametrize("text, words", [
    ("require go.uber.org/zap\n", "line 1: cannot read the requirement"),
    ("module x\nreplace a.example/b v1.0.0 c.example/d v1.0.0\n", "line 2: replace without '=>'"),
])
def test_gomod_requires_reports_the_line(text, words):
    with pytest.raises(AnsibleFilterError) as err:
        f.goproxy_gomod_requires(text, name="svc/go.mod")
    assert "svc/go.mod " + words in str(err.value)


@pytest.mark.parametrize("chain", ["", None, "https://a.example", "https://a.example,https://b.example|direct",
                                   "file:///srv/mods,off", "http://10.0.0.1:8080/"])
def test_upstream_errors_accepts_valid_chains(chain):
    assert f.goproxy_upstream_errors(chain) == []


@pytest.mark.parametrize("chain, words", [
    ("direct,https://a.example", "'direct' ends the chain"),
    ("ftp://a.example", "'ftp://a.example' is neither"),
    ("https://a.example,,direct", "'' is neither"),
    (["https://a.example"], "must be a GOPROXY string"),
])
def test_upstream_errors_name_the_variable(chain, words):
    errors = f.goproxy_upstream_errors(chain)
    assert errors and all(e.startswith("goproxy_upstream") for e in errors)
    assert any(words in e for e in errors), errors


def test_client_env_goes_through_the_mirrors():
    env = f.goproxy_client_env(["http://m1:8080/", "http://m2:8080"], [{"name": "sum.golang.org"}],
                               ["corp.example/*"], ["git.corp.example"], "")
    assert env == {
        "GOPROXY": "http://m1:8080,http://m2:8080",
        "GOSUMDB": "sum.golang.org http://m1:8080/sumdb/sum.golang.org",
        "GONOSUMDB": "corp.example/*",
        "GOPRIVATE": "git.corp.example",
    }


def test_client_env_keeps_the_key_and_the_fallback():
    env = f.goproxy_client_env("http://m:80", [{"name": "sum.example+01234567+AbCd="}], fallback="direct")
    assert env["GOPROXY"] == "http://m:80,direct"
    assert env["GOSUMDB"] == "sum.example+01234567+AbCd= http://m:80/sumdb/sum.example"
    assert "GONOSUMDB" not in env
    assert f.goproxy_client_env("http://m:80")["GOPROXY"] == "http://m:80,off"


@pytest.mark.parametrize("urls, sumdbs, fallback, words", [
    ([], None, "off", "no mirror URL"),
    (["m:8080"], None, "off", "is not an http(s) URL"),
    (["http://m"], None, "sometimes", "fallback must be"),
    (["http://m"], [{"name": "Bad Name"}], "off", "not a checksum database name"),
])
def test_client_env_refuses_bad_input(urls, sumdbs, fallback, words):
    with pytest.raises(AnsibleFilterError) as err:
        f.goproxy_client_env(urls, sumdbs, fallback=fallback)
    assert words in str(err.value)


def test_filters_are_registered():
    assert set(f.FilterModule().filters()) == {
        "goproxy_escape_path", "goproxy_prefill_paths", "goproxy_gomod_requires", "goproxy_upstream_errors",
        "goproxy_client_env"}
