"""The list is read from its repository's base branch (a real bare repository on disk): what
the maintainer commits there is what the next `train`, `digest` and `find` see, and a
deleted entry is recorded as a rejection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.curation.awesome_list import ListEntry, entry_for_paper, parse_list, render_entry
from litradar.curation.list_edit import insert_entry
from litradar.curation.list_source import new_run, read_list, shown_url
from litradar.steps.configured_inputs import load_labels
from litradar.storage.store import Store
from tests.conftest import write_config
from tests.fake_github import git, make_remote

runner = CliRunner()
NEW_PAPER = "2503.10602"  # in the demo's week, not on the list


def cli(project: Path, *args: str):
    return runner.invoke(app, [*args, "--config", str(project / "litradar.toml")])


def commit_list(seed: Path, remote: Path, text: str, message: str) -> str:
    """The maintainer edits README.md and pushes it to the list's repository."""
    (seed / "README.md").write_text(text, encoding="utf-8")
    git(seed, "-c", "user.name=M", "-c", "user.email=m@example.org", "commit", "-qam", message)
    git(seed, "push", "--quiet", str(remote), "main")
    return git(seed, "rev-parse", "HEAD").strip()


def without(text: str, entry: ListEntry) -> str:
    """The list with one entry's lines (and the blank line after it) taken out."""
    lines = text.splitlines(keepends=True)
    end = entry.end_line + (1 if lines[entry.end_line].strip() == "" else 0)
    return "".join(lines[: entry.line_no - 1] + lines[end:])


@pytest.fixture
def repo_project(trained_project: Path, tmp_path: Path):
    """A trained demo project whose list lives in a bare repository; the local file is
    left as it was, so any test that sees a change saw the repository."""
    project = tmp_path / "project"
    shutil.copytree(trained_project, project)
    text = (project / "data" / "awesome_list.md").read_text(encoding="utf-8")
    remote = make_remote(tmp_path, text)
    write_config(project, extra=f'[github]\nrepository = "o/list"\ngit_url = "{remote}"\n')
    new_run()
    yield project, remote, tmp_path / "seed", text
    new_run()


def test_an_added_entry_is_seen_by_the_next_train_and_find(repo_project):
    project, remote, seed, text = repo_project
    first = cli(project, "train")
    assert first.exit_code == 0, first.output
    sha = git(seed, "rev-parse", "HEAD").strip()
    assert f"list: {remote} main at {sha[:10]} (fetched now)" in first.output

    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:
        paper = store.get(NEW_PAPER)
    assert paper is not None
    found = cli(project, "find", paper.title, "-k", "3", "--json")
    hit = next(json.loads(line) for line in found.stdout.splitlines() if NEW_PAPER in line)
    assert hit["on_list"] is False

    awesome = parse_list(text)
    added = commit_list(
        seed, remote, insert_entry(text, entry_for_paper(paper, awesome.section_path("Logit Lens"))),
        "add a paper",
    )  # fmt: skip
    again = cli(project, "train")
    assert again.exit_code == 0, again.output
    assert "models up to date" not in again.output  # the list changed: it retrained
    assert f"at {added[:10]} (fetched now)" in again.output
    labels, _ = load_labels(config)
    assert NEW_PAPER in labels.on_list and labels.section[NEW_PAPER] == "Logit Lens"

    found = cli(project, "find", paper.title, "-k", "3", "--json")
    assert found.exit_code == 0, found.output
    hit = next(json.loads(line) for line in found.stdout.splitlines() if NEW_PAPER in line)
    assert hit["on_list"] is True
    # The local file was never touched: the repository was read.
    assert NEW_PAPER not in (project / "data" / "awesome_list.md").read_text(encoding="utf-8")


def test_a_moved_entry_changes_its_section_and_a_removed_one_is_a_rejection(repo_project):
    project, remote, seed, text = repo_project
    config = load_config(project / "litradar.toml", environ={})
    awesome = parse_list(text)
    logit = [e for e in awesome.papers if e.section_name == "Logit Lens"]
    moved, removed = logit[0], logit[1]
    assert moved.arxiv_id and removed.arxiv_id
    # The maintainer once accepted `moved` into Logit Lens (a merged pull request).
    with Store.open(config.store_path) as store:
        store.set_label(moved.arxiv_id, True, "Logit Lens", "pull request #1 (2025-W10, merged)")
    assert cli(project, "train").exit_code == 0  # reads the first commit: the mark

    edited = without(without(text, removed), moved)
    target = parse_list(text).section_path("Causal Tracing")
    edited = insert_entry(edited, ListEntry(**{**moved.__dict__, "section": target}))
    assert render_entry(moved) in edited
    sha = commit_list(seed, remote, edited, "move one entry, delete another")

    result = cli(project, "train")
    assert result.exit_code == 0, result.output
    assert f"list: {removed.arxiv_id} removed: rejected" in result.output
    decisions = {d["key"]: d for d in Store.open(config.store_path).labels()}
    assert decisions[removed.arxiv_id]["relevant"] is False
    assert decisions[removed.arxiv_id]["origin"] == f"removed from the list at {sha[:10]}"
    # The stored acceptance said Logit Lens; the list now says Causal Tracing, and wins.
    assert decisions[moved.arxiv_id]["section"] == "Causal Tracing"
    labels, _ = load_labels(config)
    assert labels.section[moved.arxiv_id] == "Causal Tracing"
    assert removed.arxiv_id in labels.rejected and removed.arxiv_id not in labels.relevant

    # A re-run records nothing twice: the mark is at the new commit.
    before = Store.open(config.store_path).labels()
    assert cli(project, "train").exit_code == 0
    assert Store.open(config.store_path).labels() == before


