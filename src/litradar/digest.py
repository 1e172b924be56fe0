"""The weekly digest: proposals in the list's exact entry format (markdown) and a JSON twin
with every paper of the window, so anyone can check where a paper ranked."""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from litradar.awesome_list import (
    AwesomeList,
    entry_for_paper,
    escape_markdown,
    render_entry,
    safe_url,
)
from litradar.errors import LitradarError, redact
from litradar.files import (
    faultpoint,
    fsync_directory,
    process_alive,
    remove_path,
    remove_stale_temporaries,
    temporary_prefix,
)
from litradar.ranking.relevance import SIGNALS
from litradar.ranking.scoring import Scored
from litradar.ranking.section_terms import describe_named
from litradar.ranking.taxonomy_model import top_tags
from litradar.selection import Selection, select
from litradar.sources.report import describe_source_run
from litradar.window import window_name

if TYPE_CHECKING:
    from litradar.assist.digest_assist import Assistance
    from litradar.assist.tasks import Assisted


@dataclass(frozen=True)
class Digest:
    """One week's digest, built once from what the steps return (`Digest.of`): the
    selection, the assistant's help, the sources' reports, earlier pull requests' fates."""

    since: date
    until: date
    ranked: list[Scored]  # every paper of the window, best first
    proposed_ids: frozenset[str]
    on_list: frozenset[str]
    list_names: dict[str, str]  # arXiv id -> short name (or title) of list papers
    models_trained_at: str
    sections: list[str]
    threshold: float = 0.0  # the score a paper needs to be proposed
    # The best papers that did not clear it, best first: the "near the cut" block.
    near_cut_ids: list[str] = field(default_factory=list)
    held_back: int = 0  # of the `size` best candidates, how many the threshold held back
    capped_from: int | None = None  # how many cleared the threshold when the cap cut them
    sources: list[dict] = field(default_factory=list)  # the last run of each live source
    outcomes: list[dict] = field(default_factory=list)  # how earlier pull requests fared
    # Short names, summaries and second opinions by key (see litradar.assist).
    assisted: dict[str, Assisted] = field(default_factory=dict)
    assist_notes: list[str] = field(default_factory=list)
    assist_model: str | None = None

    @property
    def name(self) -> str:
        return window_name(self.since, self.until)

    @classmethod
    def of(
        cls,
        selection: Selection,
        awesome: AwesomeList,
        since: date,
        until: date,
        models_trained_at: str,
        sources: list[dict] | None = None,
        outcomes: list[dict] | None = None,
        assistance: Assistance | None = None,
    ) -> Digest:
        """`outcomes` of this window's own pull request are left out: a digest reports on
        earlier weeks."""
        name = window_name(since, until)
        return cls(
            since=since,
            until=until,
            ranked=selection.ranked,
            proposed_ids=selection.proposed_ids,
            on_list=selection.on_list,
            list_names=awesome.paper_names(),
            models_trained_at=models_trained_at,
            sections=awesome.section_names(),
            threshold=selection.threshold,
            near_cut_ids=selection.near_cut_ids,
            held_back=selection.held_back,
            capped_from=selection.capped_from,
            sources=sources or [],
            outcomes=[o for o in outcomes or [] if o.get("name") != name],
            assisted=assistance.assisted if assistance else {},
            assist_notes=assistance.notes if assistance else [],
            assist_model=assistance.model if assistance else None,
        )


