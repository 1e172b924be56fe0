"""Placement's evidence that a paper names a section's technique."""

from __future__ import annotations

import json

import numpy as np
import pytest

from litradar.curation.taxonomy import load_taxonomy
from litradar.ranking.placement import PlacementModel
from litradar.ranking.section_terms import SectionTerms
from tests.conftest import ROOT, make_paper

SECTIONS = ["Linear Probing", "Neuron Analysis", "Tool"]
TERMS = SectionTerms(
    {"Linear Probing": ["probing", "probe"], "Neuron Analysis": ["neuron"]}, abstract_weight=0.3
)


def test_a_term_in_the_title_counts_fully_in_the_abstract_less_and_case_is_ignored():
    papers = [
        make_paper("Probing Multimodal Models"),
        make_paper("A study", "We train linear PROBES on each layer."),
        make_paper("Multi-Modal Neurons in Transformers", "We probe them."),
        make_paper("Nothing named here"),
    ]
    evidence = TERMS.evidence(papers, SECTIONS)
    assert evidence.tolist() == [
        [1.0, 0.0, 0.0],
        [0.3, 0.0, 0.0],
        [0.3, 1.0, 0.0],
        [0.0, 0.0, 0.0],
    ]
    assert TERMS.named(papers[1], "Linear Probing") == ("abstract", "PROBES")


def test_a_term_matches_a_whole_word_or_its_plural_and_capitals_match_as_written():
    assert TERMS.named(make_paper("Neurons everywhere"), "Neuron Analysis") == ("title", "Neurons")
    assert TERMS.named(make_paper("Neuronal tissue, reprobing"), "Neuron Analysis") is None
    assert TERMS.named(make_paper("Neuronal tissue, reprobing"), "Linear Probing") is None
    models = SectionTerms({"CLIP": ["CLIP"], "Lens": ["logit lens"]})
    assert models.named(make_paper("Dissecting CLIP's heads"), "CLIP") == ("title", "CLIP")
    assert models.named(make_paper("Every clip of the video"), "CLIP") is None
    assert models.named(make_paper("Logit lenses, tuned"), "Lens") == ("title", "Logit lenses")
    # Regex characters in a term are literal: "c++" must not become "c+".
    assert SectionTerms({"X": ["c++"]}).named(make_paper("Written in cc"), "X") is None


def test_a_named_technique_outweighs_a_vote_for_the_neighbours_topic():
    """The neighbours share the paper's topic (say, hallucination) and sit in Tool; the
    paper's title says it probes."""
    vectors = np.eye(3, dtype=np.float32)
    labelled = ["Tool", "Tool", "Linear Probing"]
    plain = PlacementModel(k=2).fit(vectors, labelled, classes=SECTIONS)
    named = PlacementModel(k=2, terms=TERMS).fit(vectors, labelled, classes=SECTIONS)
    query, papers = vectors[:1], [make_paper("Probing hallucination in VLMs")]
    assert plain.predict(query, papers) == ["Tool"]
    assert named.predict(query, papers) == ["Linear Probing"]
    assert named.predict(query) == ["Tool"]  # without the text, the vote alone decides
    assert named.predict_proba(query, papers).sum() == pytest.approx(1.0)


def test_the_terms_are_saved_with_the_model_and_predict_the_same_after_loading():
    vectors = np.eye(3, dtype=np.float32)
    model = PlacementModel(k=2, terms=TERMS).fit(vectors, ["Tool", "Tool", "Linear Probing"])
    arrays, meta = model.to_arrays()
    loaded = PlacementModel.from_arrays(arrays, json.loads(json.dumps(meta)))
    papers = [make_paper("Probing"), make_paper("Neurons", "a tool")]
    query = vectors[:2]
    assert np.array_equal(loaded.predict_proba(query, papers), model.predict_proba(query, papers))


def test_the_shipped_taxonomy_gives_every_list_section_its_terms():
    terms = load_taxonomy(ROOT / "taxonomy.toml").section_terms()
    list_sections = {
        "Surveys", "Sparse Autoencoder", "Linear Probing", "Logit Lens", "Causal Tracing",
        "Steering Vector", "Representation", "Neuron Analysis", "Tool",
    }  # fmt: skip
    assert set(terms) == list_sections
    assert "sparse autoencoder" in terms["Sparse Autoencoder"]  # through [list_sections]
    assert "tool" in terms["Tool"]  # through [list_section_terms]


