"""Check every role's meta/argument_specs.yml against its defaults, as prometheus-community/ansible does in CI.

For each role and entry point: every public variable in the entry point's defaults file (defaults/main.yml for
`main`, defaults/<entry>.yml otherwise, falling back to main) has an option in the spec and the same default; every
option with a default in the spec is in the defaults file; internal variables (leading underscore) are not in the
spec; public variables are named <role>_*. Roles whose name starts with an underscore are internal and skipped.
Prints one line per problem and exits 1 if there is any.
"""
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        try:
            return yaml.safe_load(fh) or {}
        except yaml.YAMLError as exc:
            raise SystemExit(f"{os.path.relpath(path, ROOT)}: not valid YAML: {exc}")


def check_role(role_dir):
    role = os.path.basename(role_dir)
    problems = []
    specs = load(os.path.join(role_dir, "meta", "argument_specs.yml"))
    if specs is None:
        return [f"{role}: meta/argument_specs.yml is missing"]
    entry_points = (specs.get("argument_specs") or {})
    if "main" not in entry_points:
        problems.append(f"{role}: argument_specs has no `main` entry point")
    main_defaults = load(os.path.join(role_dir, "defaults", "main.yml")) or {}
    for entry, spec in entry_points.items():
        where = f"{role}:{entry}"
        if not (spec or {}).get("short_description"):
            problems.append(f"{where}: short_description is missing")
        options = (spec or {}).get("options") or {}
        defaults = load(os.path.join(role_dir, "defaults", f"{entry}.yml"))
        if defaults is None:
            defaults = main_defaults
        for name, opt in options.items():
            if name.startswith("_"):
                problems.append(f"{where}: internal variable {name} must not be in the argument spec")
            elif not name.startswith(f"{role}_"):
                problems.append(f"{where}: public variable {name} must be named {role}_*")
            opt = opt or {}
            if not opt.get("description"):
                problems.append(f"{where}: option {name} has no description")
            if "default" in opt:
                if name not in defaults:
                    problems.append(f"{where}: option {name} has a default in the spec but not in defaults/")
                elif defaults[name] != opt["default"]:
                    problems.append(f"{where}: default of {name} differs: spec {opt['default']!r}, "
                                    f"defaults/ {defaults[name]!r}")
            elif name in defaults and defaults[name] is not None and not opt.get("required"):
                problems.append(f"{where}: {name} is in defaults/ ({defaults[name]!r}) but the spec has no default")
        if entry == "main" or os.path.exists(os.path.join(role_dir, "defaults", f"{entry}.yml")):
            for name in defaults:
                if not name.startswith("_") and name not in options:
                    problems.append(f"{where}: defaults/ variable {name} is not in the argument spec")
    return problems


def main():
    roles_dir = os.path.join(ROOT, "roles")
    problems = []
    roles = sorted(d for d in os.listdir(roles_dir) if os.path.isdir(os.path.join(roles_dir, d))) \
        if os.path.isdir(roles_dir) else []
    for role in roles:
        if not role.startswith("_"):
            problems.extend(check_role(os.path.join(roles_dir, role)))
    for line in problems:
        print(line)
    print(f"argument_specs: {len(roles)} role(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
