"""The digest's markdown for what the live sources add: provenance, venue, and the sources
block, with untrusted text escaped."""

from __future__ import annotations

import json
from datetime import date

from litradar.awesome_list import load_list
from litradar.digest import build_digest, render_json, render_markdown
from litradar.paper import Paper, Provenance
from litradar.ranking.scoring import Scored
from tests.conftest import DEMO, make_paper


def scored(paper: Paper, relevance: float = 0.9) -> Scored:
    return Scored(
        paper=paper,
        relevance=relevance,
        section="Sparse Autoencoder",
        section_probability=0.8,
        signals={"model": 0.9, "internals": 0.4, "list": 0.7},
        close_to=[("2411.14982", 0.71)],
        top_terms={"model": ["clip"], "internals": ["sae"]},
    )


def test_proposals_show_where_they_came_from_and_failed_sources_stand_out():
    awesome = load_list(DEMO / "awesome_list.md")
    paper = Paper(
        arxiv_id=None,
        s2_id="abc",
        title="Features <script>alert(1)</script> in [CLIP](http://evil)",
        abstract="",
        authors=("A",),
        first_version_date=date(2025, 3, 11),
        venue="CVPR *2025*",
        source="s2",
        provenance=(Provenance("cites", "SAE 4 LMM"), Provenance("s2 search", "q | x")),
    )
    sources = [
        {"source": "arxiv", "since": "2025-03-03", "until": "2025-03-18", "fetched": 9,
         "added": 9, "status": "ok", "finished_at": "2025-03-17T07:01:00+00:00"},
        {"source": "s2", "since": "2025-03-03", "until": "2025-03-18", "pages": 1,
         "error": "Semantic Scholar gave up after 5 tries: 429 Too Many Requests",
         "notes": ["Semantic Scholar does not know list paper 2411.00001"], "status": "failed"},
    ]  # fmt: skip
    digest = build_digest(
        [scored(paper)], awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, "t", sources
    )
    markdown = render_markdown(digest, awesome)
    assert "found by: cites: SAE 4 LMM; s2 search: q \\| x · venue: CVPR \\*2025\\*" in markdown
    assert "<script>" not in markdown and "[CLIP](" not in markdown
    assert "![arXiv]" not in markdown  # no arXiv badge on a paper that is not on arXiv
    assert "https://doi.org" not in markdown and "semanticscholar.org/paper/abc" in markdown
    assert "- arxiv: 9 read, 9 added, 0 updated, 0 unchanged (2025-03-03 to 2025-03-18)" in markdown
    assert "- **s2: FAILED after 1 page(s)" in markdown and "429 Too Many Requests" in markdown
    assert "  - note: Semantic Scholar does not know list paper 2411.00001" in markdown
    document = render_json(digest)
    assert '"key": "s2:abc"' in document and '"cites: SAE 4 LMM"' in document


def test_only_papers_above_the_threshold_are_proposed_and_the_best_of_the_rest_shown():
    awesome = load_list(DEMO / "awesome_list.md")
    papers = [
        scored(make_paper(f"Paper {i}", arxiv_id=f"2503.0{i:04d}"), relevance=r)
        for i, r in enumerate([0.9, 0.7, 0.45, 0.2, 0.1, 0.05, 0.01])
    ]
    digest = build_digest(
        papers, awesome, date(2025, 3, 10), date(2025, 3, 17), size=5, threshold=0.4,
        models_trained_at="t", near_cut=2,
    )  # fmt: skip
    assert digest.proposed_ids == {"2503.00000", "2503.00001", "2503.00002"}
    assert digest.near_cut_ids == ["2503.00003", "2503.00004"]
    assert digest.held_back == 2  # of the 5 best, 2 were below the threshold
    markdown = render_markdown(digest, awesome)
    assert "7 read, 3 proposed (score at least 0.40); 2 more of the week's best held back" in (
        markdown
    )
    near = markdown.split("## Near the cut (not proposed)")[1]
    assert "Paper 3" in near and "Paper 4" in near and "Paper 5" not in near
    assert "weaker half: analyses internals" in markdown
    assert "about a multimodal model 0.90 (clip)" in markdown
    document = json.loads(render_json(digest))
    assert document["threshold"] == 0.4 and document["held_back"] == 2
    assert [p["near_cut"] for p in document["papers"]][:5] == [False, False, False, True, True]


def test_a_week_where_nothing_clears_the_threshold_proposes_nothing_but_shows_the_best():
    awesome = load_list(DEMO / "awesome_list.md")
    papers = [scored(make_paper("Low", arxiv_id="2503.00001"), relevance=0.1)]
    digest = build_digest(papers, awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.4, "t")
    assert not digest.proposed_ids and digest.near_cut_ids == ["2503.00001"]
    assert "No paper in this window scored high enough to propose." in render_markdown(
        digest, awesome
    )
