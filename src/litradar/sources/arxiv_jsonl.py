"""The arXiv bulk-metadata snapshot format (one JSON object per line) as a source of papers.

A source only reads: it yields papers and problems, and the store decides what to keep.
A bad line is a problem report with its line number, never the end of the file.
Registered as the file format "file" (litradar.sources.registry).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from litradar.core.errors import LitradarError
from litradar.core.paper import (
    Paper,
    Provenance,
    code_link,
    collapse_whitespace,
    email_date,
    has_visible_text,
    is_arxiv_id,
    json_kind,
    split_version,
)

if TYPE_CHECKING:
    from litradar.config import Config


@dataclass(frozen=True)
class LineProblem:
    path: Path
    line_no: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.reason}"


def _text(record: dict, key: str) -> str | None:
    """A field that must be a string (or absent, or null); any other type is a problem."""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"'{key}' is {json_kind(value)}, not text")


def _authors(record: dict) -> tuple[str, ...]:
    raw = (_text(record, "authors") or "").replace(" and ", ", ")
    parsed = record.get("authors_parsed")
    if parsed is not None and not isinstance(parsed, list):
        raise ValueError(f"'authors_parsed' is {json_kind(parsed)}, not a list")
    names = []
    for part in parsed or []:
        if not isinstance(part, list) or not all(isinstance(p, str) for p in part):
            odd = (
                part
                if not isinstance(part, list)
                else next(p for p in part if not isinstance(p, str))
            )
            raise ValueError(f"'authors_parsed' holds {json_kind(odd)}, not a list of names")
        if part:
            last, first = part[0], part[1] if len(part) > 1 else ""
            names.append(collapse_whitespace(f"{first} {last}"))
    if names:
        return tuple(n for n in names if n)
    return tuple(a for a in (collapse_whitespace(x) for x in raw.split(",")) if a)


def _first_version(record: dict) -> tuple[date, int]:
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        raise ValueError("no 'versions'")
    for number, version in enumerate(versions, start=1):
        if not isinstance(version, dict):
            raise ValueError(f"version {number} is {json_kind(version)}, not an object")
    created = versions[0].get("created")
    if created is None or created == "":
        raise ValueError("first version has no 'created' date")
    if not isinstance(created, str):
        raise ValueError(f"'created' is {json_kind(created)}, not a date like arXiv's")
    return email_date(created, "version date"), len(versions)


def parse_record(record: object, file_name: str = "") -> Paper:
    """One bulk-metadata object to a Paper; ValueError names what is wrong. Nothing is
    coerced: a field of the wrong type is a problem with the record."""
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object but {json_kind(record)}")
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not is_arxiv_id(raw_id):
        raise ValueError(f"missing or malformed arXiv 'id': {raw_id!r}"[:200])
    arxiv_id, _ = split_version(raw_id)
    title = collapse_whitespace(_text(record, "title") or "")
    abstract = collapse_whitespace(_text(record, "abstract") or "")
    if not has_visible_text(title):
        raise ValueError(f"{arxiv_id}: empty 'title'")
    categories = tuple((_text(record, "categories") or "").split())
    doi, comments = _text(record, "doi"), _text(record, "comments")
    first_date, n_versions = _first_version(record)
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=_authors(record),
        first_version_date=first_date,
        version=n_versions,
        categories=categories,
        doi=doi or None,
        comments=comments or None,
        code_url=code_link(comments, abstract),
        source="file",
        provenance=(Provenance("file", file_name),),
    )


def _decode(raw: bytes) -> str:
    """A line as UTF-8; a byte that is not is a problem, not a silent U+FFFD."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        ) from None


def _load_json(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError("malformed JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise ValueError(f"malformed JSON ({exc})") from None


def parse_line(raw: bytes, name: str) -> Paper:
    """One line of the snapshot format; a ValueError that says what is wrong with it (not
    UTF-8, malformed or too deeply nested JSON, a field of the wrong type)."""
    return parse_record(_load_json(_decode(raw)), name)


def not_a_file(path: Path) -> str:
    """Why `path` cannot be read as a file of papers, in words that fit the case."""
    if path.is_dir():
        return f"{path} is a folder, not a file of papers"
    if path.exists():
        return f"{path} is not a regular file"
    return f"no such file: {path}"


def read_jsonl(path: Path) -> Iterator[Paper | LineProblem]:
    """Yield a Paper per good line and a LineProblem per bad one, in file order."""
    if not path.is_file():
        raise LitradarError(not_a_file(path))
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a BOM, as some editors save UTF-8
            if not raw.strip():
                continue
            try:
                yield parse_line(raw, path.name)
            except ValueError as exc:
                yield LineProblem(path, line_no, str(exc))


class JsonLinesFile:
    """A bulk-metadata file as a source: pages of its good lines, and a note
    ("file:line: reason") per bad line, in file order."""

    # Its records are arXiv's own; the endings it reads (any other ending no format
    # claims is read by it too: litradar.sources.registry.DEFAULT_FILE_FORMAT).
    arxiv_records: ClassVar[bool] = True
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".json")

    page_size = 1000

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.notes: list[str] = []

    @classmethod
    def from_config(cls, config: Config, path: Path) -> JsonLinesFile:
        return cls(path)

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """The whole file, whatever the window: a file holds what it holds."""
        page: list[Paper] = []
        for item in read_jsonl(self.path):
            if isinstance(item, LineProblem):
                self.notes.append(str(item))
            else:
                page.append(item)
            if len(page) == self.page_size:
                yield page
                page = []
        if page:
            yield page
