#!/usr/bin/env bash
# Creates or updates the virtualenv (.venv at the repository root) holding the pinned Google
# Python clients used by the emulator conformance suite, then runs it through cargo:
#   scripts/conformance.sh            # set up .venv and run the suite
#   scripts/conformance.sh --setup    # only set up .venv
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/conformance/requirements.txt
if [ "${1:-}" = "--setup" ]; then
    exit 0
fi
# Starts the emulator in-process on a free loopback port and runs pytest against it.
exec cargo test --test suite conformance -- --nocapture
