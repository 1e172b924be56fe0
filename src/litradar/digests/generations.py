"""Digests on disk: both files of a run (markdown and JSON) become current together, as
one generation; the one reader the email, the pull request and the page share."""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from litradar.core.atomic_files import (
    faultpoint,
    fsync_directory,
    process_alive,
    remove_path,
    remove_stale_temporaries,
    temporary_prefix,
)
from litradar.core.errors import LitradarError, redact
from litradar.curation.awesome_list import (
    AwesomeList,
)
from litradar.digests.digest import Digest
from litradar.digests.json_document import render_json
from litradar.digests.json_schema import digest_json_problem
from litradar.digests.markdown import render_markdown


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


# The digest loaded last, by its generation (whose files never change once linked): the
# page loads the same week on every view and every decision, and a backfill's window is
# tens of MB of JSON to parse and check. One only: each holds a whole window's papers.
_last_loaded: dict[tuple[Path, str], tuple[str, StoredDigest]] = {}
_last_loaded_lock = threading.Lock()


def load(directory: Path, name: str) -> StoredDigest:
    generation = generation_of(directory, name)
    key = (directory.resolve(), name)
    with _last_loaded_lock:
        cached = _last_loaded.get(key)
    if generation is not None and cached is not None and cached[0] == generation:
        return cached[1]
    stored = _load(directory, name)
    if generation is not None and generation_of(directory, name) == generation:
        with _last_loaded_lock:  # read from that generation: kept for the next load
            _last_loaded.clear()
            _last_loaded[key] = (generation, stored)
    return stored


def _load(directory: Path, name: str) -> StoredDigest:
    markdown, text = _decoded_pair(directory, name)
    document = None if text is None else _parse(text, directory, name)
    return StoredDigest(name, directory, markdown, document)


def _decoded_pair(directory: Path, name: str) -> tuple[str, str | None]:
    """`_read_pair`, a file that is not UTF-8 said in one line."""
    try:
        return _read_pair(directory, name)
    except UnicodeDecodeError as exc:
        raise LitradarError(
            f"digest {name} in {directory} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def _json_object(text: str, directory: Path, name: str) -> dict:
    """The JSON text of digest `name` as an object, or one line saying why it is none."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise LitradarError(f"digest {name} in {directory} is unreadable: {exc}") from None
    if not isinstance(document, dict):
        raise LitradarError(f"digest {name} in {directory} is not a litradar digest")
    return document


def _parse(text: str, directory: Path, name: str) -> dict:
    """The JSON text of digest `name`, checked to be one."""
    document = _json_object(text, directory, name)
    problem = digest_json_problem(text)
    if problem is not None:
        raise LitradarError(f"digest {name} in {directory} is not a litradar digest: {problem}")
    return document


def counts(directory: Path, name: str) -> tuple[int, int]:
    """Papers read and proposed, the charts' two figures. Read without the schema `load`
    checks: digests of every release have both, while those written before 2026-11-23
    lack fields the page needs (`key`, `near_cut`) and would drop out of the charts."""
    _, text = _decoded_pair(directory, name)
    if text is None:
        raise LitradarError(f"digest {name} in {directory} is not a litradar digest")
    document = _json_object(text, directory, name)
    papers = document.get("papers")
    if not isinstance(papers, list) or type(document.get("proposed")) is not int:
        raise LitradarError(f"digest {name} in {directory} is not a litradar digest")
    read = document.get("papers_read", len(papers))
    if type(read) is not int:
        raise LitradarError(f"digest {name} in {directory}: papers_read is not a number")
    return read, document["proposed"]


def digest_names(directory: Path) -> list[str]:
    """Every digest that has its JSON, by name (ISO weeks sort by date)."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name[: -len(".json")]
        for p in directory.glob("*.json")
        if not p.name.startswith(".") and p.is_file()
    )


# What litradar names a digest: an ISO week (2025-W11) or a window (2025-03-10_2025-03-17).
# No dot: "2025-W11.md.md" is not a name whose file was given, and no path or overlong
# name reaches the file system (the page passes what a visitor typed).
_DIGEST_NAME = re.compile(r"[\w-]{1,100}")


def choose_digest(directory: Path, name: str | None) -> str:
    """A digest's name as given (checked: a name, not a path), or the one written last
    (by modification time: names of custom windows do not sort by date)."""
    if name is not None:
        for suffix in (".md", ".json"):  # the name of one of its files names the digest
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
        if not _DIGEST_NAME.fullmatch(name) or name == "README":  # the folder's readme
            shown = name if len(name) <= 60 else f"{name[:60]}..."
            raise LitradarError(f"{shown!r} is not a digest name (e.g. 2025-W11)")
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


def generation_of(directory: Path, name: str) -> str | None:
    """The generation folder digest `name` is now (its files never change once linked: a
    new run writes a new folder), or None for a digest outside generations."""
    try:
        return os.readlink(directory / name)
    except OSError:
        return None


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
