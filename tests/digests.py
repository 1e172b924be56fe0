"""Building a digest straight from scores, without assistance: for tests only."""

from __future__ import annotations

from datetime import date

from litradar.curation.awesome_list import AwesomeList
from litradar.digests.digest import Digest
from litradar.ranking.scoring import Scored
from litradar.ranking.selection import select


def build_digest(
    scored: list[Scored],
    awesome: AwesomeList,
    since: date,
    until: date,
    size: int,
    threshold: float,
    models_trained_at: str,
    sources: list[dict] | None = None,
    decided: set[str] | None = None,
    outcomes: list[dict] | None = None,
    near_cut: int = 5,
) -> Digest:
    """A digest without assistance, straight from scores (see `select`)."""
    chosen = select(scored, awesome.keys, size, threshold, decided, near_cut)
    return Digest.of(chosen, awesome, since, until, models_trained_at, sources, outcomes)
