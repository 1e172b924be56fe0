import json
import math
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.errors import LitradarError
from litradar.evaluation import (
    WEEK_RANKERS,
    JudgedSet,
    judged_evaluation,
    leave_one_out,
    ndcg,
    precision,
    query_measures,
    summarise,
    week_measures,
)
from litradar.pipeline import ingest_files


def test_leave_one_out_ranks_every_list_paper_for_every_ranker(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    ingest_files(config, [project / "data" / "arxiv_seed.jsonl"])
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    result = leave_one_out(config, week)
    # 24 arXiv entries and Concept Sliders, linked to Springer, matched by its title.
    assert result["held_out"] == 25
    assert result["pool"] >= 1197
    for name in WEEK_RANKERS:
        stats = result["rankers"][name]
        assert len(stats["ranks"]) == 25
        assert all(1 <= r <= result["pool"] for r in stats["ranks"])
        assert 0 <= stats["recall_at_10"] <= stats["recall_at_25"] <= 1
    # even with hashed bag-of-words, the held-out list paper is far above the median paper
    assert result["rankers"]["litradar"]["median_rank"] < result["pool"] / 10
    baseline = result["placement_baseline"]
    assert baseline["papers"] == result["placement"]["papers"] == 25
    assert 0.0 <= baseline["accuracy"] <= 1.0


# The judged measures, on a judged set small enough to work out by hand ------------------

JUDGED = {
    "a": {"judgement": 2, "section": "Logit Lens"},
    "b": {"judgement": 1, "section": "Tool"},
    "c": {"judgement": 0, "section": None},
    "d": {"judgement": 2, "section": "Surveys"},
}


def test_precision_counts_a_borderline_paper_half_and_an_unjudged_one_zero():
    judgements = {k: v["judgement"] for k, v in JUDGED.items()}
    assert precision(["a", "b", "c", "x"], judgements) == pytest.approx((1 + 0.5) / 4)
    assert precision([], judgements) is None


def test_ndcg_uses_graded_gains_against_the_ideal_order():
    judgements = {"a": 2, "b": 1, "c": 0, "d": 2}
    # ranking b, a, x: DCG = 1/log2(2) + 2/log2(3); ideal a, d, b: 2 + 2/log2(3) + 1/2
    expected = (1 + 2 / math.log2(3)) / (2 + 2 / math.log2(3) + 1 / 2)
    assert ndcg(["b", "a", "x"], judgements, 3) == pytest.approx(expected)
    assert ndcg(["a", "d", "b"], judgements, 3) == pytest.approx(1.0)
    assert ndcg(["c"], {"c": 0}, 10) is None  # nothing relevant: no figure, not 0


def test_week_measures_recall_precision_and_sections_by_hand():
    ranked = ["c", "a", "x", "b", "y", "z", "w", "v", "u", "t", "s", "d"]
    result = week_measures(ranked, ["c", "a", "x"], JUDGED, {"a": "Logit Lens", "d": "Tool"})
    assert result["belongs"] == 2 and result["ranks"] == [2, 12]
    assert result["recall_at_10"] == 0.5 and result["recall_at_15"] == 1.0
    assert result["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["section_right"] == 0.5
    assert result["sections"] == {"a": ["Logit Lens", "Logit Lens"], "d": ["Tool", "Surveys"]}


def test_a_judged_paper_outside_the_ranked_week_is_not_counted_against_it():
    result = week_measures(["a", "c"], ["a"], JUDGED)
    assert result["belongs"] == 1 and result["recall_at_10"] == 1.0


def test_query_measures_condensed_drop_unjudged_papers_first():
    judgements = [{"id": "a", "judgement": 2}, {"id": "b", "judgement": 1}]
    result = query_measures(["x", "a", "y", "b", "z"], judgements)
    assert result["p_at_5"] == pytest.approx(1.5 / 5)
    assert result["condensed_p_at_5"] == pytest.approx(1.5 / 2)
    assert result["condensed_ndcg_at_10"] == pytest.approx(1.0)
    assert result["ndcg_at_10"] < 1.0
    assert result["unjudged_in_top_5"] == 3


def _judged_folder(tmp: Path, week: Path, ids: dict[str, int]) -> Path:
    folder = tmp / "judged"
    (folder / "weeks").mkdir(parents=True)
    with (folder / "weeks" / f"{week.stem}.jsonl").open("w") as out:
        for arxiv_id, judgement in ids.items():
            section = "Sparse Autoencoder" if judgement else None
            out.write(json.dumps({"id": arxiv_id, "judgement": judgement, "section": section}))
            out.write("\n")
    query = {
        "query": "sparse autoencoder diffusion",
        "judgements": [{"id": i, "judgement": j} for i, j in ids.items()],
    }
    (folder / "queries.jsonl").write_text(json.dumps(query) + "\n")
    return folder


def test_judged_evaluation_measures_litradar_and_the_baselines_end_to_end(
    indexed_project: Path, tmp_path: Path
):
    config = load_config(indexed_project / "litradar.toml", environ={})
    week = indexed_project / "data" / "weeks" / "2025-03-10.jsonl"
    # Two sparse-autoencoder papers of that week judged 2, a benchmark judged 0.
    folder = _judged_folder(tmp_path, week, {"2503.07050": 2, "2503.09446": 2, "2503.06380": 0})
    result = judged_evaluation(config, [week], folder)
    measured = result["weeks"]["2025-03-10"]
    assert set(measured) == set(WEEK_RANKERS)
    for ranker in WEEK_RANKERS:
        assert measured[ranker]["belongs"] == 2
        assert len(measured[ranker]["ranks"]) == 2
    assert measured["litradar"]["proposed"] <= config.digest.size
    assert set(measured["litradar"]["sections"]) == {"2503.07050", "2503.09446"}
    assert 0 < result["threshold"] < 1
    queries = result["queries"]["sparse autoencoder diffusion"]
    assert set(queries) == {"litradar", "dense", "lexical"}
    # Both judged-2 papers name the query's words: lexical search puts one first.
    assert queries["lexical"]["condensed_p_at_5"] > 0
    summary = summarise(result)
    assert summary["weeks"]["litradar"]["recall_at_15"] is not None
    assert summary["queries"]["litradar"]["p_at_5"] is not None


def test_a_missing_judged_folder_is_one_clear_error(tmp_path: Path):
    with pytest.raises(LitradarError, match="judged set not found"):
        JudgedSet.load(tmp_path / "nowhere")
