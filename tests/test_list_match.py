"""Every list entry matched to its paper: arXiv links of every form, DOIs behind any
resolver or publisher URL, ACL Anthology ids, Semantic Scholar ids, and titles; and
`litradar list`, the report of what matched."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.core.paper import Paper
from litradar.curation.awesome_list import arxiv_id_from_url, load_list, parse_list
from litradar.curation.list_match import MatchReport, doi_in_url, match_entries
from litradar.curation.list_source import new_run
from litradar.storage.store import Store
from tests.conftest import DEMO

runner = CliRunner()


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/2311.12092",
        "https://arxiv.org/abs/2311.12092v3",
        "http://arxiv.org/pdf/2311.12092v2.pdf",
        "https://arxiv.org/pdf/2311.12092",
        "https://export.arxiv.org/abs/2311.12092",
        "https://arxiv.org/html/2311.12092v1",
        "https://ar5iv.labs.arxiv.org/html/2311.12092",
        "https://ar5iv.org/abs/2311.12092",
        "https://www.alphaxiv.org/abs/2311.12092",
        "https://huggingface.co/papers/2311.12092",
        "https://doi.org/10.48550/arXiv.2311.12092",
        "https://doi.org/10.48550/ARXIV.2311.12092",
    ],
)
def test_an_arxiv_id_in_any_link_form(url: str):
    assert arxiv_id_from_url(url) == "2311.12092"


def test_links_that_are_not_arxiv_papers():
    for url in (
        "https://huggingface.co/papers",
        "https://doi.org/10.1007/978-3-031-73661-2_10",
        "https://www.alphaxiv.org/abs/not-an-id",
        "https://example.org/2311.12092",
    ):
        assert arxiv_id_from_url(url) is None, url


@pytest.mark.parametrize(
    ("url", "doi", "how"),
    [
        ("https://doi.org/10.1145/3581783.3612000", "10.1145/3581783.3612000", "doi"),
        ("http://dx.doi.org/10.1145/3581783.3612000", "10.1145/3581783.3612000", "doi"),
        ("https://link.springer.com/chapter/10.1007/978-3-031-73661-2_10",
         "10.1007/978-3-031-73661-2_10", "doi"),
        ("https://dl.acm.org/doi/pdf/10.1145/3581783.3612000", "10.1145/3581783.3612000", "doi"),
        ("https://onlinelibrary.wiley.com/doi/full/10.1002/aaai.12345", "10.1002/aaai.12345",
         "doi"),
        ("https://aclanthology.org/2023.acl-long.123.pdf", "10.18653/v1/2023.acl-long.123",
         "acl anthology"),
        ("https://aclanthology.org/P19-1001/", "10.18653/v1/P19-1001", "acl anthology"),
    ],
)  # fmt: skip
def test_a_doi_behind_any_resolver_or_publisher(url: str, doi: str, how: str):
    assert doi_in_url(url) == (doi, how)


def test_no_doi_in_a_page_without_one():
    assert doi_in_url("https://ojs.aaai.org/index.php/AAAI/article/view/21375") is None
    assert doi_in_url("https://openreview.net/forum?id=abc") is None


LIST = """# A list

## Papers

