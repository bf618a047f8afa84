#!/usr/bin/env bash
# Gradescope autograder setup: choose the Ubuntu 24.04 base image (Python 3.12).
# AUTOGRADER_ROOT overrides /autograder, to run it outside Gradescope.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
apt-get update
apt-get install -y python3 python3-venv python3-pip bubblewrap
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --disable-pip-version-check -r "$ROOT/source/requirements.txt"
# Bubblewrap cannot create namespaces in Gradescope's containers, nor can a worker get a
# mount namespace there: submissions run as nobody, and only permissions keep the hidden
# tests and the reference from them. Make the source root's alone; the venv, which the
# worker runs, stays readable.
chmod -R go-rwx "$ROOT/source"