def build_digest(
    scored: list[Scored],
    awesome: AwesomeList,
    since: date,
    until: date,
    size: int,
    threshold: float,
    models_trained_at: str,
    sources: list[dict] | None = None,
    decided: set[str] | None = None,
    outcomes: list[dict] | None = None,
    near_cut: int = 5,
) -> Digest:
    """A digest without assistance, straight from scores (see `select`)."""
    chosen = select(scored, awesome.keys, size, threshold, decided, near_cut)
    return Digest.of(chosen, awesome, since, until, models_trained_at, sources, outcomes)


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
            entry = entry_for_paper(item.paper, awesome.section_path(section), short_name)
            close = ", ".join(
                f"{escape_markdown(digest.list_names.get(aid, aid))} ({sim:.2f})"
                for aid, sim in item.close_to
            )
            found_by = "; ".join(escape_markdown(p.describe()) for p in item.paper.provenance)
            venue = f" · venue: {escape_markdown(item.paper.venue)}" if item.paper.venue else ""
            lines += [
                render_entry(entry),
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


class _Placed(Protocol):
    section: str


P = TypeVar("P", bound=_Placed)


def by_section(items: Iterable[P], sections: Iterable[str]) -> list[tuple[str, list[P]]]:
    """The items of each section, in the list's order of sections, in their own order
    within one; a section with none is left out (the digest's and the pull request's
    proposals both read this way)."""
    items = list(items)
    grouped = [(section, [i for i in items if i.section == section]) for section in sections]
    return [(section, chosen) for section, chosen in grouped if chosen]


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
    Both halves of the scope must hold; the weaker one is the one to check."""
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
    lines = [f"  in one line: {escape_markdown(helped.summary)}"] if helped.summary else []
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
        lines.append(
            f"- [{escape_markdown(item.paper.title)}]({safe_url(item.paper.abs_url)}) score "
            f"{item.relevance:.2f} (rank {rank_of[item.paper.key]}), {section}"
            f" · {describe_signals(item, escape_markdown)}" + (f" · {verdict}" if verdict else "")
        )
    return [*lines, ""]


def _assisted_json(digest: Digest, key: str) -> dict:
    helped = digest.assisted.get(key)
    if helped is None:
        return {}
    return {
        "short_name": helped.short_name,
        "short_name_by": helped.short_name_by,
        "summary": helped.summary,
        "summary_by": helped.summary_by,
        "verdict": helped.verdict.model_dump() if helped.verdict else None,
    }


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
        lines.append(f"- **{line}**" if run.get("error") else f"- {line}")
        lines += [f"  - note: {escape_markdown(note)}" for note in run.get("notes", [])]
    return [*lines, ""]


def render_json(digest: Digest) -> str:
    papers = []
    for rank, item in enumerate(digest.ranked, start=1):
        papers.append(
            {
                "key": item.paper.key,
                "arxiv_id": item.paper.arxiv_id,
                "s2_id": item.paper.s2_id,
                "title": item.paper.title,
                "venue": item.paper.venue,
                "provenance": [p.describe() for p in item.paper.provenance],
                "first_version_date": item.paper.first_version_date.isoformat(),
                "rank": rank,
                "relevance": round(item.relevance, 6),
                "section": item.section,
                "section_probability": round(item.section_probability, 6),
                "section_named": list(item.section_named) if item.section_named else None,
                "section_uncertain": list(item.section_uncertain or []) or None,
                "proposed": item.paper.key in digest.proposed_ids,
                "near_cut": item.paper.key in digest.near_cut_ids,
                "on_list": item.paper.key in digest.on_list,
                "signals": item.signals,
                **({"signal_labels": item.labels} if item.labels else {}),
                "top_terms": item.top_terms,
                "close_to": [{"arxiv_id": a, "similarity": round(s, 4)} for a, s in item.close_to],
                "tags": {d: [[c, p] for c, p in ranked] for d, ranked in item.tags.items()},
                **_assisted_json(digest, item.paper.key),
            }
        )
    document = {
        "digest": digest.name,
        "since": digest.since.isoformat(),
        "until": digest.until.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "models_trained_at": digest.models_trained_at,
        "papers_read": len(digest.ranked),
        "proposed": len(digest.proposed_ids),
        "threshold": round(digest.threshold, 6),
        "held_back": digest.held_back,
        "capped_from": digest.capped_from,
        "assist_model": digest.assist_model,
        "assist_notes": digest.assist_notes,
        "sources": digest.sources,
        "papers": papers,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class StoredDigest:
    """A digest as written: its markdown and its JSON document, both of the same run. The
    one reader the email, the pull request and the web page share, so how digests are
    stored is known here only."""

    name: str
    directory: Path
    markdown: str
    # Every paper of the window, `proposed`, `near_cut`, the threshold. None only for a
    # digest written by hand or by a release before generations, which had no JSON.
    json: dict | None

    @property
    def document(self) -> dict:
        if self.json is None:
            raise LitradarError(
                f"digest {self.name} in {self.directory} has no JSON: run 'litradar digest'"
            )
        return self.json

    @property
    def proposed(self) -> int | None:
        """How many papers it proposes; None when it has no JSON to say."""
        return None if self.json is None else int(self.json["proposed"])


def load(directory: Path, name: str) -> StoredDigest:
    markdown, text = _read_pair(directory, name)
    document = None if text is None else _parse(text, directory, name)
    return StoredDigest(name, directory, markdown, document)


def _parse(text: str, directory: Path, name: str) -> dict:
    """The JSON text of digest `name`, checked to be one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LitradarError(f"digest {name} in {directory} is unreadable: {exc}") from None
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("papers"), list)
        or type(document.get("proposed")) is not int  # a count (bool is an int's subclass)
    ):
        raise LitradarError(f"digest {name} in {directory} is not a litradar digest")
    return document


