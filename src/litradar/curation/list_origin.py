"""Where a new list comes from, for `litradar init LIST`: a file, a folder holding its
README, or a git repository (a URL or a path), cloned once into a temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError
from litradar.curation.list_source import shown_url

_GITHUB = re.compile(r"github\.com[/:](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class ListOrigin:
    """The list's text, and what the config needs to read it again."""

    text: str
    shown: str  # what the user gave, for messages
    file: Path | None  # the local file, when the list is one
    git_url: str | None = None  # the repository, when the list was cloned
    base: str | None = None  # its default branch
    list_file: str = "README.md"

    @property
    def repository(self) -> str:
        """'owner/name' for a GitHub URL, else '' (any other remote is `git_url` alone)."""
        match = _GITHUB.search(self.git_url or "")
        return match["repo"] if match else ""


def _looks_remote(source: str) -> bool:
    return "://" in source or source.startswith("git@") or source.endswith(".git")


def is_local(source: str, list_file: str = "README.md") -> bool:
    """Whether read_origin reads `source` where it is (a file, or a folder holding
    `list_file`) rather than cloning it: a clone's list is copied beside the config."""
    path = Path(source).expanduser()
    return path.is_file() or (path.is_dir() and (path / list_file).is_file())


def read_origin(source: str, workdir: Path, list_file: str = "README.md") -> ListOrigin:
    """The list named by `source`. A path that is a file is the list; a folder with
    `list_file` in it holds it; anything else that git can clone (a URL, a bare
    repository) is cloned shallowly into `workdir` and its `list_file` read. A user and
    password in the URL are used to clone, never shown nor written into the config (the
    token comes from `[github] token_env` when litradar reads the list again)."""
    path = Path(source).expanduser()
    if path.is_file():
        return ListOrigin(read_text(path), source, path.resolve())
    if path.is_dir() and (path / list_file).is_file():
        return ListOrigin(read_text(path / list_file), source, (path / list_file).resolve())
    if not path.exists() and not _looks_remote(source):
        raise LitradarError(f"no such list: {source} (a file, a folder or a git URL)")
    bare = (path / "HEAD").is_file() and (path / "objects").is_dir()
    if path.is_dir() and not (path / ".git").exists() and not bare:
        # A folder that is no repository: git's "repository does not exist" misleads.
        raise LitradarError(
            f"{source} has no {list_file} (the list file; --list-file names it) and is not "
            "a git repository"
        )
    clone = workdir / "list"
    url = str(path.resolve()) if path.exists() else source
    done = subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--", url, str(clone)],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},  # never wait for a password
    )  # fmt: skip
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        why = why.removeprefix("fatal: ").replace(source, shown_url(source))
        raise LitradarError(f"cannot clone {shown_url(source)}: {why}")
    if not (clone / list_file).is_file():
        raise LitradarError(
            f"{shown_url(source)} has no {list_file} (the list file; --list-file names it)"
        )
    branch = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--abbrev-ref", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return ListOrigin(
        read_text(clone / list_file), shown_url(source), None, shown_url(url), branch or "main",
        list_file,
    )  # fmt: skip
