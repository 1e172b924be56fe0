"""Search latency on the maintainer's page: the page is a long-lived process, so its query
encoder is loaded once (`search.WarmSearch`); this measures what a search costs there,
against loading the encoder per query as `find` does in a new process.

    .venv/bin/python benchmarks/bench_web_search.py                 # the demo's store
    .venv/bin/python benchmarks/bench_web_search.py --config DIR/litradar.toml --rounds 3

It needs a store with an index (`bash scripts/demo.sh`, or `litradar ingest` + `index`).
Requests go through the real app (FastAPI's TestClient: routing, the Host check, JSON),
without a socket.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Queries a maintainer of this list would type (none of them from the judged set).
QUERIES = [
    "attention heads hallucination",
    "sparse autoencoder CLIP features",
    "steering vectors diffusion",
    "logit lens LLaVA",
    "causal tracing vision language model",
    "neuron descriptions multimodal",
    "probing visual representations",
    "circuits in text-to-image models",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "litradar.toml")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the queries")
    parser.add_argument("--k", type=int, default=20)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from litradar.config import load_config
    from litradar.core.errors import LitradarError
    from litradar.steps.search import find
    from litradar.web.app import create_app

    config = load_config(args.config)
    client = TestClient(create_app(config), base_url="http://127.0.0.1")

    def ask(query: str) -> float:
        start = time.perf_counter()
        answer = client.get("/api/find", params={"q": query, "k": args.k})
        took = (time.perf_counter() - start) * 1000
        if answer.status_code != 200:
            sys.exit(f"error: /api/find answered {answer.status_code}: {answer.text[:200]}")
        return took

    try:
        first = ask(QUERIES[0])
        warm = [ask(q) for _ in range(args.rounds) for q in QUERIES]
        cold = []
        for query in QUERIES[: max(2, len(QUERIES) // 2)]:
            start = time.perf_counter()
            find(config, query, args.k)  # loads the query encoder itself, as before
            cold.append((time.perf_counter() - start) * 1000)
    except LitradarError as exc:
        sys.exit(f"error: {exc}")
    model = config.embedding.model
    print(
        f"page search ({model}, k={args.k}), first query (loads the query encoder): "
        f"{first:.0f} ms"
    )
    print(
        f"page search, warm: p50 {statistics.median(warm):.1f} ms, "
        f"p95 {statistics.quantiles(warm, n=20)[18]:.1f} ms over {len(warm)} requests"
    )
    print(f"find with the encoder loaded per query (before): p50 {statistics.median(cold):.0f} ms")


if __name__ == "__main__":
    main()