def digest_names(directory: Path) -> list[str]:
    """Every digest that has its JSON, by name (ISO weeks sort by date)."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name[: -len(".json")]
        for p in directory.glob("*.json")
        if not p.name.startswith(".") and p.is_file()
    )


_DIGEST_NAME = re.compile(r"^[\w.-]+$")


def choose_digest(directory: Path, name: str | None) -> str:
    """A digest's name as given (checked: a name, not a path), or the one written last
    (by modification time: names of custom windows do not sort by date)."""
    if name is not None:
        for suffix in (".md", ".json"):  # the name of one of its files names the digest
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
        if not _DIGEST_NAME.match(name) or name.startswith("."):
            raise LitradarError(f"--digest {name!r} is not a digest name (e.g. 2025-W11)")
        return name
    written = [p for p in directory.glob("*.md") if p.name != "README.md" and p.exists()]
    if not written:
        raise LitradarError(f"no digest in {directory}: run 'litradar digest' first")
    return max(written, key=lambda p: p.stat().st_mtime).stem


# A digest is two files that belong together, so neither may be replaced alone. Each run
# writes both into a new folder under digests/.generations/, and one atomic rename of a
# symbolic link, digests/<name> -> .generations/<that folder>, makes them current.
# digests/<name>.md and .json are links through it, made once: whoever opens them gets
# the current pair, and `load` reads both from the one generation it resolved.
GENERATIONS = ".generations"


def write_digest(digest: Digest, awesome: AwesomeList, directory: Path) -> tuple[Path, Path]:
    return commit_digest(
        directory, digest.name, render_markdown(digest, awesome), render_json(digest)
    )


def commit_digest(directory: Path, name: str, markdown: str, document: str) -> tuple[Path, Path]:
    """Both files of one run become current together, or neither does; what a killed run
    left (a generation never linked, a half-made link) the next one removes. A secret a
    source's error echoed is redacted here too: email and pull requests carry these files."""
    markdown, document = redact(markdown), redact(document)
    generations = directory / GENERATIONS
    generations.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(directory)
    _remove_unlinked_generations(directory)
    _adopt_plain_files(directory, name)
    generation = _new_generation(
        generations, name, {f"{name}.json": document, f"{name}.md": markdown}
    )
    link = directory / name
    previous = os.readlink(link) if link.is_symlink() else None
    faultpoint("digest.before-link")  # the new pair written, the old one still current
    _point(link, f"{GENERATIONS}/{generation.name}")  # the commit
    for suffix in ("md", "json"):
        _point(directory / f"{name}.{suffix}", f"{name}/{name}.{suffix}", only_if_other=True)
    if previous and previous != f"{GENERATIONS}/{generation.name}":
        remove_path(directory / previous)
    return directory / f"{name}.md", directory / f"{name}.json"


