"""Every benchmark script runs, on tiny input, and prints its figures (issue 10, item 6):
a script that breaks fails here instead of rotting unnoticed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, SHARED_DATA, write_config

pytestmark = pytest.mark.slow
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
WEEK = DEMO / "weeks" / "2025-03-10.jsonl"

TINY = {
    "bench.py": (
        ["--tiny"],
        ["bare encoder", "litradar run, second", "where its time went: flow begins", "cold start"],
    ),
    "bench_ingest.py": (["--entries", "300", "--page-size", "100"], ["correct"]),
    "bench_index.py": (
        ["--sizes", "2000", "8000", "--exact-up-to", "5000"],
        ["2,000 papers (flat)", "8,000 papers (ivf)", "recall@10"],
    ),
    "bench_query_encoder.py": (["--texts", "12"], ["target >= 0.999: met"]),
    "bench_encoders.py": (["--texts", "12", "--rounds", "1"], ["onnx-int8", "x torch"]),
    "bench_backfill.py": (["--papers", "60", "--model", "hashing"], ["2 workers / 1 worker", "projection, a year of", "projection, arXiv's full"]),
    "backtest_history.py": (["--out", "{tmp}"], ["backtest:"]),
    # A store of the bundled data (hashing encoder), searched through the page's app.
    "bench_web_search.py": (
        ["--config", "{tmp}/litradar.toml", "--rounds", "1"],
        ["first query", "page search, warm: p50", "per query (before)"],
    ),
    "bench_training.py": (
        ["--config", "{tmp}/litradar.toml", "--rounds", "1"],
        ["training set:", "relevance (scope halves", "of which TF-IDF: 1 fit(s)", "placement:"],
    ),
    # A store of the bundled data (hashing encoder) and the judged data in ../shared.
    "relevance_variants.py": (
        ["--config", "{tmp}/litradar.toml", "--judged", str(SHARED_DATA / "judged"), str(WEEK)],
        ["| variant |", "two halves, TF-IDF + MiniLM (kept)"],
    ),
}
# The scripts whose runs are Prefect flows.
FLOWS = {"bench.py", "bench_backfill.py"}


def test_every_benchmark_script_has_a_tiny_run():
    assert set(TINY) == {p.name for p in BENCHMARKS.glob("*.py")}


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_on_tiny_input(script: str, tmp_path: Path, request):
    args, expected = TINY[script]
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    if script in FLOWS:  # their `litradar run` / `backfill` use the session's Prefect server
        env["PREFECT_API_URL"] = request.getfixturevalue("prefect_api")
    if script == "backtest_history.py":
        env["LITRADAR_EMBEDDING__MODEL"] = "hashing"
    if script == "relevance_variants.py" and not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    if script in ("relevance_variants.py", "bench_web_search.py", "bench_training.py"):
        shutil.copytree(DEMO, tmp_path / "data")
        config = write_config(tmp_path)
        litradar = str(Path(sys.executable).with_name("litradar"))
        seed = str(tmp_path / "data" / "arxiv_seed.jsonl")
        for step in (["ingest", seed, str(WEEK)], ["index"]):
            subprocess.run([litradar, *step, "--config", str(config)], check=True, env=env)
    command = [sys.executable, str(BENCHMARKS / script), *(a.format(tmp=tmp_path) for a in args)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in expected:
        assert figure in done.stdout, done.stdout
