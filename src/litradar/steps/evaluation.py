"""How good are the proposals? Two measures, each with the same baselines.

1. Leave-one-out on the list: forget that a list paper is on the list (it stays in the
   store as an ordinary paper), train, and rank it among the papers of a real week.
2. The judged weeks and queries (`../shared/data/judged`, or any folder of that layout):
   rank each week as the digest would, propose what clears the threshold, and compare
   with one assessor's judgements (2 belongs, 1 borderline, 0 not); run each judged query
   through search.

Baselines on the same data: TF-IDF + linear SVM (the arxiv-sanity ranker) and MiniLM
similarity (to the closest list paper for weeks, to the query for search); lexical-only
search. The judged set measures; it never trains (a model fitted to it would only
memorise it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.core.progress import Reporter, SilentReporter
from litradar.ranking.baselines import rank_of, similarity_scores, svm_scores
from litradar.ranking.corpus_memo import remembered
from litradar.ranking.hybrid import fuse
from litradar.ranking.labels import Labels
from litradar.ranking.leave_week_out import (
    Choice,
    JudgedWeek,
    Variant,
    calibration,
    leave_one_week_out,
    ndcg,
    precision,
)
from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.relevance import RelevanceModel
from litradar.ranking.scope import log_score
from litradar.ranking.section_terms import SectionTerms
from litradar.ranking.training import (
    TrainingSet,
    fit_placement,
    fit_relevance,
    placement_metrics,
)
from litradar.sources.arxiv_jsonl import read_jsonl
from litradar.steps.configured_inputs import (
    default_encoder,
    load_configured_taxonomy,
    scope_terms,
    section_terms,
    training_set,
)
from litradar.storage import lexical

WEEK_RANKERS = ("litradar", "tfidf_svm", "minilm_similarity")
QUERY_RANKERS = ("litradar", "dense", "lexical")


def _summary(ranks: list[int]) -> dict:
    values = np.array(ranks)
    return {
        "median_rank": float(np.median(values)),
        "recall_at_10": round(float((values <= 10).mean()), 4),
        "recall_at_25": round(float((values <= 25).mean()), 4),
        "worst_rank": int(values.max()),
        "ranks": [int(r) for r in values],
    }


def _without(labels: Labels, arxiv_id: str) -> Labels:
    reduced = copy.deepcopy(labels)
    reduced.relevant.discard(arxiv_id)
    reduced.on_list.discard(arxiv_id)
    reduced.section.pop(arxiv_id, None)
    return reduced


def placement_baseline(data: TrainingSet, labels: Labels) -> dict:
    """TF-IDF + linear SVM on the same leave-one-out splits as litradar's placement: the
    list papers held out one at a time, every other labelled paper (survey too) kept; then
    the survey's papers the same way."""
    rows = [i for i, p in enumerate(data.papers) if p.key in labels.section]
    held = [i for i in rows if data.papers[i].key in labels.on_list]
    survey = [i for i in rows if data.papers[i].key not in labels.on_list]
    result = _svm_leave_one_out(data, labels, rows, held)
    result["method"] = "TF-IDF + linear SVM, leave-one-out over list papers"
    result["survey_papers"] = _svm_leave_one_out(data, labels, rows, survey)
    return result


def _section_svm(data: TrainingSet, labels: Labels, rows: Sequence[int]):
    model = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
        LinearSVC(C=1.0, class_weight="balanced", random_state=0),
    )
    model.fit(
        [data.papers[r].text for r in rows], [labels.section[data.papers[r].key] for r in rows]
    )
    return model


def _svm_leave_one_out(data: TrainingSet, labels: Labels, rows: list[int], held: list[int]) -> dict:
    correct = 0
    for i in held:
        model = _section_svm(data, labels, [r for r in rows if r != i])
        correct += int(
            model.predict([data.papers[i].text])[0] == labels.section[data.papers[i].key]
        )
    return {"accuracy": round(correct / len(held), 4) if held else None, "papers": len(held)}


def _texts(data: TrainingSet, rows: Sequence[int]) -> list[str]:
    return [data.papers[i].text for i in rows]


