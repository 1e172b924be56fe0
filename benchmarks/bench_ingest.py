"""Ingest benchmark: a large arXiv API result set through the real `arxiv` client, from a
server on 127.0.0.1, into a fresh SQLite store. Prints papers per second, peak memory, and
checks that two ingests of the same stream running at once store each paper exactly once.

    .venv/bin/python benchmarks/bench_ingest.py              # 20,000 entries, about a minute
    .venv/bin/python benchmarks/bench_ingest.py --entries 5000 --page-size 500

The entries are generated in the exact Atom layout of the recorded API pages
(tests/arxiv_atom.py); pacing is off (delay 0), so this measures litradar, not arXiv's
three seconds per request.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.arxiv_atom import page  # noqa: E402
from tests.replay import ReplayServer, Reply  # noqa: E402

from litradar.config import load_config  # noqa: E402
from litradar.sources.arxiv_api import ArxivApiSource  # noqa: E402
from litradar.sources.runner import read_source  # noqa: E402
from litradar.storage.store import Store  # noqa: E402

UNTIL = date(2025, 3, 17)


def project(folder: Path, url: str, page_size: int) -> Path:
    folder.mkdir(parents=True)
    config = folder / "litradar.toml"
    config.write_text(
        "[paths]\ndata_dir = 'index'\n"
        "[sources]\ncategories = ['cs.CV']\n"
        f"[sources.arxiv]\nurl = '{url}/api/query'\ndelay_seconds = 0.0\n"
        f"page_size = {page_size}\nqueries = []\n",
        encoding="utf-8",
    )
    return config


def max_rss_mb() -> float:
    """Linux reports ru_maxrss in kilobytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest(config_path: Path) -> tuple[int, str | None]:
    config = load_config(config_path, environ={})
    report = read_source(config, ArxivApiSource(config.sources.arxiv, ["cs.CV"]), until=UNTIL)
    return report.fetched, report.error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    with ReplayServer() as server, tempfile.TemporaryDirectory() as tmp:
        for start in range(0, args.entries, args.page_size):
            body = page(start, args.page_size, args.entries)
            server.on("GET", "/api/query", Reply(200, body), start=str(start))
        stream_mb = sum(len(r.replies[0].body) for r in server.routes) / 1e6
        print(f"stream: {args.entries} entries in {len(server.routes)} pages, {stream_mb:.1f} MB")

        single = project(Path(tmp) / "single", server.url, args.page_size)
        rss_before = max_rss_mb()
        started = time.perf_counter()
        fetched, error = ingest(single)
        elapsed = time.perf_counter() - started
        rss_after = max_rss_mb()
        if error:
            raise SystemExit(f"ingest failed: {error}")
        print(
            f"one ingest: {fetched} papers in {elapsed:.1f} s = {fetched / elapsed:.0f} papers/s; "
            f"peak memory: process max RSS {rss_before:.0f} MB before (server and stream "
            f"loaded), {rss_after:.0f} MB after: the ingest added {rss_after - rss_before:.0f} MB"
        )

        twice = project(Path(tmp) / "twice", server.url, args.page_size)
        results: list[tuple[int, str | None]] = []
        threads = [threading.Thread(target=lambda: results.append(ingest(twice))) for _ in "ab"]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        with Store.open(load_config(twice, environ={}).store_path) as store:
            papers = store.papers()
        distinct = len({p.arxiv_id for p in papers})
        ok = (
            len(papers) == distinct == args.entries
            and all(e is None for _, e in results)
            and len(results) == 2
        )
        print(
            f"two concurrent ingests of the same stream: {elapsed:.1f} s, store holds "
            f"{len(papers)} rows for {distinct} distinct papers (expected {args.entries}): "
            f"{'correct' if ok else 'WRONG'}"
        )
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
