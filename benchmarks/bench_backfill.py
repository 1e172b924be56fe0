"""Backfill benchmark: `litradar backfill` on a local Dask cluster of 1 worker, then of 2
(each worker held to its share of the cores), over the same snapshot into a fresh store;
prints the steady embedding rate of each (from the per-chunk log lines), their ratio, and
the projection for a year of cs.CV/cs.CL/cs.LG/cs.AI (250k papers) and arXiv's full
snapshot (2.7M) on N machines like this one, from the measured rates.

    .venv/bin/python benchmarks/bench_backfill.py            # about 4 minutes on 2 cores
    .venv/bin/python benchmarks/bench_backfill.py --papers 60 --model hashing
    .venv/bin/python benchmarks/bench_backfill.py --address tcp://SCHEDULER:8786

With --address the runs go to an existing Dask scheduler instead (its workers must see
this machine's temporary folder at the same path for the ONNX backends: a shared disk).

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
PROJECTIONS = {"a year of cs.CV/cs.CL/cs.LG/cs.AI": 250_000, "arXiv's full snapshot": 2_700_000}
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


def backfill(
    folder: Path, source: Path, workers: int, model: str, address: str | None = None
) -> tuple[float, float, int]:
    project = folder / f"workers-{workers}"
    project.mkdir()
    (project / "litradar.toml").write_text(
        f'[paths]\ndata_dir = "index"\n[embedding]\nmodel = "{model}"\nchunk_size = 64\n',
        encoding="utf-8",
    )
    env = os.environ | {"PREFECT_LOGGING_LEVEL": "INFO", "HF_HUB_OFFLINE": "1"}
    where = ["--address", address] if address else ["--workers", str(workers)]
    args = [LITRADAR, "backfill", str(source), "--categories", "cs.AI,cs.CL,cs.CV,cs.LG,cs.IR",
            *where]  # fmt: skip
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
    parser.add_argument("--address", help="an existing Dask scheduler (tcp://HOST:8786)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = snapshot(folder, args.papers)
        rates = {}
        for workers in (0,) if args.address else (1, 2):
            elapsed, rate, papers = backfill(folder, source, workers, args.model, args.address)
            # One chunk only (tiny input): no steady rate, the whole run's rate instead.
            rates[workers] = rate or papers / max(elapsed, 1e-9)
            print(
                f"{args.address or f'{workers} local worker(s)'}: {papers} papers stored, "
                f"embedded and indexed in {elapsed:.1f} s; steady embedding rate "
                f"{rate:.1f} papers/s"
            )
    if not args.address:
        ratio = rates[2] / rates[1] if rates[1] else 0.0
        print(f"2 workers / 1 worker on this {os.cpu_count()}-core machine: {ratio:.2f}x")
    # A machine (or the cluster) adds its best measured rate; N machines, N times that:
    # Dask's workers share nothing but the flow's one writer, which keeps up (README).
    machine = max(rates.values())
    if machine:
        for what, papers in PROJECTIONS.items():
            hours = {n: papers / (machine * n) / 3600 for n in (1, 4, 16, 64)}
            shown = ", ".join(f"{n}: {h:.1f} h" for n, h in hours.items())
            print(
                f"projection, {what} ({papers:,} papers) at {machine:.1f} papers/s per "
                f"{'cluster' if args.address else 'machine'}, on N of them: {shown}"
            )


if __name__ == "__main__":
    main()