def _read_week(week: Path) -> list[Paper]:
    papers = [p for p in read_jsonl(week) if isinstance(p, Paper)]
    if not papers:
        raise LitradarError(
            f"{week}: no papers to rank in it (is it arXiv's bulk-metadata JSON lines?)"
        )
    return papers


def check_weeks(weeks: Sequence[Path], judged: JudgedSet | None, judged_dir: Path | None) -> None:
    """What `evaluate` would stop on minutes in, said before: a week without papers, or
    one with no judgements (when the judged set has no queries to measure instead)."""
    for week in weeks:
        _read_week(week)
    if judged is not None and not judged.queries:
        unjudged = [w.stem for w in weeks if w.stem not in judged.weeks]
        if unjudged:
            raise LitradarError(f"no judgements for week {unjudged[0]} in {judged_dir}")


def leave_one_out(
    config: Config, week: Path, reporter: Reporter | None = None, extra: Sequence[Paper] = ()
) -> dict:
    """Each list paper held out in turn and ranked among `week`'s other papers."""
    reporter = reporter or SilentReporter()
    week_papers = _read_week(week)
    encoder = default_encoder(config)
    data, labels = training_set(config, encoder, reporter, extra=[*week_papers, *extra])
    taxonomy = load_configured_taxonomy(config)
    terms, scope = section_terms(taxonomy), scope_terms(taxonomy)
    index_of = {p.key: i for i, p in enumerate(data.papers)}
    week_rows = [index_of[p.key] for p in week_papers if p.key not in labels.relevant]
    held_out = [a for a in sorted(labels.on_list) if a in index_of]
    if not held_out:
        raise LitradarError(
            "none of the list's papers is in the store, so none can be held out: "
            "ingest them first (the bundled arxiv_seed.jsonl holds the demo list's)"
        )
    ranks: dict[str, list[int]] = {name: [] for name in WEEK_RANKERS}
    # Every fold fits on the same texts: their TF-IDF and weak labels are fitted once.
    with remembered(), reporter.track("leave-one-out", len(held_out)) as advance:
        for arxiv_id in held_out:
            fold = TrainingSet.build(data.papers, data.embeddings, _without(labels, arxiv_id))
            held = [index_of[arxiv_id]]
            target = len(week_rows)  # the held-out paper, scored after the week's papers
            model = fit_relevance(fold, scope, calibrate=False)
            # Scored in two calls: the week's part is the same texts in every fold, so its
            # words are transformed once (corpus_memo).
            litradar = [model.score(_texts(data, r), data.embeddings[r]) for r in (week_rows, held)]
            svm = [svm_scores(fold, r) for r in (week_rows, held)]
            ranks["litradar"].append(rank_of(np.concatenate(litradar), target))
            ranks["tfidf_svm"].append(rank_of(np.concatenate(svm), target))
            similar = similarity_scores(fold, [*week_rows, *held])
            ranks["minilm_similarity"].append(rank_of(similar, target))
            advance(1)
    return {
        "week": str(week),
        "pool": len(week_rows) + 1,
        "held_out": len(held_out),
        "held_out_ids": held_out,
        "rankers": {name: _summary(r) for name, r in ranks.items()},
        "placement": placement_metrics(data, labels, terms),
        "placement_baseline": placement_baseline(data, labels),
    }


# The judged set --------------------------------------------------------------------------


class _Judgement(BaseModel):
    """One judged paper of a week or a query: what the measures read of it."""

    model_config = ConfigDict(extra="allow")
    id: StrictStr
    judgement: Literal[0, 1, 2]
    section: StrictStr | None = None


class _Query(BaseModel):
    model_config = ConfigDict(extra="allow")
    query: StrictStr
    judgements: list[_Judgement]


class _Candidate(BaseModel):
    model_config = ConfigDict(extra="allow")
    origin: StrictStr = ""


class _Pool(BaseModel):
    model_config = ConfigDict(extra="allow")
    candidates: list[_Candidate]


