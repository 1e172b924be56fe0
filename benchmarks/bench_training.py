"""Training's time on a store: the relevance model (the scope's three halves, their
five-fold calibration) and placement, fitted as `litradar train` fits them, several times
in one process, with where the time goes.

    .venv/bin/python benchmarks/bench_training.py                 # the demo's store
    .venv/bin/python benchmarks/bench_training.py --config DIR/litradar.toml --rounds 5

It needs a store with an index (`bash scripts/demo.sh`, or `litradar ingest` + `index`).
The papers' vectors are read from the store's cache, so no encoder runs here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "litradar.toml")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from litradar.config import load_config
    from litradar.core.progress import SilentReporter
    from litradar.ranking import scope
    from litradar.ranking.training import fit_placement, fit_relevance
    from litradar.steps.configured_inputs import (
        default_encoder,
        load_configured_taxonomy,
        scope_terms,
        section_terms,
        training_set,
    )

    config = load_config(args.config)
    started = time.perf_counter()
    data, labels = training_set(config, default_encoder(config), SilentReporter())
    read = time.perf_counter() - started
    print(f"training set: {len(data.papers):,} papers, read in {read:.2f} s")
    taxonomy = load_configured_taxonomy(config)
    terms, sections = scope_terms(taxonomy), section_terms(taxonomy)

    words_seconds: list[float] = []
    real_fit_words = scope._fit_words

    def timed_fit_words(texts):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return real_fit_words(texts)
        finally:
            words_seconds.append(time.perf_counter() - began)

    scope._fit_words = timed_fit_words
    relevance, placement, tfidf = [], [], []
    for _ in range(args.rounds):
        words_seconds.clear()
        began = time.perf_counter()
        fit_relevance(data, terms)
        relevance.append(time.perf_counter() - began)
        tfidf.append((len(words_seconds), sum(words_seconds)))
        began = time.perf_counter()
        fit_placement(data, labels, sections)
        placement.append(time.perf_counter() - began)

    def spread(values: list[float]) -> str:
        return f"median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"

    fits, seconds = tfidf[-1]
    print(f"relevance (scope halves, 5-fold calibration): {spread(relevance)} per fit")
    print(f"  of which TF-IDF: {fits} fit(s), {seconds:.2f} s in the last round")
    print(f"placement: {spread(placement)} per fit")


if __name__ == "__main__":
    main()
