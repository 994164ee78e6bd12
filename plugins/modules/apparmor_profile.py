#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apparmor_profile
short_description: Install, load, switch the mode of, or remove an AppArmor profile
version_added: "0.1.0"
description:
  - Writes an AppArmor profile file into O(dir) and loads it into the kernel with C(apparmor_parser --replace).
  - C(apparmor_parser) says which profiles the content defines (C(--names)) and in which modes (C(--debug)); the
    result is compiled with C(apparmor_parser --skip-kernel-load), all from temporary files, B(before) anything is
    written. A profile that does not parse fails with the parser's message (its noise lines removed) and leaves the
    host untouched.
  - The mode is written into the file (the C(complain) flag of every profile and hat header, as C(aa-complain)
    does), so it survives a reboot; the parser then checks that every profile of the file has the mode.
    O(mode=disabled) links the file into C(disable/) and unloads it, as C(aa-disable) does.
  - Idempotent by comparing the file and the profiles the kernel has loaded, with their modes
    (C(/sys/kernel/security/apparmor/profiles)).
  - Where AppArmor is not available (a container, a kernel without it, AppArmor disabled) the file is still
    validated and installed, and RV(loaded=false) says why; set O(require_loaded=true) to fail instead, before
    anything is written.
author:
  - noble.gohost developers (@noble-gohost)
