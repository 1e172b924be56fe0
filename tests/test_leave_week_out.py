"""Leave one week out on weeks small enough to work out by hand."""

import numpy as np
import pytest

from litradar.ranking.leave_week_out import (
    Choice,
    JudgedWeek,
    Variant,
    calibration,
    choose,
    leave_one_week_out,
    proposals,
)


def _week(name: str, values: list[float], judgements: dict[int, int], size_hint: str = "") -> JudgedWeek:
    """Papers p0, p1, ... of `name` scored `values` (best first or not); the judged ones by
    their position. One variant 'v', whose bar applies to the values themselves."""
    keys = [f"{name}-p{i}" for i in range(len(values))]
    v = np.array(values, dtype=float)
    week = JudgedWeek(
        name,
        keys,
        judgements={keys[i]: j for i, j in judgements.items()},
        judged_sections={keys[i]: "Representation" for i, j in judgements.items() if j == 2},
    )
    week.rankers["r"] = {"v": Variant(v, v)}
    week.placements["r"] = {
        "a": {keys[i]: ("Representation", "Tool", 0.5) for i, j in judgements.items() if j == 2},
        "b": {keys[i]: ("Tool", "Representation", 0.1) for i, j in judgements.items() if j == 2},
    }
    return week


def _weeks() -> list[JudgedWeek]:
    # In every week the papers at 0.9 and 0.8 belong and those at 0.5 and below do not.
    return [
        _week("w1", [0.9, 0.8, 0.5, 0.4, 0.1], {0: 2, 1: 2, 2: 0, 3: 0}),
        _week("w2", [0.9, 0.85, 0.5, 0.2, 0.1], {0: 2, 1: 2, 2: 0}),
        _week("w3", [0.95, 0.8, 0.45, 0.3], {0: 2, 1: 2, 2: 0, 3: 0}),
    ]


def test_the_bar_proposes_what_clears_it_and_follows_the_week():
    weeks = _weeks()
    choice = choose(weeks, "r", size=15)
    assert 0.5 < choice.bar <= 0.8  # between the last that belongs and the first that does not
    # each week proposes its own two, not a fixed number
    assert [len(proposals(w, w.rankers["r"]["v"], choice.bar, 15)) for w in weeks] == [2, 2, 2]
    quiet = _week("quiet", [0.9, 0.3, 0.2, 0.1], {0: 2, 1: 0})
    assert proposals(quiet, quiet.rankers["r"]["v"], choice.bar, 15) == ["quiet-p0"]


def test_the_cap_is_a_safety_net_that_says_when_it_was_hit():
    busy = _week("busy", [0.99, 0.98, 0.97, 0.96, 0.1], {0: 2, 1: 2, 2: 2, 3: 2})
    weeks = [*_weeks(), busy]
    result = leave_one_week_out(weeks, "r", size=3)
    fold = result["folds"]["busy"]
    assert fold["proposed"] == 3 and fold["cap_hit"] is True
    assert result["folds"]["w1"]["cap_hit"] is False


def test_no_week_s_judgements_reach_its_own_fold():
    weeks = _weeks()
    before = leave_one_week_out(weeks, "r", size=15, place=True)
    # Judge w3 the other way round: its fold's choice must not move, its figures must.
    flipped = _weeks()
    w3 = flipped[2]
    w3.judgements = {k: (0 if j == 2 else 2) for k, j in w3.judgements.items()}
    w3.judged_sections = {k: "Representation" for k, j in w3.judgements.items() if j == 2}
    w3.placements["r"] = {
        "a": {k: ("Tool", "Representation", 0.5) for k in w3.judged_sections},
        "b": {k: ("Representation", "Tool", 0.1) for k in w3.judged_sections},
    }
    after = leave_one_week_out(flipped, "r", size=15, place=True)
    for key in ("variant", "bar", "placement"):
        assert after["folds"]["w3"][key] == before["folds"]["w3"][key]
    assert before["folds"]["w3"]["precision"] == 1.0
    assert after["folds"]["w3"]["precision"] == 0.0
    assert after["folds"]["w3"]["section_right"] == 0.0  # the placement chosen elsewhere
    # ...while the in-sample choice, which sees w3, does move.
    assert after["chosen_on_all"] != before["chosen_on_all"] or (
        after["in_sample"] != before["in_sample"]
    )


def test_a_choice_that_only_fits_the_tuned_weeks_shows_as_a_drop():
    # Two variants: 'v' generalises; 'lucky' (tried first, so it wins ties) ranks the 2s
    # first only in w1 and w2.
    weeks = _weeks()
    for week in weeks:
        lucky = week.rankers["r"]["v"].score.copy()
        if week.name == "w3":
            lucky = np.array([0.1, 0.2, 0.9, 0.85])  # its 0s above the bar, its 2s below
        week.rankers["r"] = {"lucky": Variant(lucky, lucky), **week.rankers["r"]}
    result = leave_one_week_out(weeks, "r", size=15)
    assert result["chosen_on_all"]["variant"] == "v"
    assert result["in_sample"]["precision"] == 1.0
    # Held out, w3 is measured by the choice w1 and w2 made: the lucky one, which fails it.
    assert result["folds"]["w3"]["variant"] == "lucky"
    assert result["folds"]["w3"]["precision"] == 0.0
    assert result["held_out"]["precision"] < result["in_sample"]["precision"]


def test_calibration_compares_expected_and_judged_precision_per_band():
    weeks = _weeks()
    choices = {w.name: Choice("v", 0.6) for w in weeks}
    rows = {r["band"]: r for r in calibration(weeks, "r", choices)}
    top = rows["0.9-1.0"]
    assert top["papers"] == 3 and top["judged"] == pytest.approx(1.0)
    assert top["expected"] == pytest.approx((0.9 + 0.9 + 0.95) / 3, abs=1e-4)
    middle = rows["0.3-0.5"]  # 0.4, 0.45, 0.3: all judged 0
    assert middle["papers"] == 3 and middle["judged"] == 0.0
    assert sum(r["papers"] for r in rows.values()) == 14


def test_placement_is_chosen_on_the_papers_judged_2_or_1_and_section_right_stays_on_the_2s():
    """Variant 'a' places the one judged-2 paper of each week right and its two borderline
    papers wrong; 'b' the other way round. Chosen on 2s alone, 'a' would win; a maintainer
    files the borderline papers they accept too, so 'b' does, and the fold reports both."""
    weeks = []
    for name in ("w1", "w2", "w3"):
        week = _week(name, [0.9, 0.8, 0.7, 0.1], {0: 2, 1: 1, 2: 1, 3: 0})
        k = week.keys
        week.judged_sections = {k[0]: "Representation", k[1]: "Tool", k[2]: "Tool"}
        week.placements["r"] = {
            "a": {k[0]: ("Representation", "Tool", 0.5), k[1]: ("Representation", "Tool", 0.5),
                  k[2]: ("Representation", "Tool", 0.5)},
            "b": {k[0]: ("Tool", "Representation", 0.5), k[1]: ("Tool", "Representation", 0.5),
                  k[2]: ("Tool", "Representation", 0.5)},
        }  # fmt: skip
        weeks.append(week)
    assert weeks[0].placed == [weeks[0].keys[0], weeks[0].keys[1], weeks[0].keys[2]]
    result = leave_one_week_out(weeks, "r", size=15, place=True)
    fold = result["folds"]["w1"]
    assert fold["placement"] == "b"
    assert fold["section_right"] == 0.0  # its judged-2 paper, placed in Tool
    assert fold["placed_right"] == [2, 3]
    assert result["held_out"]["placed_right"] == [6, 9]
