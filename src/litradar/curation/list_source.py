"""Where the list is read from: the base branch of its repository when `[github]` names one,
the local file `[paths] list` otherwise (and as the offline fallback).

The maintainer edits the list in its repository: merges litradar's pull requests, moves an
entry, deletes another. A local copy goes stale the moment that happens, and then `find`
calls merged papers "not on the list" and `train` learns from the old list. So every command
that reads the list reads it here, from the clone `propose` keeps under the data folder,
fetched once per run (`new_run` starts a run; the web page calls `refresh_every` to
refetch now and then), and says in one line which list it used and at which commit.

Changes between the commit read last time (kept as the store's `list` watermark) and this
one are the maintainer's decisions too: an entry deleted from the list is recorded as a
rejection, and a paper whose stored decision the list now contradicts (re-added, moved to
another section) gets the list's word as its latest decision.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from litradar.config import Config
from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError
from litradar.curation.awesome_list import AwesomeList, load_list, parse_list
from litradar.curation.git_repo import ListRepo
from litradar.curation.list_match import match_entries
from litradar.storage.store import Store

log = logging.getLogger("litradar.list")

CLONE_FOLDER = "list-repo"
WATERMARK = "list"  # the store's watermark: the list commit whose changes were last recorded

_lock = threading.Lock()
_fetched: dict[Path, float] = {}  # clone folder -> when this run fetched it (monotonic)
_reads: dict[tuple, tuple[float, ListRead]] = {}
_announced: set[str] = set()
_max_age: list[float | None] = [None]  # a long-lived process refetches after this long


def refresh_every(seconds: float | None) -> None:
    """For a long-lived process (the web page): a read refetches the list once the last
    fetch is this old, instead of once per run."""
    _max_age[0] = seconds


@dataclass(frozen=True)
class ListRead:
    """The list as one command read it, and from where."""

    awesome: AwesomeList
    text: str
    source: str  # "repository" (fetched now), "clone" (fetch failed: last fetched), "file"
    where: str  # the repository (credentials removed) and branch, or the file's path
    commit: str | None = None  # the base branch's commit, for "repository" and "clone"
    note: str | None = None  # why the repository was not read fresh

    def describe(self) -> str:
        """The one line that says which list was used."""
        if self.source == "file":
            why = f"; {self.note}" if self.note else ""
            return f"list: {self.where} (local file{why})"
        state = "fetched now" if self.source == "repository" else f"last fetched; {self.note}"
        return f"list: {self.where} at {(self.commit or '')[:10]} ({state})"


def new_run() -> None:
    """Forget this process's fetch: the next read fetches again. Each command starts one."""
    with _lock:
        _fetched.clear()
        _reads.clear()
        _announced.clear()


def repository_configured(config: Config) -> bool:
    """`[github] repository` or `git_url` names where the list lives."""
    return bool(config.github.repository or config.github.git_url)


def shown_url(url: str) -> str:
    """A remote URL fit for a log line: any user and password in it removed."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return url


def clone_of(config: Config) -> ListRepo:
    """The working clone of the list's repository under the data folder (not fetched)."""
    gh = config.github
    token = os.environ.get(gh.token_env) or None
    return ListRepo(
        config.data_dir / CLONE_FOLDER, gh.clone_url, token, (gh.author_name, gh.author_email)
    )


def fetched_clone(config: Config, max_age: float | None = None) -> ListRepo:
    """The clone, fetched once per run (or again once `max_age` seconds old); a failed fetch
    raises and is tried again by the next caller."""
    repo = clone_of(config)
    with _lock:
        when = _fetched.get(repo.workdir)
        if when is None or (max_age is not None and time.monotonic() - when > max_age):
            repo.sync()
            _fetched[repo.workdir] = time.monotonic()
    return repo


def read_list(config: Config, max_age: float | None = None, record: bool = False) -> ListRead:
    """The list every command uses, each entry matched to its stored paper (see
    litradar.curation.list_match). With `record`, the changes since the commit read last are stored
    as the maintainer's decisions first (train and digest do; find does not write). An
    unreadable repository falls back to the clone's last fetch, then to the local file; a
    list without arXiv entries is an error either way."""
    key = (config.data_dir, config.github.clone_url, config.github.base,
           config.github.list_file, config.list_path, repository_configured(config))  # fmt: skip
    max_age = _max_age[0] if max_age is None else max_age
    with _lock:
        cached = _reads.get(key)
    if cached is not None and cached[1].source == "file":
        cached = None  # a file is cheap to read, and an edit to it must be seen at once
    if cached is not None and (max_age is None or time.monotonic() - cached[0] <= max_age):
        read = cached[1]
    else:
        read = _read(config, max_age)
        with _lock:
            _reads[key] = (time.monotonic(), read)
    with _lock:  # the line only where there is a choice: a repository is configured
        first = repository_configured(config) and read.describe() not in _announced
        _announced.add(read.describe())
    if first:
        log.info(read.describe())
    if not config.store_path.is_file():  # arXiv links still name their papers
        return replace(read, awesome=match_entries(read.awesome, None))
    if record and read.commit:
        record_changes(config, read)
    with Store.open(config.store_path) as store:
        return replace(read, awesome=match_entries(read.awesome, store))


