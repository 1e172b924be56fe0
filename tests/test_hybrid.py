"""Hybrid search: bm25 over the store's FTS5 index fused with the dense ranking, and the
scope model's scores from `train`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from litradar.cli import app
from litradar.ranking.hybrid import LIST_BONUS, PRIOR_CAP, fuse
from litradar.storage.lexical import match_expression, memory_index, search
from litradar.storage.store import Store
from tests.conftest import make_paper


def test_rank_fusion_rewards_agreement_and_the_prior_breaks_what_ranks_cannot():
    fused = dict(fuse([1, 2, 3], [3, 4, 1]))
    assert max(fused, key=fused.get) in (1, 3)  # high in both lists
    assert fused[1] > fused[2] and fused[3] > fused[4]
    # a paper the scope model says belongs overtakes an equal-rank one it says does not
    with_prior = fuse([1, 2], [2, 1], prior={1: -0.1, 2: -5.0})
    assert [i for i, _ in with_prior] == [1, 2]


def test_among_papers_clearly_in_scope_the_query_decides_not_the_prior():
    # 2 matches the query better; 1 is only more typical of the list
    fused = fuse([2, 1, 3], [2, 1, 3], prior={1: -0.01, 2: PRIOR_CAP, 3: -4.0})
    assert [i for i, _ in fused] == [2, 1, 3]
    # below the cap the prior still counts: a likelier paper overtakes a better match
    fused = fuse([2, 1], [2, 1], prior={1: PRIOR_CAP, 2: PRIOR_CAP - 1.0})
    assert [i for i, _ in fused] == [1, 2]


def test_a_list_paper_wins_a_near_tie_but_not_a_clear_loss():
    tie = fuse([1, 2], [2, 1], prior={1: -1.0, 2: -1.0}, on_list={2})
    assert tie[0][0] == 2
    clear = fuse([1, 3, 4, 5, 2], [1, 3, 4, 5, 2], prior={1: -1.0, 2: -1.0}, on_list={2})
    assert clear[0][0] == 1 and LIST_BONUS < 0.5


def test_the_paper_the_query_names_comes_first_whatever_its_scope_score():
    fused = fuse([1, 2], [1, 2], prior={1: -0.1, 2: -10.0}, titled={2})
    assert [i for i, _ in fused] == [2, 1]
    assert next(i for i, _ in fuse([1], [1], titled={3})) == 3  # named, though neither found it


def test_the_query_cannot_inject_fts_syntax():
    assert match_expression('NEAR(" OR * lens:') == '"near" OR "lens"'
    assert match_expression("the of a") is None
    db = memory_index([(1, "Logit lens for LLaVA", "We decode hidden states."), (2, "Rain", "")])
    assert search(db, 'logit) OR "lens', 5) == [1]
    assert search(db, "", 5) == []


def test_bm25_prefers_a_title_match_and_stems_words():
    db = memory_index(
        [
            (1, "Weather forecasting", "Steering vectors are mentioned once in passing."),
            (2, "Steering vectors in diffusion models", "We steer a text-to-image model."),
        ]
    )
    assert search(db, "steering vector diffusion", 5) == [2, 1]
    assert search(db, "steering vector diffusion", 5, allowed=[1]) == [1]


def test_the_store_keeps_its_lexical_index_in_step_with_every_write(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([make_paper("Old title about rainfall", arxiv_id="2501.00001")])
        assert store.lexical_search("rainfall", 5) and not store.lexical_search("autoencoder", 5)
        store.upsert([make_paper("Sparse autoencoder for CLIP", arxiv_id="2501.00001", version=2)])
        assert store.count() == 1
        assert store.lexical_search("autoencoder", 5) and not store.lexical_search("rainfall", 5)


def test_find_puts_a_list_paper_whose_title_holds_the_query_in_the_top_3(
    trained_project: Path, tmp_path: Path
):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    config = ["--config", str(project / "litradar.toml")]
    for query, wanted in [
        ("logit lens hallucination", "Beyond Logit Lens"),
        ("object hallucinations attention lens", "Attention Lens"),
    ]:
        result = CliRunner().invoke(app, ["find", query, "-k", "3", "--json", *config])
        assert result.exit_code == 0, result.output
        hits = [json.loads(line) for line in result.output.splitlines()]
        shown = [(h["title"][:50], h["on_list"], h["dense_rank"], h["lexical_rank"]) for h in hits]
        assert any(h["on_list"] and wanted.lower() in h["title"].lower() for h in hits), shown
        assert all(h["relevance"] is not None and h["section"] for h in hits)
        assert any(h["lexical_rank"] for h in hits)


def test_find_by_a_papers_title_shows_it_first_even_far_off_the_lists_scope(
    trained_project: Path, tmp_path: Path
):
    """A method paper (mitigating hallucination) scores far below the list's papers, so
    without the title rule a search for its own title buried it below the top 3."""
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    config = ["--config", str(project / "litradar.toml")]
    with Store.open(project / "index" / "litradar.sqlite") as store:
        paper = store.get("2503.10602")
    assert paper is not None
    query = paper.title.upper() + "."  # case and punctuation do not matter
    result = CliRunner().invoke(app, ["find", query, "-k", "3", "--json", *config])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert hits[0]["arxiv_id"] == "2503.10602" and hits[0]["relevance"] < 0.5, hits[0]
    since = ["--since", "2099-01-01"]  # a date filter still applies to the named paper
    later = CliRunner().invoke(app, ["find", query, "-k", "3", "--json", *since, *config])
    assert later.exit_code == 0 and "2503.10602" not in later.output
