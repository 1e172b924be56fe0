"""The taxonomy file, its labels and classifiers, tags in the digest and `find`, and
`litradar label` corrections that the next `train` learns from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.curation.taxonomy import collect_taxonomy_labels, load_taxonomy, title_labels
from litradar.ranking.taxonomy_model import fit_dimension
from tests.conftest import ROOT, make_paper

runner = CliRunner()
TAXONOMY = load_taxonomy(ROOT / "taxonomy.toml")


def test_the_shipped_taxonomy_has_the_surveys_three_dimensions():
    assert [d.name for d in TAXONOMY.dimensions] == ["model", "technique", "application"]
    assert [c.name for c in TAXONOMY.dimension("model").classes] == [
        "non-generative VLM",
        "text-to-image diffusion",
        "generative VLM",
    ]
    assert len(TAXONOMY.dimension("technique").classes) == 12
    assert TAXONOMY.classes_for_survey_section("4.3 Causal Tracing") == [
        ("technique", "causal tracing")
    ]
    assert TAXONOMY.classes_for_survey_section("6.3.1 Sub") == [("application", "hallucination")]
    assert TAXONOMY.classes_for_survey_section("7 Tools and Benchmarks") == []
    assert all(c.description for d in TAXONOMY.dimensions for c in d.classes)


def test_a_broken_taxonomy_file_is_one_line(tmp_path: Path):
    bad = tmp_path / "t.toml"
    bad.write_text(
        '[[dimension]]\nname = "x"\n[[dimension.class]]\nname = "a"\n'
        '[list_sections]\n"S" = ["nope"]\n'
    )
    with pytest.raises(LitradarError, match="maps to unknown class 'nope'") as caught:
        load_taxonomy(bad)
    assert "\n" not in str(caught.value)
    with pytest.raises(LitradarError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "missing.toml")


def test_a_rule_naming_a_section_without_terms_is_one_line_not_ignored(tmp_path: Path):
    base = (
        '[[dimension]]\nname = "x"\n[[dimension.class]]\nname = "lens"\nterms = ["logit lens"]\n'
        '[list_sections]\n"Logit Lens" = ["lens"]\n'
    )
    path = tmp_path / "t.toml"
    path.write_text('technique_sections = ["Logit Lens"]\n' + base)
    assert load_taxonomy(path).technique_sections == ["Logit Lens"]
    for key in ("technique_sections", "named_only_sections"):
        path.write_text(f'{key} = ["Logit lens"]\n' + base)
        with pytest.raises(LitradarError, match=f"{key}: 'Logit lens' has no terms") as caught:
            load_taxonomy(path)
        assert "\n" not in str(caught.value)


def test_labels_come_from_the_survey_the_list_and_corrections_in_that_order():
    labels = collect_taxonomy_labels(
        TAXONOMY,
        survey={"A": ["4.3 Causal Tracing", "6.3 Hallucinations"], "B": ["3.1 CLIP"]},
        list_sections={"C": "Logit Lens", "A": "Causal Tracing"},
        decisions=[{"key": "D", "relevant": True, "section": "Sparse Autoencoder"}],
        tag_corrections=[
            {"key": "A", "dimension": "technique", "class_name": "logit lens"},
            {"key": "B", "dimension": "model", "class_name": "generative VLM"},
        ],
    )
    assert labels.of("A", "technique") == {"logit lens"}  # the correction replaces
    assert labels.of("A", "application") == {"hallucination"}
    assert labels.of("B", "model") == {"generative VLM"}
    assert labels.of("C", "technique") == {"logit lens"}
    assert labels.of("D", "technique") == {"sparse autoencoders"}


def test_a_dimension_model_learns_separable_classes_and_skips_rare_ones():
    rng = np.random.default_rng(0)
    centres = {"a": np.eye(8)[0] * 3, "b": np.eye(8)[1] * 3}
    vectors, labels = [], []
    for name, centre in centres.items():
        for _ in range(12):
            vectors.append(centre + rng.normal(0, 0.3, 8))
            labels.append({name})
    vectors.append(np.eye(8)[2] * 3)
    labels.append({"c"})
    model, metrics = fit_dimension(np.array(vectors), labels, ["a", "b", "c"])
    assert metrics["a"]["recall"] == 1.0 and metrics["a"]["precision"] >= 0.9
    assert metrics["c"] == {"positives": 1, "weak": 0, "trained": False}
    assert model.classes == ["a", "b"]
    proba = model.predict_proba(np.array([centres["a"], centres["b"]]))
    assert proba[0, 0] > 0.9 and proba[1, 1] > 0.9 and proba[0, 1] < 0.1


def test_weak_title_labels_make_a_rare_class_learnable_and_are_not_what_is_measured():
    """Class c is known for one paper only; four more titles name it."""
    rng = np.random.default_rng(1)
    centres = {name: np.eye(8)[i] * 3 for i, name in enumerate("abc")}

    def around(name: str, n: int) -> list[np.ndarray]:
        return [centres[name] + rng.normal(0, 0.3, 8) for _ in range(n)]

    vectors = np.array(around("a", 10) + around("b", 10) + around("c", 1))
    labels = [{"a"}] * 10 + [{"b"}] * 10 + [{"c"}]
    weak_vectors = np.array(around("c", 4) + around("a", 2))
    weak = [{"c"}] * 4 + [{"a"}] * 2
    model, metrics = fit_dimension(vectors, labels, ["a", "b", "c"], weak_vectors, weak)
    assert metrics["c"] == {
        "positives": 1, "weak": 4, "trained": True, "precision": None, "recall": None
    }  # fmt: skip
    assert metrics["a"]["positives"] == 10 and metrics["a"]["weak"] == 2
    assert model.classes == ["a", "b", "c"]
    assert model.predict_proba(centres["c"][None, :])[0, 2] > 0.9


def test_titles_name_classes_by_their_terms_capitals_as_written():
    def titled(key: str, title: str) -> Paper:
        return make_paper(title, "No terms at all.", arxiv_id=key)

    weak = title_labels(
        TAXONOMY,
        [
            titled("2503.00001", "Sparse Autoencoders Find Hallucination Features in LLaVA"),
            titled("2503.00002", "Dissecting CLIP with Text"),
            titled("2503.00003", "Every clip counts: video summarisation"),
        ],
    )
    assert weak.of("2503.00001", "technique") == {"sparse autoencoders"}
    assert weak.of("2503.00001", "application") == {"hallucination"}
    assert weak.of("2503.00001", "model") == {"generative VLM"}
    assert weak.of("2503.00002", "model") == {"non-generative VLM"}
    assert weak.of("2503.00003", "model") == set()


def invoke(project: Path, *args: str):
    return runner.invoke(app, [*args, "--config", str(project / "litradar.toml")])


def test_train_reports_per_class_metrics_and_tags_reach_digest_and_find(indexed_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(indexed_project, project)
    result = invoke(project, "train")
    assert result.exit_code == 0, result.output
    assert "taxonomy: technique (" in result.output and "precision" in result.output
    metrics = json.loads((project / "classifiers" / "metrics.json").read_text())
    technique = metrics["taxonomy"]["technique"]
    assert technique["labelled"] >= 40
    assert technique["classes"]["causal tracing"]["trained"] is True
    assert technique["weak"] > 50 and technique["classes"]["sparse autoencoders"]["weak"] >= 5
    assert "more named in their titles" in result.output
    assert (project / "classifiers" / "taxonomy.npz").is_file()
    survey = metrics["placement"]["survey_papers"]
    assert survey["papers"] >= 20 and 0.0 <= survey["accuracy"] <= 1.0
    assert "placement of the survey's papers the list does not hold" in result.output

    assert (
        invoke(project, "digest", "--since", "2025-03-10", "--until", "2025-03-17").exit_code == 0
    )
    document = json.loads((project / "digests" / "2025-W11.json").read_text())
    tags = document["papers"][0]["tags"]
    assert set(tags) == {"model", "technique", "application"}
    assert all(0.0 <= p <= 1.0 for ranked in tags.values() for _, p in ranked)
    markdown = (project / "digests" / "2025-W11.md").read_text()
    assert "  tags: " in markdown and " / " in markdown and "weaker half: " in markdown
    # Placement says where a paper names its section's technique (taxonomy.toml terms).
    named = [p for p in document["papers"] if p["section_named"]]
    assert named and all(p["section_named"][0] in ("title", "abstract") for p in named)
    sparse = next(p for p in document["papers"] if "Sparse Autoencoder" in p["title"])
    assert sparse["section"] == "Sparse Autoencoder"
    # (the first such paper by rank names it in the singular or the plural)
    assert sparse["section_named"][0] == "title"
    assert sparse["section_named"][1] in ("Sparse Autoencoder", "Sparse Autoencoders")

    found = invoke(project, "find", "attention heads hallucination", "-k", "3", "--json")
    assert found.exit_code == 0, found.output
    first = json.loads(found.output.splitlines()[0])
    assert set(first["tags"]) == {"model", "technique", "application"}
    assert "tags: " in invoke(project, "find", "attention heads", "-k", "1").output


def test_label_corrections_are_checked_stored_and_learned(trained_project, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    metrics_file = project / "classifiers" / "metrics.json"
    before = json.loads(metrics_file.read_text())

    errors = [
        (["label", "2503.10602", "--relevant", "--section", "Nowhere"], "is not a list section"),
        (["label", "2503.10602", "--tag", "technique"], "write it as DIMENSION=CLASS"),
        (["label", "2503.10602", "--tag", "technique=magic"], "technique has no class 'magic'"),
        (["label", "2503.10602", "--tag", "colour=red"], "no taxonomy dimension 'colour'"),
        (["label", "9999.99999", "--relevant"], "9999.99999 is not in the store"),
        (["label", "2503.10602"], "say --relevant or --not-relevant"),
        (["label", "2503.10602", "--relevant", "--not-relevant"], "not both"),
        (["label", "9999.\n99999", "--relevant"], "9999. 99999 is not in the store"),
        (["label", "  ", "--relevant"], "no paper given: an arXiv id"),
        (["label", "2503.10602", "--not-relevant", "--section", "Logit Lens"], "goes with"),
    ]
    for args, message in errors:
        result = invoke(project, *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)

    accepted = invoke(
        project, "label", "2503.10602", "--relevant", "--section", "Logit Lens",
        "--tag", "application=hallucination", "--tag", "model=generative VLM",
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert "recorded: 2503.10602; relevant in Logit Lens; application=hallucination" in (
        accepted.output
    )
    twice = invoke(project, "label", "2503.10602", "--tag", "application=hallucination",
                   "--tag", "application = hallucination")  # fmt: skip
    assert twice.exit_code == 0, twice.output  # was a UNIQUE constraint, the label stored
    assert "recorded: 2503.10602; application=hallucination;" in twice.output
    # A survey-cited paper the maintainer says does not belong, named as people write it:
    # the decision goes under the stored key, so that training finds it.
    survey_paper = "2203.17247"
    for written in (f"arXiv:{survey_paper}v2", f"https://arxiv.org/pdf/{survey_paper}v1.pdf"):
        said = invoke(project, "label", written, "--not-relevant")
        assert said.exit_code == 0 and f"recorded: {survey_paper}; not relevant" in said.output
    trained_again = invoke(project, "train")
    assert "maintainer decisions learned from: 1 accepted, 1 rejected" in trained_again.output
    after = json.loads(metrics_file.read_text())
    assert after["relevance"]["positives"] == before["relevance"]["positives"]  # +1 -1
    assert after["decisions"] == {"accepted": 1, "rejected": 1}
    assert (
        after["taxonomy"]["model"]["classes"]["generative VLM"]["positives"]
        == before["taxonomy"]["model"]["classes"]["generative VLM"]["positives"] + 1
    )
    # Named by its DOI: the row goes under its arXiv id, the latest decision wins.
    from datetime import date

    from litradar.config import load_config
    from litradar.core.paper import Paper
    from litradar.storage.store import Store

    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:
        store.upsert([Paper("2503.99991", "A DOI paper on probing heads", "Abs.", ("A",),
                            date(2025, 3, 11), doi="10.1234/QA.Test")])  # fmt: skip
    assert invoke(project, "label", "doi:10.1234/qa.test", "--not-relevant").exit_code == 0
    assert invoke(project, "label", "2503.99991", "--relevant").exit_code == 0
    with Store.open(config.store_path) as store:
        rows = [(x["key"], x["relevant"]) for x in store.labels() if "99991" in x["key"] or "doi" in x["key"]]
    assert rows == [("2503.99991", True)]


def test_scope_labels_name_only_the_three_halves(tmp_path):
    from litradar.curation.taxonomy import Scope

    assert Scope(labels={"model": " about  a robot "}).terms().labels == {"model": "about a robot"}
    with pytest.raises(ValueError, match="no scope half 'modle'"):
        Scope(labels={"modle": "x"})
