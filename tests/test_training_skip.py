"""A weekly run with nothing new does not retrain (issue 10, item 5): training is skipped
when nothing it learns from changed, and runs again when anything does."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.steps.pipeline import TRAINING_INPUTS, train, training_fingerprint

runner = CliRunner()


def model_times(project: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (project / "classifiers").glob("*.npz")}


def test_training_is_skipped_until_its_inputs_change(trained_project: Path, tmp_path: Path):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    config = load_config(project / "litradar.toml")
    assert (project / "classifiers" / TRAINING_INPUTS).is_file()
    before = model_times(project)

    again = train(config)
    assert again.unchanged and model_times(project) == before
    same_inputs = train(config, force=True)  # same inputs, same model
    assert again.metrics["relevance"] == same_inputs.metrics["relevance"]

    cli = runner.invoke(app, ["train", "--config", str(project / "litradar.toml")])
    assert cli.exit_code == 0 and "models up to date" in cli.output

    labelled = runner.invoke(
        app, ["label", "2503.04728", "--not-relevant", "--config", str(project / "litradar.toml")]
    )
    assert labelled.exit_code == 0, labelled.output
    assert not train(config).unchanged  # a maintainer's decision retrains
    assert train(config).unchanged

    # What train compares to decide (the retrain itself is shown by the decision above).
    marker = project / "classifiers" / TRAINING_INPUTS
    assert marker.read_text().splitlines()[0] == training_fingerprint(config, "hashing")
    # How many unlabelled papers training may read decides which ones it reads.
    wider = config.model_copy(update={"ranking": config.ranking.model_copy(
        update={"max_unlabelled": 100_000})})  # fmt: skip
    assert marker.read_text().splitlines()[0] != training_fingerprint(wider, "hashing")
    lst = project / "data" / "awesome_list.md"
    lst.write_text(lst.read_text() + "\n")  # the list file changed
    assert marker.read_text().splitlines()[0] != training_fingerprint(config, "hashing")


def test_damaged_models_are_retrained_even_when_inputs_match(trained_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    (project / "classifiers" / "relevance.npz").write_bytes(b"not a zip")
    assert not train(load_config(project / "litradar.toml")).unchanged


def test_a_model_file_changed_since_training_is_retrained(trained_project, tmp_path):
    """Whether the models are the ones training wrote is read from their hashes, recorded
    beside the fingerprint, not by loading them: a file edited, even into valid JSON, or
    removed, or a marker of an older release (no hashes), means training again."""
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    config = load_config(project / "litradar.toml")
    marker = project / "classifiers" / TRAINING_INPUTS
    recorded = marker.read_text()
    assert {line.split()[-1] for line in recorded.splitlines()[1:]} >= {
        "relevance.npz", "relevance.json", "placement.npz", "placement.json", "metrics.json",
    }  # fmt: skip
    metrics = project / "classifiers" / "metrics.json"
    metrics.write_text(metrics.read_text().replace("{", '{"edited": 1, ', 1))
    assert not train(config).unchanged
    assert train(config).unchanged
    (project / "classifiers" / "placement.npz").unlink()
    assert not train(config).unchanged
    marker.write_text(marker.read_text().splitlines()[0] + "\n")  # an older release's marker
    assert not train(config).unchanged
    assert train(config).unchanged


def test_models_of_an_older_layout_are_retrained_not_a_crash(trained_project, tmp_path):
    """Models written before a change of their JSON layout fail to load with a KeyError."""
    import json

    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    meta_path = project / "classifiers" / "relevance.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({k: v for k, v in meta.items() if k != "scope_terms"}))
    assert not train(load_config(project / "litradar.toml")).unchanged
