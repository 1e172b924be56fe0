from pathlib import Path

from litradar.config import load_config
from litradar.evaluation import RANKERS, leave_one_out
from litradar.pipeline import ingest_files


def test_leave_one_out_ranks_every_list_paper_for_every_ranker(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    ingest_files(config, [project / "data" / "arxiv_seed.jsonl"])
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    result = leave_one_out(config, week)
    assert result["held_out"] == 24
    assert result["pool"] >= 1197
    for name in RANKERS:
        stats = result["rankers"][name]
        assert len(stats["ranks"]) == 24
        assert all(1 <= r <= result["pool"] for r in stats["ranks"])
        assert 0 <= stats["recall_at_10"] <= stats["recall_at_25"] <= 1
    # even with hashed bag-of-words, the held-out list paper is far above the median paper
    assert result["rankers"]["litradar"]["median_rank"] < result["pool"] / 10
    baseline = result["placement_baseline"]
    assert baseline["papers"] == result["placement"]["papers"] == 24
    assert 0.0 <= baseline["accuracy"] <= 1.0
