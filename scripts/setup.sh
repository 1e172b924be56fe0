#!/usr/bin/env bash
# Creates .venv and installs litradar with its test tools. Safe to run again.
# torch goes first and pinned, as the CPU build: PyPI's Linux torch is a multi-GB CUDA build,
# so PyTorch's CPU index is added (LITRADAR_TORCH_INDEX= empty leaves it out; a machine
# without internet takes the local wheel it has, after a few seconds of warnings). Only
# torch itself is asked of that index (--no-deps): its dependencies come with litradar's.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
torch_index="${LITRADAR_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
  ${torch_index:+--extra-index-url "$torch_index"} "torch==2.13.0"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
