"""The models on small, real data: list and survey papers against a week of others."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.curation.awesome_list import load_list
from litradar.embedding.encoders import HashingEncoder
from litradar.ranking.labels import collect_labels, load_survey_citations, map_survey_section
from litradar.ranking.model_files import TrainedModels, load_models, save_models
from litradar.ranking.placement import PlacementModel
from litradar.ranking.training import TrainingSet, train_models
from litradar.sources.arxiv_jsonl import read_jsonl
from tests.conftest import DEMO

# Its module-scoped fixture is built once: all its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("test_ranking")

SECTIONS = {"4.1": "Linear Probing", "4.6": "Sparse Autoencoder", "7": "Tool"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[TrainedModels, dict, TrainingSet]:
    papers = [p for p in read_jsonl(DEMO / "arxiv_seed.jsonl") if isinstance(p, Paper)]
    papers += [p for p in read_jsonl(DEMO / "weeks" / "2025-03-10.jsonl") if isinstance(p, Paper)][
        :400
    ]
    encoder = HashingEncoder()
    awesome = load_list(DEMO / "awesome_list.md")
    labels = collect_labels(
        awesome, load_survey_citations(DEMO / "survey_bibliography.jsonl"), SECTIONS
    )
    data = TrainingSet.build(papers, encoder.encode([p.text for p in papers]), labels)
    models, metrics = train_models(data, labels, encoder.name)
    return models, metrics, data


def test_survey_sections_map_by_number_prefix():
    assert (
        map_survey_section("4.6 Sparse Autoencoders: A Special Class", SECTIONS)
        == "Sparse Autoencoder"
    )
    assert map_survey_section("7.2 Benchmarks", SECTIONS) == "Tool"
    assert map_survey_section("4.10 Something", SECTIONS) is None
    assert map_survey_section("6.3 Hallucination", SECTIONS) is None


def test_relevant_papers_score_above_the_rest(trained):
    models, metrics, data = trained
    scores = models.relevance.score([p.text for p in data.papers], data.embeddings)
    assert scores[data.y == 1].mean() > scores[data.y == 0].mean() + 1.0
    rel = metrics["relevance"]
    in_scope = models.relevance.in_scope(data.papers, data.scope_labels)
    assert rel["positives"] == int(in_scope.sum()) and rel["negatives"] == int((~in_scope).sum())
    assert 0 < rel["threshold"] < 1
    assert 0 < rel["average_precision"] <= 1
    assert set(metrics["placement"]["per_section"]) == set(models.placement.classes_)


def test_saved_models_predict_exactly_what_the_trained_ones_did(trained, tmp_path: Path):
    models, metrics, data = trained
    save_models(tmp_path, models, metrics)
    with np.load(tmp_path / "relevance.npz", allow_pickle=False) as arrays:  # no pickled objects
        assert all(arrays[k].dtype != object for k in arrays.files)
    loaded = load_models(tmp_path, models.embedding_model)
    texts = [p.text for p in data.papers[:200]]
    vectors = data.embeddings[:200]
    assert np.allclose(
        loaded.relevance.predict_proba(texts, vectors),
        models.relevance.predict_proba(texts, vectors),
    )
    assert np.allclose(
        loaded.placement.predict_proba(vectors), models.placement.predict_proba(vectors)
    )
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics


def test_a_save_cut_between_its_moves_is_refused_not_mixed(
    trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A kill (here: an error) after two of the files moved leaves files of two trainings:
    loading them says so in one line instead of scoring with half of each."""
    import litradar.ranking.model_files as model_files

    models, metrics, _ = trained
    save_models(tmp_path, models, metrics)
    real_replace, moved = os.replace, []

    def replace_two_then_die(src, dst):  # type: ignore[no-untyped-def]
        if len(moved) == 2:
            raise KeyboardInterrupt
        moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(model_files.os, "replace", replace_two_then_die)
    with pytest.raises(KeyboardInterrupt):
        save_models(tmp_path, models, metrics)
    monkeypatch.setattr(model_files.os, "replace", real_replace)
    with pytest.raises(LitradarError, match=r"of two trainings .* run 'litradar train'"):
        load_models(tmp_path, models.embedding_model)
    save_models(tmp_path, models, metrics)  # the next training puts one generation back
    assert load_models(tmp_path, models.embedding_model).trained_at == models.trained_at


def test_models_of_another_embedding_model_are_refused(trained, tmp_path: Path):
    models, metrics, _ = trained
    save_models(tmp_path, models, metrics)
    with pytest.raises(Exception, match="trained with 'hashing'"):
        load_models(tmp_path, "all-MiniLM-L6-v2")


