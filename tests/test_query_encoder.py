"""find without torch (issue 10, item 1): the MiniLM exported to ONNX by `litradar index`,
checked against the torch encoder, and a `find` process that never imports torch. The
int8 backend (issue 22, opt-in): its own vector space, built and searched by the same
encoder, and a store embedded by torch re-embedded for it, never mixed."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.embedding.encoders import ExportedEncoder, SentenceTransformerEncoder, vector_space
from litradar.embedding.query_encoder import (
    MIN_COSINE,
    MIN_COSINE_INT8,
    OnnxEncoder,
    default_threads,
    export_dir,
)
from litradar.steps.search import query_encoder
from litradar.storage.paper_index import PaperIndex
from tests.conftest import DEMO, write_config
from tests.faultpoints import hidden_leftovers, kill_at

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_query_encoder")]
MODEL = "all-MiniLM-L6-v2"


def first_lines(source: Path, target: Path, n: int) -> Path:
    with source.open(encoding="utf-8") as handle:
        target.write_text("".join(next(handle) for _ in range(n)), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def minilm_project(tmp_path_factory) -> Path:
    """60 papers of the bundled week, embedded and indexed with the real MiniLM run by torch
    (`find` then queries it through the fp32 export)."""
    project = tmp_path_factory.mktemp("minilm")
    (project / "data").mkdir()
    for name in ("awesome_list.md", "survey_bibliography.jsonl"):
        (project / "data" / name).write_bytes((DEMO / name).read_bytes())
    week = first_lines(DEMO / "weeks" / "2025-03-10.jsonl", project / "week.jsonl", 60)
    config_file = write_config(project, model=MODEL)
    text = config_file.read_text().replace(
        f'model = "{MODEL}"', f'model = "{MODEL}"\nbackend = "torch"'
    )
    config_file.write_text(text)
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


def test_the_sessions_threads_follow_omp_num_threads(minilm_project: Path, monkeypatch):
    """Processes sharing a machine (parallel tests, Dask workers) are given their share of
    the cores through OMP_NUM_THREADS, as torch and FAISS read it; garbage is ignored."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1
    onnx = OnnxEncoder.load(minilm_project / "index", MODEL)
    assert onnx is not None
    assert onnx._session.get_session_options().intra_op_num_threads == 1
    for unset in ("", "0", "two"):
        monkeypatch.setenv("OMP_NUM_THREADS", unset)
        assert default_threads() == min(4, os.cpu_count() or 1)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == min(4, os.cpu_count() or 1)


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
        "from litradar.core import plugins\n"
        "print(json.dumps({'imported': [m for m in heavy if m in sys.modules], "
        "'entry points scanned': plugins._sources is not None}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    *hits, modules = done.stdout.strip().splitlines()
    assert len(hits) == 3 and all("arxiv_id" in json.loads(hit) for hit in hits)
    # Nor does it scan the installed packages' entry points (a config without live sources).
    assert json.loads(modules) == {"imported": [], "entry points scanned": False}


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


def test_the_weights_lie_apart_and_an_export_of_one_file_answers_until_index_redoes_it(
    minilm_project: Path, tmp_path: Path
):
    """Format 2 keeps the weights in model.onnx.data (onnxruntime maps them: a faster first
    session). An export of format 1, one file, still gives `find` the same vectors, and
    the next `litradar index` exports again in format 2."""
    import onnx

    from litradar.embedding.query_encoder import FORMAT, WEIGHTS

    project = tmp_path / "p"
    shutil.copytree(minilm_project, project)
    folder = export_dir(project / "index", MODEL)
    assert json.loads((folder / "encoder.json").read_text())["format"] == FORMAT == 2
    assert (folder / WEIGHTS).stat().st_size > 80e6 > 1e6 > (folder / "model.onnx").stat().st_size
    texts = [*abstracts(5), "sparse autoencoders"]
    current = OnnxEncoder.load(project / "index", MODEL).encode(texts)

    whole = onnx.load(str(folder / "model.onnx"))  # reads the weights in
    onnx.save_model(whole, str(folder / "model.onnx"))
    (folder / WEIGHTS).unlink()
    settings = json.loads((folder / "encoder.json").read_text())
    (folder / "encoder.json").write_text(json.dumps(settings | {"format": 1}))
    old = OnnxEncoder.load(project / "index", MODEL)
    assert old is not None and np.array_equal(old.encode(texts), current)
    assert OnnxEncoder.load(project / "index", MODEL, current_only=True) is None

    indexed = CliRunner().invoke(app, ["index", "--config", str(project / "litradar.toml")])
    assert indexed.exit_code == 0, indexed.output
    assert json.loads((folder / "encoder.json").read_text())["format"] == 2
    assert (folder / WEIGHTS).is_file()
    assert np.array_equal(OnnxEncoder.load(project / "index", MODEL).encode(texts), current)


