import json
import math
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.core.errors import LitradarError
from litradar.ranking.labels import Labels
from litradar.steps.evaluation import (
    WEEK_RANKERS,
    JudgedSet,
    _outside_query_corpus,
    judged_evaluation,
    leave_one_out,
    ndcg,
    precision,
    query_measures,
    summarise,
)
from litradar.steps.ingest import ingest_files
from tests.conftest import make_paper


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


def test_query_measures_condensed_drop_unjudged_papers_first():
    judgements = [{"id": "a", "judgement": 2}, {"id": "b", "judgement": 1}]
    result = query_measures(["x", "a", "y", "b", "z"], judgements)
    assert result["p_at_5"] == pytest.approx(1.5 / 5)
    assert result["condensed_p_at_5"] == pytest.approx(1.5 / 2)
    assert result["condensed_ndcg_at_10"] == pytest.approx(1.0)
    assert result["ndcg_at_10"] < 1.0
    assert result["unjudged_in_top_5"] == 3


def _judged_folder(tmp: Path, weeks: dict[str, dict[str, int]]) -> Path:
    folder = tmp / "judged"
    (folder / "weeks").mkdir(parents=True)
    for name, ids in weeks.items():
        with (folder / "weeks" / f"{name}.jsonl").open("w") as out:
            for arxiv_id, judgement in ids.items():
                section = "Sparse Autoencoder" if judgement else None
                out.write(json.dumps({"id": arxiv_id, "judgement": judgement, "section": section}))
                out.write("\n")
    ids = {k: j for week in weeks.values() for k, j in week.items()}
    query = {
        "query": "sparse autoencoder diffusion",
        "judgements": [{"id": i, "judgement": j} for i, j in ids.items()],
    }
    (folder / "queries.jsonl").write_text(json.dumps(query) + "\n")
    return folder


def test_judged_evaluation_leaves_each_week_out_for_litradar_and_the_baselines(
    indexed_project: Path, tmp_path: Path
):
    config = load_config(indexed_project / "litradar.toml", environ={})
    weeks = indexed_project / "data" / "weeks"
    # Sparse-autoencoder papers of each week judged 2, a benchmark judged 0.
    folder = _judged_folder(
        tmp_path,
        {
            "2025-03-10": {"2503.07050": 2, "2503.09446": 2, "2503.06380": 0},
            "2025-02-24": {"2502.14888": 2, "2502.17422": 2},
        },
    )
    result = judged_evaluation(
        config, [weeks / "2025-03-10.jsonl", weeks / "2025-02-24.jsonl"], folder
    )
    assert set(result["rankers"]) == set(WEEK_RANKERS)
    for ranker in WEEK_RANKERS:
        folds = result["rankers"][ranker]["folds"]
        assert set(folds) == {"2025-03-10", "2025-02-24"}
        assert folds["2025-03-10"]["belongs"] == 2 and len(folds["2025-03-10"]["ranks"]) == 2
        assert all(f["proposed"] <= config.digest.size for f in folds.values())
    litradar = result["rankers"]["litradar"]
    assert set(litradar["folds"]["2025-03-10"]["sections"]) == {"2503.07050", "2503.09446"}
    assert litradar["chosen_on_all"]["variant"].startswith("contribution x")
    assert 0 < result["threshold"] < 1
    assert sum(row["papers"] for row in result["calibration"]) > 2000
    queries = result["queries"]["sparse autoencoder diffusion"]
    assert set(queries) == {"litradar", "dense", "lexical"}
    # The judged-2 papers name the query's words: lexical search puts one first.
    assert queries["lexical"]["condensed_p_at_5"] > 0
    summary = summarise(result)
    assert summary["weeks"]["litradar"]["held_out"]["recall_at_10"] is not None
    assert summary["weeks"]["tfidf_svm"]["in_sample"]["proposed"] is not None
    assert summary["queries"]["litradar"]["p_at_5"] is not None


def test_one_judged_week_is_too_few_to_leave_one_out(indexed_project: Path, tmp_path: Path):
    config = load_config(indexed_project / "litradar.toml", environ={})
    week = indexed_project / "data" / "weeks" / "2025-03-10.jsonl"
    folder = _judged_folder(tmp_path, {"2025-03-10": {"2503.07050": 2}})
    with pytest.raises(LitradarError, match="at least two judged weeks"):
        judged_evaluation(config, [week], folder)


def test_a_missing_judged_folder_is_one_clear_error(tmp_path: Path):
    with pytest.raises(LitradarError, match="judged set not found"):
        JudgedSet.load(tmp_path / "nowhere")


def test_queries_are_searched_among_the_papers_they_were_judged_on(tmp_path: Path):
    folder = _judged_folder(tmp_path, {"2025-03-10": {"2503.07050": 2}})
    pools = {"query": "q", "candidates": [{"id": "2503.07050", "origin": "week:2025-03-10"},
                                          {"id": "2401.00001", "origin": "seed"}]}  # fmt: skip
    (folder / "query_pools.jsonl").write_text(json.dumps(pools) + "\n")
    judged = JudgedSet.load(folder)
    assert judged.query_weeks == {"2025-03-10"}
    weeks = {
        "2025-03-10": [make_paper("judged week", arxiv_id="2503.07050")],
        "2025-05-26": [
            make_paper("a later week's paper", arxiv_id="2505.00001"),
            make_paper("also in the judged week", arxiv_id="2503.07050"),
            make_paper("a seed paper on the list", arxiv_id="2401.00002"),
        ],
    }
    labels = Labels(relevant={"2401.00002"}, on_list={"2401.00002"})
    assert _outside_query_corpus(weeks, judged, labels) == {"2505.00001"}
    # Without query_pools.jsonl the folder does not say: every week is searched.
    (folder / "query_pools.jsonl").unlink()
    assert _outside_query_corpus(weeks, JudgedSet.load(folder), labels) == set()


