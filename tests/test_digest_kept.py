"""A run with nothing new keeps its digest (issue 22, item 2): `make_digest` writes the
week's digest again only when something it reads changed, so a nothing-new run loads no
model and no scikit-learn."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.steps.pipeline import digest_inputs, make_digest, train
from litradar.storage.store import Store

SINCE, UNTIL = date(2025, 3, 10), date(2025, 3, 17)


@pytest.fixture
def project(trained_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "p"
    shutil.copytree(trained_project, copy)
    return copy


def current_generation(project: Path) -> str:
    return os.readlink(project / "digests" / "2025-W11")


def digest(project: Path):
    return make_digest(load_config(project / "litradar.toml"), SINCE, UNTIL)


def test_an_unchanged_digest_is_kept_and_reported_as_it_is(project: Path):
    first = digest(project)
    assert not first.unchanged
    generation = current_generation(project)
    written = json.loads(first.json.read_text())
    assert written["inputs"]

    again = digest(project)
    assert again.unchanged
    assert current_generation(project) == generation  # not written again
    assert (again.name, again.markdown, again.json) == (first.name, first.markdown, first.json)
    assert (again.papers, again.proposed) == (first.papers, first.proposed)
    assert json.loads(again.json.read_text()) == written


def test_what_a_digest_reads_changing_writes_it_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    config = load_config(project / "litradar.toml")
    assert not digest(project).unchanged
    assert digest(project).unchanged

    # A maintainer's decision, before any retraining.
    with Store.open(config.store_path) as store:
        key = store.papers(since=SINCE, until=UNTIL)[0].key
        store.set_label(key, relevant=False, section=None, origin="test")
    assert not digest(project).unchanged
    assert digest(project).unchanged

    # A paper of the window changed (a new version's title).
    with Store.open(config.store_path) as store:
        paper = store.papers(since=SINCE, until=UNTIL)[1]
        store.upsert([dataclasses.replace(paper, title=paper.title + " (v2)", version=2)])
    assert not digest(project).unchanged

    # The config (the digest's size).
    monkeypatch.setenv("LITRADAR_DIGEST__SIZE", "3")
    assert not digest(project).unchanged
    assert digest(project).unchanged
    monkeypatch.delenv("LITRADAR_DIGEST__SIZE")

    # The list.
    lst = project / "data" / "awesome_list.md"
    lst.write_text(lst.read_text() + "\n")
    assert not digest(project).unchanged

    # New models.
    assert not train(load_config(project / "litradar.toml")).unchanged
    assert not digest(project).unchanged
    assert digest(project).unchanged


def test_a_digest_damaged_or_removed_is_written_again(project: Path):
    first = digest(project)
    first.json.write_text("{")  # through the link: the current generation's file
    again = digest(project)
    assert not again.unchanged and json.loads(again.json.read_text())["inputs"]
    shutil.rmtree(project / "digests")
    assert not digest(project).unchanged and first.markdown.is_file()


def test_with_an_llm_the_digest_is_always_written(project: Path):
    """Its help and its notes ("N answers from the cache") change from run to run."""
    config = load_config(project / "litradar.toml")
    with Store.open(config.store_path) as store:
        papers = store.papers(since=SINCE, until=UNTIL)
        args = ("hashing", SINCE, UNTIL, "list", papers, store)
        assert digest_inputs(config, *args) is not None
        with_llm = config.model_copy(update={"llm": config.llm.model_copy(update={"enabled": True})})
        assert digest_inputs(with_llm, *args) is None


def test_a_run_with_nothing_new_imports_no_scikit_learn(project: Path):
    """Training skipped and the digest kept, in a new process: neither loads a model."""
    digest(project)
    code = f"""
import sys
from datetime import date
from pathlib import Path
from litradar.config import load_config
from litradar.steps.pipeline import make_digest, train
config = load_config(Path({str(project / "litradar.toml")!r}))
assert train(config).unchanged
assert make_digest(config, date(2025, 3, 10), date(2025, 3, 17)).unchanged
print("sklearn" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_command_says_when_it_kept_the_digest(project: Path):
    from typer.testing import CliRunner

    from litradar.cli import app

    args = ["digest", "--since", "2025-03-10", "--until", "2025-03-17"]
    args += ["--config", str(project / "litradar.toml")]
    first = CliRunner().invoke(app, args)
    again = CliRunner().invoke(app, args)
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert "unchanged" not in first.output
    assert "proposed (unchanged: nothing it reads changed)" in again.output
