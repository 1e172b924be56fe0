"""The arXiv bulk-metadata snapshot format (one JSON object per line) as a source of papers.

A source only reads: it yields papers and problems, and the store decides what to keep.
A bad line is a problem report with its line number, never the end of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

from litradar.awesome_list import code_link
from litradar.errors import LitradarError
from litradar.paper import Paper, Provenance, collapse_whitespace, is_arxiv_id, split_version


@dataclass(frozen=True)
class LineProblem:
    path: Path
    line_no: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.reason}"


def _authors(record: dict) -> tuple[str, ...]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for part in parsed:
            if isinstance(part, list) and part:
                last, first = part[0], part[1] if len(part) > 1 else ""
                names.append(collapse_whitespace(f"{first} {last}"))
        if names:
            return tuple(names)
    raw = record.get("authors") or ""
    raw = raw.replace(" and ", ", ")
    return tuple(a for a in (collapse_whitespace(x) for x in raw.split(",")) if a)


def _first_version(record: dict) -> tuple[date, int]:
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        raise ValueError("no 'versions'")
    first = versions[0]
    created = first.get("created") if isinstance(first, dict) else None
    if not created:
        raise ValueError("first version has no 'created' date")
    try:
        first_date = parsedate_to_datetime(created).date()
    except (TypeError, ValueError):
        raise ValueError(f"unreadable version date {created!r}") from None
    return first_date, len(versions)


def parse_record(record: object, file_name: str = "") -> Paper:
    """One bulk-metadata object to a Paper; ValueError names what is wrong."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not is_arxiv_id(raw_id):
        raise ValueError(f"missing or malformed arXiv 'id': {raw_id!r}")
    arxiv_id, _ = split_version(raw_id)
    title = collapse_whitespace(str(record.get("title") or ""))
    abstract = collapse_whitespace(str(record.get("abstract") or ""))
    if not title:
        raise ValueError(f"{arxiv_id}: empty 'title'")
    first_date, n_versions = _first_version(record)
    categories = tuple(str(record.get("categories") or "").split())
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=_authors(record),
        first_version_date=first_date,
        version=n_versions,
        categories=categories,
        doi=record.get("doi") or None,
        comments=record.get("comments") or None,
        code_url=code_link(record.get("comments"), abstract),
        source="file",
        provenance=(Provenance("file", file_name),),
    )


def read_jsonl(path: Path) -> Iterator[Paper | LineProblem]:
    """Yield a Paper per good line and a LineProblem per bad one, in file order."""
    if not path.is_file():
        raise LitradarError(f"no such file: {path}")
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield LineProblem(path, line_no, f"malformed JSON ({exc.msg})")
                continue
            try:
                yield parse_record(record, path.name)
            except ValueError as exc:
                yield LineProblem(path, line_no, str(exc))
