"""The scope model: two halves (about a multimodal model; looks at its internals), weak
labels from words, what is known overriding them, and a score that needs both halves."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from litradar.core.terms import ScopeTerms
from litradar.embedding.encoders import HashingEncoder
from litradar.ranking.relevance import RelevanceModel
from litradar.ranking.scope import ScopeLabels, ScopeModel
from tests.conftest import make_paper

TERMS = ScopeTerms(
    model=["CLIP", "LLaVA", "vision-language model"],
    internals=["sparse autoencoder", "attention head", "probing", "neuron"],
    model_abstract_mentions=2,
    internals_abstract_mentions=2,
)


def test_weak_labels_come_from_the_title_or_from_enough_mentions_in_the_abstract():
    papers = [
        make_paper("Neurons in CLIP"),  # both halves, in the title
        make_paper("A study", "We use CLIP. CLIP is good. We probe nothing."),  # model: 2
        make_paper("A study", "We use CLIP once."),  # model: named once, neither side
        make_paper("Weather forecasting", "Rain."),  # named nowhere: negative of both
        make_paper("A clip of video", "Short clip."),  # capitals as written: not CLIP
    ]
    weak = TERMS.weak_labels(papers)
    model_pos, model_neg = weak["model"]
    assert model_pos.tolist() == [True, True, False, False, False]
    assert model_neg.tolist() == [False, False, False, True, True]
    internals_pos, internals_neg = weak["internals"]
    assert internals_pos.tolist() == [True, False, False, False, False]
    assert internals_neg.tolist() == [False, True, True, True, True]


def test_no_words_means_every_paper_is_a_negative_unless_known():
    papers = [make_paper("Anything")]
    weak = ScopeTerms().weak_labels(papers)
    assert weak["model"][0].tolist() == [False] and weak["model"][1].tolist() == [True]


def _corpus() -> tuple[list, ScopeLabels]:
    both = [
        make_paper(f"Sparse autoencoder features of CLIP {i}", "We find attention heads in LLaVA.")
        for i in range(12)
    ]
    model_only = [
        make_paper(f"A CLIP benchmark {i}", "We evaluate the vision-language model LLaVA.")
        for i in range(12)
    ]
    internals_only = [
        make_paper(f"Neuron probing in GPT-2 {i}", "We probe attention heads of a text model.")
        for i in range(12)
    ]
    neither = [make_paper(f"Weather {i}", "Rain and wind forecasts.") for i in range(30)]
    papers = both + model_only + internals_only + neither
    n = len(papers)
    labels = ScopeLabels(relevant=np.zeros(n, bool), on_list=np.zeros(n, bool))
    return papers, labels


def test_a_paper_needs_both_halves_to_score_high():
    papers, labels = _corpus()
    vectors = HashingEncoder().encode([p.text for p in papers])
    model = ScopeModel(TERMS).fit(papers, vectors, labels)
    tests = [
        make_paper("Sparse autoencoder on CLIP", "Attention heads of LLaVA."),
        make_paper("CLIP benchmark", "LLaVA vision-language model results."),
        make_paper("Neuron probing", "Attention heads in GPT-2."),
    ]
    scores = model.score([p.text for p in tests], HashingEncoder().encode([p.text for p in tests]))
    assert scores[0] > scores[1] and scores[0] > scores[2]
    proba = model.axis_proba(
        [p.text for p in tests], HashingEncoder().encode([p.text for p in tests])
    )
    assert proba[1, 0] > 0.5 > proba[1, 1]  # about the model, not its internals
    assert proba[2, 1] > 0.5 > proba[2, 0]  # internals, of no multimodal model
    assert any("autoencoder" in t for t in model.top_terms(tests[0].text, "internals", 5))


def test_a_rejected_paper_is_a_negative_of_both_halves_whatever_its_words_say():
    papers, labels = _corpus()
    labels.rejected = np.zeros(len(papers), bool)
    labels.rejected[0] = True
    targets = ScopeModel(TERMS).training_targets(papers, labels)
    for axis in ("model", "internals"):
        positive, negative = targets[axis]
        assert not positive[0] and negative[0]


def test_a_known_relevant_paper_is_an_internals_positive_even_if_it_names_nothing():
    papers, labels = _corpus()
    labels.relevant[-1] = True  # a "Weather" paper the survey cites
    targets = ScopeModel(TERMS).training_targets(papers, labels)
    assert targets["internals"][0][-1] and not targets["internals"][1][-1]
    assert not targets["model"][0][-1] and not targets["model"][1][-1]  # neither: left out


def test_relevance_is_calibrated_with_a_cut_off_and_survives_saving(tmp_path):
    papers, labels = _corpus()
    labels.on_list[:6] = True
    labels.relevant[:6] = True
    vectors = HashingEncoder().encode([p.text for p in papers])
    model = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    assert 0 < model.threshold_ < 1
    texts = [p.text for p in papers]
    proba = model.predict_proba(texts, vectors)[:, 1]
    assert proba[:12].min() > proba[12:].max()  # both halves above either half alone
    arrays, meta = model.to_arrays()
    again = RelevanceModel.from_arrays(arrays, meta)
    assert np.allclose(again.predict_proba(texts, vectors), model.predict_proba(texts, vectors))
    assert again.threshold_ == pytest.approx(model.threshold_)
    signals = again.signals(texts[:2], vectors[:2])
    # model, internals, contribution (untrained without analysis terms: certain), list
    assert signals.shape == (2, 4) and np.allclose(signals[:, 2], 1.0)
    assert np.allclose(signals[:, 3], 1.0, atol=1e-5)


ANALYSIS = ScopeTerms(
    model=TERMS.model,
    internals=TERMS.internals,
    model_abstract_mentions=2,
    internals_abstract_mentions=2,
    analysis=["we find", "reveal", "analysis"],
    method=["we propose", "training-free", "accelerate", "efficient"],
    contribution_mentions=2,
)


def test_the_contribution_half_tells_findings_from_methods_that_use_internals():
    findings = "We find that attention heads of LLaVA reveal where it looks; our analysis shows it."
    method = "We propose a training-free method that prunes attention heads of LLaVA to accelerate it, efficient."
    papers = [
        make_paper("Where LLaVA looks", findings),
        make_paper("Fast LLaVA", method),
        make_paper("Mixed", "We find one thing. We propose a method, efficient and training-free."),
    ]
    positive, negative = ANALYSIS.weak_labels(papers)["contribution"]
    assert positive.tolist() == [True, False, False]
    assert negative.tolist() == [False, True, False]  # a finding keeps it out of negatives
    assert "contribution" not in TERMS.weak_labels(papers)  # no analysis terms: no half


def test_a_method_that_uses_internals_scores_below_an_analysis_of_them():
    analyses = [
        make_paper(
            f"Attention heads of LLaVA {i}",
            "We find that heads reveal grounding. Our analysis of neurons.",
        )
        for i in range(15)
    ]
    methods = [
        make_paper(
            f"Pruning attention heads of LLaVA {i}",
            "We propose a training-free efficient method to accelerate LLaVA by pruning neurons.",
        )
        for i in range(15)
    ]
    others = [make_paper(f"Weather {i}", "Rain and wind forecasts.") for i in range(30)]
    papers = analyses + methods + others
    labels = ScopeLabels(np.zeros(len(papers), bool), np.zeros(len(papers), bool))
    labels.on_list[:3] = labels.relevant[:3] = True
    vectors = HashingEncoder().encode([p.text for p in papers])
    texts = [p.text for p in papers]
    weighted = ScopeModel(ANALYSIS).fit(papers, vectors, labels)
    axes = weighted.axis_proba(texts, vectors)
    assert axes[3:15, 2].min() > axes[15:30, 2].max()
    score = weighted.score(texts, vectors)
    assert score[3:15].min() > score[15:30].max()
    # With the half weighed 0 the two kinds are alike on the other halves.
    import dataclasses

    unweighted = ScopeModel(dataclasses.replace(ANALYSIS, contribution_weight=0.0))
    plain = unweighted.fit(papers, vectors, labels).score(texts, vectors)
    assert (score[15:30] - plain[15:30]).max() < 0


def test_a_rejected_kind_of_paper_is_held_back_next_week_and_the_rest_is_not(tmp_path):
    """The maintainer rejects a token-pruning paper that names CLIP and attention heads;
    next week's paper of the same kind scores a quarter of what it would, while a paper
    like the list's own keeps its probability. Survives saving."""
    papers, labels = _corpus()
    pruning = [
        make_paper(f"Pruning visual tokens of LLaVA by attention heads {i}",
                   "We accelerate the vision-language model LLaVA by dropping tokens.")
        for i in range(3)
    ]  # fmt: skip
    papers = papers + pruning
    n = len(papers)
    labels = ScopeLabels(relevant=np.zeros(n, bool), on_list=np.zeros(n, bool))
    labels.on_list[:6] = labels.relevant[:6] = True
    encoder = HashingEncoder()
    vectors = encoder.encode([p.text for p in papers])
    before = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    labels.rejected = np.zeros(n, bool)
    labels.rejected[-3:] = True  # the maintainer's decisions
    after = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    week = [
        make_paper("Pruning visual tokens of LLaVA by attention heads again",
                   "We accelerate the vision-language model LLaVA by dropping tokens."),
        make_paper("Sparse autoencoder features of CLIP, new", "We find attention heads in LLaVA."),
    ]  # fmt: skip
    texts, week_vectors = [p.text for p in week], encoder.encode([p.text for p in week])
    assert after.held_back(week_vectors).tolist() == [True, False]
    assert not before.held_back(week_vectors).any()  # nothing rejected: nothing held back
    was, now = before.predict_proba(texts, week_vectors), after.predict_proba(texts, week_vectors)
    assert now[0, 1] < 0.3 * was[0, 1]
    assert now[1, 1] >= was[1, 1]  # the list's kind is not held back (the halves moved up)
    assert after.assess(texts, week_vectors)[0][0] == pytest.approx(now[0, 1])
    again = RelevanceModel.from_arrays(*after.to_arrays())
    assert np.allclose(again.predict_proba(texts, week_vectors), now)


