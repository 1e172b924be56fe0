"""Drafting a list's terms by contrast: the field's phrases come first, research English
and stop words never, names keep their capitals, plurals count with their singular."""

from __future__ import annotations

from litradar.core.terms import compile_terms
from litradar.curation.draft_terms import distinctive_terms

OURS = [
    "Oversmoothing in Graph Neural Networks (GNNs): we show that deep GNNs suffer from "
    "oversmoothing of node features.",
    "A study of oversmoothing: message passing in a GNN makes node features alike, seen through a lens.",
    "Why do GNNs oversmooth? Message passing and node features in deep graph neural networks.",
    "We propose a residual fix for oversmoothing in deep GNNs on citation graphs.",
    "Node features collapse under message passing: the tuned lens of a graph neural network.",
]
REST = [
    "We propose a novel method for image classification that achieves state-of-the-art results.",
    "A study of large language models: we show that scaling improves results on many tasks.",
    "We present a new dataset for question answering and show results of strong baselines.",
    "Deep networks for speech recognition: we propose a method that improves accuracy.",
    "Reinforcement learning agents learn faster with a novel reward shaping method.",
] * 20


def terms(ours=OURS, rest=REST, **options) -> list[str]:
    return [t.term for t in distinctive_terms(ours, rest, **options)]


def test_the_fields_phrases_come_first_and_research_english_never():
    found = terms()
    assert found[:3] and {"oversmoothing", "node feature", "message passing"} <= set(found)
    common = {"we", "show", "propose", "study", "of", "the", "result", "method", "deep"}
    assert not common & {w.lower() for t in found for w in t.split()}


def test_names_keep_their_capitals_and_plurals_count_with_the_singular():
    found = distinctive_terms(OURS, REST)
    gnn = next(t for t in found if t.term.lower() == "gnn")
    assert gnn.term == "GNN" and gnn.is_name and gnn.in_list == 4  # "GNNs" and "GNN"
    pattern = compile_terms([gnn.term])
    assert pattern is not None and pattern.search("deep GNNs") and not pattern.search("gnns")
    assert "lens" in " ".join(terms(min_share=0.2))  # "lens" is not the plural of "len"


def test_phrases_do_not_cross_punctuation_and_a_phrase_around_a_term_is_dropped():
    found = terms()
    assert not any("gnn" in t.lower() and "network" in t.lower() for t in found)  # "(GNNs)"
    assert "graph neural network" in found or "neural network" in found
    assert "oversmoothing" in found and "deep gnn oversmoothing" not in found
    assert len([t for t in found if t.endswith("oversmoothing")]) == 1


def test_nothing_stands_out_when_both_sides_say_the_same():
    assert terms(REST[:5], REST) == []
    assert terms(OURS, REST, limit=2) == terms(OURS, REST)[:2]
