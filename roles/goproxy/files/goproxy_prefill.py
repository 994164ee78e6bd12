#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetch GOPROXY paths through a running mirror so that they are cached (run on the mirror by the goproxy role).

    goproxy_prefill.py <base URL> <path> [<path> ...]

Each path is first asked for with "Disable-Module-Fetch: true" (goproxy answers from its cache only); a path that
is not cached yet is then fetched normally. Prints {"fetched": [...], "cached": [...]} and exits 1 (with the
failures in "failed") if any path could not be fetched.
"""
import json
import sys
import urllib.error
import urllib.request


def get(url, cache_only):
    headers = {"Disable-Module-Fetch": "true"} if cache_only else {}
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            while resp.read(1 << 16):
                pass
            return resp.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2048).decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    base = argv[0].rstrip("/")
    result = {"fetched": [], "cached": [], "failed": []}
    for path in argv[1:]:
        url = "%s/%s" % (base, path)
        status, _body = get(url, True)
        if status == 200:
            result["cached"].append(path)
            continue
        status, body = get(url, False)
        if status == 200:
            result["fetched"].append(path)
        else:
            result["failed"].append({"path": path, "status": status, "error": body})
    print(json.dumps(result))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