def test_accepted_papers_teach_the_halves_but_do_not_move_the_bar():
    """The maintainer accepts two benchmark papers (borderline, as a lenient maintainer
    would): their kind scores higher next time, but the calibration is the list's alone."""
    papers, labels = _corpus()
    labels.on_list[:6] = labels.relevant[:6] = True
    vectors = HashingEncoder().encode([p.text for p in papers])
    texts = [p.text for p in papers]
    before = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    accepted = np.zeros(len(papers), bool)
    accepted[[12, 13]] = True  # two of "A CLIP benchmark"
    labels.accepted = accepted
    labels.on_list |= accepted
    labels.relevant |= accepted
    after = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    benchmark = [14]  # one not decided, of the accepted kind
    assert after.score([texts[i] for i in benchmark], vectors[benchmark]) > before.score(
        [texts[i] for i in benchmark], vectors[benchmark]
    )
    assert after.in_scope_[accepted].all()
    # Whether the accepted papers count as in scope or not, the calibration is the same:
    # they never reach it.
    flipped = copy.copy(after)
    flipped.in_scope_ = after.in_scope_.copy()
    flipped.in_scope_[accepted] = 0
    flipped.calibrate()
    assert (flipped.calib_a_, flipped.calib_b_, flipped.threshold_) == (
        after.calib_a_, after.calib_b_, after.threshold_,
    )  # fmt: skip