def test_find_loads_its_encoder_on_a_thread_and_ranks_as_without_it(minilm_project: Path):
    """`litradar find` starts the ONNX session first, on a thread, while it imports and
    opens the rest: the encoder it hands to the search is that one, and the hits are those
    of a search that loaded the encoder itself."""
    from litradar.embedding.query_preload import PreloadedEncoder
    from litradar.steps.search import find

    config = load_config(minilm_project / "litradar.toml")
    preloaded = PreloadedEncoder(config)
    encoder = query_encoder(config, preloaded)
    assert isinstance(encoder, OnnxEncoder) and encoder is preloaded.result()
    query = "attention heads hallucination"
    with_thread = find(config, query, k=5, preloaded=PreloadedEncoder(config))
    without = find(config, query, k=5)
    assert [h.paper.key for h in with_thread] == [h.paper.key for h in without]
    assert [round(h.score, 6) for h in with_thread] == [round(h.score, 6) for h in without]


def test_a_process_that_ends_while_its_encoder_loads_waits_for_it(minilm_project: Path):
    """A command that stops while the session is still being created on its thread (an
    error, a refusal) must not end under it: with a daemon thread, onnxruntime's C++
    runtime aborted such a process ("terminate called without an active exception", exit
    134). The interpreter now waits for the thread before its exit handlers run."""
    script = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        "from litradar.config import load_config\n"
        "from litradar.embedding.query_preload import PreloadedEncoder\n"
        f"loading = PreloadedEncoder(load_config(Path({str(minilm_project / 'litradar.toml')!r})))\n"
        "atexit.register(lambda: print('alive at exit:', loading._thread.is_alive()))\n"
        "sys.exit(3)\n"  # at once: the thread has only begun creating the session
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "alive at exit: False"
    assert "terminate called" not in done.stderr


def test_a_failed_preload_is_the_callers_error(minilm_project: Path, monkeypatch):
    """What the thread raised is raised where the search waits for it, not lost with the
    thread (the CLI turns a LitradarError into its one line)."""
    from litradar.core.errors import LitradarError
    from litradar.embedding import query_preload

    def broken(*args, **kwargs):
        raise LitradarError("the export is unreadable")

    monkeypatch.setattr(OnnxEncoder, "load", broken)
    preloaded = query_preload.PreloadedEncoder(load_config(minilm_project / "litradar.toml"))
    with pytest.raises(LitradarError, match="unreadable"):
        preloaded.result()


