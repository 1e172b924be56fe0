"""The texts-only part of a fit, fitted once per corpus inside an evaluation
(litradar.ranking.corpus_memo): built once there, never kept outside, and a model fitted
with it scores exactly as one fitted without it."""

import numpy as np

from litradar.ranking import corpus_memo
from litradar.ranking.corpus_memo import once, remembered
from litradar.ranking.text_svm import TfidfSvm

TEXTS = [
    "sparse autoencoders find interpretable features in CLIP",
    "logit lens on a vision-language model's layers",
    "a training-free method accelerates diffusion sampling",
    "token pruning for efficient multimodal inference",
    "attention heads that ground objects in LLaVA",
    "a benchmark of image captioning",
]
Y = np.array([1, 1, 0, 0, 1, 0])


def test_built_once_per_corpus_inside_and_every_time_outside():
    built = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert once("kind", TEXTS, build) == 1 and once("kind", TEXTS, build) == 2
    with remembered():
        first = once("kind", TEXTS, build)
        with remembered():  # a nested block shares the outer memo
            assert once("kind", TEXTS, build) == first
        assert once("kind", list(TEXTS), build) == first  # equal texts, another list
        assert once("kind", TEXTS[:-1], build) == first + 1  # another corpus
        assert once("other kind", TEXTS, build) == first + 2
    assert corpus_memo._memo is None  # dropped with the block
    assert once("kind", TEXTS, build) == first + 3


def test_an_edit_inside_one_text_is_another_corpus():
    texts = [*TEXTS[:-1], TEXTS[-1] + "s"]
    assert corpus_memo.corpus_key(texts) != corpus_memo.corpus_key(TEXTS)
    # the boundaries between texts count, not only their concatenation
    assert corpus_memo.corpus_key(["ab", "c"]) != corpus_memo.corpus_key(["a", "bc"])


def test_models_fitted_inside_share_the_vectorizer_and_score_as_without():
    alone = TfidfSvm().fit(TEXTS, Y)
    with remembered():
        first = TfidfSvm().fit(TEXTS, Y)
        second = TfidfSvm(C=1.0).fit(TEXTS, 1 - Y)
        assert second.vectorizer_ is first.vectorizer_
        probe = ["sparse features of a vision-language model", "faster diffusion"]
        inside = first.decision_function(probe), second.decision_function(probe)
    assert np.array_equal(inside[0], alone.decision_function(probe))
    assert np.array_equal(inside[1], TfidfSvm(C=1.0).fit(TEXTS, 1 - Y).decision_function(probe))
    # After the block the models still score, transforming anew.
    assert np.array_equal(first.decision_function(probe), inside[0])
