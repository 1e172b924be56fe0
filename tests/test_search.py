"""`find` in a long-lived process (the web page): the query encoder is loaded once, and
the answers are `find`'s own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.core.errors import LitradarError
from litradar.steps import search


def test_a_warm_search_loads_its_encoder_once_and_answers_as_find_does(
    indexed_project: Path, monkeypatch: pytest.MonkeyPatch
):
    config = load_config(indexed_project / "litradar.toml", environ={})
    loads = []
    real = search.query_encoder

    def counted(config, preloaded=None):  # type: ignore[no-untyped-def]
        loads.append(1)
        return real(config, preloaded)

    monkeypatch.setattr(search, "query_encoder", counted)
    warm = search.WarmSearch(config)
    answers: list[list[str]] = []

    def ask(query: str) -> None:
        answers.append([h.paper.key for h in warm.find(query, k=5)])

    threads = [threading.Thread(target=ask, args=("sparse autoencoder",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ask("logit lens")
    assert len(loads) == 1  # four concurrent first searches, then another: one load
    fresh = [h.paper.key for h in search.find(config, "sparse autoencoder", k=5)]
    assert answers[:4] == [fresh] * 4 and len(answers[4]) == 5
    with pytest.raises(LitradarError, match="empty query"):
        warm.find("  ")


def test_an_index_of_another_encoder_is_named_not_called_empty(indexed_project: Path):
    """A config switched to another model finds no index of its own: it is told which
    encoder the store's index was built for, not that the index is empty."""
    from litradar.embedding.encoders import HashingEncoder

    class OtherEncoder(HashingEncoder):
        name = "another-model"

    config = load_config(indexed_project / "litradar.toml", environ={})
    with pytest.raises(LitradarError, match="the index holds hashing vectors") as error:
        search.find(config, "sparse autoencoders", encoder=OtherEncoder())
    assert "another-model" in str(error.value) and "empty" not in str(error.value)


def test_a_pasted_title_comes_first_with_its_own_score_and_says_so(indexed_project: Path):
    config = load_config(indexed_project / "litradar.toml", environ={})
    title = ("TruthPrInt: Mitigating LVLM Object Hallucination Via Latent Truthful-Guided "
             "Pre-Intervention")
    hits = search.find(config, title, k=5)
    assert hits[0].paper.key == "2503.10602" and hits[0].title_match
    assert not any(h.title_match for h in hits[1:])
    assert 0 < hits[0].score < 10  # the fused score, not the bonus that put it first
    assert hits[0].as_record()["title_match"] is True
