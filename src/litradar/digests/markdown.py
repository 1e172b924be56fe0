"""The digest as markdown: the proposals in the list's exact entry format (its `EntryStyle`,
learned from the list) under their sections, the papers near the cut, how earlier
proposals fared, the sources' runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from litradar.curation.awesome_list import (
    AwesomeList,
    entry_for_paper,
    escape_markdown,
    render_entry,
    safe_url,
)
from litradar.digests.digest import Digest, by_section
from litradar.ranking.scoring import Scored
from litradar.ranking.section_terms import describe_named
from litradar.ranking.taxonomy_model import top_tags
from litradar.sources.report import describe_source_run


def render_markdown(digest: Digest, awesome: AwesomeList) -> str:
    until_shown = digest.until - timedelta(days=1)
    lines = [
        f"# litradar digest {digest.name}",
        "",
        f"Papers first announced {digest.since.isoformat()} to {until_shown.isoformat()}: "
        f"{len(digest.ranked)} read, {len(digest.proposed_ids)} proposed (score at least "
        f"{digest.threshold:.2f}){_held_back_text(digest)}. "
        f"Models trained {digest.models_trained_at}.",
        "",
        *(f"Note: {escape_markdown(note)}." for note in digest.assist_notes),
        *([""] if digest.assist_notes else []),
    ]
    if not digest.ranked:
        lines += ["No papers in this window. Nothing to propose.", ""]
        return "\n".join(lines + _outcomes_block(digest) + _sources_block(digest))
    if not digest.proposed_ids:
        lines += ["No paper in this window scored high enough to propose.", ""]
    rank_of = {s.paper.key: i for i, s in enumerate(digest.ranked, start=1)}
    proposed = [s for s in digest.ranked if s.paper.key in digest.proposed_ids]
    for section, in_section in by_section(proposed, digest.sections):
        lines += [f"### {section}", ""]
        for item in in_section:
            helped = digest.assisted.get(item.paper.key)
            short_name = helped.short_name if helped else None
            entry = entry_for_paper(
                item.paper, awesome.section_path(section), short_name, awesome.style
            )
            close = ", ".join(
                f"{escape_markdown(digest.list_names.get(aid, aid))} ({sim:.2f})"
                for aid, sim in item.close_to
            )
            found_by = "; ".join(escape_markdown(p.describe()) for p in item.paper.provenance)
            venue = f" · venue: {escape_markdown(item.paper.venue)}" if item.paper.venue else ""
            lines += [
                render_entry(entry, awesome.style),
                "",
                f"  score {item.relevance:.2f} (rank {rank_of[item.paper.key]} of "
                f"{len(digest.ranked)}) · section {item.section_probability:.2f}"
                f"{describe_named(item.section_named, escape_markdown)}"
                f"{_uncertain_text(item)} · close to: {close}",
                f"  {describe_signals(item, escape_markdown)}",
                f"  found by: {found_by or 'unknown'}{venue}",
                *_tag_lines(item),
                *_assisted_lines(digest, item.paper.key),
                "",
            ]
    blocks = _near_the_cut_block(digest, rank_of) + _outcomes_block(digest)
    return "\n".join(lines + blocks + _sources_block(digest))


def _uncertain_text(item: Scored) -> str:
    pair = item.section_uncertain
    if pair is None:
        return ""
    return f" · section uncertain: {escape_markdown(pair[0])} or {escape_markdown(pair[1])}"


def _held_back_text(digest: Digest) -> str:
    if digest.capped_from is not None:
        return (
            f"; the cap of {len(digest.proposed_ids)} was hit: {digest.capped_from} cleared "
            "the score, the rest are near the cut"
        )
    if not digest.held_back:
        return ""
    return f"; {digest.held_back} more of the week's best held back below it"


def describe_signals(item: Scored, escape: Callable[[str], str]) -> str:
    """'about a multimodal model 0.98 (llava, lvlm) · analyses internals 0.91 (attention
    heads) · similarity to the closest list paper 0.62 · weaker half: analyses internals'.
    Every half of the scope must hold; the weaker one is the one to check."""
    # Imported here: the modules that read digests (email, pull request, page) import this
    # one, and relevance imports scikit-learn (1-2 s).
    from litradar.ranking.relevance import SIGNALS

    parts = []
    own = getattr(item, "labels", None)
    own = own if isinstance(own, dict) else {}
    label = {s.name: escape(own[s.name]) if s.name in own else s.label for s in SIGNALS}
    for signal in SIGNALS:
        value = item.signals.get(signal.name)
        if value is None:
            continue
        words = ", ".join(escape(t) for t in item.top_terms.get(signal.name, []))
        parts.append(f"{label[signal.name]} {value:.2f}" + (f" ({words})" if words else ""))
    halves = [s for s in SIGNALS if s.in_score and s.name in item.signals]
    if halves:
        weaker = min(halves, key=lambda s: item.signals[s.name])
        parts.append(f"weaker half: {label[weaker.name]}")
    return " · ".join(parts)


def _tag_lines(item: Scored) -> list[str]:
    if not item.tags:
        return []
    shown = " / ".join(f"{escape_markdown(c)} {p:.2f}" for c, p in top_tags(item.tags))
    return [f"  tags: {shown}"]


def _verdict_text(digest: Digest, key: str) -> str | None:
    helped = digest.assisted.get(key)
    if helped is None or helped.verdict is None:
        return None
    verdict = helped.verdict
    decision = f"include, in {verdict.section}" if verdict.include else "leave out"
    model = escape_markdown(digest.assist_model or "LLM")
    return (
        f"second opinion ({model}): {escape_markdown(decision)}: {escape_markdown(verdict.reason)}"
    )


def _assisted_lines(digest: Digest, key: str) -> list[str]:
    helped = digest.assisted.get(key)
    if helped is None:
        return []
    # What the LLM wrote says so (the extractive fallback's does not): its text is a
    # model's, for the maintainer to check before it reaches the list.
    model = escape_markdown(digest.assist_model or "LLM")
    by_llm = f" ({model})" if helped.summary_by == "llm" else ""
    summary = escape_markdown(helped.summary or "")
    lines = [f"  in one line{by_llm}: {summary}"] if helped.summary else []
    if helped.short_name_by == "llm":
        lines.append(f"  short name by {model}")
    verdict = _verdict_text(digest, key)
    return lines + ([f"  {verdict}"] if verdict else [])


def _near_the_cut_block(digest: Digest, rank_of: dict[str, int]) -> list[str]:
    """The best papers below the threshold, and any other the LLM gave a second opinion:
    the classifier decided, this is a second look for the maintainer."""
    shown = set(digest.near_cut_ids)
    near = [
        s for s in digest.ranked
        if s.paper.key not in digest.proposed_ids
        and (s.paper.key in shown or _verdict_text(digest, s.paper.key))
    ]  # fmt: skip
    if not near:
        return []
    lines = ["## Near the cut (not proposed)", ""]
    for item in near:
        verdict = _verdict_text(digest, item.paper.key)
        section = escape_markdown(item.section)
        # Rank and score first: a bullet that starts with a paper's link reads as an entry
        # of a list (`parse_list`), and these are not proposed.
        lines.append(
            f"- rank {rank_of[item.paper.key]}, score {item.relevance:.2f}: "
            f"[{escape_markdown(item.paper.title)}]({safe_url(item.paper.abs_url)}), {section}"
            f" · {describe_signals(item, escape_markdown)}" + (f" · {verdict}" if verdict else "")
        )
    return [*lines, ""]


def _outcomes_block(digest: Digest) -> list[str]:
    """How the earlier pull requests fared, so the maintainer sees litradar learn."""
    if not digest.outcomes:
        return []
    lines = ["## Earlier proposals", ""]
    for pull in digest.outcomes:
        outcome = pull.get("outcome") or {}
        accepted = sum(1 for v in outcome.values() if v == "accepted")
        rejected = sum(1 for v in outcome.values() if v == "rejected")
        state = pull.get("state", "open")
        counts = (
            f"{accepted} accepted, {rejected} rejected"
            if outcome
            else f"{len(pull.get('entries', {}))} waiting for review"
        )
        lines.append(
            f"- {escape_markdown(pull['name'])} (pull request #{pull['number']}, {state}): {counts}"
        )
    return [*lines, ""]


def _sources_block(digest: Digest) -> list[str]:
    """How each live source fared in its last run: a failure must be visible here, not
    only in a log nobody reads."""
    if not digest.sources:
        return []
    lines = ["## Sources", ""]
    for run in digest.sources:
        line = escape_markdown(describe_source_run(run))
        failed = run.get("error") or run.get("status") in ("crashed", "running")
        lines.append(f"- **{line}**" if failed else f"- {line}")
        lines += [f"  - note: {escape_markdown(note)}" for note in run.get("notes", [])]
    return [*lines, ""]
