#!/usr/bin/env bash
# Gradescope autograder setup: choose the Ubuntu 24.04 base image (Python 3.12).
set -euo pipefail
apt-get update
apt-get install -y python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --disable-pip-version-check -r /autograder/source/requirements.txt
