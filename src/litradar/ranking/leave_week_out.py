"""Leave one week out: every tuned choice is made on the other judged weeks and measured
on the week it never saw.

Figures tuned and reported on the same weeks overstated the proposals twice (0.71 on the
tuned weeks, 0.44 on later ones). So `evaluate` treats what it tunes (the weight of the
contribution half, the bar a paper must clear, placement's weight on named techniques;
for the baselines their bar) as a choice among variants, chooses on four weeks, reports
on the fifth, and rotates. The headline is the mean over the held-out folds; the same
choice made on all weeks and measured on them is printed beside it, so a choice that only
helps the weeks it was tuned on shows up as the gap between the two.

Pure functions of arrays and judgements: nothing here fits a model (evaluation.py does,
once, without the judgements).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

GAIN = {2: 1.0, 1: 0.5}  # precision: a borderline paper counts half
MEASURES = ("precision", "recall_at_10", "ndcg_at_15", "section_right", "proposed")
BANDS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0000001)


@dataclass(frozen=True)
class Variant:
    """One way of ranking a week: a score to rank by and a value the bar applies to
    (a probability for litradar, the score itself for a baseline)."""

    score: np.ndarray
    cut_value: np.ndarray


@dataclass
class JudgedWeek:
    name: str
    keys: list[str]  # the week's candidates (papers not on the list)
    judgements: dict[str, int]  # key -> 2 / 1 / 0, judged candidates only
    # key -> judged section, of the papers judged 2 and of those judged 1 with a section
    # (borderline: a maintainer who accepts one files it there)
    judged_sections: dict[str, str]
    # ranker -> variant name -> Variant
    rankers: dict[str, dict[str, Variant]] = field(default_factory=dict)
    # ranker -> placement variant name -> key -> (section, runner-up, their margin)
    placements: dict[str, dict[str, dict[str, tuple[str, str, float]]]] = field(
        default_factory=dict
    )

    @property
    def belongs(self) -> list[str]:
        return [k for k, j in self.judgements.items() if j == 2]

    @property
    def placed(self) -> list[str]:
        """The papers whose placement is measured: judged 2, or 1 with a section."""
        return [k for k, j in self.judgements.items() if j >= 1 and k in self.judged_sections]


@dataclass(frozen=True)
class Choice:
    variant: str
    bar: float


def dcg(gains: Sequence[float]) -> float:
    return float(sum(g / np.log2(i + 2) for i, g in enumerate(gains)))


def ndcg(ranked: Sequence[str], judgements: Mapping[str, int], k: int) -> float | None:
    """Graded gains (2, 1, 0); an unjudged paper gains 0. None when nothing is relevant."""
    ideal = dcg(sorted(judgements.values(), reverse=True)[:k])
    if ideal == 0:
        return None
    return dcg([judgements.get(key, 0) for key in ranked[:k]]) / ideal


def precision(keys: Sequence[str], judgements: Mapping[str, int]) -> float | None:
    """2 counts 1, 1 counts 0.5, 0 and unjudged count 0; None for nothing proposed."""
    if not keys:
        return None
    return sum(GAIN.get(judgements.get(k, 0), 0.0) for k in keys) / len(keys)


def proposals(week: JudgedWeek, variant: Variant, bar: float, size: int) -> list[str]:
    """What the digest would propose: the candidates whose value clears the bar, best
    first, at most `size` (the cap is a safety net, not the rule)."""
    order = np.argsort(-variant.score, kind="stable")
    return [week.keys[i] for i in order if variant.cut_value[i] >= bar][:size]


def ranked(week: JudgedWeek, variant: Variant) -> list[str]:
    return [week.keys[i] for i in np.argsort(-variant.score, kind="stable")]


def _bars(weeks: Sequence[JudgedWeek], ranker: str, variant: str, depth: int = 25) -> list[float]:
    """Candidate bars: every value among the best `depth` of each week (a bar between two
    of them proposes the same), and one above them all (propose nothing)."""
    values = set()
    for week in weeks:
        v = week.rankers[ranker][variant]
        order = np.argsort(-v.cut_value, kind="stable")[:depth]
        values.update(float(x) for x in v.cut_value[order])
    return [*sorted(values), float("inf")]


# The tuning objective weighs precision over recall (F0.5): a wrong proposal costs the
# maintainer a review, a missed one still shows "near the cut" and comes back with the
# list's next training. Measured leave-one-week-out on the five judged weeks, F1 proposed
# more and kept fewer (docs/quality.md).
BETA = 0.5


def pooled_f_score(
    weeks: Sequence[JudgedWeek], ranker: str, choice: Choice, size: int, beta: float = BETA
) -> float:
    """The tuning objective: F-beta of the pooled proposals of `weeks`, precision counted
    with the gains (borderline half) and recall over the judged-2 papers."""
    gain = proposed = found = belongs = 0.0
    for week in weeks:
        chosen = proposals(week, week.rankers[ranker][choice.variant], choice.bar, size)
        gain += sum(GAIN.get(week.judgements.get(k, 0), 0.0) for k in chosen)
        proposed += len(chosen)
        found += sum(1 for k in chosen if week.judgements.get(k) == 2)
        belongs += len(week.belongs)
    if proposed == 0 or belongs == 0 or found == 0:
        return 0.0
    p, r = gain / proposed, found / belongs
    return (1 + beta**2) * p * r / (beta**2 * p + r)


def choose(weeks: Sequence[JudgedWeek], ranker: str, size: int) -> Choice:
    """The variant and bar with the best pooled F-beta on `weeks`; ties go to the higher
    bar (fewer proposals), then to the first variant."""
    best: tuple[float, float] | None = None
    chosen = None
    for variant in weeks[0].rankers[ranker]:
        for bar in _bars(weeks, ranker, variant):
            f1 = pooled_f_score(weeks, ranker, Choice(variant, bar), size)
            key = (round(f1, 9), bar)
            if best is None or key > best:
                best, chosen = key, Choice(variant, bar)
    assert chosen is not None
    return chosen


def choose_placement(weeks: Sequence[JudgedWeek], ranker: str) -> str:
    """The placement variant that places the most papers of `weeks` right, judged 2 or 1
    alike: a maintainer files a borderline paper they accept in its section too, and the
    18 judged-2 papers of five weeks are too few to choose on (one paper decided it)."""
    names = list(weeks[0].placements[ranker])

    def right(name: str) -> int:
        return sum(
            week.placements[ranker][name][k][0] == week.judged_sections[k]
            for week in weeks
            for k in week.placed
            if k in week.placements[ranker][name]
        )

    return max(names, key=lambda n: (right(n), -names.index(n)))


def measure(
    week: JudgedWeek, ranker: str, choice: Choice, size: int, placement: str | None
) -> dict:
    variant = week.rankers[ranker][choice.variant]
    order = ranked(week, variant)
    chosen = proposals(week, variant, choice.bar, size)
    position = {k: i for i, k in enumerate(order, start=1)}
    belongs = sorted(week.belongs, key=position.__getitem__)
    ranks = [position[k] for k in belongs]
    result: dict = {
        "variant": choice.variant,
        "bar": None if np.isinf(choice.bar) else round(choice.bar, 4),
        "belongs": len(belongs),
        "ranks": ranks,
        "recall_at_10": _share([r <= 10 for r in ranks]),
        "proposed": len(chosen),
        "proposed_ids": chosen,
        "cap_hit": int((variant.cut_value >= choice.bar).sum()) > size,
        "precision": _round(precision(chosen, week.judgements)),
        "ndcg_at_15": _round(ndcg(order, week.judgements, 15)),
    }
    if placement is not None:
        where = week.placements[ranker][placement]  # key -> (section, runner-up, margin)
        result["placement"] = placement
        result["sections"] = {
            k: [where[k][0], week.judged_sections[k], where[k][1], round(where[k][2], 3)]
            for k in belongs
            if k in where
        }
        result["section_right"] = _share([v[0] == v[1] for v in result["sections"].values()])
        result["placed_right"] = [
            sum(where[k][0] == week.judged_sections[k] for k in week.placed if k in where),
            sum(k in where for k in week.placed),
        ]
    return result


def leave_one_week_out(
    weeks: Sequence[JudgedWeek], ranker: str, size: int, place: bool = False
) -> dict:
    """Each week held out in turn: the choice made on the others, measured on it. Also the
    choice made on all weeks, measured on all of them (what tuning on the test weeks would
    have claimed)."""
    folds = {}
    for held in weeks:
        rest = [w for w in weeks if w is not held]
        choice = choose(rest, ranker, size)
        placement = choose_placement(rest, ranker) if place else None
        folds[held.name] = measure(held, ranker, choice, size, placement)
    everywhere = choose(weeks, ranker, size)
    placement = choose_placement(weeks, ranker) if place else None
    in_sample = {w.name: measure(w, ranker, everywhere, size, placement) for w in weeks}
    return {
        "folds": folds,
        "held_out": summary(folds.values()),
        "in_sample": summary(in_sample.values()),
        "chosen_on_all": {
            "variant": everywhere.variant,
            "bar": None if np.isinf(everywhere.bar) else round(everywhere.bar, 4),
            "placement": placement,
        },
    }


def summary(measured: Sequence[dict] | object) -> dict:
    """Means over weeks; recall and section right also pooled over every judged-2 paper."""
    rows = list(measured)  # type: ignore[call-overload]
    ranks = [r for m in rows for r in m["ranks"]]
    sections = [v[0] == v[1] for m in rows for v in m.get("sections", {}).values()]
    placed = [m["placed_right"] for m in rows if "placed_right" in m]
    return {
        "precision": _mean([m["precision"] for m in rows]),
        "recall_at_10": _mean([m["recall_at_10"] for m in rows]),
        "ndcg_at_15": _mean([m["ndcg_at_15"] for m in rows]),
        "section_right": _mean([m.get("section_right") for m in rows]),
        "proposed": _mean([m["proposed"] for m in rows]),
        "pooled_recall_at_10": _share([r <= 10 for r in ranks]),
        "pooled_section_right": _share(sections),
        # judged 2 or 1: (right, placed), pooled over the weeks
        "placed_right": [sum(r for r, _ in placed), sum(n for _, n in placed)] if placed else None,
        "pooled_precision": _round(_pooled_precision(rows)),
        "cap_hits": sum(1 for m in rows if m["cap_hit"]),
    }


def _pooled_precision(rows: Sequence[dict]) -> float | None:
    total = sum(m["proposed"] for m in rows)
    if not total:
        return None
    return sum((m["precision"] or 0.0) * m["proposed"] for m in rows) / total


def calibration(
    weeks: Sequence[JudgedWeek], ranker: str, choices: Mapping[str, Choice]
) -> list[dict]:
    """Expected against judged precision per probability band, each week scored with the
    variant chosen without it: are the probabilities a bar can trust? Unjudged papers
    count as 0, as in the precision of the proposals."""
    values, gains = [], []
    for week in weeks:
        variant = week.rankers[ranker][choices[week.name].variant]
        values.extend(variant.cut_value.tolist())
        gains.extend(GAIN.get(week.judgements.get(k, 0), 0.0) for k in week.keys)
    v, g = np.array(values), np.array(gains)
    rows = []
    for low, high in itertools.pairwise(BANDS):
        inside = (v >= low) & (v < high)
        rows.append(
            {
                "band": f"{low:.1f}-{min(high, 1.0):.1f}",
                "papers": int(inside.sum()),
                "expected": _round(float(v[inside].mean())) if inside.any() else None,
                "judged": _round(float(g[inside].mean())) if inside.any() else None,
            }
        )
    return rows


def _share(flags: Sequence[bool]) -> float | None:
    return round(float(np.mean(flags)), 4) if len(flags) else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else None
