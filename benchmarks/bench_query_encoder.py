"""find's torch-free query encoder against the torch encoder: cosine of the two vectors of
each of 1,000 bundled abstracts (the ONNX export must give >= 0.999), and both speeds.

    .venv/bin/python benchmarks/bench_query_encoder.py              # about 2 minutes
    .venv/bin/python benchmarks/bench_query_encoder.py --texts 20
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "demo" / "data"


def abstracts(n: int) -> list[str]:
    from litradar.core.paper import Paper
    from litradar.sources.arxiv_jsonl import read_jsonl

    texts: list[str] = []
    for path in [DATA / "weeks" / "2025-03-10.jsonl", DATA / "arxiv_seed.jsonl"]:
        texts += [p.text for p in read_jsonl(path) if isinstance(p, Paper)]
    return texts[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from litradar.embedding.encoders import SentenceTransformerEncoder
    from litradar.embedding.query_encoder import OnnxEncoder

    texts = abstracts(args.texts)
    torch_encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        checked = torch_encoder.export_for_queries(Path(tmp), texts[:16])
        print(
            f"export to ONNX: {time.perf_counter() - started:.1f} s (its own check: {checked:.6f})"
        )
        onnx = OnnxEncoder.load(Path(tmp), "all-MiniLM-L6-v2")
        assert onnx is not None
        started = time.perf_counter()
        ours = onnx.encode(texts)
        onnx_rate = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    reference = torch_encoder.encode(texts)
    torch_rate = len(texts) / (time.perf_counter() - started)
    cosine = np.sum(ours * reference, axis=1)
    verdict = "met" if cosine.min() >= 0.999 else "MISSED"
    print(
        f"cosine ONNX vs torch over {len(texts)} abstracts: min {cosine.min():.6f}, "
        f"mean {cosine.mean():.6f} (target >= 0.999: {verdict})"
    )
    print(f"speed: ONNX {onnx_rate:.1f} abstracts/s, torch {torch_rate:.1f} abstracts/s")
    if cosine.min() < 0.999:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
