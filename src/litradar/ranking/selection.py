"""Which papers of a window a digest proposes, and which sit just below the cut.

Decided before anything is written or asked of an LLM: the assistant helps the papers
chosen here, and the digest is then built once from this choice and that help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litradar.ranking.scoring import Scored


@dataclass(frozen=True)
class Selection:
    ranked: list[Scored]  # every paper of the window, best first
    proposed_ids: frozenset[str]
    on_list: frozenset[str]
    threshold: float  # the score a paper needs to be proposed
    # The best papers that did not clear it, best first: the "near the cut" block.
    near_cut_ids: list[str] = field(default_factory=list)
    held_back: int = 0  # of the `size` best candidates, how many the threshold held back
    # How many cleared the threshold, when more did than the cap lets through: the cap is
    # a safety net, and a digest that hit it says so.
    capped_from: int | None = None

    def near_the_last_proposal(self, margin: int) -> list[str]:
        """Keys ranked within `margin` places of the last proposal, on either side of it:
        where a second opinion can change a decision."""
        order = [s.paper.key for s in self.ranked if s.paper.key not in self.on_list]
        proposed = [i for i, key in enumerate(order) if key in self.proposed_ids]
        if not proposed or margin == 0:
            return []
        last = proposed[-1]
        return order[max(0, last + 1 - margin) : last + 1 + margin]


def select(
    scored: list[Scored],
    on_list: set[str] | frozenset[str],
    size: int,
    threshold: float,
    decided: set[str] | None = None,
    near_cut: int = 5,
) -> Selection:
    """Propose the candidates that clear `threshold`, at most `size`; the best `near_cut`
    of the rest are shown below them. `decided`: papers the maintainer already accepted
    or rejected, never proposed again."""
    ranked = sorted(scored, key=lambda s: (-s.relevance, s.paper.key))
    skip = set(on_list) | (decided or set())
    candidates = [s for s in ranked if s.paper.key not in skip]
    cleared = [s.paper.key for s in candidates if s.relevance >= threshold]
    proposed = cleared[:size]
    rest = [s.paper.key for s in candidates if s.paper.key not in set(proposed)]
    return Selection(
        ranked=ranked,
        proposed_ids=frozenset(proposed),
        on_list=frozenset(on_list),
        threshold=threshold,
        near_cut_ids=rest[:near_cut],
        held_back=max(0, min(size, len(candidates)) - len(proposed)),
        capped_from=len(cleared) if len(cleared) > size else None,
    )