def test_training_fits_one_tf_idf_for_its_folds_and_the_final_model(monkeypatch):
    """The vocabulary comes from the texts alone: fitting it once per calibration fold was
    40% of training and changed no held-out figure (docs/speed.md)."""
    from litradar.ranking import scope

    fits = []
    real = scope._fit_words
    monkeypatch.setattr(scope, "_fit_words", lambda texts: fits.append(len(texts)) or real(texts))
    papers, labels = _corpus()
    labels.on_list[:6] = labels.relevant[:6] = True
    vectors = HashingEncoder().encode([p.text for p in papers])
    model = RelevanceModel(TERMS, cv_folds=3).fit(papers, vectors, labels)
    assert fits == [len(papers)]
    texts = [p.text for p in papers]
    assert model.scope_.vectorizer_.transform(texts).shape[0] == len(papers)
    # the out-of-fold probabilities are those of fold models, not of the final one
    assert not np.allclose(model.oof_axes_, model.scope_.axis_proba(texts, vectors))


def test_one_pass_over_the_texts_gives_the_matrix_of_fit_then_transform():
    """`_fit_words` fits and transforms in one pass; sorted, its matrix is exactly what a
    fit followed by a transform gives, so the models fitted on it are unchanged."""
    import json

    from sklearn.feature_extraction.text import TfidfVectorizer

    from litradar.ranking.scope import _VECTORIZER_PARAMS, _fit_words
    from tests.conftest import DEMO

    lines = (DEMO / "weeks" / "2025-03-10.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [f"{r['title']}. {r['abstract']}" for r in map(json.loads, lines[:400])]
    vectorizer, words = _fit_words(texts)
    reference = TfidfVectorizer(**_VECTORIZER_PARAMS).fit(texts)
    expected = reference.transform(texts)
    assert vectorizer.vocabulary_ == reference.vocabulary_
    assert np.array_equal(words.indptr, expected.indptr)
    assert np.array_equal(words.indices, expected.indices)
    assert np.array_equal(words.data, expected.data)


def test_a_folds_weak_labels_are_its_rows_of_the_whole_sets():
    """The calibration's folds take their rows of the weak labels found once over all
    papers: the same as finding them over the fold's papers."""
    from litradar.ranking.scope import weak_rows

    terms = ScopeTerms(
        model=["CLIP"], internals=["probing"], analysis=["we find"], method=["we propose"]
    )
    papers = [
        make_paper("Probing CLIP", "We find that CLIP layers encode colour."),
        make_paper("A method", "We propose a faster CLIP. We propose more."),
        make_paper("Rain", "Weather."),
        make_paper("CLIP probing again", "We find and we find."),
    ]
    rows = np.array([0, 2, 3])
    whole = ScopeModel(terms).weak_labels(papers)
    fold = ScopeModel(terms).weak_labels([papers[i] for i in rows])
    assert set(whole) == set(fold) == {"model", "internals", "contribution"}
    for axis, (positive, negative) in weak_rows(whole, rows).items():
        assert positive.tolist() == fold[axis][0].tolist()
        assert negative.tolist() == fold[axis][1].tolist()