@dataclass
class JudgedSet:
    """Judgements by week name (the week file's stem) and the judged queries."""

    weeks: dict[str, dict[str, dict]]  # week -> arXiv id -> {judgement, section, ...}
    queries: list[dict]  # {query, judgements: [{id, judgement}]}
    # The weeks whose papers the queries were judged among (`query_pools.jsonl`'s
    # "week:NAME" origins); None when the folder does not say, and every week counts.
    query_weeks: frozenset[str] | None = None

    @classmethod
    def load(cls, folder: Path) -> JudgedSet:
        """Every file read and checked, each bad line one error with its file and line:
        `evaluate` loads the set before its minutes of leave-one-out."""
        if not folder.is_dir():
            raise LitradarError(
                f"judged set not found: {folder} (a folder with weeks/<week>.jsonl)"
            )
        weeks = {
            path.stem: {r["id"]: r for r in _records(path, _Judgement)}
            for path in sorted((folder / "weeks").glob("*.jsonl"))
        }
        queries_path = folder / "queries.jsonl"
        queries = list(_records(queries_path, _Query)) if queries_path.is_file() else []
        if not weeks and not queries:
            raise LitradarError(f"{folder}: no weeks/*.jsonl and no queries.jsonl")
        pools_path = folder / "query_pools.jsonl"
        query_weeks = None
        if queries and pools_path.is_file():
            query_weeks = frozenset(
                str(c["origin"])[len("week:"):]
                for pool in _records(pools_path, _Pool)
                for c in pool["candidates"]
                if str(c["origin"]).startswith("week:")
            )
        return cls(weeks, queries, query_weeks)


def _records(path: Path, shape: type[BaseModel]) -> Iterator[dict]:
    """The file's JSON objects, each checked against `shape` (a bad one is a LitradarError
    naming the file, the line and the field)."""
    for number, record in _jsonl(path):
        try:
            yield shape.model_validate(record).model_dump()
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "the line"
            raise LitradarError(f"{path}:{number}: {where}: {problem['msg']}") from None


