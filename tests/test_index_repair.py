"""A damaged index (issue 13, item 5) is rebuilt from the store by `litradar index`; `find`
says so in one line, and the weekly run's index step rebuilds it without a traceback."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.index import PaperIndex
from litradar.pipeline import update_index

runner = CliRunner()


def cli(project: Path, *args: str):
    return runner.invoke(app, [*args, "--config", str(project / "litradar.toml")])


def damage(project: Path, how: str) -> None:
    index_path, meta_path = PaperIndex.paths(project / "index", "hashing")
    if how == "truncated":
        index_path.write_bytes(index_path.read_bytes()[: index_path.stat().st_size // 2])
    elif how == "garbage json":
        meta_path.write_text("]] not json at all")
    else:  # the first release's layout: a new .faiss beside the old .json
        meta_path.write_text('{"model": "hashing", "count": 3, "index_sha256": "0"}')


@pytest.mark.parametrize("how", ["truncated", "garbage json", "old layout"])
def test_index_rebuilds_a_damaged_index_and_find_says_how(indexed_project, tmp_path, how):
    project = tmp_path / "p"
    shutil.copytree(indexed_project, project)
    before = cli(project, "find", "sparse autoencoder features", "--json").output
    damage(project, how)

    found = cli(project, "find", "sparse autoencoder features")
    assert found.exit_code == 1
    assert found.output.count("\n") == 1 and "run 'litradar index'" in found.output
    assert "Traceback" not in found.output

    rebuilt = cli(project, "index")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "index built" in rebuilt.output and "Traceback" not in rebuilt.output
    assert cli(project, "find", "sparse autoencoder features", "--json").output == before
    again = cli(project, "index")
    assert "already up to date" in again.output


def test_the_weekly_index_step_rebuilds_a_damaged_index(indexed_project, tmp_path):
    """The flow's embed_and_index task is `update_index`: it must not fail on damage."""
    project = tmp_path / "p"
    shutil.copytree(indexed_project, project)
    damage(project, "truncated")
    report = update_index(load_config(project / "litradar.toml"))
    assert report.action == "built" and report.papers == report.added
