"""find without torch (issue 10, item 1): the MiniLM exported to ONNX by `litradar index`,
checked against the torch encoder, and a `find` process that never imports torch."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.embed import SentenceTransformerEncoder
from litradar.query_encoder import MIN_COSINE, OnnxEncoder, export_dir
from litradar.search import query_encoder
from tests.conftest import DEMO, write_config
from tests.faultpoints import hidden_leftovers, kill_at

pytestmark = pytest.mark.slow
MODEL = "all-MiniLM-L6-v2"


def first_lines(source: Path, target: Path, n: int) -> Path:
    with source.open(encoding="utf-8") as handle:
        target.write_text("".join(next(handle) for _ in range(n)), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def minilm_project(tmp_path_factory) -> Path:
    """60 papers of the bundled week, embedded and indexed with the real MiniLM."""
    project = tmp_path_factory.mktemp("minilm")
    (project / "data").mkdir()
    for name in ("awesome_list.md", "survey_bibliography.jsonl"):
        (project / "data" / name).write_bytes((DEMO / name).read_bytes())
    week = first_lines(DEMO / "weeks" / "2025-03-10.jsonl", project / "week.jsonl", 60)
    write_config(project, model=MODEL)
    runner = CliRunner()
    config = ["--config", str(project / "litradar.toml")]
    assert runner.invoke(app, ["ingest", str(week), *config]).exit_code == 0
    indexed = runner.invoke(app, ["index", *config])
    assert indexed.exit_code == 0, indexed.output
    return project


def abstracts(n: int) -> list[str]:
    lines = (DEMO / "weeks" / "2025-03-10.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[-n:]]  # not the indexed ones
    return [f"{r['title']}. {r['abstract']}" for r in records]


def test_the_export_gives_the_torch_encoders_vectors(minilm_project: Path):
    onnx = OnnxEncoder.load(minilm_project / "index", MODEL)
    assert onnx is not None
    texts = [*abstracts(40), "sparse autoencoders", "  padded query  ", "x" * 5000]
    ours = onnx.encode(texts)
    torch_vectors = SentenceTransformerEncoder(MODEL).encode(texts)
    cosines = np.sum(ours * torch_vectors, axis=1)
    assert ours.shape == (len(texts), 384) and cosines.min() >= MIN_COSINE


def test_find_loads_neither_torch_nor_sentence_transformers(minilm_project: Path):
    """A new process, as a user runs it; what it imported is read from sys.modules."""
    script = (
        "import sys, json\n"
        "from litradar.cli import app\n"
        "try:\n"
        f"    app(['find', 'attention heads hallucination', '-k', '3', '--json', "
        f"'--config', {str(minilm_project / 'litradar.toml')!r}])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = ['torch', 'sentence_transformers', 'transformers', 'sklearn', 'prefect']\n"
        "print(json.dumps({'imported': [m for m in heavy if m in sys.modules]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    *hits, modules = done.stdout.strip().splitlines()
    assert len(hits) == 3 and all("arxiv_id" in json.loads(hit) for hit in hits)
    assert json.loads(modules) == {"imported": []}


def test_a_damaged_export_falls_back_to_torch_and_index_exports_again(minilm_project: Path):
    config = load_config(minilm_project / "litradar.toml")
    settings = export_dir(config.data_dir, MODEL) / "encoder.json"
    good = settings.read_text()
    settings.write_text("{broken")
    try:
        assert isinstance(query_encoder(config), SentenceTransformerEncoder)
        result = CliRunner().invoke(
            app, ["index", "--config", str(config.base_dir / "litradar.toml")]
        )
        assert result.exit_code == 0, result.output
        assert isinstance(query_encoder(config), OnnxEncoder)
    finally:
        if not json.loads(settings.read_text() or "{}"):
            settings.write_text(good)


def test_a_kill_during_the_first_export_leaves_nothing_after_the_next_index(
    minilm_project: Path, tmp_path: Path
):
    """G6: a kill -9 while the export is written leaves its ~90 MB folder aside; the next
    `litradar index` removes it and exports again."""
    project = tmp_path / "p"
    shutil.copytree(minilm_project, project)
    config = load_config(project / "litradar.toml")
    shutil.rmtree(export_dir(config.data_dir, MODEL))
    kill_at(project, "onnx.exported", "index")
    left = hidden_leftovers(config.data_dir)
    assert any(name.startswith(".query-encoder.") for name in left), left  # killed mid-export
    again = CliRunner().invoke(app, ["index", "--config", str(project / "litradar.toml")])
    assert again.exit_code == 0, again.output
    assert hidden_leftovers(config.data_dir) == []
    assert isinstance(query_encoder(config), OnnxEncoder)
