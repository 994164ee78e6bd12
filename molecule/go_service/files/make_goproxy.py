#!/usr/bin/env python
"""Write a file-layout GOPROXY holding one module version, as a module proxy serves it:
<out>/<module>/@v/{list, <version>.info, <version>.mod, <version>.zip}.

    make_goproxy.py <module source dir with go.mod> <version> <out-dir>

The go_service scenario installs it in the container with `go install <module>@<version>` (GOPROXY=file://...):
the go_install source of the role, with no network.
"""
import json
import os
import re
import sys
import zipfile


def main():
    src, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(src, "go.mod")) as fh:
        gomod = fh.read()
    module = re.search(r"^module\s+(\S+)", gomod, re.M).group(1)
    vdir = os.path.join(out, module, "@v")
    os.makedirs(vdir, exist_ok=True)
    with open(os.path.join(vdir, "list"), "w") as fh:
        fh.write(version + "\n")
    with open(os.path.join(vdir, version + ".info"), "w") as fh:
        json.dump({"Version": version, "Time": "2026-01-01T00:00:00Z"}, fh)
    with open(os.path.join(vdir, version + ".mod"), "w") as fh:
        fh.write(gomod)
    with zipfile.ZipFile(os.path.join(vdir, version + ".zip"), "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(os.listdir(src)):
            # fixed timestamps: the same zip (and module hash) on every run
            info = zipfile.ZipInfo("%s@%s/%s" % (module, version, name), date_time=(2026, 1, 1, 0, 0, 0))
            with open(os.path.join(src, name), "rb") as fh:
                zf.writestr(info, fh.read(), zipfile.ZIP_DEFLATED)
    print(json.dumps({"module": module, "version": version, "dir": os.path.abspath(out)}))


if __name__ == "__main__":
    main()
