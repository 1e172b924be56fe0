"""`litradar init LIST`: a config and a taxonomy drafted from a list and its papers, on the
bundled list and on another field's (MLLM hallucination, tests/fixtures/other_list: the
README of showlab/Awesome-MLLM-Hallucination, thinned, and its papers' arXiv metadata),
cloned from a bare repository on disk; then `litradar run` on the draft. Bad input is one
line. With an LLM configured (the fake one on 127.0.0.1), its suggestion sits beside the
drafted terms."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.curation.awesome_list import parse_list
from litradar.curation.taxonomy import load_taxonomy
from tests.conftest import DEMO, in_prefect_group
from tests.fake_github import git
from tests.fake_llm import FakeModel
from tests.replay import ReplayServer

runner = CliRunner()
OTHER = Path(__file__).resolve().parent / "fixtures" / "other_list"
WEEK = DEMO / "weeks" / "2025-03-10.jsonl"
# Words of the field litradar started with: a draft for another list holds none of them.
FIRST_FIELD = ("interpretab", "mechanistic", "sparse autoencoder", "logit lens", "CLIP",
               "probing", "steering")  # fmt: skip


def init(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["init", *args], env=env)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def other_repo(tmp_path: Path) -> Path:
    """The other list's repository, bare, as a remote the maintainer would name."""
    remote = tmp_path / "remote" / "awesome-mllm-hallucination.git"
    remote.parent.mkdir()
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    shutil.copy(OTHER / "README.md", work / "README.md")
    git(work, "add", "-A")
    git(work, "-c", "user.name=M", "-c", "user.email=m@example.org", "commit", "-qm", "list")
    git(work, "push", "--quiet", str(remote), "main")
    return remote


def test_the_bundled_list_gets_its_sections_terms_and_categories(tmp_path: Path):
    out = tmp_path / "new"
    result = init(str(DEMO / "awesome_list.md"), "--out", str(out),
                  "--papers", str(DEMO / "arxiv_seed.jsonl"), "--papers", str(WEEK))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "litradar run --config" in result.output
    said = " ".join(result.output.split())  # a bad line named as ingest names it
    assert "note: skipped " in said and "arxiv_seed.jsonl:42: 2406.11193: empty 'title'" in said
    taxonomy = load_taxonomy(out / "taxonomy.toml")
    awesome = parse_list((DEMO / "awesome_list.md").read_text(encoding="utf-8"))
    sections = awesome.section_names()
    assert [c.name for c in taxonomy.dimension("section").classes] == sections
    assert set(taxonomy.list_sections) == set(sections)
    assert taxonomy.named_only_sections == ["Surveys", "Tool"]
    assert "logit lens" in taxonomy.section_terms()["Logit Lens"]
    assert taxonomy.section_terms()["Surveys"] == ["review", "survey"]
    scope = taxonomy.scope
    assert "LLaVA" in scope.model_terms and "interpretability" in scope.internals_terms
    assert scope.analysis_terms  # a list of analyses: the contribution half is drafted
    config = load_config(out / "litradar.toml")
    assert config.list_path.resolve() == (DEMO / "awesome_list.md").resolve()
    assert config.survey_bibliography_path is None and config.taxonomy_path == out / "taxonomy.toml"
    assert [p.resolve() for p in config.source_files] == [DEMO / "arxiv_seed.jsonl", WEEK]
    ids = awesome.arxiv_ids
    cats = {c for line in (DEMO / "arxiv_seed.jsonl").read_text().splitlines()
            if (r := json.loads(line)) and r["id"] in ids for c in r["categories"].split()}  # fmt: skip
    assert config.sources.categories and set(config.sources.categories) <= cats
    again = init(str(DEMO / "awesome_list.md"), "--out", str(out), "--papers", str(WEEK))
    assert "--force replaces it" in one_error_line(again)
    # --out names the folder; a file given as --out was a bare "File exists".
    into_file = init(
        str(DEMO / "awesome_list.md"), "--out", str(out / "litradar.toml"), "--papers", str(WEEK)
    )
    assert "is a file: give the folder to write" in one_error_line(into_file)


