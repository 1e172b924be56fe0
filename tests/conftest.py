"""Shared fixtures: the bundled demo data, ../shared where CI has it, a project folder with a
litradar.toml that uses the hashing encoder (no torch) unless a test asks for MiniLM, and one
Prefect server per test process for the tests whose subprocesses run flows.

The suite runs in parallel (pytest-xdist, `--dist loadgroup`, pyproject.toml): session
fixtures are built once per worker process, and tests marked with the same
`xdist_group` run one after another on one worker."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from litradar.core.paper import Paper

# Each xdist worker (and every process it starts: litradar commands, Dask workers, Prefect's
# server) gets its share of the cores for torch's, FAISS's and onnxruntime's thread pools
# (litradar.embedding.query_encoder.default_threads reads it too). Two workers whose every
# encoder spun a thread per core took the cores from each other: the suite ran 10:42 here,
# 9:27 with one thread each (2 cores, 2 workers; README, "The suite's time").
if "PYTEST_XDIST_WORKER_COUNT" in os.environ and "OMP_NUM_THREADS" not in os.environ:
    _workers = max(1, int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // _workers))

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "data"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"

# Tests that run flows in this process (`litradar run`, `litradar backfill` through the
# CliRunner) share the one temporary Prefect server `litradar.core.prefect_env` starts per
# process; in one group they all run on one worker, so the session starts it once.
in_prefect_group = pytest.mark.xdist_group("prefect")

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


@pytest.fixture(scope="session", autouse=True)
def _machine_cache(tmp_path_factory, worker_id: str) -> Iterator[None]:
    """The machine's encoder cache (litradar.embedding.encoders.ExportedEncoder) for this run: shared by
    the workers (the first ONNX export is copied by the others), never the user's ~/.cache."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if worker_id != "master" else base
    before = os.environ.get("LITRADAR_CACHE_DIR")
    os.environ["LITRADAR_CACHE_DIR"] = str(root / "litradar-cache")
    yield
    if before is None:
        os.environ.pop("LITRADAR_CACHE_DIR", None)
    else:
        os.environ["LITRADAR_CACHE_DIR"] = before


def built_once(tmp_path_factory, worker_id: str, name: str, build: Callable[[Path], None]) -> Path:
    """A folder built by `build` once per test run, shared by every xdist worker: the first
    worker to ask builds it under a file lock in the run's common temporary folder, the
    others wait and reuse it. Read-only for tests: copy it before changing anything."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if worker_id != "master" else base
    folder, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def indexed_project(tmp_path_factory) -> Path:
    """The demo data ingested and indexed (hashing encoder) once per test process (a few
    tests use it in place, so it is not shared between processes). Shared: copy it
    (`shutil.copytree`) before changing anything in it."""
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
def trained_project(indexed_project: Path, tmp_path_factory, worker_id: str) -> Path:
    """`indexed_project` plus `litradar train`, once per test run for all workers (training
    is the expensive part); copy it before changing anything in it."""

    def build(folder: Path) -> None:
        project = folder / "project"
        shutil.copytree(indexed_project, project)
        _cli(project, "train")

    return built_once(tmp_path_factory, worker_id, "trained", build) / "project"


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory) -> Iterator[str]:
    """The API URL of one Prefect server for this test process, for tests whose subprocesses
    run flows (pass it as PREFECT_API_URL): each such subprocess would otherwise start a
    temporary server of its own, 7-18 s each on 2 cores (../shared/TOOLCHAIN.md). It is
    the server `litradar run` starts for itself (Prefect's app under uvicorn, no UI)."""
    from litradar.core.prefect_env import api_server

    with api_server(tmp_path_factory.mktemp("prefect-server-home")) as url:
        yield url
