"""Index benchmark on synthetic 384-d unit vectors: build, save, memory-mapped load, add
10k papers (and save), query p50/p99 from a warm process, recall@10 against exact search,
peak memory; at 100k (exact, FlatIP) and 1M (IVF) papers, as litradar.toml's [index]
defaults choose. Each size runs in its own process, so its peak memory is its own.

    .venv/bin/python benchmarks/bench_index.py                  # about 5 minutes, 5 GB
    .venv/bin/python benchmarks/bench_index.py --sizes 5000 20000 --exact-up-to 10000

The vectors are drawn around 2,000 random centres (papers cluster by topic; uniform random
vectors have no neighbours worth the name and are the worst case for any ANN index).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
QUERIES = 200


def vectors(n: int, seed: int, centres: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = np.random.default_rng(0).normal(size=(centres, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        chunk = middle[rng.integers(centres, size=size)]
        chunk += 0.9 * rng.normal(size=(size, DIM)).astype(np.float32)
        out[start : start + size] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_size(n: int, exact_up_to: int, nprobe: int) -> dict:
    from litradar.storage.paper_index import IndexSettings, PaperIndex, short_hashes

    settings = IndexSettings(exact_up_to=exact_up_to, nprobe=nprobe)
    data = vectors(n, seed=1)
    ids = np.arange(1, n + 1, dtype=np.int64)
    shas = [f"{i:064x}" for i in range(n)]
    result: dict = {"papers": n}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        index = PaperIndex.build("bench", ids, data, "v1", shas, settings)
        result["build_s"] = time.perf_counter() - started
        result["kind"] = index.kind
        started = time.perf_counter()
        index.save(folder)
        result["save_s"] = time.perf_counter() - started
        result["file_mb"] = sum(p.stat().st_size for p in folder.glob("*.faiss")) / 1e6
        del index

        # Growing: 10k new papers into the index as `litradar index` does it.
        more = vectors(10_000, seed=2)
        new_ids = np.arange(n + 1, n + 10_001, dtype=np.int64)
        all_ids = np.concatenate([ids, new_ids])
        all_shas = shas + [f"{i:064x}" for i in range(n, n + 10_000)]
        started = time.perf_counter()
        grown = PaperIndex.load(folder, "bench", mmap=False)
        grown.load_entries()
        remove, add = grown.changes(all_ids, all_shas)
        grown.apply(remove, iter([(add, more[add - n - 1])]), all_ids, all_shas, "v2")
        result["add_10k_s"] = time.perf_counter() - started
        result["needs_rebuild_after_add"] = grown.needs_rebuild(n + 10_000, settings)
        started = time.perf_counter()
        grown.save(folder)
        result["save_after_add_s"] = time.perf_counter() - started
        assert grown.size == n + 10_000 and len(short_hashes(all_shas)) == grown.size
        del grown

        # Searching: a warm process, the index memory-mapped.
        before = current_rss_mb()
        started = time.perf_counter()
        mapped = PaperIndex.load(folder, "bench")
        result["mmap_load_s"] = time.perf_counter() - started
        result["rss_added_by_load_mb"] = current_rss_mb() - before
        queries = vectors(QUERIES, seed=3)
        mapped.search(queries[:5], 10)  # touch the pages once, as a warm server has
        times, found = [], []
        for query in queries:
            started = time.perf_counter()
            _, hits = mapped.search(query, 10)
            times.append(time.perf_counter() - started)
            found.append(hits[0])
        result["query_p50_ms"] = 1000 * float(np.percentile(times, 50))
        result["query_p99_ms"] = 1000 * float(np.percentile(times, 99))
        # Peak memory of building, growing and searching; the exact check below needs more.
        result["peak_rss_mb"] = rss_mb()
        exact = PaperIndex.build(
            "exact", np.concatenate([ids, new_ids]), np.vstack([data, more]), "x",
            settings=IndexSettings(exact_up_to=10**12),
        )  # fmt: skip
        started = time.perf_counter()
        _, truth = exact.search(queries, 10)
        result["exact_query_ms"] = 1000 * (time.perf_counter() - started) / QUERIES
        result["recall_at_10"] = float(
            np.mean([len(set(a) & set(t)) / 10 for a, t in zip(found, truth, strict=True)])
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--exact-up-to", type=int, default=None, help="default: [index]'s")
    parser.add_argument("--nprobe", type=int, default=None, help="default: [index]'s")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    from litradar.config import IndexConfig

    defaults = IndexConfig()
    exact_up_to = args.exact_up_to if args.exact_up_to is not None else defaults.exact_up_to
    nprobe = args.nprobe or defaults.nprobe
    if args.one:
        print(json.dumps(one_size(args.one, exact_up_to, nprobe)))
        return
    print(f"[index] exact_up_to={exact_up_to}, nprobe={nprobe}; {DIM}-d vectors, k=10")
    for n in args.sizes:
        child = [sys.executable, __file__, "--one", str(n), "--exact-up-to", str(exact_up_to),
                 "--nprobe", str(nprobe)]  # fmt: skip
        done = subprocess.run(child, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{n} papers failed:\n{done.stderr}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['papers']:>9,} papers ({r['kind']}): build {r['build_s']:.1f} s, save "
            f"{r['save_s']:.1f} s ({r['file_mb']:.0f} MB); add 10k {r['add_10k_s']:.1f} s + save "
            f"{r['save_after_add_s']:.1f} s (rebuild needed: {r['needs_rebuild_after_add']}); "
            f"mmap load {r['mmap_load_s']:.2f} s (+{r['rss_added_by_load_mb']:.0f} MB RSS); "
            f"query p50 {r['query_p50_ms']:.1f} ms, p99 {r['query_p99_ms']:.1f} ms "
            f"(exact: {r['exact_query_ms']:.1f} ms); recall@10 vs exact "
            f"{r['recall_at_10']:.3f}; peak memory {r['peak_rss_mb']:.0f} MB (with the vectors)"
        )


if __name__ == "__main__":
    main()