BAD_JUDGED_FILES = [
    ("query_pools.jsonl", '{"query": "q", "candidates": "week:2025-03-10"}', "candidates"),
    ("query_pools.jsonl", '{"query": "q", "candidates": null}', "candidates"),
    ("query_pools.jsonl", "[1, 2, 3]", "valid dictionary"),
    ("query_pools.jsonl", '{"candidates": [1, 2]}', "candidates.0"),
    ("query_pools.jsonl", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("weeks/2025-03-10.jsonl", '{"judgement": 2}', "id: Field required"),
    ("weeks/2025-03-10.jsonl", "[1, 2]", "valid dictionary"),
    ("weeks/2025-03-10.jsonl", '{"id": "2503.07050", "judgement": "yes"}', "judgement"),
    ("weeks/2025-03-10.jsonl", '{"id": "2503.07050", "judgement": 3}', "judgement"),
    ("queries.jsonl", '{"query": "q", "judgements": [{"id": "a", "judgement": "high"}]}',
     "judgements.0.judgement"),
    ("queries.jsonl", '{"query": "q", "judgements": "none"}', "judgements"),
    ("queries.jsonl", '{"judgements": []}', "query: Field required"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "message"), BAD_JUDGED_FILES)
def test_a_bad_judged_file_is_one_error_with_its_file_and_line(
    tmp_path: Path, name: str, line: str, message: str
):
    folder = _judged_folder(tmp_path, {"2025-03-10": {"2503.07050": 2}})
    pools = {"query": "q", "candidates": [{"id": "2503.07050", "origin": "week:2025-03-10"}]}
    (folder / "query_pools.jsonl").write_text(json.dumps(pools) + "\n")  # a good first line
    with (folder / name).open("a") as out:
        out.write(line + "\n")
    with pytest.raises(LitradarError, match=f"{name}:2: .*{message}") as error:
        JudgedSet.load(folder)
    assert "\n" not in str(error.value)


def test_a_judged_file_that_is_not_utf8_is_one_error(tmp_path: Path):
    folder = _judged_folder(tmp_path, {"2025-03-10": {"2503.07050": 2}})
    (folder / "query_pools.jsonl").write_bytes(b'{"query": "caf\xe9"}\n')
    with pytest.raises(LitradarError, match=r"query_pools\.jsonl: not UTF-8"):
        JudgedSet.load(folder)


def test_evaluate_checks_the_judged_set_before_its_minutes_of_work(
    project: Path, tmp_path: Path
):
    """No store was ever made here: the judged folder's error comes first, in one line."""
    from typer.testing import CliRunner

    from litradar.cli import app

    folder = _judged_folder(tmp_path, {"2025-03-10": {"2503.07050": 2}})
    (folder / "queries.jsonl").write_text('{"judgements": []}\n')
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    result = CliRunner().invoke(app, ["evaluate", "--week", str(week), "--judged", str(folder),
                                      "--config", str(project / "litradar.toml")])  # fmt: skip
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "queries.jsonl:1: query" in result.output


def test_evaluate_checks_its_weeks_against_the_judgements_before_its_minutes_of_work(
    project: Path, tmp_path: Path
):
    """A week the judged set does not hold, or a week file that is not arXiv JSON lines,
    was said after 45-50 s of leave-one-out."""
    from typer.testing import CliRunner

    from litradar.cli import app

    folder = _judged_folder(tmp_path, {"2099-01-01": {"2503.07050": 2}})
    (folder / "queries.jsonl").unlink()  # weeks only: a week must be judged to be measured
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    args = ["--config", str(project / "litradar.toml")]
    unjudged = CliRunner().invoke(app, ["evaluate", "--week", str(week), "--judged", str(folder), *args])
    assert unjudged.exit_code == 1 and unjudged.output.count("\n") == 1
    assert f"no judgements for week 2025-03-10 in {folder}" in unjudged.output
    text = tmp_path / "week.txt"
    text.write_text("not json\n")
    unreadable = CliRunner().invoke(app, ["evaluate", "--week", str(week), "--week", str(text), *args])
    assert unreadable.exit_code == 1
    assert "no papers to rank in it (is it arXiv's bulk-metadata JSON lines?)" in unreadable.output
    assert "leave-one-out" not in unreadable.output.lower()  # nothing measured first


def test_leave_one_out_without_any_list_paper_in_the_store_is_one_error(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    ingest_files(config, [week])
    with pytest.raises(LitradarError, match="none of the list's papers is in the store"):
        leave_one_out(config, week)


def test_the_technique_sections_rule_must_win_leave_one_week_out_to_be_kept():
    from litradar.ranking.section_terms import SectionTerms
    from litradar.steps.evaluation import placement_variants

    plain = SectionTerms({"Logit Lens": ["logit lens"], "Tool": ["tool"]}, named_only=["Tool"])
    assert [name for name, _, _ in placement_variants(plain)] == [
        "terms x0.5", "terms x1", "terms x2", "terms x3",
    ]  # fmt: skip
    ruled = SectionTerms(plain.terms, named_only=["Tool"], technique=["Logit Lens"])
    variants = placement_variants(ruled)
    # Without the rule first: a tie keeps the placement that existed before it.
    assert [name for name, _, _ in variants][:4] == ["terms x0.5", "terms x1", "terms x2", "terms x3"]
    assert [t.technique for _, t, _ in variants] == [[]] * 4 + [["Logit Lens"]] * 4
    assert all(t.named_only == ["Tool"] for _, t, _ in variants)
    assert placement_variants(None) == [("terms x1", None, 1.0)]
