#!/usr/bin/env bash
# Sets up, then runs the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_chromium.sh
export HF_HUB_OFFLINE=1 PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90
.venv/bin/ruff check src flows tests benchmarks
.venv/bin/python -m pytest "$@"