def test_offline_the_last_fetch_then_the_local_file(repo_project):
    project, remote, seed, _ = repo_project
    assert cli(project, "train").exit_code == 0  # the clone exists from here on
    sha = git(seed, "rev-parse", "HEAD").strip()
    gone = remote.with_name("gone.git")
    remote.rename(gone)
    result = cli(project, "train")
    assert result.exit_code == 0, result.output
    assert f"at {sha[:10]} (last fetched; cannot fetch: git fetch failed: fatal:" in result.output
    assert "and the repository exists" not in result.output  # git's advice, not its cause

    shutil.rmtree(project / "index" / "list-repo")
    result = cli(project, "train")
    assert result.exit_code == 0, result.output
    assert "awesome_list.md (local file; cannot fetch: git fetch failed" in result.output


def test_a_list_file_missing_on_the_branch_is_one_line(repo_project):
    project, *_ = repo_project
    config = load_config(
        project / "litradar.toml", environ={"LITRADAR_GITHUB__LIST_FILE": "LIST.md"}
    )
    with pytest.raises(Exception, match=r"LIST.md is not on branch main of .*list_file"):
        read_list(config)
    found = runner.invoke(  # find goes on without the list, and says so
        app, ["find", "sparse autoencoder", "-k", "2", "--config", str(project / "litradar.toml")],
        env={"LITRADAR_GITHUB__LIST_FILE": "LIST.md"},
    )
    assert found.exit_code == 0, found.output
    assert "list: none read (LIST.md is not on branch main of" in found.output


def test_a_base_branch_gone_upstream_is_one_line_not_the_stale_local_file(repo_project):
    """The maintainer renamed main: `train` and `digest` read the local file (months old,
    maybe) with a note on stderr and exit 0; `propose` already refused."""
    project, remote, _seed, _ = repo_project
    assert cli(project, "train").exit_code == 0
    git(remote, "branch", "-m", "main", "trunk")
    new_run()
    result = cli(project, "train", "--force")
    assert result.exit_code == 1, result.output
    assert "has no branch 'main' ([github] base)" in result.output
    assert "Traceback" not in result.output


def test_credentials_in_a_remote_url_are_not_shown():
    assert shown_url("https://x:ghp_secret@github.com/o/l.git") == "https://github.com/o/l.git"
    assert shown_url("/srv/git/list.git") == "/srv/git/list.git"


def test_credentials_in_a_remote_url_are_sent_as_a_header_and_never_stored(tmp_path: Path):
    """git keeps a remote's URL in .git/config as given: the password must not be in it."""
    import base64
    import subprocess

    from litradar.curation.git_repo import GitError, ListRepo
    from tests.smtp_server import free_port

    secret = "ghp_URL_only_TOKEN_9876"
    url = f"https://x-access-token:{secret}@127.0.0.1:{free_port()}/maint/list.git"
    repo = ListRepo(tmp_path / "clone", url)
    with pytest.raises(GitError) as failed:  # nothing listens there
        repo.sync()
    assert secret not in str(failed.value)
    stored = subprocess.run(["git", "-C", str(tmp_path / "clone"), "config", "--list"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert secret not in stored and "remote.origin.url=https://127.0.0.1:" in stored
    header = base64.b64encode(f"x-access-token:{secret}".encode()).decode()
    assert repo._env()["GIT_CONFIG_VALUE_0"] == f"Authorization: Basic {header}"
    # A clone made before keeps the URL it was given until the next sync rewrites it.
    subprocess.run(["git", "-C", str(tmp_path / "clone"), "remote", "set-url", "origin", url],
                   check=True)  # fmt: skip
    with pytest.raises(GitError):
        ListRepo(tmp_path / "clone", url).sync()
    assert secret not in (tmp_path / "clone" / ".git" / "config").read_text()
