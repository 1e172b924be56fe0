"""The week's review queue: the digest's proposals and the papers near the cut, each with
the reasons the digest gives, and what the maintainer decided about it.

A decision goes through `litradar.steps.labelling.record_label`, the code behind `litradar
label`, with origin "web": the same row in the same labels table, which `train` learns
from and `propose` reads. A short name the maintainer typed is kept beside it, in the same
transaction (`short_names`), for the pull request's entry. Skip stores nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.extractive import fallback_short_name
from litradar.core.paper import collapse_whitespace
from litradar.curation.list_source import read_list
from litradar.digests.generations import StoredDigest
from litradar.digests.markdown import describe_signals
from litradar.ranking.section_terms import describe_named
from litradar.ranking.taxonomy_model import top_tags
from litradar.steps.labelling import record_label
from litradar.storage.store import Store

ORIGIN = "web"
MAX_SHORT_NAME = 60
ACTIONS = ("accept", "reject", "skip")


def _plain(text: str) -> str:
    """The page's templates escape; the digest's helpers only need to be told not to."""
    return text


@dataclass
class QueueItem:
    key: str
    title: str
    url: str
    date: str
    authors: str
    abstract: str
    kind: str  # "proposed" or "near the cut"
    rank: int
    relevance: float
    section: str
    section_probability: float
    reasons: list[str]  # one line each, plain text (the template escapes)
    short_name: str  # what the entry will be called: the maintainer's, the digest's, or ours
    decision: str | None = None  # "accepted in <section>", "rejected", or None
    decided_by: str | None = None
    decided_section: str | None = None


@dataclass
class Queue:
    name: str
    papers_read: int
    threshold: float
    held_back: int
    sections: list[str]
    items: list[QueueItem] = field(default_factory=list)

    @property
    def undecided(self) -> int:
        return sum(1 for item in self.items if item.decision is None)


def _reasons(
    item: dict, list_names: dict[str, str], window: int, model: str | None = None
) -> list[str]:
    named = item.get("section_named")
    named_text = describe_named(tuple(named) if named else None, _plain)  # type: ignore[arg-type]
    reasons = [
        f"score {item['relevance']:.2f} (rank {item['rank']} of {window}) · section "
        f"{item['section']} {item['section_probability']:.2f}{named_text}",
    ]
    signals = describe_signals(
        SimpleNamespace(
            signals=item.get("signals") or {},
            top_terms=item.get("top_terms") or {},
            labels=item.get("signal_labels") or {},
        ),
        _plain,
    )  # type: ignore[arg-type]
    if signals:
        reasons.append(signals)
    close = ", ".join(
        f"{list_names.get(c['arxiv_id'], c['arxiv_id'])} ({c['similarity']:.2f})"
        for c in item.get("close_to") or []
    )
    if close:
        reasons.append(f"close to: {close}")
    found_by = "; ".join(item.get("provenance") or [])
    venue = f" · venue: {item['venue']}" if item.get("venue") else ""
    reasons.append(f"found by: {found_by or 'unknown'}{venue}")
    tags = {d: [(c, p) for c, p in ranked] for d, ranked in (item.get("tags") or {}).items()}
    if tags:
        reasons.append("tags: " + " / ".join(f"{c} {p:.2f}" for c, p in top_tags(tags)))
    if item.get("summary"):
        by_llm = f" ({model or 'LLM'})" if item.get("summary_by") == "llm" else ""
        reasons.append(f"in one line{by_llm}: {item['summary']}")
    if item.get("short_name_by") == "llm":
        reasons.append(f"short name by {model or 'LLM'}")
    verdict = item.get("verdict")
    if verdict:
        said = f"include, in {verdict.get('section')}" if verdict.get("include") else "leave out"
        reasons.append(f"second opinion ({model or 'LLM'}): {said}: {verdict.get('reason', '')}")
    return reasons


def load_queue(config: Config, stored: StoredDigest) -> Queue:
    """The queue of a digest the caller has read (its JSON holds the whole window: parsed
    once per view, not once per use), proposals first, best first."""
    name, document = stored.name, stored.document
    awesome = read_list(config).awesome
    list_names = awesome.paper_names()
    papers = document["papers"]
    queue = Queue(
        name=name,
        papers_read=len(papers),
        threshold=float(document.get("threshold") or 0.0),
        held_back=int(document.get("held_back") or 0),
        sections=awesome.section_names(),
    )
    wanted = [p for p in papers if p.get("proposed") or p.get("near_cut")]
    wanted.sort(key=lambda p: (not p.get("proposed"), p["rank"]))
    with Store.open(config.store_path) as store:
        decisions = {label["key"]: label for label in store.labels()}
        names = store.short_names()
        for item in wanted:
            paper = store.by_key(item["key"])
            title = paper.title if paper else item["title"]
            abstract = paper.abstract if paper else ""
            decision = decisions.get(item["key"])
            entry = QueueItem(
                key=item["key"],
                title=title,
                url=paper.abs_url if paper else "",
                date=item["first_version_date"],
                authors=", ".join(paper.authors) if paper else "",
                abstract=abstract,
                kind="proposed" if item.get("proposed") else "near the cut",
                rank=item["rank"],
                relevance=item["relevance"],
                section=item["section"],
                section_probability=item["section_probability"],
                reasons=_reasons(item, list_names, len(papers), document.get("assist_model")),
                short_name=names.get(item["key"])
                or item.get("short_name")
                or fallback_short_name(title, abstract),
            )
            if decision is not None:
                entry.decided_by = decision["origin"]
                entry.decided_section = decision["section"]
                entry.decision = (
                    f"accepted in {decision['section'] or item['section']}"
                    if decision["relevant"]
                    else "rejected"
                )
            queue.items.append(entry)
    return queue


_INVISIBLE = re.compile("[\u200b\u2060]")


def _normalised(text: str | None) -> str:
    return collapse_whitespace(_INVISIBLE.sub("", text or ""))


def clean_short_name(text: str | None) -> str | None:
    """One line, at most MAX_SHORT_NAME characters; empty means litradar's own. Control and
    bidi characters are stripped as from paper text (a U+202E would make the entry read
    backwards in the pull request)."""
    # Invisible too: a zero-width space or word joiner would make two names that read
    # the same differ (joiners, which some scripts need, are kept).
    cleaned = _normalised(text)
    if len(cleaned) > MAX_SHORT_NAME:
        raise LitradarError(f"the short name is longer than {MAX_SHORT_NAME} characters")
    return cleaned or None


def decide(
    config: Config,
    stored: StoredDigest,
    key: str,
    action: str,
    section: str | None,
    short_name: str | None,
    shown_short_name: str | None = None,
) -> str:
    """Store the maintainer's decision on a paper of the digest's queue the way `litradar
    label` does; one line says what was stored.

    Only the queue's papers: the page shows no other, and a label outranks the list in
    training, so a forged or stale key must not add one unseen. The short name is stored
    only when edited (it differs from `shown_short_name`, what the page showed): an
    unedited Accept leaves litradar's name free to improve, and a stale tab does not
    overwrite the name another tab chose."""
    key = key.strip()  # the digest's key, as the page posts it (record_label stores under it)
    if action not in ACTIONS:
        raise LitradarError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    papers = stored.document["papers"]
    queue = {p["key"] for p in papers if p["proposed"] or p["near_cut"]}
    if key not in queue and any(p["key"] == key for p in papers):
        with Store.open(config.store_path) as store:  # decided on a page shown before the
            if any(label["key"] == key for label in store.labels()):  # digest was rebuilt
                queue.add(key)  # without it: a correction of that decision
    if key not in queue:
        shown = key if len(key) <= 60 else f"{key[:60]}..."
        raise LitradarError(
            f"{shown!r} is not in digest {stored.name}'s review queue "
            "(its proposals and the papers near the cut); 'litradar label' decides any paper"
        )
    if action == "skip":
        return f"{key}: skipped, nothing stored"
    if action == "reject":
        return record_label(config, key, False, None, [], origin=ORIGIN)
    if not section:
        raise LitradarError("choose the section the paper goes in")
    name = clean_short_name(short_name)
    edited = shown_short_name is None or name != (_normalised(shown_short_name) or None)
    # One transaction for both (a failed write keeps neither).
    summary = record_label(
        config, key, True, section, [], origin=ORIGIN, short_name=(name,) if edited else None
    )
    return summary + (f" as {name}" if edited and name else "")