+ **Sliders** [Concept Sliders: LoRA Adaptors for Precise Control in Diffusion Models](https://link.springer.com/chapter/10.1007/978-3-031-73661-2_10) (Nov. 10, 2024)

+ **ACL** [A Paper Read Through the ACL Anthology Only](https://aclanthology.org/2023.acl-long.5/) (Jul. 1, 2023)

+ **S2** [Seen on Semantic Scholar](https://www.semanticscholar.org/paper/Seen-on-S2/0123456789abcdef0123456789abcdef01234567) (Jan. 1, 2024)

+ **Review** [Interpreting Vision Transformers at the Neuron Level](https://openreview.net/forum?id=XyZ) (Feb. 2, 2024)

+ **Arxiv** [Something](https://arxiv.org/pdf/2411.19187v2.pdf) (Nov. 28, 2024)

+ **Unknown** [A Paper the Store Has Never Seen Anywhere](https://ojs.aaai.org/index.php/AAAI/article/view/21375) (Jun. 28, 2022)
"""


def _paper(title: str, **fields) -> Paper:
    fields.setdefault("authors", ("A",))
    return Paper(title=title, abstract="A.", first_version_date=date(2024, 1, 1), **fields)


def test_entries_match_stored_papers_by_doi_acl_s2_and_title(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([
            _paper("Concept Sliders: LoRA Adaptors for Precise Control in Diffusion Models",
                   arxiv_id="2311.12092", doi="10.1007/978-3-031-73661-2_10"),
            _paper("Its anthology title differs from the list's", arxiv_id=None,
                   doi="10.18653/V1/2023.ACL-LONG.5"),
            _paper("Seen on Semantic Scholar under a longer title", arxiv_id=None,
                   s2_id="0123456789abcdef0123456789abcdef01234567"),
            _paper("Interpreting vision transformers at the neuron level!", arxiv_id="2402.00001"),
        ])  # fmt: skip
        matched = match_entries(parse_list(LIST), store)
        report = MatchReport.of(matched, store)
    by = {e.short_name: (e.key, e.matched_by) for e in matched.entries}
    assert by == {
        "Sliders": ("2311.12092", "doi"),
        "ACL": ("doi:10.18653/v1/2023.acl-long.5", "acl anthology"),
        "S2": ("s2:0123456789abcdef0123456789abcdef01234567", "s2"),
        "Review": ("2402.00001", "title"),
        "Arxiv": ("2411.19187", "arxiv"),
        "Unknown": (None, None),
    }
    assert matched.keys == {k for k, _ in by.values() if k}
    lines = report.lines()
    assert lines[0] == (
        "6 entries: 5 identified (arxiv 1, doi 1, acl anthology 1, s2 1, title 1), "
        "1 matched nothing"
    )
    assert (
        "  not matched: line 15: A Paper the Store Has Never Seen Anywhere (ojs.aaai.org)" in lines
    )
    assert "1 arXiv entries are not in the store" in lines[-1] and "2411.19187" in lines[-1]


def test_a_title_two_stored_papers_share_matches_neither(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([
            _paper("Interpreting Vision Transformers at the Neuron Level", arxiv_id="2402.00001",
                   authors=("A",)),
            _paper("Interpreting Vision Transformers at the Neuron Level", arxiv_id="2402.00002",
                   authors=("B",)),
        ])  # fmt: skip
        entry = next(e for e in match_entries(parse_list(LIST), store).entries
                     if e.short_name == "Review")  # fmt: skip
    assert entry.key is None


@pytest.fixture
def demo_project(indexed_project: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(indexed_project, project)
    new_run()
    return project


def test_the_real_list_matches_concept_sliders_by_title_and_find_shows_it_on_the_list(
    demo_project: Path,
):
    """The bundled list (the real one, ../shared/data/awesome_list.md) links Concept
    Sliders to Springer; the store holds its arXiv record."""
    args = ["--config", str(demo_project / "litradar.toml")]
    result = runner.invoke(app, ["list", *args])
    assert result.exit_code == 0, result.output
    awesome = load_list(DEMO / "awesome_list.md")
    assert "2311.12092" not in awesome.keys
    assert f"{len(awesome.entries)} entries: " in result.output
    assert "title 1)" in result.output
    assert "not matched: line 54: Are Vision-Language Transformers Learning" in result.output
    assert "Concept Sliders" not in result.output  # matched
    assert "lesswrong.com" in result.output  # the blog posts are not papers

    found = runner.invoke(app, ["find", "Concept Sliders LoRA adaptors diffusion", "--json",
                                "-k", "5", *args])  # fmt: skip
    assert found.exit_code == 0, found.output
    hits = {h["arxiv_id"]: h for h in map(json.loads, found.stdout.splitlines())}
    assert hits["2311.12092"]["on_list"] is True


def test_list_without_a_store_matches_arxiv_links_only(project: Path):
    result = runner.invoke(app, ["list", "--config", str(project / "litradar.toml")])
    assert result.exit_code == 0, result.output
    assert "no store yet" in result.output and "title" not in result.output.split("\n", 1)[1]
    # ... and matches them: it said "0 identified" and listed every arXiv entry as unmatched.
    assert "entries: 24 identified (arxiv 24)" in result.output, result.output
    assert "not matched: line" in result.output and "arxiv.org)" not in result.output


def test_a_paper_listed_twice_is_reported_with_its_lines_and_sections(project: Path):
    from litradar.core.progress import SilentReporter
    from litradar.curation.list_match import duplicate_entries
    from litradar.steps.configured_inputs import load_labels

    text = (
        "# L\n## Representation\n+ [A](https://arxiv.org/abs/2401.00001)\n\n"
        "+ [B](https://arxiv.org/abs/2401.00002)\n## Tool\n"
        "+ [A again](https://arxiv.org/abs/2401.00001v2)\n\n+ [B](https://arxiv.org/abs/2401.00002)\n"
        "## Neuron Analysis\n+ [C](https://arxiv.org/abs/2401.00003)\n"
    )
    lines = duplicate_entries(parse_list(text))
    assert lines == [
        "lines 3, 7: 2401.00001 is on the list 2 times, in Representation and Tool; "
        "placement learns Representation",
        "lines 5, 9: 2401.00002 is on the list 2 times, in Representation and Tool; "
        "placement learns Representation",
    ]
    assert duplicate_entries(parse_list(text.replace("2401.00001v2", "2401.00004"))) == lines[1:]
    # `litradar list` and every command that reads the labels (train, run) say so.
    listed = project / "data" / "awesome_list.md"
    original = listed.read_text(encoding="utf-8")
    listed.write_text(original + "\n## Tool\n+ [Again](https://arxiv.org/abs/2502.17516)\n")
    result = runner.invoke(app, ["list", "--config", str(project / "litradar.toml")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "listed twice or more: lines" in said and "2502.17516 is on the list 2 times" in said
    from litradar.config import load_config

    reporter = SilentReporter()
    load_labels(load_config(project / "litradar.toml", environ={}), reporter)
    assert any("2502.17516 is on the list 2 times" in w for w in reporter.warnings)
