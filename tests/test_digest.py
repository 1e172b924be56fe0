"""The digest's markdown for what the live sources add: provenance, venue, and the sources
block, with untrusted text escaped."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from litradar.core.digest_window import digest_window
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, Provenance
from litradar.curation.awesome_list import load_list, parse_list
from litradar.digests.generations import commit_digest, load, write_digest
from litradar.digests.json_document import render_json
from litradar.digests.markdown import render_markdown
from litradar.ranking.scoring import Scored
from tests.conftest import DEMO, ROOT, make_paper
from tests.digests import build_digest


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
    assert document.count("\n") == 1 and document.endswith("}\n")  # one line: half the size


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


def test_proposals_are_written_in_the_lists_style_and_papers_near_the_cut_are_no_entries():
    """A list of '- [Title](url) - venue' entries gets proposals written so; the papers near
    the cut lead with their rank, so the digest's entries are its proposals only."""
    awesome = parse_list(
        "## Papers\n### Sparse Autoencoder\n"
        "- [Old SAE](https://arxiv.org/abs/2401.00001) - ICML 2024\n"
        "- [Older SAE](https://arxiv.org/abs/2312.00002)\n"
    )
    papers = [
        scored(make_paper(f"Paper {i}", arxiv_id=f"2503.0{i:04d}"), relevance=r)
        for i, r in enumerate([0.9, 0.2])
    ]
    digest = build_digest(
        papers, awesome, date(2025, 3, 10), date(2025, 3, 17), size=5, threshold=0.4,
        models_trained_at="t", near_cut=1,
    )  # fmt: skip
    markdown = render_markdown(digest, awesome)
    assert "\n- [Paper 0](https://arxiv.org/abs/2503.00000)\n" in markdown
    assert "- rank 2, score 0.20: [Paper 1](https://arxiv.org/abs/2503.00001), " in markdown
    assert [e.arxiv_id for e in parse_list(markdown).papers] == ["2503.00000"]


def test_a_week_where_nothing_clears_the_threshold_proposes_nothing_but_shows_the_best():
    awesome = load_list(DEMO / "awesome_list.md")
    papers = [scored(make_paper("Low", arxiv_id="2503.00001"), relevance=0.1)]
    digest = build_digest(papers, awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.4, "t")
    assert not digest.proposed_ids and digest.near_cut_ids == ["2503.00001"]
    assert "No paper in this window scored high enough to propose." in render_markdown(
        digest, awesome
    )


def test_the_digest_reports_earlier_pull_requests_not_its_own_week_s():
    """`outcomes` are the store's deliveries of the pull-request channel; the week's own
    request is the one being made, not an earlier proposal."""
    awesome = load_list(DEMO / "awesome_list.md")
    papers = [scored(make_paper("Paper", arxiv_id="2503.00001"), relevance=0.9)]
    earlier = {"name": "2025-W10", "status": "opened", "number": 4, "state": "closed",
               "outcome": {"2503.00002": "accepted", "2503.00003": "rejected"}}  # fmt: skip
    own = {"name": "2025-W11", "status": "opened", "number": 5, "entries": {"2503.00001": "x"}}
    digest = build_digest(
        papers, awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.4, "t",
        outcomes=[earlier, own],
    )  # fmt: skip
    assert digest.outcomes == [earlier]
    block = render_markdown(digest, awesome).split("## Earlier proposals")[1]
    assert "2025-W10 (pull request #4, closed): 1 accepted, 1 rejected" in block
    assert "#5" not in block


# Issue 13, holes 6 and 8: a digest is whole, and a killed run leaves nothing behind.


def two_digests():
    awesome = load_list(DEMO / "awesome_list.md")
    paper = Paper("2503.04242", "Reading hidden states", "Abs.", ("A",), date(2025, 3, 11))
    old, new = (
        build_digest([scored(paper)], awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, t)
        for t in ("t-old", "t-new")
    )
    return awesome, old, new


def trained_at(directory: Path, name: str) -> tuple[str, str]:
    """Which run each of the pair's files comes from, as a reader sees them."""
    digest = load(directory, name)
    said = re.search(r"Models trained (\S+)\.", digest.markdown)[1]
    return said, digest.document["models_trained_at"]