def test_placement_votes_for_the_section_of_the_nearest_papers():
    vectors = np.eye(4, dtype=np.float32)
    model = PlacementModel(k=2).fit(vectors, ["A", "A", "B", "B"], classes=["A", "B", "C"])
    proba = model.predict_proba(vectors[:1])
    assert model.classes_ == ["A", "B", "C"]
    assert proba[0].argmax() == 0 and proba[0, 2] == 0.0
    assert proba.sum() == pytest.approx(1.0)


def test_the_text_svm_is_the_same_model_when_fitted_twice(trained):
    """A re-run of a week must rank exactly as the first run did (near-ties included)."""
    from litradar.ranking.text_svm import TfidfSvm

    _, _, data = trained
    first, second = TfidfSvm().fit(data.texts, data.y), TfidfSvm().fit(data.texts, data.y)
    assert np.array_equal(first.coef_, second.coef_)
    assert first.intercept_ == second.intercept_


def test_a_survey_bibliography_that_is_not_json_lines_of_objects_is_one_clear_error(tmp_path):
    from litradar.core.errors import LitradarError

    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_text('{"arxiv_id": "2501.00001"}\n', encoding="utf-16")
    with pytest.raises(LitradarError, match="not UTF-8"):
        load_survey_citations(utf16)
    listed = tmp_path / "list.jsonl"
    listed.write_text('{"arxiv_id": "2501.00001", "survey_section": "4.1 Probing"}\n[1, 2]\n')
    with pytest.raises(LitradarError, match=r"list\.jsonl:2: not a JSON object"):
        load_survey_citations(listed)
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"arxiv_id": "2501.00001", "survey_sections_all": "4.1 Probing"}\n')
    with pytest.raises(LitradarError, match=r"wrong\.jsonl:1: survey_sections_all is not a list"):
        load_survey_citations(wrong)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "replaced"])
@pytest.mark.parametrize("name", ["relevance.npz", "placement.npz"])
def test_a_damaged_model_array_file_says_retrain(trained, tmp_path: Path, name: str, damage: str):
    """A zip that is cut short, whose compressed bytes changed, or that is no zip at all
    (where numpy suggested loading it as a pickle "if you trust the file") is one line."""
    models, metrics, _ = trained
    save_models(tmp_path, models, metrics)
    path = tmp_path / name
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "flipped":
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    else:
        data = bytearray(b"not an archive at all")
    path.write_bytes(bytes(data))
    with pytest.raises(LitradarError, match=r"unreadable .*retrain") as raised:
        load_models(tmp_path, "hashing")
    assert "pickle" not in str(raised.value)


def test_a_survey_section_mapped_to_no_list_section_is_warned_about(project: Path):
    from litradar.config import load_config
    from litradar.core.progress import SilentReporter
    from litradar.steps.configured_inputs import load_labels

    config_file = project / "litradar.toml"
    text = config_file.read_text()
    assert '"4.1" = "Linear Probing"' in text
    config_file.write_text(text.replace('"4.1" = "Linear Probing"', '"4.1" = "Linear probing"'))
    reporter = SilentReporter()
    load_labels(load_config(config_file, environ={}), reporter)
    typo = [w for w in reporter.warnings if "survey_sections" in w]
    assert len(typo) == 1 and "'4.1' = 'Linear probing' is not a section" in typo[0]
    config_file.write_text(text)
    again = SilentReporter()
    load_labels(load_config(config_file, environ={}), again)
    assert not [w for w in again.warnings if "survey_sections" in w]


def test_a_list_paper_is_not_close_to_itself(trained):
    """A paper the maintainer accepted is one of the list's papers the models hold: its
    "close to" (the digest's and the pull request's) names the others."""
    from litradar.ranking.scoring import score_papers

    models, _, data = trained
    listed = [i for i, p in enumerate(data.papers) if p.key in set(models.list_ids)][:5]
    assert listed
    scored = score_papers(models, [data.papers[i] for i in listed], data.embeddings[listed])
    for item in scored:
        assert len(item.close_to) == 3
        assert item.paper.key not in [key for key, _ in item.close_to]


def test_a_scope_without_the_contribution_half_does_not_claim_it(trained):
    """Untrained, the half is 1 for every paper: the digest said each one "states
    findings, not a method"."""
    import dataclasses

    from litradar.ranking.scoring import score_papers

    models, _, data = trained
    assert not models.relevance.terms.has_contribution
    rows = [0, 1]
    papers, vectors = [data.papers[i] for i in rows], data.embeddings[rows]
    scored = score_papers(models, papers, vectors)
    assert all(set(s.signals) == {"model", "internals", "list"} for s in scored)
    with_half = dataclasses.replace(models.relevance.terms, analysis=("we find",))
    models.relevance.terms, before = with_half, models.relevance.terms
    try:
        scored = score_papers(models, papers, vectors)
    finally:
        models.relevance.terms = before
    assert all("contribution" in s.signals for s in scored)
