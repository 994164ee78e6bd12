#!/usr/bin/env python
"""Turn an official-layout Go archive into a file-layout GOPROXY entry of golang.org/toolchain, as proxy.golang.org
serves it: <out>/golang.org/toolchain/@v/{list, v0.0.1-go<ver>.linux-<arch>.info, .mod, .zip}.

    make_goproxy.py <go<ver>.linux-<arch>.tar.gz> <out-dir>
    make_goproxy.py --fake <ver> <out-dir>     a tiny module that is no Go distribution (only a VERSION file),
                                               for the checksum database's refusal test

prints one JSON line {"version", "arch", "zip", "h1"}; h1 is the Go module hash (dirhash Hash1) of the zip,
computed by the role's own helper (roles/go_toolchain/files/go_toolchain_helper.py). Reuses an existing zip.
The zip follows golang.org/toolchain's conventions: no file modes, every go.mod stored as _go.mod.
"""
import importlib.util
import json
import os
import re
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "..", "..", "roles", "go_toolchain", "files", "go_toolchain_helper.py")


def main():
    fake = sys.argv[1] == "--fake"
    if fake:
        archive, version, arch, out = None, sys.argv[2], "amd64", sys.argv[3]
    else:
        archive, out = sys.argv[1], sys.argv[2]
        match = re.match(r"go(.+)\.linux-(\w+)\.tar\.gz$", os.path.basename(archive))
        version, arch = match.groups()
    modver = "v0.0.1-go%s.linux-%s" % (version, arch)
    prefix = "golang.org/toolchain@%s/" % modver
    vdir = os.path.join(out, "golang.org", "toolchain", "@v")
    os.makedirs(vdir, exist_ok=True)
    zpath = os.path.abspath(os.path.join(vdir, modver + ".zip"))
    if fake and not os.path.exists(zpath):
        with zipfile.ZipFile(zpath + ".partial", "w") as zf:
            zf.writestr(prefix + "VERSION", "go%s\n" % version)
        os.replace(zpath + ".partial", zpath)
    elif not fake and not os.path.exists(zpath):
        tmp = zpath + ".partial"
        with tarfile.open(archive) as tar, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for member in tar:
                if not member.isfile() or not member.name.startswith("go/"):
                    continue
                name = member.name[3:]
                if os.path.basename(name) == "go.mod":  # module zips allow no nested go.mod: the real
                    name = name[:-6] + "_go.mod"        # toolchain zips ship _go.mod, the go command renames back
                zf.writestr(prefix + name, tar.extractfile(member).read())
        os.replace(tmp, zpath)
    with open(os.path.join(vdir, modver + ".mod"), "w") as fh:
        fh.write("module golang.org/toolchain\n")
    with open(os.path.join(vdir, modver + ".info"), "w") as fh:
        json.dump({"Version": modver, "Time": "2026-01-01T00:00:00Z"}, fh)
    known = sorted(f[:-4] for f in os.listdir(vdir) if f.endswith(".zip"))
    with open(os.path.join(vdir, "list"), "w") as fh:
        fh.write("".join(v + "\n" for v in known))
    # The h1 is remembered in <zip>.h1 while the zip keeps its size and mtime.
    st = os.stat(zpath)
    stamp = "%d %d" % (st.st_size, st.st_mtime_ns)
    try:
        with open(zpath + ".h1") as fh:
            seen_stamp, _sep, h1 = fh.read().strip().rpartition(" ")
    except OSError:
        seen_stamp, h1 = None, None
    if seen_stamp != stamp or not h1.startswith("h1:"):
        spec = importlib.util.spec_from_file_location("go_toolchain_helper", HELPER)
        helper = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(helper)
        with zipfile.ZipFile(zpath) as zf:
            h1 = helper.module_h1(zf)
        with open(zpath + ".h1.tmp", "w") as fh:
            fh.write("%s %s\n" % (stamp, h1))
        os.replace(zpath + ".h1.tmp", zpath + ".h1")
    print(json.dumps({"version": version, "arch": arch, "zip": zpath, "h1": h1}))


if __name__ == "__main__":
    main()
