"""Shared fixtures: the bundled demo data, ../shared where CI has it, and a project folder
with a litradar.toml that uses the hashing encoder (no torch) unless a test asks for MiniLM."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from litradar.paper import Paper

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "data"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"

needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")

SURVEY_SECTIONS = """
[ranking.survey_sections]
"4.1" = "Linear Probing"
"4.2" = "Logit Lens"
"4.3" = "Causal Tracing"
"4.4" = "Representation"
"4.5" = "Steering Vector"
"4.6" = "Sparse Autoencoder"
"4.7" = "Neuron Analysis"
"7" = "Tool"
"""


RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"


def make_paper(title: str, abstract: str = "An abstract.", **fields: Any) -> Paper:
    """A paper for tests that care about its text; other fields have plain defaults."""
    values: dict[str, Any] = {
        "arxiv_id": "2503.01234",
        "authors": ("A. Author",),
        "first_version_date": date(2025, 3, 4),
    }
    values.update(fields)
    return Paper(title=title, abstract=abstract, **values)


def write_config(folder: Path, model: str = "hashing", extra: str = "", sources: str = "") -> Path:
    config = folder / "litradar.toml"
    config.write_text(
        f"""
[paths]
data_dir = "index"
list = "data/awesome_list.md"
survey_bibliography = "data/survey_bibliography.jsonl"
classifiers_dir = "classifiers"
digests_dir = "digests"
taxonomy = "{ROOT / "taxonomy.toml"}"

[sources]
files = ["data/arxiv_seed.jsonl", "data/weeks/2025-03-10.jsonl"]
{sources}

[embedding]
model = "{model}"

[digest]
size = 10
{SURVEY_SECTIONS}
{extra}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project folder with a copy of the demo data and a hashing-encoder config."""
    shutil.copytree(DEMO, tmp_path / "data")
    write_config(tmp_path)
    return tmp_path


def _cli(project: Path, *args: str) -> None:
    from typer.testing import CliRunner

    from litradar.cli import app

    result = CliRunner().invoke(app, [*args, "--config", str(project / "litradar.toml")])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def indexed_project(tmp_path_factory) -> Path:
    """The demo data ingested and indexed (hashing encoder) once per test session.
    Shared: copy it (`shutil.copytree`) before changing anything in it."""
    project = tmp_path_factory.mktemp("indexed")
    shutil.copytree(DEMO, project / "data")
    write_config(project)
    data = project / "data"
    _cli(
        project, "ingest", str(data / "arxiv_seed.jsonl"), str(data / "weeks" / "2025-03-10.jsonl")
    )
    _cli(project, "index")
    return project


@pytest.fixture(scope="session")
def trained_project(indexed_project: Path, tmp_path_factory) -> Path:
    """`indexed_project` plus `litradar train`; shared like it, so copy before changing."""
    project = tmp_path_factory.mktemp("trained") / "project"
    shutil.copytree(indexed_project, project)
    _cli(project, "train")
    return project
