"""Replaying the judged weeks as a maintainer would use litradar, to see whether the
maintainer's decisions make the next week's proposals better.

Weeks go in date order. Each week litradar trains on what it knows, proposes, and the
maintainer's decisions on what was proposed (the judgements: 2 or 1 accepted in the
judged section, 0 rejected) are stored by `labelling.record_label`, the path the review
page and `litradar label` take; the next week trains on them. The same weeks without the
decisions are the comparison. Everything happens in a copy of the store in a temporary
folder: the user's store never sees a replayed decision.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.progress import Reporter, SilentReporter
from litradar.embedding.encoders import TextEncoder
from litradar.ranking.labels import Labels
from litradar.ranking.leave_week_out import precision
from litradar.ranking.placement import PlacementModel
from litradar.ranking.relevance import RelevanceModel
from litradar.ranking.training import TrainingSet, fit_placement, fit_relevance
from litradar.steps.configured_inputs import (
    default_encoder,
    load_configured_taxonomy,
    scope_terms,
    training_set,
)
from litradar.steps.configured_inputs import section_terms as load_section_terms
from litradar.steps.ingest import ingest_files
from litradar.steps.labelling import record_label
from litradar.storage.store import Store

ORIGIN = "replay"


def _week_keys(path: Path) -> list[str]:
    from litradar.steps.evaluation import _read_week

    return list(dict.fromkeys(p.key for p in _read_week(path)))


@dataclass
class _Trained:
    relevance: RelevanceModel
    placement: PlacementModel
    data: TrainingSet
    labels: Labels


def _train(config: Config, encoder: TextEncoder, reporter: Reporter) -> _Trained:
    """What `train` fits, on what the store knows now (the decisions included)."""
    taxonomy = load_configured_taxonomy(config)
    data, labels = training_set(config, encoder, reporter)
    relevance = fit_relevance(data, scope_terms(taxonomy))
    placement = fit_placement(data, labels, load_section_terms(taxonomy))
    return _Trained(relevance, placement, data, labels)


def _propose(config: Config, trained: _Trained, week: list[str]) -> dict:
    """Propose from `week` as the digest would: what clears the bar, at most `size`, never
    a paper on the list or decided; each with its predicted section."""
    data, labels = trained.data, trained.labels
    index_of = {p.key: i for i, p in enumerate(data.papers)}
    skip = labels.on_list | labels.accepted | labels.rejected
    rows = [index_of[k] for k in week if k in index_of and k not in skip]
    proba = trained.relevance.predict_proba(
        [data.papers[i].text for i in rows], data.embeddings[rows]
    )[:, 1]
    minimum = config.digest.min_score
    bar = trained.relevance.threshold_ if minimum is None else minimum
    order = np.argsort(-proba, kind="stable")
    chosen = [rows[i] for i in order if proba[i] >= bar][: config.digest.size]
    papers = [data.papers[i] for i in chosen]
    sections = trained.placement.predict(data.embeddings[chosen], papers)
    return {
        "bar": round(float(bar), 4),
        "proposed": [p.key for p in papers],
        "sections": dict(zip([p.key for p in papers], sections, strict=True)),
        "decided_before": len(labels.accepted) + len(labels.rejected),
    }


def _measure(proposal: dict, judged: dict[str, dict]) -> dict:
    judgements = {k: int(r["judgement"]) for k, r in judged.items()}
    accepted = [k for k in proposal["proposed"] if judgements.get(k, 0) >= 1]
    right = [proposal["sections"][k] == judged[k]["section"] for k in accepted]
    return {
        "proposed": len(proposal["proposed"]),
        "precision": None if not proposal["proposed"] else round(
            precision(proposal["proposed"], judgements) or 0.0, 4),
        "accepted": len(accepted),
        "rejected": len(proposal["proposed"]) - len(accepted),
        "section_right": round(float(np.mean(right)), 4) if right else None,
        "decided_before": proposal["decided_before"],
        "bar": proposal["bar"],
    }


def replay(
    config: Config,
    weeks: Sequence[Path],
    judged_dir: Path,
    reporter: Reporter | None = None,
) -> dict:
    """Per week, in date order: precision and section accuracy of the proposals with the
    maintainer's decisions so far, and without any."""
    from litradar.steps.evaluation import JudgedSet

    reporter = reporter or SilentReporter()
    judged = JudgedSet.load(judged_dir)
    ordered = sorted((w for w in weeks if w.stem in judged.weeks), key=lambda w: w.stem)
    if len(ordered) < 2:
        raise LitradarError("the replay needs at least two judged weeks")
    if not config.store_path.is_file():
        raise LitradarError(f"no store at {config.store_path}: run 'litradar ingest' first")
    encoder = default_encoder(config)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="litradar-replay-") as tmp:
        data_dir = Path(tmp) / "index"
        data_dir.mkdir()
        with Store.open(config.store_path) as store:
            store.backup_to(data_dir / "litradar.sqlite")
        copy = config.model_copy(
            update={"paths": config.paths.model_copy(update={"data_dir": data_dir})}
        )
        ingest_files(copy, list(ordered))
        without = _train(copy, encoder, reporter)
        with reporter.track("replaying the weeks", len(ordered)) as advance:
            for week in ordered:
                keys = _week_keys(week)
                records = judged.weeks[week.stem]
                learned = _propose(copy, _train(copy, encoder, reporter), keys)
                rows[week.stem] = {
                    "with_decisions": _measure(learned, records),
                    "without": _measure(_propose(copy, without, keys), records),
                }
                for key in learned["proposed"]:
                    record = records.get(key)
                    if record is not None and int(record["judgement"]) >= 1:
                        record_label(copy, key, True, record["section"], [], origin=ORIGIN)
                    else:
                        record_label(copy, key, False, None, [], origin=ORIGIN)
                advance(1)
    return {"weeks": rows}
