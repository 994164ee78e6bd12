"""Run plays on localhost through ansible-playbook with the json callback and return its "plays": the unit tests
render the roles' templates this way, with the same lookups and filters the roles use."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def run_plays(plays, workdir):
    """Write `plays` to <workdir>/render.yml, run them against localhost with this Python, return the plays' results."""
    playbook = os.path.join(workdir, "render.yml")
    with open(playbook, "w") as handle:
        json.dump(plays, handle)
    config = os.path.join(workdir, "ansible.cfg")  # not the repository's: its extra callbacks print to stdout too
    with open(config, "w") as handle:
        handle.write("[defaults]\nstdout_callback = ansible.builtin.json\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_CONFIG=config, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([PLAYBOOK, "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable,
                           playbook], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=600, check=False)
    assert proc.returncode == 0, (proc.stdout[-6000:], proc.stderr[-3000:])
    return json.loads(proc.stdout)["plays"]