@in_prefect_group
@pytest.mark.slow
def test_another_fields_list_from_its_repository_then_run_writes_its_first_digest(
    tmp_path: Path, other_repo: Path
):
    out = tmp_path / "hallucination"
    papers = OTHER / "papers.jsonl"
    result = init(str(other_repo), "--out", str(out), "--papers", str(papers),
                  "--papers", str(WEEK))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 sections" in result.output
    taxonomy_text = (out / "taxonomy.toml").read_text(encoding="utf-8")
    config_text = (out / "litradar.toml").read_text(encoding="utf-8")
    for word in FIRST_FIELD:
        assert word.lower() not in (taxonomy_text + config_text).lower(), word
    scope = load_taxonomy(out / "taxonomy.toml").scope
    assert "LVLM" in scope.model_terms and "hallucination" in scope.internals_terms
    assert not scope.analysis_terms  # a list of mitigations too: no "analysis, not a method"
    raw = tomllib.loads(config_text)
    assert raw["github"]["git_url"] == str(other_repo) and raw["github"]["base"] == "main"
    assert raw["paths"]["list"] == "awesome_list.md" and (out / "awesome_list.md").is_file()
    assert any("hallucination" in q for q in raw["sources"]["arxiv"]["queries"])
    assert set(raw["sources"]["categories"]) <= {"cs.CV", "cs.CL", "cs.AI", "cs.LG", "cs.MM"}
    # The maintainer reads the draft, picks the fast encoder for this test, and runs.
    (out / "litradar.toml").write_text(
        config_text.replace('model = "all-MiniLM-L6-v2"', 'model = "hashing"'), encoding="utf-8"
    )
    ran = runner.invoke(app, ["run", "--since", "2025-03-10", "--until", "2025-03-17",
                              "--config", str(out / "litradar.toml")])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "digest 2025-W11" in ran.output
    digest = json.loads((out / "digests" / "2025-W11.json").read_text(encoding="utf-8"))
    sections = {"Hallucination Survey", "Hallucination Evaluation & Analysis",
                "Hallucination Mitigation"}  # fmt: skip
    assert digest["papers"] and {p["section"] for p in digest["papers"]} <= sections
    # The digest names the halves in the draft's words, not the first list's.
    markdown = (out / "digests" / "2025-W11.md").read_text(encoding="utf-8")
    reasons = [line for line in markdown.splitlines() if "weaker half:" in line]
    assert reasons and all("about the list's subject" in line for line in reasons)
    assert not any("multimodal model" in line or "internals" in line for line in reasons)
    assert (out / "index" / "list-repo" / ".git").is_dir()  # the list read from its repository


def test_an_llm_suggestion_sits_beside_the_drafted_terms(tmp_path: Path):
    args = [str(OTHER), "--papers", str(OTHER / "papers.jsonl"),  # a folder holding README.md
            "--papers", str(WEEK)]  # fmt: skip
    with ReplayServer() as server:
        model = FakeModel(server)
        env = {"LITRADAR_LLM__ENABLED": "true", "LITRADAR_LLM__BASE_URL": f"{server.url}/v1",
               "LITRADAR_LLM__MODEL": "fake-model", "LITRADAR_LLM__RETRIES": "0"}  # fmt: skip
        result = init(*args, "--out", str(tmp_path / "a"), env=env)
        assert result.exit_code == 0, result.output
        assert (
            len(model.requests) == 1 and "<titles>" in model.requests[0]["messages"][1]["content"]
        )
        text = (tmp_path / "a" / "taxonomy.toml").read_text(encoding="utf-8")
        assert "# The LLM (fake-model) suggests: " in text and "faithfulness" in text
        load_taxonomy(tmp_path / "a" / "taxonomy.toml")  # still valid: a comment, not a key
        config = tomllib.loads((tmp_path / "a" / "litradar.toml").read_text(encoding="utf-8"))
        assert config["llm"]["enabled"] is True and config["llm"]["model"] == "fake-model"
        assert (tmp_path / "a" / config["paths"]["list"]).resolve() == OTHER / "README.md"
        model.behaviour = {"Hallucination": "500"}
        down = init(*args, "--out", str(tmp_path / "b"), env=env)
        assert down.exit_code == 0, down.output
        text = (tmp_path / "b" / "taxonomy.toml").read_text(encoding="utf-8")
        assert "# No LLM suggestion: LLM unavailable" in text
        assert (
            "hallucination" in load_taxonomy(tmp_path / "b" / "taxonomy.toml").scope.internals_terms
        )


