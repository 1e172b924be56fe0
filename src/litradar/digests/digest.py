"""The weekly digest as the steps build it (`Digest.of`): every paper of the window
ranked, what is proposed and near the cut, the sources' runs, earlier pull requests'
fates, the assistant's help. Its two renderings: `litradar.digests.markdown` (proposals in
the list's exact entry format) and `litradar.digests.json_document` (every paper, so anyone
can check where a paper ranked); on disk: `litradar.digests.generations`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeVar

from litradar.core.digest_window import window_name
from litradar.curation.awesome_list import (
    AwesomeList,
)
from litradar.ranking.scoring import Scored
from litradar.ranking.selection import Selection

if TYPE_CHECKING:
    from litradar.assist.digest_assist import Assistance
    from litradar.assist.tasks import Assisted


@dataclass(frozen=True)
class Digest:
    """One week's digest, built once from what the steps return (`Digest.of`): the
    selection, the assistant's help, the sources' reports, earlier pull requests' fates."""

    since: date
    until: date
    ranked: list[Scored]  # every paper of the window, best first
    proposed_ids: frozenset[str]
    on_list: frozenset[str]
    list_names: dict[str, str]  # arXiv id -> short name (or title) of list papers
    models_trained_at: str
    sections: list[str]
    threshold: float = 0.0  # the score a paper needs to be proposed
    # The best papers that did not clear it, best first: the "near the cut" block.
    near_cut_ids: list[str] = field(default_factory=list)
    held_back: int = 0  # of the `size` best candidates, how many the threshold held back
    capped_from: int | None = None  # how many cleared the threshold when the cap cut them
    sources: list[dict] = field(default_factory=list)  # the last run of each live source
    outcomes: list[dict] = field(default_factory=list)  # how earlier pull requests fared
    # Short names, summaries and second opinions by key (see litradar.assist).
    assisted: dict[str, Assisted] = field(default_factory=dict)
    assist_notes: list[str] = field(default_factory=list)
    assist_model: str | None = None
    # What it was made from (steps.pipeline.digest_inputs): the next run keeps it when equal.
    inputs: str | None = None

    @property
    def name(self) -> str:
        return window_name(self.since, self.until)

    @classmethod
    def of(
        cls,
        selection: Selection,
        awesome: AwesomeList,
        since: date,
        until: date,
        models_trained_at: str,
        sources: list[dict] | None = None,
        outcomes: list[dict] | None = None,
        assistance: Assistance | None = None,
        inputs: str | None = None,
    ) -> Digest:
        """`outcomes` of this window's own pull request are left out: a digest reports on
        earlier weeks."""
        name = window_name(since, until)
        return cls(
            since=since,
            until=until,
            ranked=selection.ranked,
            proposed_ids=selection.proposed_ids,
            on_list=selection.on_list,
            list_names=awesome.paper_names(),
            models_trained_at=models_trained_at,
            sections=awesome.section_names(),
            threshold=selection.threshold,
            near_cut_ids=selection.near_cut_ids,
            held_back=selection.held_back,
            capped_from=selection.capped_from,
            sources=sources or [],
            outcomes=[o for o in outcomes or [] if o.get("name") != name],
            assisted=assistance.assisted if assistance else {},
            assist_notes=assistance.notes if assistance else [],
            assist_model=assistance.model if assistance else None,
            inputs=inputs,
        )


class _Placed(Protocol):
    section: str


P = TypeVar("P", bound=_Placed)


def by_section(items: Iterable[P], sections: Iterable[str]) -> list[tuple[str, list[P]]]:
    """The items of each section, in the list's order of sections, in their own order
    within one; a section with none is left out (the digest's and the pull request's
    proposals both read this way)."""
    items = list(items)
    grouped = [(section, [i for i in items if i.section == section]) for section in sections]
    return [(section, chosen) for section, chosen in grouped if chosen]
