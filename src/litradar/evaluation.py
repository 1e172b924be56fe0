"""Leave-one-out on the list: can litradar find a list paper in a week of other papers?

For each list paper: forget that it is on the list (it stays in the store as an ordinary
paper, as a new paper would be in production), train, and rank it among the papers of
one real week. The same split scores each single signal and logistic regression on
embeddings, so the combination litradar uses is compared, not assumed.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from litradar.config import Config
from litradar.errors import LitradarError
from litradar.paper import Paper
from litradar.pipeline import (
    default_encoder,
    load_configured_taxonomy,
    section_terms,
    training_set,
)
from litradar.progress import Reporter, SilentReporter
from litradar.ranking.labels import Labels
from litradar.ranking.relevance import SIGNALS
from litradar.ranking.training import TrainingSet, fit_relevance, placement_metrics
from litradar.sources.arxiv_jsonl import read_jsonl

RANKERS = ("tfidf_svm", "minilm_list_max", "minilm_known_top3", "minilm_logreg", "litradar")


def _without(labels: Labels, arxiv_id: str) -> Labels:
    reduced = copy.deepcopy(labels)
    reduced.relevant.discard(arxiv_id)
    reduced.on_list.discard(arxiv_id)
    reduced.section.pop(arxiv_id, None)
    return reduced


def _rank(scores: np.ndarray, target: int) -> int:
    return int((scores > scores[target]).sum()) + 1


def _summary(ranks: list[int]) -> dict:
    values = np.array(ranks)
    return {
        "median_rank": float(np.median(values)),
        "recall_at_10": round(float((values <= 10).mean()), 4),
        "recall_at_25": round(float((values <= 25).mean()), 4),
        "worst_rank": int(values.max()),
        "ranks": [int(r) for r in values],
    }


def placement_baseline(data: TrainingSet, labels: Labels) -> dict:
    """TF-IDF + linear SVM on the same leave-one-out splits as litradar's placement: the
    list papers held out one at a time, every other labelled paper (survey too) kept; then
    the survey's papers the same way."""
    rows = [i for i, p in enumerate(data.papers) if p.key in labels.section]
    held = [i for i in rows if data.papers[i].key in labels.on_list]
    survey = [i for i in rows if data.papers[i].key not in labels.on_list]
    result = _svm_leave_one_out(data, labels, rows, held)
    result["method"] = "TF-IDF + linear SVM, leave-one-out over list papers"
    result["survey_papers"] = _svm_leave_one_out(data, labels, rows, survey)
    return result


def _svm_leave_one_out(data: TrainingSet, labels: Labels, rows: list[int], held: list[int]) -> dict:
    correct = 0
    for i in held:
        train = [r for r in rows if r != i]
        model = make_pipeline(
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
            LinearSVC(C=1.0, class_weight="balanced", random_state=0),
        )
        model.fit(
            [data.papers[r].text for r in train],
            [labels.section[data.papers[r].key] for r in train],
        )
        correct += int(
            model.predict([data.papers[i].text])[0] == labels.section[data.papers[i].key]
        )
    return {"accuracy": round(correct / len(held), 4) if held else None, "papers": len(held)}


def leave_one_out(config: Config, week: Path, reporter: Reporter | None = None) -> dict:
    reporter = reporter or SilentReporter()
    week_papers: list[Paper] = [p for p in read_jsonl(week) if isinstance(p, Paper)]
    if not week_papers:
        raise LitradarError(f"{week}: no papers to rank in")
    encoder = default_encoder(config)
    data, labels = training_set(config, encoder, reporter, extra=week_papers)
    terms = section_terms(load_configured_taxonomy(config))
    index_of = {p.key: i for i, p in enumerate(data.papers)}
    week_rows = [index_of[p.key] for p in week_papers if p.key not in labels.relevant]
    held_out = [a for a in sorted(labels.on_list) if a in index_of]
    ranks: dict[str, list[int]] = {name: [] for name in RANKERS}
    with reporter.track("leave-one-out", len(held_out)) as advance:
        for arxiv_id in held_out:
            reduced = _without(labels, arxiv_id)
            fold = TrainingSet.build(data.papers, data.embeddings, reduced)
            model = fit_relevance(fold, calibrate=False)
            rows = [*week_rows, index_of[arxiv_id]]
            texts = [data.papers[i].text for i in rows]
            signals = model.signals(texts, data.embeddings[rows])
            target = len(rows) - 1
            for name, column in zip(RANKERS[:3], range(len(SIGNALS)), strict=True):
                ranks[name].append(_rank(signals[:, column], target))
            logreg = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
            logreg.fit(fold.embeddings, fold.y)
            ranks["minilm_logreg"].append(
                _rank(logreg.decision_function(data.embeddings[rows]), target)
            )
            ranks["litradar"].append(_rank(signals.sum(axis=1), target))
            advance(1)
    return {
        "week": str(week),
        "pool": len(week_rows) + 1,
        "held_out": len(held_out),
        "held_out_ids": held_out,
        "rankers": {name: _summary(r) for name, r in ranks.items()},
        "placement": placement_metrics(data, labels, terms),
        "placement_baseline": placement_baseline(data, labels),
    }