TECHNIQUE_SECTIONS = ["Logit Lens", "Representation", "Neuron Analysis", "Tool"]
TECHNIQUE_TERMS = SectionTerms(
    {
        "Logit Lens": ["logit lens", "unembedding"],
        "Representation": ["representation analysis"],
        "Neuron Analysis": ["neuron"],
        "Tool": ["tool"],
    },
    named_only=["Tool"],
    technique=["Logit Lens"],
)


def _unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_technique_section_takes_a_paper_only_when_it_names_the_technique():
    """The paper's nearest list papers are logit-lens papers on its topic; it never
    mentions a logit lens, so the nearest papers of the sections it may go in decide."""
    labelled = _unit([1, 0.05, 0], [1, 0, 0.05], [0.6, 0, 0.8], [0.5, 0.87, 0])
    sections = ["Logit Lens", "Logit Lens", "Representation", "Neuron Analysis"]
    model = PlacementModel(k=2, terms=TECHNIQUE_TERMS).fit(
        labelled, sections, classes=TECHNIQUE_SECTIONS
    )
    query = _unit([1, 0, 0])
    silent = make_paper("Why VLMs hallucinate objects", "We study hidden states.")
    saying = make_paper("Why VLMs hallucinate objects", "We apply the logit lens per layer.")
    assert model.predict(query, [silent]) == ["Representation"]
    proba = model.predict_proba(query, [silent])[0]
    assert proba[0] == pytest.approx(0.0, abs=1e-5)
    assert proba[1] > 0.7  # the nearest allowed papers' vote, not a tie at 0.5 each
    assert model.predict(query, [saying]) == ["Logit Lens"]
    unruled = PlacementModel(k=2, terms=TECHNIQUE_TERMS.without_technique()).fit(
        labelled, sections, classes=TECHNIQUE_SECTIONS
    )
    assert unruled.predict(query, [silent]) == ["Logit Lens"]


def test_a_paper_whose_neighbours_all_sit_in_barred_sections_is_placed_by_the_next_ones():
    """Before, its whole vote was barred and the sections it may go in tied: the first of
    them in the list's order won (here Logit Lens), whatever its neighbours were."""
    labelled = _unit([1, 0.05, 0], [1, 0, 0.05], [0.3, 0.95, 0], [0.6, 0, 0.8])
    sections = ["Tool", "Tool", "Logit Lens", "Neuron Analysis"]
    model = PlacementModel(k=2, terms=TECHNIQUE_TERMS.without_technique()).fit(
        labelled, sections, classes=TECHNIQUE_SECTIONS
    )
    proba = model.predict_proba(_unit([1, 0, 0]), [make_paper("A study of CLIP")])[0]
    assert TECHNIQUE_SECTIONS[int(proba.argmax())] == "Neuron Analysis"
    assert proba[3] == pytest.approx(0.0, abs=1e-5)  # Tool: the title does not say so


def test_technique_sections_are_saved_with_the_model_and_come_from_the_taxonomy():
    vectors = _unit([1, 0, 0], [0, 1, 0])
    model = PlacementModel(k=1, terms=TECHNIQUE_TERMS).fit(
        vectors, ["Logit Lens", "Representation"], classes=TECHNIQUE_SECTIONS
    )
    arrays, meta = model.to_arrays()
    loaded = PlacementModel.from_arrays(arrays, json.loads(json.dumps(meta)))
    assert loaded.terms.technique == ["Logit Lens"]
    papers = [make_paper("Hidden states of VLMs")]
    assert loaded.predict(vectors[:1], papers) == ["Representation"]
    taxonomy = load_taxonomy(ROOT / "taxonomy.toml")
    assert set(taxonomy.technique_sections) <= set(taxonomy.section_terms())
    assert "Logit Lens" in taxonomy.technique_sections
    assert "Representation" not in taxonomy.technique_sections