options:
  name:
    description:
      - File name of the profile under O(dir), for example C(gohost.myservice). No directories.
    type: str
    required: true
  content:
    description:
      - The profile text. Required when O(state=present). Render templates with P(ansible.builtin.template#lookup).
      - Any layout the parser accepts (one-line profiles, C({) on the next line, a file that only includes another).
      - Mode flags (C(complain), C(enforce)) in the headers are replaced according to O(mode); other flags are kept.
    type: str
  state:
    description:
      - V(present) installs (and loads) the profile, V(absent) unloads it and removes the file and its links.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - V(enforce) denies and logs what the profile does not allow; V(complain) allows and logs it; V(disabled)
        keeps the file but links it into C(disable/) and unloads it.
      - V(complain) and V(enforce) apply to every profile of the file, children and hats included (the kernel does not
        inherit the mode).
      - V(complain) is refused, naming the profile and the flag, when a profile has a mode flag it conflicts with
        (C(kill), C(unconfined), C(prompt)); V(enforce) keeps those flags.
      - A mode the content cannot set (a profile defined in an included file whose mode differs) is refused, naming
        the profile.
    type: str
    choices: [enforce, complain, disabled]
    default: enforce
  dir:
    description:
      - The AppArmor policy directory; also the base for C(include) lines.
    type: path
    default: /etc/apparmor.d
  require_loaded:
    description:
      - Fail (before writing anything) when the kernel cannot load profiles here.
    type: bool
    default: false
  local_include:
    description:
      - Create C(<dir>/local/<name>) (a comment only) when it does not exist, for the site's own rules, which the
        profile includes with C(include if exists <local/NAME>). An existing file is never changed.
    type: bool
    default: false
attributes:
  check_mode:
    description: Validates the profile and reports what would change; writes and loads nothing.
    support: full
  diff_mode:
    description: Shows the change of the profile file.
    support: full
requirements:
  - apparmor_parser (Debian/Ubuntu package C(apparmor)) on the target
notes:
  - The parser's message of a profile that does not parse is the failure message; nothing is written then.
  - Unlike C(aa-enforce), O(mode=enforce) does not remove C(kill) or C(unconfined) flags.
  - Profiles loaded under another name than the file defines are not touched.
seealso:
  - name: AppArmor core policy reference
    description: The profile language.
    link: https://gitlab.com/apparmor/apparmor/-/wikis/AppArmor_Core_Policy_Reference
"""

EXAMPLES = r"""
- name: Confine a service
  noble.gohost.apparmor_profile:
    name: gohost.api
    content: "{{ lookup('ansible.builtin.template', 'service.apparmor.j2') }}"
    mode: enforce

- name: Learn first (complain mode), read the denials from the journal, then enforce
  noble.gohost.apparmor_profile:
    name: gohost.api
    content: "{{ lookup('ansible.builtin.template', 'service.apparmor.j2') }}"
    mode: complain

- name: Fail where profiles cannot be loaded (containers)
  noble.gohost.apparmor_profile:
    name: gohost.api
    content: "{{ profile_text }}"
    require_loaded: true

- name: Remove the profile
  noble.gohost.apparmor_profile:
    name: gohost.api
    state: absent
"""

RETURN = r"""
path:
  description: The profile file.
  returned: always
  type: str
  sample: /etc/apparmor.d/gohost.api
profiles:
  description: Names of the profiles the file defines (children and hats as C(parent//child)), from C(apparmor_parser --names).
  returned: always
  type: list
  elements: str
  sample: [gohost-api]
modes:
  description: The mode the parser compiles each profile of the file with (C(enforce), C(complain), C(kill), C(unconfined), ...).
  returned: always
  type: dict
  sample: {gohost-api: complain, gohost-api//helper: complain}
loaded:
  description: Whether the profiles are loaded in the kernel now (in check mode, whether they would be).
  returned: always
  type: bool
reason:
  description: Why the profiles are not loaded (empty when they are, or when O(mode=disabled)).
  returned: always
  type: str
  sample: "/sys/kernel/security/apparmor/profiles cannot be read: securityfs is not mounted or not visible here"
kernel_modes:
  description:
    - The kernel's mode of each profile of the file before the run, children and hats included (absent names are not
      loaded). A profile loaded in another mode than RV(modes) says is loaded again.
  returned: always
  type: dict
  sample: {gohost-api: complain}
file_changed:
  description: Whether the file (or its C(disable/) link or C(local/) include) was (or would be) written or removed.
  returned: always
  type: bool
kernel_changed:
  description: Whether profiles were (or would be) loaded, replaced or unloaded.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.noble.gohost.plugins.module_utils import _apparmor


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def _write_atomic(module, path, data):
    tmp = os.path.join(module.tmpdir, "apparmor-" + os.path.basename(path))
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


class Profile(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.name = params["name"]
        self.dir = params["dir"]
        self.path = os.path.join(self.dir, self.name)
        self.disable_link = os.path.join(self.dir, "disable", self.name)
        self.complain_link = os.path.join(self.dir, "force-complain", self.name)
        self.local = os.path.join(self.dir, "local", self.name)
        binary = module.get_bin_path("apparmor_parser", opt_dirs=["/sbin", "/usr/sbin"])
        if not binary:
            module.fail_json(msg="apparmor_parser is not installed on the target (Debian/Ubuntu package apparmor)")
        self.parser = _apparmor.Parser(module, binary, self.dir)
        self.available, self.why_not = _apparmor.kernel_status()
        self.result = dict(changed=False, path=self.path, profiles=[], modes={}, loaded=False, reason="",
                           kernel_modes={}, file_changed=False, kernel_changed=False)
        self.diff = dict(before="", after="", before_header=self.path, after_header=self.path)

    def fail(self, msg, **kwargs):
        self.result.update(kwargs)
        self.module.fail_json(msg=msg, **self.result)

    def names_of(self, path):
        names, err = self.parser.names(path)
        if names is None:
            self.fail("cannot list the profiles of %s: %s" % (path, err))
        return names

    def kernel_modes(self, names):
        loaded = _apparmor.loaded_profiles() if self.available else {}
        return dict((n, loaded[n]) for n in names if n in loaded)

    def _writer(self):
        counter = [0]

        def write(text):
            counter[0] += 1
            path = os.path.join(self.module.tmpdir, "candidate-%d-%s" % (counter[0], self.name))
            with open(path, "wb") as fh:
                fh.write(to_bytes(text))
            return path
        return write

    def present(self):
        params = self.module.params
        mode = params["mode"]
        # The parser says what the content defines and in which modes, before and after the mode flags are set;
        # everything is checked from temporary files before anything is written.
        desired, profiles, err = _apparmor.plan(self.parser, params["content"], mode, self._writer(), self.path)
        self.result["profiles"] = [n for n, _m in profiles]
        self.result["modes"] = dict(profiles)
        if err:
            self.fail(err)
        data = to_bytes(desired)
        names = self.result["profiles"]
        if params["require_loaded"] and not self.available:
            self.fail("AppArmor profiles cannot be loaded here and require_loaded is true: %s" % self.why_not)
        current = _read(self.path)
        modes = self.kernel_modes(names)
        self.result["kernel_modes"] = modes
        file_changed = current != data
        if file_changed:
            self.diff["before"] = to_native(current or b"", errors="surrogate_or_strict")
            self.diff["after"] = desired
        links_changed = False
        want_disable = mode == "disabled"
        if want_disable != os.path.islink(self.disable_link) or os.path.lexists(self.complain_link):
            links_changed = True
        want_local = params["local_include"] and not os.path.lexists(self.local)
        if want_disable:
            kernel_changed = self.available and bool(modes)
        else:
            # every profile of the file (children and hats too) loaded in the mode the parser compiles it with
            stale = [n for n, m in profiles if not _apparmor.kernel_has_mode(m, modes.get(n))]
            kernel_changed = self.available and (file_changed or links_changed or bool(stale))
        self.result.update(file_changed=file_changed or links_changed or want_local, kernel_changed=kernel_changed,
                           changed=file_changed or links_changed or want_local or kernel_changed)
        self.result["loaded"] = self.available and not want_disable
        self.result["reason"] = "" if (self.available or want_disable) else self.why_not
        if self.module.check_mode or not self.result["changed"]:
            return
        if want_local:
            if not os.path.isdir(os.path.dirname(self.local)):
                os.makedirs(os.path.dirname(self.local), 0o755)
            _write_atomic(self.module, self.local, to_bytes(
                "# Site-specific rules for %s, included at the end of its profile(s).\n"
                "# Created once by noble.gohost.apparmor_profile, never changed afterwards.\n" % self.path))
        if file_changed:
            _write_atomic(self.module, self.path, data)
        self._links(want_disable)
        if not kernel_changed:
            return
        if want_disable:
            ok, err = self.parser.remove(self.path)
            if not ok:
                self.fail("cannot unload the profiles of %s: %s" % (self.path, err))
            return
        ok, err = self.parser.replace(self.path)
        if not ok:
            # Put the previous file back, so that the next boot loads what was loaded before.
            if current is None:
                os.unlink(self.path)
            else:
                _write_atomic(self.module, self.path, current)
            self.fail("apparmor_parser cannot load %s (the previous file was restored): %s" % (self.path, err),
                      loaded=False)

    def _links(self, want_disable):
        # force-complain/ is the old (AppArmor 2) way of complain mode: the file's flags are authoritative now.
        if os.path.lexists(self.complain_link):
            os.unlink(self.complain_link)
        if want_disable and not os.path.islink(self.disable_link):
            if not os.path.isdir(os.path.dirname(self.disable_link)):
                os.makedirs(os.path.dirname(self.disable_link), 0o755)
            if os.path.lexists(self.disable_link):
                os.unlink(self.disable_link)
            os.symlink(self.path, self.disable_link)
        elif not want_disable and os.path.lexists(self.disable_link):
            os.unlink(self.disable_link)

    def absent(self):
        current = _read(self.path)
        links = [p for p in (self.disable_link, self.complain_link) if os.path.lexists(p)]
        names = self.names_of(self.path) if current is not None else []
        modes = self.kernel_modes(names)
        self.result.update(profiles=names, kernel_modes=modes, reason="" if self.available else self.why_not)
        file_changed = current is not None or bool(links)
        kernel_changed = bool(modes)
        self.result.update(file_changed=file_changed, kernel_changed=kernel_changed,
                           changed=file_changed or kernel_changed)
        if current is not None:
            self.diff["before"] = to_native(current, errors="surrogate_or_strict")
        if self.module.check_mode or not self.result["changed"]:
            return
        if kernel_changed:
            ok, err = self.parser.remove(self.path)
            if not ok:
                self.fail("cannot unload the profiles of %s: %s" % (self.path, err))
        for path in links + ([self.path] if current is not None else []):
            os.unlink(path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            content=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            mode=dict(type="str", default="enforce", choices=["enforce", "complain", "disabled"]),
            dir=dict(type="path", default="/etc/apparmor.d"),
            require_loaded=dict(type="bool", default=False),
            local_include=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["content"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not name or "/" in name or name.startswith("."):
        module.fail_json(msg="name must be a plain file name under dir (no '/', not starting with '.'): %r" % name)
    profile = Profile(module)
    if module.params["state"] == "present":
        profile.present()
    else:
        profile.absent()
    result = profile.result
    if module._diff and result["changed"]:
        result["diff"] = profile.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
