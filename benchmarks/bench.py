"""Speed benchmark: prints embedding throughput, `litradar run` end to end on the bundled
week (first run and second run), and `find` latency from a cold start.

    .venv/bin/python benchmarks/bench.py            # about 4 minutes on 2 cores

It works in a fresh temporary project folder (a copy of demo/, litradar.toml and
taxonomy.toml), so it measures a first run honestly and leaves your own store alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITRADAR = str(Path(sys.executable).with_name("litradar"))


def embedding_throughput(n: int = 300) -> float:
    from litradar.embed import SentenceTransformerEncoder
    from litradar.paper import Paper
    from litradar.sources.arxiv_jsonl import read_jsonl

    week = ROOT / "demo" / "data" / "weeks" / "2025-03-10.jsonl"
    texts = [p.text for p in read_jsonl(week) if isinstance(p, Paper)][:n]
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    encoder.encode(texts[:8])  # load the model outside the timing
    start = time.perf_counter()
    encoder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rate = embedding_throughput()
    print(f"embedding throughput (all-MiniLM-L6-v2, batch 32, CPU): {rate:.1f} papers/s")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "demo", project / "demo")
        shutil.copy(ROOT / "litradar.toml", project / "litradar.toml")
        shutil.copy(ROOT / "taxonomy.toml", project / "taxonomy.toml")
        window = ["--since", "2025-03-10", "--until", "2025-03-17"]
        first, out1 = timed([LITRADAR, "run", *window], project)
        print(f"litradar run, first (ingest, embed, index, train, digest): {first:.1f} s")
        print("   ", out1.strip().splitlines()[0])
        second, out2 = timed([LITRADAR, "run", *window], project)
        embedded = re.search(r"(\d+) embedded", out2)
        count = embedded[1] if embedded else "?"
        print(f"litradar run, second (nothing new): {second:.1f} s; embedded now: {count}")
        query = [LITRADAR, "find", "attention heads hallucination", "-k", "10"]
        cold = sorted(timed(query, project)[0] for _ in range(3))
        shown = ", ".join(f"{c:.1f}" for c in cold)
        print(f"litradar find, cold start (new process): median {cold[1]:.1f} s ({shown})")


if __name__ == "__main__":
    main()
