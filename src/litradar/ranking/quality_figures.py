"""The figures of each training worth following over time: the web page charts them.

`metrics.json` holds only the latest training's; each training also leaves a run of kind
`QUALITY_RUN` in the store with these figures, so the history survives retraining.
"""

from __future__ import annotations

from litradar.config import Config
from litradar.storage.store import Store

QUALITY_RUN = "train"
# What the last `litradar evaluate --replay` measured, in the classifiers folder: the
# page's charts read it.
REPLAY_FILE = "replay.json"


def quality_figures(metrics: dict) -> dict[str, float | None]:
    """The figures of one training worth following over time (the web page's chart)."""
    relevance = metrics.get("relevance") or {}
    return {
        "precision": relevance.get("precision"),
        "recall": relevance.get("recall"),
        "average_precision": relevance.get("average_precision"),
        "placement": (metrics.get("placement") or {}).get("accuracy"),
    }


def record_quality(config: Config, metrics: dict) -> None:
    """Each training's figures kept in the store (a run of kind "train"): metrics.json
    holds only the latest."""
    detail = {"trained_at": metrics.get("trained_at"), **quality_figures(metrics)}
    with Store.open(config.store_path) as store:
        store.finish_run(store.start_run(QUALITY_RUN, detail), "done", detail)