class Killed(BaseException):
    """Stands for kill -9 at one step: nothing after it runs, no cleanup handler either."""


@pytest.mark.parametrize("fresh", [True, False])
def test_a_kill_at_any_step_of_writing_leaves_the_old_pair_or_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: bool
):
    """Every rename, link and write of `write_digest` is a point where the process may die;
    at each, a reader gets both files of one run (or, before the first digest, none). Before
    the fix a kill between the two renames left the new JSON beside the old markdown."""
    awesome, old, new = two_digests()
    calls = {"n": 0, "kill_at": 0}

    def step(real):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == calls["kill_at"]:
                raise Killed
            return real(*args, **kwargs)

        return wrapped

    for name in ("replace", "rename", "symlink", "fsync"):
        monkeypatch.setattr(os, name, step(getattr(os, name)))
    points = 0
    for kill_at in range(1, 50):
        folder = tmp_path / f"k{kill_at}"
        if not fresh:
            write_digest(old, awesome, folder)
        calls.update(n=0, kill_at=kill_at)
        try:
            write_digest(new, awesome, folder)
        except Killed:
            points += 1
            seen = trained_at(folder, "2025-W11") if (folder / "2025-W11.md").exists() else None
            allowed = {("t-new", "t-new"), None if fresh else ("t-old", "t-old")}
            assert seen in allowed, (kill_at, seen)
            calls["kill_at"] = 0
            write_digest(new, awesome, folder)  # the next run
            assert trained_at(folder, "2025-W11") == ("t-new", "t-new")
            continue
        assert trained_at(folder, "2025-W11") == ("t-new", "t-new")
        break
    assert points >= 2  # there were steps to die at


KILL_AT = """
import os, signal, sys
from pathlib import Path
step, at = sys.argv[2], int(sys.argv[3])
real = getattr(os, step)
count = {"n": 0}
def dying(*args, **kwargs):
    count["n"] += 1
    if count["n"] == at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
setattr(os, step, dying)
folder = Path(sys.argv[1])
from tests.test_digest import two_digests
from litradar.digests.generations import write_digest
awesome, old, new = two_digests()
write_digest(new, awesome, folder)
"""


def test_the_leftovers_of_a_killed_run_are_removed_by_the_next(tmp_path: Path):
    awesome, old, _ = two_digests()
    folder = tmp_path / "digests"
    write_digest(old, awesome, folder)
    before = sorted(p.name for p in folder.rglob("*"))
    for step, at in (("fsync", 1), ("fsync", 2), ("replace", 1)):
        done = subprocess.run(
            [sys.executable, "-c", KILL_AT, str(folder), step, str(at)],
            cwd=ROOT, capture_output=True, check=False,
        )  # fmt: skip
        assert done.returncode == -signal.SIGKILL, done.stderr
    left = sorted(p.name for p in folder.rglob("*"))
    assert left != before  # the killed runs did leave something
    write_digest(old, awesome, folder)
    assert trained_at(folder, "2025-W11") == ("t-old", "t-old")
    after = sorted(p.name for p in folder.rglob("*"))
    assert len(after) == len(before) and not [n for n in after if n.endswith(".tmp")]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, (date(2025, 3, 10), date(2025, 3, 17))),  # the last full ISO week
        (date(2025, 3, 5), None, (date(2025, 3, 5), date(2025, 3, 12))),
        (None, date(2025, 3, 5), (date(2025, 2, 26), date(2025, 3, 5))),  # --until alone
        (date(2025, 3, 1), date(2025, 3, 4), (date(2025, 3, 1), date(2025, 3, 4))),
    ],
)
def test_the_window_is_a_week_from_the_end_given_or_the_last_full_week(since, until, expected):
    assert digest_window(since, until, today=date(2025, 3, 19)) == expected  # a Wednesday


def test_a_window_beyond_the_calendar_is_a_user_error():
    with pytest.raises(LitradarError, match="out of range of the calendar"):
        digest_window(date(9999, 12, 31), None, today=date(2025, 3, 19))
    with pytest.raises(LitradarError, match="a week from 0001-01-02"):
        digest_window(None, date(1, 1, 2), today=date(2025, 3, 19))