def _read_pair(directory: Path, name: str) -> tuple[str, str | None]:
    """A digest's markdown and JSON, both of the same run. JSON is None only for a digest
    written by hand or by a release before generations, which had no JSON beside it."""
    link = directory / name
    for _ in range(5):  # a newer digest may replace the generation between two reads
        if not link.is_symlink():
            break
        folder = directory / os.readlink(link)
        try:
            return (
                (folder / f"{name}.md").read_text(encoding="utf-8"),
                (folder / f"{name}.json").read_text(encoding="utf-8"),
            )
        except FileNotFoundError:
            continue
    md_path, json_path = directory / f"{name}.md", directory / f"{name}.json"
    if not md_path.is_file():
        raise LitradarError(f"no digest {name} in {directory}: run 'litradar digest'")
    document = json_path.read_text(encoding="utf-8") if json_path.is_file() else None
    return md_path.read_text(encoding="utf-8"), document


def _new_generation(generations: Path, name: str, files: dict[str, str]) -> Path:
    """A folder `<name>.<pid>.<random>` holding `files`, written and synced."""
    folder = Path(tempfile.mkdtemp(dir=generations, prefix=f"{name}.{os.getpid()}."))
    for file_name, text in files.items():
        with (folder / file_name).open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    fsync_directory(folder)
    return folder


def _point(link: Path, target: str, only_if_other: bool = False) -> None:
    """Make `link` a symbolic link to `target` in one atomic rename."""
    if only_if_other and link.is_symlink() and os.readlink(link) == target:
        return
    prefix, suffix = temporary_prefix(link.name)
    temporary = link.with_name(f"{prefix}{secrets.token_hex(4)}{suffix}")
    os.symlink(target, temporary)
    os.replace(temporary, link)
    fsync_directory(link.parent)


def _adopt_plain_files(directory: Path, name: str) -> None:
    """A digest written before generations (plain files), or a folder copied without its
    links, becomes a generation first; at every step a reader still finds the old pair."""
    link = directory / name
    if link.is_symlink():
        return
    generations = directory / GENERATIONS
    if link.exists():  # a copy of a generation where the link was: set aside, removed later
        os.rename(link, generations / f"{name}.{os.getpid()}.{secrets.token_hex(4)}")
    plain = {
        f"{name}.{suffix}": directory / f"{name}.{suffix}"
        for suffix in ("md", "json")
        if (directory / f"{name}.{suffix}").is_file()
        and not (directory / f"{name}.{suffix}").is_symlink()
    }
    if not plain:
        return
    texts = {file_name: path.read_text(encoding="utf-8") for file_name, path in plain.items()}
    generation = _new_generation(generations, name, texts)
    _point(link, f"{GENERATIONS}/{generation.name}")
    for file_name in plain:
        _point(directory / file_name, f"{name}/{file_name}")


_GENERATION = re.compile(r"^(?P<name>.+)\.(?P<pid>\d+)\.[\w]+$")


def _remove_unlinked_generations(directory: Path) -> None:
    """Generations no link points to whose writer is gone: a killed run's, or ones set
    aside. (The previous generation of a digest is removed right after its replacement.)"""
    generations = directory / GENERATIONS
    linked = {
        Path(os.readlink(entry)).name
        for entry in directory.iterdir()
        if entry.is_symlink() and os.readlink(entry).startswith(f"{GENERATIONS}/")
    }
    for entry in generations.iterdir():
        match = _GENERATION.match(entry.name)
        if entry.name in linked or not match or process_alive(int(match["pid"])):
            continue
        remove_path(entry)