def _read(config: Config, max_age: float | None) -> ListRead:
    if not repository_configured(config):
        return _from_file(config, None)
    gh = config.github
    where = f"{shown_url(gh.clone_url)} {gh.base}"
    note = None
    if not config.data_dir.is_dir():
        # Only `ingest` creates the data folder (a mistyped data_dir must not start one).
        return _from_file(config, "no data folder yet to keep the repository's clone in")
    try:
        repo = fetched_clone(config, max_age)
        source = "repository"
    except LitradarError as exc:
        repo, source, note = clone_of(config), "clone", f"cannot fetch: {exc}"
    if source == "repository" and not repo.has_branch(gh.base):
        # Fetched, and the branch is gone (renamed upstream): the local file may be months
        # old, and `train` would learn from it; as a missing list file, an error.
        raise LitradarError(
            f"the list repository {shown_url(gh.clone_url)} has no branch '{gh.base}' "
            "([github] base)"
        )
    if not (repo.workdir / ".git").is_dir() or not repo.has_branch(gh.base):
        return _from_file(config, note or f"the repository has no branch '{gh.base}'")
    try:
        text = repo.read(gh.base, gh.list_file)
    except LitradarError:
        raise LitradarError(
            f"{gh.list_file} is not on branch {gh.base} of {shown_url(gh.clone_url)} "
            "([github] list_file)"
        ) from None
    awesome = parse_list(text)
    if not awesome.papers:
        raise LitradarError(
            f"{gh.list_file} on {where}: no paper entries with an arXiv link found in this list"
        )
    commit = repo.git("rev-parse", f"refs/remotes/origin/{gh.base}").stdout.strip()
    return ListRead(awesome, text, source, where, commit, note)


def _from_file(config: Config, note: str | None) -> ListRead:
    try:
        awesome = load_list(config.list_path)
    except LitradarError as exc:
        if note is None:
            raise
        raise LitradarError(f"{exc} (and the list's repository was not read: {note})") from None
    return ListRead(awesome, read_text(config.list_path), "file", str(config.list_path), note=note)


def _keys(awesome: AwesomeList, store: Store) -> dict[str, str]:
    """Paper key -> section, for every entry matched to a paper."""
    return {e.key: e.section_name for e in match_entries(awesome, store).papers if e.key}


def record_changes(config: Config, read: ListRead) -> dict[str, str]:
    """Store what changed on the list since the commit last recorded: a deleted entry is a
    rejection; an entry whose stored decision the list now contradicts (re-added after a
    rejection, moved to another section) takes the list's section. The first commit read
    only sets the mark. Returns key -> what was recorded."""
    gh = config.github
    assert read.commit is not None
    changes: dict[str, str] = {}
    with Store.open(config.store_path) as store:
        previous = store.watermark(WATERMARK)
        if previous == read.commit:
            return changes
        old: dict[str, str] | None = None
        if previous:
            try:
                old_text = clone_of(config).read_commit(previous, gh.list_file)
                old = _keys(parse_list(old_text), store)
            except LitradarError as exc:  # the old commit was force-pushed away
                log.info(f"list: cannot compare with {previous[:10]} ({exc}); starting afresh")
        if old is not None:
            new = _keys(read.awesome, store)
            decisions = {d["key"]: d for d in store.labels()}
            at = f"the list at {read.commit[:10]}"
            for key in sorted(set(old) - set(new)):
                store.set_label(key, False, None, f"removed from {at}")
                changes[key] = "removed: rejected"
            for key, section in sorted(new.items()):
                decision = decisions.get(key)
                if old.get(key) == section or decision is None:
                    continue  # unchanged here, or the list alone speaks for it
                if not decision["relevant"] or decision["section"] != section:
                    store.set_label(key, True, section, f"on {at}")
                    changes[key] = f"on the list in {section}"
        store.set_watermark(WATERMARK, read.commit)
    for key, what in changes.items():
        log.info(f"list: {key} {what}")
    return changes
