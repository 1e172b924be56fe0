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
