"""The encoder backends side by side in one run: papers/s of torch, the ONNX export (fp32)
and the ONNX export optimised and quantised to int8; cosine of each to torch; and, with
--judged, the quality figures of `litradar evaluate` once per backend, each in a fresh copy
of the project (its own store, embedded by that backend).

    .venv/bin/python benchmarks/bench_encoders.py --texts 400 \\
        --judged ../shared/data/judged --week ../shared/data/weeks/*.jsonl
    .venv/bin/python benchmarks/bench_encoders.py --texts 12      # seconds: the smoke test

Speeds are the best of alternating rounds (on a shared machine the load changes within a
minute; alternating keeps the backends comparable).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "demo" / "data"
LITRADAR = str(Path(sys.executable).with_name("litradar"))
MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")


def abstracts(n: int) -> list[str]:
    from litradar.core.paper import Paper
    from litradar.sources.arxiv_jsonl import read_jsonl

    texts: list[str] = []
    for path in [DATA / "weeks" / "2025-03-10.jsonl", DATA / "arxiv_seed.jsonl"]:
        texts += [p.text for p in read_jsonl(path) if isinstance(p, Paper)]
    return texts[:n]


def speeds(texts: list[str], rounds: int) -> dict[str, tuple[float, np.ndarray]]:
    """(best papers/s, vectors) per backend."""
    from litradar.embedding.encoders import encoder_for

    with tempfile.TemporaryDirectory() as tmp:
        encoders = {b: encoder_for(MODEL, backend=b, data_dir=Path(tmp)) for b in BACKENDS}
        for encoder in encoders.values():
            encoder.encode(texts[:8])  # load (and export) outside the timing
        best = dict.fromkeys(BACKENDS, 0.0)
        vectors: dict[str, np.ndarray] = {}
        for _ in range(rounds):
            for backend, encoder in encoders.items():
                started = time.perf_counter()
                vectors[backend] = encoder.encode(texts)
                best[backend] = max(best[backend], len(texts) / (time.perf_counter() - started))
    return {b: (best[b], vectors[b]) for b in BACKENDS}


def figures(document: dict) -> dict[str, float]:
    """The figures the issue names, for litradar's own rankers."""
    out: dict[str, float] = {}
    loo = document["leave_one_out"]["rankers"]["litradar"]
    out["leave-one-out recall@10"] = loo["recall_at_10"]
    out["leave-one-out recall@25"] = loo["recall_at_25"]
    summary = document.get("judged", {}).get("summary", {})
    weeks = summary.get("weeks", {}).get("litradar", {})
    for key in ("recall_at_10", "precision", "ndcg_at_15", "section_right"):
        if weeks.get(key) is not None:
            out[f"judged weeks {key}"] = weeks[key]
    queries = summary.get("queries", {}).get("litradar", {})
    for key in ("p_at_5", "ndcg_at_10"):
        if queries.get(key) is not None:
            out[f"judged queries {key}"] = queries[key]
    return out


def evaluate(backend: str, weeks: list[Path], judged: Path, folder: Path) -> dict[str, float]:
    project = folder / backend
    project.mkdir()
    shutil.copytree(ROOT / "demo", project / "demo")
    shutil.copy(ROOT / "litradar.toml", project / "litradar.toml")
    shutil.copy(ROOT / "taxonomy.toml", project / "taxonomy.toml")
    env = os.environ | {"HF_HUB_OFFLINE": "1", "LITRADAR_EMBEDDING__BACKEND": backend}
    files = ["demo/data/arxiv_seed.jsonl", "demo/data/weeks/2025-03-10.jsonl"]
    subprocess.run([LITRADAR, "ingest", *files], cwd=project, env=env, check=True,
                   capture_output=True)  # fmt: skip
    out = project / "figures.json"
    args = [LITRADAR, "evaluate", *(a for w in weeks for a in ("--week", str(w.resolve()))),
            "--judged", str(judged.resolve()), "--json", str(out)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"evaluate with {backend} failed:\n{done.stdout}\n{done.stderr}")
    print(f"  evaluate with {backend}: {time.perf_counter() - started:.0f} s", flush=True)
    return figures(json.loads(out.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400, help="abstracts for the speeds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--judged", type=Path, help="judged set: also run evaluate per backend")
    parser.add_argument("--week", type=Path, nargs="*", default=[], help="weeks for evaluate")
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = abstracts(args.texts)
    measured = speeds(texts, args.rounds)
    torch_rate, reference = measured["torch"]
    print(f"encoders on {len(texts)} abstracts, {os.cpu_count()} cores, best of {args.rounds}:")
    for backend, (rate, vectors) in measured.items():
        cosine = np.sum(vectors * reference, axis=1)
        print(
            f"  {backend:9s} {rate:6.1f} papers/s ({rate / torch_rate:.2f}x torch); cosine to "
            f"torch min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
    if args.judged is None:
        return
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            results[backend] = evaluate(backend, args.week, args.judged, Path(tmp))
    names = list(next(iter(results.values())))
    print("| figure | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = " | ".join(f"{r.get(name, float('nan')):.3f}" for r in results.values())
        print(f"| {name} | {cells} |")
    if "torch" in results:
        for backend, result in results.items():
            worst = min((result[n] - results["torch"][n] for n in names), default=0.0)
            verdict = "holds" if worst >= -0.01 else "DROPS"
            print(f"{backend}: largest drop against torch {-min(worst, 0):.3f} ({verdict})")


if __name__ == "__main__":
    main()