def test_bad_input_is_one_clear_line(tmp_path: Path):
    papers = ["--papers", str(WEEK), "--out", str(tmp_path / "out")]
    prose = tmp_path / "notes.md"
    prose.write_text("Just some notes.\n\nNo links, no headings.\n", encoding="utf-8")
    assert "is not a markdown list" in one_error_line(init(str(prose), *papers))
    empty = tmp_path / "empty.md"
    empty.write_text(
        "# Awesome nothing\n\n## Papers\n\nComing soon: see [the site](https://x.org).\n"
    )
    assert "no entries found" in one_error_line(init(str(empty), *papers))
    blogs = tmp_path / "blogs.md"
    blogs.write_text(
        "# Awesome\n\n## Posts\n\n+ [A post](https://blog.example.org/a) (Mar. 1, 2025)\n"
    )
    assert "none of its 1 entries links to arXiv" in one_error_line(init(str(blogs), *papers))
    other_format = tmp_path / "other-format.md"
    other_format.write_text(
        "# Awesome\n\n## Papers\n\n* **A Paper** [[arxiv]](https://arxiv.org/abs/2401.06102)\n"
    )
    line = one_error_line(init(str(other_format), *papers))
    assert "1 arXiv link, but none in an entry litradar reads" in line
    unfiled = tmp_path / "unfiled.md"  # init wrote a section with no name; train refused it
    unfiled.write_text(
        "# Awesome\n\n+ [A Paper](https://arxiv.org/abs/2401.06102) (Mar. 1, 2025)\n"
    )
    line = one_error_line(init(str(unfiled), *papers))
    assert "line 3: 1 entry stands under no section heading" in line
    binary = tmp_path / "list.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    one_error_line(init(str(binary), *papers))
    line = one_error_line(init(str(tmp_path / "nowhere" / "list.git"), *papers))
    assert line.startswith("error: cannot clone")
    secret = "http://maintainer:s3cret-token@127.0.0.1:9/list.git"  # nothing listens on 9
    line = one_error_line(init(secret, *papers))
    assert "cannot clone http://127.0.0.1:9/list.git" in line and "s3cret" not in line
    assert "no such list" in one_error_line(init(str(tmp_path / "missing.md"), *papers))
    folder = tmp_path / "plain-folder"  # neither a README in it nor a repository
    folder.mkdir()
    line = one_error_line(init(str(folder), *papers))
    assert "has no README.md" in line and "is not a git repository" in line  # not "clone"
    listed = str(OTHER / "README.md")
    assert "give --papers FILE" in one_error_line(init(listed, "--out", str(tmp_path / "o")))
    only_list = ["--papers", str(OTHER / "papers.jsonl"), "--out", str(tmp_path / "o")]
    assert "papers besides the list's" in one_error_line(init(listed, *only_list))
    ids = parse_list((OTHER / "README.md").read_text(encoding="utf-8")).arxiv_ids
    others = tmp_path / "others.jsonl"
    others.write_text("".join(line + "\n" for line in WEEK.read_text().splitlines()[:200]
                              if json.loads(line)["id"] not in ids))  # fmt: skip
    unrelated = ["--papers", str(others), "--out", str(tmp_path / "o")]
    # 34: the entry whose date holds a venue, '(Apr. 30, 2024 (CVPR 2024))', is read too
    assert "none of the list's 34 arXiv papers" in one_error_line(init(listed, *unrelated))
    assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()


def test_a_clones_list_copy_is_refused_before_cloning_a_local_list_writes_none(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "awesome_list.md").write_text("the maintainer's own notes\n", encoding="utf-8")
    papers = ["--papers", str(OTHER / "papers.jsonl"), "--papers", str(WEEK), "--out", str(out)]
    # A repository to clone would copy its list there: refused before git runs (this one
    # cannot be cloned, so a check after cloning would say "cannot clone").
    line = one_error_line(init(str(tmp_path / "nowhere" / "list.git"), *papers))
    assert "awesome_list.md exists; --force replaces it" in line
    # A list read where it is writes no copy: the file is left alone.
    assert init(str(OTHER / "README.md"), *papers).exit_code == 0
    assert (out / "awesome_list.md").read_text(encoding="utf-8") == "the maintainer's own notes\n"


def test_without_a_list_init_still_asks_what_to_set_up():
    assert "a LIST, or --github-actions" in one_error_line(init())


def test_a_store_is_the_contrast_when_no_papers_are_given(project: Path, tmp_path: Path):
    config_file = str(project / "litradar.toml")
    ingested = runner.invoke(app, ["ingest", str(WEEK), "--config", config_file])
    assert ingested.exit_code == 0, ingested.output
    out = tmp_path / "from-store"
    result = init(str(OTHER / "README.md"), "--out", str(out),
                  "--config", str(project / "litradar.toml"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 of them in the papers given" in result.output
    config = tomllib.loads((out / "litradar.toml").read_text(encoding="utf-8"))
    assert config["sources"]["files"] == []  # the store's papers are not a file to ingest
    assert "add [sources] files or live sources" in result.output
    assert load_taxonomy(out / "taxonomy.toml").scope.model_terms
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "litradar.toml").write_text('[paths]\ndata_dir = "index"\n', encoding="utf-8")
    line = one_error_line(init(str(OTHER / "README.md"), "--config", str(fresh / "litradar.toml")))
    assert "has no store yet" in line