def test_find_on_the_command_line_falls_back_to_torch_without_an_export(
    minilm_project: Path, tmp_path: Path
):
    """The thread finds no usable export (here a damaged one): the command still answers,
    with the configured torch encoder, the same vector space."""
    project = tmp_path / "p"
    shutil.copytree(minilm_project, project)
    (export_dir(project / "index", MODEL) / "encoder.json").write_text("{broken")
    found = CliRunner().invoke(
        app, ["find", "sparse autoencoders", "-k", "3", "--json", "--config",
              str(project / "litradar.toml")],
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    assert len([line for line in found.stdout.splitlines() if '"arxiv_id"' in line]) == 3


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


INT8 = vector_space(MODEL, "onnx-int8")


def backend_of(project: Path, backend: str) -> None:
    config = project / "litradar.toml"
    text = config.read_text()
    config.write_text(text.replace('backend = "torch"', f'backend = "{backend}"'))


def test_the_int8_backend_reembeds_a_torch_store_in_its_own_space_never_mixed(
    minilm_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The torch store switched to the int8 backend: `find` refuses in one line until
    `index` has re-embedded every paper for int8 (with progress); the torch vectors and
    index stay as they were; the int8 index is searched by the int8 encoder."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(minilm_project, project)
    backend_of(project, "onnx-int8")
    config = ["--config", str(project / "litradar.toml")]
    before = CliRunner().invoke(app, ["find", "sparse autoencoders", *config])
    assert before.exit_code == 1 and before.output.count("\n") == 1
    assert "'litradar index'" in before.output
    import logging

    root_handlers = list(logging.getLogger().handlers)
    indexed = CliRunner().invoke(app, ["index", *config])
    assert indexed.exit_code == 0, indexed.output
    assert "60 embedded now" in indexed.output and "embedded 60/60 papers" in indexed.output
    # The int8 tools configured the root logger, which printed each progress line twice.
    assert logging.getLogger().handlers == root_handlers
    data = project / "index"
    torch_index, int8_index = PaperIndex.load(data, MODEL), PaperIndex.load(data, INT8)
    assert torch_index.size == int8_index.size == 60 and int8_index.model == INT8
    with sqlite3.connect(data / "litradar.sqlite") as db:
        counts = dict(db.execute("SELECT model, COUNT(*) FROM embeddings GROUP BY model"))
    assert counts == {MODEL: 60, INT8: 60}
    encoder = query_encoder(load_config(project / "litradar.toml"))
    assert isinstance(encoder, OnnxEncoder) and encoder.name == INT8 and encoder.variant == "int8"
    found = CliRunner().invoke(app, ["find", "sparse autoencoders", "-k", "3", *config])
    assert found.exit_code == 0, found.output

    texts = [*abstracts(20), "attention heads hallucination in LLaVA"]
    ours = encoder.encode(texts)
    reference = SentenceTransformerEncoder(MODEL).encode(texts)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= MIN_COSINE_INT8 and cosines.mean() >= 0.99
    assert cosines.min() < 0.9999  # int8 is not torch: that is why it is its own space

    # The machine keeps the export: another store copies it instead of exporting.
    cache = tmp_path / "machine-cache"
    assert list(
        Path(os.environ["LITRADAR_CACHE_DIR"]).glob(f"encoders/*/{export_dir(data, INT8).name}")
    )
    # A damaged export is made again (not copied: an empty machine cache), and gives the
    # very vectors the index was built with: that is what makes the machine's copy safe.
    monkeypatch.setenv("LITRADAR_CACHE_DIR", str(cache))
    settings = export_dir(data, INT8) / "encoder.json"
    settings.write_text("{broken")
    again = query_encoder(load_config(project / "litradar.toml"))
    assert isinstance(again, ExportedEncoder)
    assert np.array_equal(again.encode(texts), ours)
    assert list(cache.glob(f"encoders/*/{export_dir(data, INT8).name}/model.onnx"))


def test_find_refuses_an_index_of_another_encoder(minilm_project: Path, tmp_path: Path):
    """An index whose vectors another encoder made is never searched."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(minilm_project, project)
    data = project / "index"
    meta = data / f"papers.{MODEL}.json"
    (data / f"papers.{INT8.replace('+', '_')}.json").write_text(meta.read_text())
    backend_of(project, "onnx-int8")
    shutil.copytree(export_dir(data, MODEL), export_dir(data, INT8))
    settings = export_dir(data, INT8) / "encoder.json"
    settings.write_text(settings.read_text().replace(f'"{MODEL}"', f'"{INT8}"'))
    result = CliRunner().invoke(
        app, ["find", "sparse autoencoders", "--config", str(project / "litradar.toml")]
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert f"it holds {MODEL} vectors, not {INT8}" in result.output
    assert "run 'litradar index' to rebuild it" in result.output
