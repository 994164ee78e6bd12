#!/bin/sh
# A "new release" in a crash loop: it exits 1 at once, every time. systemd restarts it until its start limit
# (StartLimitBurst= in StartLimitIntervalSec=); the rollout test expects the role to say so and go back.
echo "bad release: refusing to start" >&2
exit 1
