"""The digest's markdown for what the live sources add: provenance, venue, and the sources
block, with untrusted text escaped."""

from __future__ import annotations

from datetime import date

from litradar.awesome_list import load_list
from litradar.digest import build_digest, render_json, render_markdown
from litradar.paper import Paper, Provenance
from litradar.ranking.scoring import Scored
from tests.conftest import DEMO


def scored(paper: Paper) -> Scored:
    return Scored(
        paper=paper,
        relevance=0.9,
        section="Sparse Autoencoder",
        section_probability=0.8,
        signals={"svm": 1.0, "list_max": 2.0, "known_top3": 0.5},
        close_to=[("2411.14982", 0.71)],
        top_terms=["sae"],
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
