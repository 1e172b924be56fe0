"""Backfill benchmark: `litradar backfill` on a local Dask cluster of 1 worker, then of 2
(each worker held to its share of the cores), over the same snapshot into a fresh store;
prints the steady embedding rate of each (from the per-chunk log lines), their ratio, and
the arithmetic for arXiv's full snapshot (2.7M papers) on N machines like this one.

    .venv/bin/python benchmarks/bench_backfill.py            # about 4 minutes on 2 cores
    .venv/bin/python benchmarks/bench_backfill.py --papers 60 --model hashing

The snapshot is the bundled metadata (seed and both weeks, about 2,400 papers), every
category kept.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "demo" / "data"
LITRADAR = str(Path(sys.executable).with_name("litradar"))
FULL_SNAPSHOT = 2_700_000
LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) .*embedded ([\d,]+)/([\d,]+) papers")


def snapshot(folder: Path, papers: int) -> Path:
    lines: list[str] = []
    for path in [DATA / "arxiv_seed.jsonl", *sorted((DATA / "weeks").glob("*.jsonl"))]:
        lines += path.read_text(encoding="utf-8").splitlines(keepends=True)
    target = folder / "snapshot.jsonl"
    target.write_text("".join(lines[:papers]), encoding="utf-8")
    return target


def steady_rate(log: str) -> tuple[float, int]:
    """Papers per second between the first and the last chunk written (the first chunk's
    wait includes starting the workers and loading the model)."""
    points = [
        (datetime.strptime(m[1], "%H:%M:%S.%f"), int(m[2].replace(",", "")))
        for m in map(LINE.match, log.splitlines())
        if m
    ]
    if len(points) < 2:
        return 0.0, points[-1][1] if points else 0
    (t0, n0), (t1, n1) = points[0], points[-1]
    return (n1 - n0) / max((t1 - t0).total_seconds(), 1e-9), n1


def backfill(folder: Path, source: Path, workers: int, model: str) -> tuple[float, float, int]:
    project = folder / f"workers-{workers}"
    project.mkdir()
    (project / "litradar.toml").write_text(
        f'[paths]\ndata_dir = "index"\n[embedding]\nmodel = "{model}"\nchunk_size = 64\n',
        encoding="utf-8",
    )
    env = os.environ | {"PREFECT_LOGGING_LEVEL": "INFO", "HF_HUB_OFFLINE": "1"}
    args = [LITRADAR, "backfill", str(source), "--categories", "cs.AI,cs.CL,cs.CV,cs.LG,cs.IR",
            "--workers", str(workers)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(args, cwd=project, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"backfill with {workers} worker(s) failed:\n{done.stdout}\n{done.stderr}")
    rate, papers = steady_rate(done.stdout + done.stderr)
    return elapsed, rate, papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="at most this many lines")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = snapshot(folder, args.papers)
        rates = {}
        for workers in (1, 2):
            elapsed, rate, papers = backfill(folder, source, workers, args.model)
            rates[workers] = rate
            print(
                f"{workers} worker(s): {papers} papers stored, embedded and indexed in "
                f"{elapsed:.1f} s; steady embedding rate {rate:.1f} papers/s"
            )
    ratio = rates[2] / rates[1] if rates[1] else 0.0
    print(f"2 workers / 1 worker on this {os.cpu_count()}-core machine: {ratio:.2f}x")
    machine = max(rates.values())
    if machine:
        for n in (1, 4, 16, 64):
            hours = FULL_SNAPSHOT / (machine * n) / 3600
            print(
                f"full snapshot ({FULL_SNAPSHOT:,} papers) on {n} machine(s) like this one: "
                f"{hours:.1f} h of embedding"
            )


if __name__ == "__main__":
    main()