def _jsonl(path: Path) -> Iterator[tuple[int, object]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LitradarError(f"{path}: not UTF-8 text (a judged file is JSON lines)") from None
    except OSError as exc:
        raise LitradarError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                raise LitradarError(f"{path}:{number}: malformed JSON") from None
            except RecursionError:
                raise LitradarError(f"{path}:{number}: JSON nested too deeply") from None


def query_measures(ranked: Sequence[str], judgements: list[dict]) -> dict:
    """P@5 and nDCG@10, with unjudged papers counted 0, and condensed (unjudged papers
    dropped from the ranking first, Sakai 2007): the pools were built by other rankers,
    so a good unjudged paper would otherwise count against whoever found it."""
    judged = {j["id"]: int(j["judgement"]) for j in judgements}
    condensed = [k for k in ranked if k in judged]
    return {
        "p_at_5": _round(precision(ranked[:5], judged)),
        "ndcg_at_10": _round(ndcg(ranked, judged, 10)),
        "condensed_p_at_5": _round(precision(condensed[:5], judged)),
        "condensed_ndcg_at_10": _round(ndcg(condensed, judged, 10)),
        "unjudged_in_top_5": sum(1 for k in ranked[:5] if k not in judged),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else None


# What leave-one-week-out chooses among: the contribution half's weight (the bar is chosen
# with it), and placement's weight on a named technique.
CONTRIBUTION_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
PLACEMENT_TERMS_WEIGHTS = (0.5, 1.0, 2.0, 3.0)


def placement_variants(
    terms: SectionTerms | None,
) -> list[tuple[str, SectionTerms | None, float]]:
    """(name, terms, weight of a named technique) for each placement leave-one-week-out
    chooses among: every weight, and with the taxonomy's technique sections, each weight
    without them too, so that their rule has to win on held-out weeks to be kept."""
    if terms is None:
        return [("terms x1", None, 1.0)]
    variants = [(f"terms x{w:g}", terms, w) for w in PLACEMENT_TERMS_WEIGHTS]
    if terms.technique:
        plain = terms.without_technique()
        variants = [
            *((f"terms x{w:g}", plain, w) for w in PLACEMENT_TERMS_WEIGHTS),
            *((f"terms x{w:g}, technique sections", terms, w) for w in PLACEMENT_TERMS_WEIGHTS),
        ]
    return variants


def _placed(proba: np.ndarray, classes: Sequence[str], keys: Sequence[str]) -> dict:
    """key -> (section, runner-up, margin between their probabilities)."""
    out = {}
    for key, row in zip(keys, proba, strict=True):
        first, second = np.argsort(-row, kind="stable")[:2]
        out[key] = (classes[first], classes[second], float(row[first] - row[second]))
    return out


def judged_evaluation(
    config: Config,
    weeks: Sequence[Path],
    judged_dir: Path,
    reporter: Reporter | None = None,
) -> dict:
    """Train once as the weekly run would (every given week in the store as unlabelled
    papers; the judgements never reach a model), score each judged week with every
    variant of what is tuned, then leave one week out to choose and measure; run each
    judged query."""
    reporter = reporter or SilentReporter()
    judged = JudgedSet.load(judged_dir)
    week_papers = {path.stem: _read_week(path) for path in weeks}
    unjudged = [name for name in week_papers if name not in judged.weeks]
    if unjudged and not judged.queries:
        raise LitradarError(f"no judgements for week {unjudged[0]} in {judged_dir}")
    encoder = default_encoder(config)
    extra = [p for papers in week_papers.values() for p in papers]
    data, labels = training_set(config, encoder, reporter, extra=extra)
    taxonomy = load_configured_taxonomy(config)
    scope, terms = scope_terms(taxonomy), section_terms(taxonomy)
    with reporter.track("training as the weekly run would", None):
        model = fit_relevance(data, scope)
        section_rows = [i for i, p in enumerate(data.papers) if p.key in labels.section]
        placements = {
            name: fit_placement(data, labels, placement_terms, terms_weight=w)
            for name, placement_terms, w in placement_variants(terms)
        }
        section_svm = _section_svm(data, labels, section_rows)
    weights = CONTRIBUTION_WEIGHTS if model.terms.has_contribution else (0.0,)
    variants = {f"contribution x{w:g}": model.reweighted(w) for w in weights}
    everyone = range(len(data.papers))
    baselines = {
        "tfidf_svm": svm_scores(data, everyone),
        "minilm_similarity": similarity_scores(data, everyone),
    }
    index_of = {p.key: i for i, p in enumerate(data.papers)}
    decided = labels.accepted | labels.rejected
    built: list[JudgedWeek] = []
    left_out: dict[str, list[str]] = {}
    for name, papers in week_papers.items():
        if name not in judged.weeks:
            continue
        rows = [index_of[k] for k in dict.fromkeys(p.key for p in papers)]
        left_out[name] = [
            data.papers[i].key
            for i in rows
            if data.papers[i].key in judged.weeks[name]
            and (data.papers[i].key in labels.on_list or data.papers[i].key in decided)
        ]
        rows = [
            i for i in rows if data.papers[i].key not in labels.on_list | decided
        ]
        keys = [data.papers[i].key for i in rows]
        records = judged.weeks[name]
        week = JudgedWeek(
            name,
            keys,
            judgements={k: int(records[k]["judgement"]) for k in keys if k in records},
            judged_sections={
                k: records[k]["section"]
                for k in keys
                if k in records and int(records[k]["judgement"]) >= 1 and records[k]["section"]
            },
        )
        axes = model.scope_.axis_proba([data.papers[i].text for i in rows], data.embeddings[rows])
        week.rankers["litradar"] = {}
        for variant, relevance in variants.items():
            score = log_score(axes, relevance.weights)
            week.rankers["litradar"][variant] = Variant(score, relevance.proba_from_score(score))
        for ranker, score in baselines.items():
            week.rankers[ranker] = {"": Variant(score[rows], score[rows])}
        placed = week.placed
        prows = [index_of[k] for k in placed]
        ppapers = [data.papers[i] for i in prows]
        week.placements["litradar"] = {
            variant: _placed(placement.predict_proba(data.embeddings[prows], ppapers),
                             placement.classes_, placed)
            for variant, placement in placements.items()
        }  # fmt: skip
        if placed:
            svm = section_svm.decision_function([p.text for p in ppapers])
            week.placements["tfidf_svm"] = {"": _placed(svm, list(section_svm.classes_), placed)}
        else:
            week.placements["tfidf_svm"] = {"": {}}
        built.append(week)
    size = config.digest.size
    result: dict = {
        "threshold": round(model.threshold_, 4),
        "size": size,
        "weeks": [w.name for w in built],
        "left_out": left_out,
        "rankers": {},
        "queries": {},
    }
    if len(built) >= 2:
        for ranker in WEEK_RANKERS:
            result["rankers"][ranker] = leave_one_week_out(
                built, ranker, size, place=ranker != "minilm_similarity"
            )
        folds = result["rankers"]["litradar"]["folds"]
        result["calibration"] = calibration(
            built,
            "litradar",
            {name: Choice(f["variant"], f["bar"] or float("inf")) for name, f in folds.items()},
        )
    elif built:
        raise LitradarError(
            "leave one week out needs at least two judged weeks; give more --week files"
        )
    if judged.queries:
        outside = _outside_query_corpus(week_papers, judged, labels)
        result["query_corpus"] = {
            "weeks": sorted(judged.query_weeks) if judged.query_weeks is not None else None,
            "left_out": len(outside),
        }
        result["queries"] = _query_evaluation(
            data, labels, variants, encoder, judged, result, outside
        )
    return result


def _outside_query_corpus(
    week_papers: dict[str, list[Paper]], judged: JudgedSet, labels: Labels
) -> set[str]:
    """The papers of the given weeks the queries were not judged among: ranked, they
    could only count 0 (no assessor saw them), so a week added to the store after the
    queries were judged would lower every ranker's figure without any ranking changing.
    A paper also in a judged week, or labelled (the seed's), stays."""
    if judged.query_weeks is None:
        return set()
    inside = {p.key for name in judged.query_weeks for p in week_papers.get(name, [])}
    return {
        p.key
        for name, papers in week_papers.items()
        if name not in judged.query_weeks
        for p in papers
        if p.key not in inside and p.key not in labels.relevant
    }


def _query_evaluation(
    data: TrainingSet,
    labels: Labels,
    variants: dict[str, RelevanceModel],
    encoder,
    judged: JudgedSet,
    result: dict,
    outside: set[str] = frozenset(),
) -> dict:
    """Search weighted by the scope's prior, with the variant leave-one-week-out chose on
    all the weeks (the one `train` would ship), or the configured one without weeks; over
    the corpus the queries were judged on (the papers of `outside` are not searched)."""
    from litradar.embedding.encoders import embed_query

    chosen = result.get("rankers", {}).get("litradar", {}).get("chosen_on_all", {})
    relevance = variants.get(chosen.get("variant", ""), next(iter(variants.values())))
    prior = relevance.score(data.texts, data.embeddings)

    rows = [i for i, p in enumerate(data.papers) if p.key not in outside]
    corpus = NeighbourSet(data.embeddings[rows])
    words = lexical.memory_index((i, data.papers[i].title, data.papers[i].abstract) for i in rows)
    listed = {i for i in rows if data.papers[i].key in labels.on_list}
    priors = {i: float(prior[i]) for i in rows}
    depth = 100
    per_query: dict[str, dict] = {}
    rankers: dict[str, Callable[[str], list[int]]] = {
        "dense": lambda q: [
            rows[int(i)]
            for i in corpus.search(embed_query(encoder, q).reshape(1, -1), depth)[1][0]
            if i >= 0
        ],
        "lexical": lambda q: lexical.search(words, q, depth),
    }
    rankers["litradar"] = lambda q: [
        i for i, _ in fuse(rankers["dense"](q), rankers["lexical"](q), priors, listed)
    ]
    for item in judged.queries:
        per_query[item["query"]] = {
            name: query_measures(
                [data.papers[i].key for i in rank(item["query"])], item["judgements"]
            )
            for name, rank in rankers.items()
        }
    return per_query


def summarise(result: dict) -> dict:
    """The held-out means per ranker (the figures that predict a new week), the in-sample
    ones beside them, and the queries' means."""
    weeks = {
        ranker: {"held_out": r["held_out"], "in_sample": r["in_sample"]}
        for ranker, r in result.get("rankers", {}).items()
    }
    queries: dict[str, dict] = {}
    for ranker in QUERY_RANKERS:
        rows = [q[ranker] for q in result["queries"].values()]
        if rows:
            queries[ranker] = {
                key: _mean([r[key] for r in rows])
                for key in ("p_at_5", "ndcg_at_10", "condensed_p_at_5", "condensed_ndcg_at_10")
            }
    return {"weeks": weeks, "queries": queries}
