"""A damaged index (issue 13, item 5) is rebuilt from the store by `litradar index`; `find`
says so in one line, and the weekly run's index step rebuilds it without a traceback."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.steps.pipeline import update_index
from litradar.storage.paper_index import PaperIndex

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


def test_a_kill_after_the_metadata_leaves_old_generations_that_the_next_run_removes(
    indexed_project, tmp_path
):
    """G7: killed between writing the metadata and deleting the superseded generation, the
    index keeps both pairs on disk; the next `litradar index`, though up to date, removes
    the old pair (and any temporary), keeping the one the metadata names."""
    from tests.faultpoints import hidden_leftovers, kill_at

    project = tmp_path / "p"
    shutil.copytree(indexed_project, project)
    data = project / "index"
    old = sorted(p.name for p in data.glob("papers.hashing.g*"))
    assert cli(project, "ingest", str(make_week(tmp_path))).exit_code == 0  # something to add
    kill_at(project, "index.after-meta", "index")
    new_index, _ = PaperIndex.paths(data, "hashing")
    assert new_index.name not in old and all((data / name).exists() for name in old)
    again = cli(project, "index")
    assert again.exit_code == 0 and "already up to date" in again.output, again.output
    assert sorted(p.name for p in data.glob("papers.hashing.g*")) == sorted(
        [new_index.name, new_index.name.replace(".faiss", ".entries.npy")]
    )
    assert hidden_leftovers(data) == []


def make_week(folder: Path) -> Path:
    """Three new papers in the bulk-metadata format."""
    import json

    lines = [
        json.dumps({"id": f"2503.9990{n}", "title": f"New paper {n} on probing CLIP",
                    "abstract": "We probe CLIP.", "authors": "A. Author", "categories": "cs.CV",
                    "versions": [{"version": "v1", "created": "Tue, 11 Mar 2025 10:00:00 GMT"}],
                    "update_date": "2025-03-11"})
        for n in range(3)
    ]
    path = folder / "new.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