def test_a_secret_in_a_digest_is_redacted_in_both_files(tmp_path: Path, monkeypatch):
    """A source's error echoed a key into the sources block: email and pull requests carry
    the digest, so its files never hold the key."""
    from litradar.config import load_config

    secret = "ghp_canaryTOKEN0123456789abcdef"
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    load_config(None, environ={"GITHUB_TOKEN": secret})  # reads the configured secrets
    markdown = f"**s2 failed**: 400 echo x-api-key={secret}"
    document = json.dumps({"proposed": 0, "papers": [], "sources": [{"error": secret}]})
    md, js = commit_digest(tmp_path, "2025-W11", markdown, document)
    for path in (md, js):
        assert secret not in path.read_text(encoding="utf-8")
        assert "***" in path.read_text(encoding="utf-8")


def test_an_unsure_section_is_named_with_its_runner_up_instead_of_defaulting():
    awesome = load_list(DEMO / "awesome_list.md")
    unsure = scored(make_paper("Unsure", arxiv_id="2503.00001"))
    unsure.section, unsure.section_probability = "Representation", 0.41
    unsure.runner_up, unsure.runner_up_probability = "Neuron Analysis", 0.37
    sure = scored(make_paper("Sure", arxiv_id="2503.00002"))
    sure.runner_up, sure.runner_up_probability = "Tool", 0.1
    digest = build_digest(
        [unsure, sure], awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, "t"
    )
    markdown = render_markdown(digest, awesome)
    assert markdown.count("section uncertain") == 1
    assert "section uncertain: Representation or Neuron Analysis" in markdown
    papers = {p["key"]: p for p in json.loads(render_json(digest))["papers"]}
    assert papers["2503.00001"]["section_uncertain"] == ["Representation", "Neuron Analysis"]
    assert papers["2503.00002"]["section_uncertain"] is None


def test_the_digest_says_when_the_cap_cut_what_cleared_the_score():
    awesome = load_list(DEMO / "awesome_list.md")
    papers = [scored(make_paper(f"P{i}", arxiv_id=f"2503.0000{i}"), 0.9) for i in range(4)]
    capped = build_digest(papers, awesome, date(2025, 3, 10), date(2025, 3, 17), 2, 0.5, "t")
    markdown = render_markdown(capped, awesome)
    assert "the cap of 2 was hit: 4 cleared the score" in markdown
    assert json.loads(render_json(capped))["capped_from"] == 4
    roomy = build_digest(papers, awesome, date(2025, 3, 10), date(2025, 3, 17), 10, 0.5, "t")
    assert "cap" not in render_markdown(roomy, awesome).split("\n")[2]
    assert json.loads(render_json(roomy))["capped_from"] is None


def test_the_halves_are_named_in_the_lists_own_words_where_its_taxonomy_gives_them():
    from litradar.curation.awesome_list import escape_markdown
    from litradar.digests.markdown import describe_signals

    item = scored(make_paper("A paper"))
    default = describe_signals(item, escape_markdown)
    assert "about a multimodal model 0.90 (clip)" in default
    assert "weaker half: analyses internals" in default
    item.labels = {"model": "about a *robot*", "internals": "on grasping"}
    own = describe_signals(item, escape_markdown)
    assert "about a \\*robot\\* 0.90 (clip)" in own and "weaker half: on grasping" in own
    assert "multimodal" not in own


def test_a_section_from_the_neighbours_alone_says_so():
    """A paper that names no section's technique is placed by its neighbours' topic: the
    digest says so, where a named technique is quoted instead."""
    awesome = load_list(DEMO / "awesome_list.md")
    voted = scored(make_paper("Voted", arxiv_id="2503.00001"))
    named = scored(make_paper("Named", arxiv_id="2503.00002"))
    named.section_named = ("title", "sparse autoencoder")
    digest = build_digest(
        [voted, named], awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, "t"
    )
    markdown = render_markdown(digest, awesome)
    lines = [line for line in markdown.splitlines() if line.startswith("  score ")]
    assert len(lines) == 2
    assert (
        sum("no technique named: placed by its nearest list papers" in line for line in lines) == 1
    )
    assert sum("(title says “sparse autoencoder”)" in line for line in lines) == 1
