#!/bin/sh
# A "new release" that dies at once: the rollout test deploys it and expects the role to go back to v1.
echo "bad release: refusing to start" >&2
exit 3
