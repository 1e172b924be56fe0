#!/usr/bin/env bash
# Sets up, then runs the main job on the bundled data: the weekly flow (ingest, embed and
# index, train, digest for the week of 2025-03-10) and one semantic search. No internet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
.venv/bin/litradar run --since 2025-03-10 --until 2025-03-17
.venv/bin/litradar find "attention heads hallucination" -k 5
