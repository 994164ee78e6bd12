"""Stand-in for the get-pip bootstrap script that ansible-test downloads from a host outside the package registries.

ansible-test runs this file as ``__main__`` inside each new sanity virtual environment, with pip's own install
arguments (e.g. ``pip==24.2 --no-setuptools``). It installs the pip that the interpreter bundles (``ensurepip``),
then lets that pip install what was asked for from PyPI.
"""
import ensurepip
import os
import subprocess
import sys

SAVED = os.environ.get("PIP_CONFIG_FILE")
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null for its own run; the pip below must see the machine's pip config.
if SAVED is None:
    os.environ.pop("PIP_CONFIG_FILE", None)
else:
    os.environ["PIP_CONFIG_FILE"] = SAVED
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + ARGS)
