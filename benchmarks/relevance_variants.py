"""What was tried for relevance, measured on the judged weeks (docs/quality.md).

Each variant is trained as the weekly run would be (the store, with the given weeks in it
as unlabelled papers), then ranks each judged week. Printed per week: recall@10 of the
papers judged to belong, nDCG@15, and the precision of the week's top 15 (no threshold,
so the variants compare on the same footing).

    .venv/bin/python benchmarks/relevance_variants.py \\
        --judged ../shared/data/judged demo/data/weeks/2025-03-10.jsonl \\
        ../shared/data/weeks/2025-02-24.jsonl ../shared/data/weeks/2025-09-15.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from litradar.config import load_config
from litradar.core.progress import SilentReporter
from litradar.ranking.leave_week_out import ndcg, precision
from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.scope import ScopeModel
from litradar.ranking.text_svm import TfidfSvm
from litradar.ranking.training import TrainingSet
from litradar.steps.configured_inputs import (
    default_encoder,
    load_configured_taxonomy,
    scope_terms,
    training_set,
)
from litradar.steps.evaluation import JudgedSet, _read_week


def old_signals(data: TrainingSet, positives: np.ndarray) -> np.ndarray:
    """The relevance score litradar had before the scope model: TF-IDF + SVM, similarity to
    the closest list paper and to the three closest known papers, standardised on the
    negatives and summed."""
    svm = TfidfSvm(C=0.1).fit(data.texts, positives.astype(int))
    listed = NeighbourSet(data.embeddings[data.on_list])
    known = NeighbourSet(data.embeddings[positives])
    raw = np.column_stack(
        [
            svm.decision_function(data.texts),
            listed.mean_top(data.embeddings, 1),
            known.mean_top(data.embeddings, 3),
        ]
    )
    negatives = raw[~positives]
    return ((raw - negatives.mean(axis=0)) / (negatives.std(axis=0) + 1e-6)).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weeks", nargs="+", type=Path)
    parser.add_argument("--judged", type=Path, default=Path("../shared/data/judged"))
    parser.add_argument("--config", type=Path, default=Path("litradar.toml"))
    args = parser.parse_args()
    config = load_config(args.config)
    judged = JudgedSet.load(args.judged)
    weeks = {path.stem: _read_week(path) for path in args.weeks}
    extra = [p for papers in weeks.values() for p in papers]
    data, labels = training_set(config, default_encoder(config), SilentReporter(), extra=extra)
    terms = scope_terms(load_configured_taxonomy(config))
    scope_labels = data.scope_labels
    relevant = data.y == 1
    about_model = terms.weak_labels(data.papers)["model"][0] if terms else relevant
    in_scope = data.on_list | (relevant & about_model)

    def halves(features: str) -> np.ndarray:
        model = ScopeModel(terms, features=features).fit(data.papers, data.embeddings, scope_labels)
        return model.score(data.texts, data.embeddings)

    kept = halves("words+embedding")
    old = old_signals(data, relevant)
    variants = {
        "old litradar: SVM + list + known, summed": old,
        "the same, positives = list + multimodal survey papers": old_signals(data, in_scope),
        "two halves, MiniLM features only": halves("embedding"),
        "two halves, TF-IDF features only": halves("words"),
        "two halves, TF-IDF + MiniLM (kept)": kept,
        "kept + 0.3 x the old signals": kept + 0.3 * old,
    }
    index_of = {p.key: i for i, p in enumerate(data.papers)}
    names = [n for n in weeks if n in judged.weeks]
    print("| variant | " + " | ".join(f"{n}: R@10 / nDCG@15 / P@15" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for label, score in variants.items():
        cells = []
        for name in names:
            keys = [k for k in dict.fromkeys(p.key for p in weeks[name])]
            keys = [k for k in keys if k not in labels.on_list]
            order = np.argsort(-score[[index_of[k] for k in keys]], kind="stable")
            ranked = [keys[i] for i in order]
            judgements = {k: int(r["judgement"]) for k, r in judged.weeks[name].items()}
            belongs = [k for k in keys if judgements.get(k) == 2]
            top = set(ranked[:10])
            recall = sum(k in top for k in belongs) / len(belongs) if belongs else float("nan")
            quality = ndcg(ranked, {k: j for k, j in judgements.items() if k in keys}, 15)
            cells.append(
                f"{recall:.2f} / {quality or 0:.2f} / {precision(ranked[:15], judgements):.2f}"
            )
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
