"""`litradar init --github-actions`: run litradar from the list's own repository.

A maintainer without a server runs the weekly flow on GitHub Actions. The store (papers,
embeddings, the maintainer's decisions, watermarks, what was sent and proposed), the
index, the models and the digests must outlive the runner, and they are kept on a data
branch of the list's repository, not in the Actions cache:

- the cache is evicted after 7 days without use, and a weekly schedule uses it every 7
  days: one late run (GitHub delays scheduled runs under load) and the store is gone,
  with it the decisions `train` learns from and the record of what was already proposed
  and mailed (a re-run would mail and propose again);
- a cache entry cannot be overwritten (each run would need a new key and the restore a
  prefix match), and it is invisible to the maintainer, while a branch can be looked at,
  downloaded, rolled back, and read by `litradar` on a laptop (`git archive`);
- the branch holds one commit, replaced each run (`git commit-tree` of the folder,
  force-pushed), so the repository does not grow with every week's SQLite file.

Its limit is GitHub's: a file of 100 MB at most, far above a list's weekly store (a
backfill of millions of papers belongs on a machine of its own, with `litradar serve`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.curation.list_source import CLONE_FOLDER

WORKFLOW_PATH = Path(".github/workflows/litradar.yml")
DATA_BRANCH = "litradar-data"

# Every `run:` step is plain bash over git and litradar, so tests/test_scaffold.py runs
# the same steps, with the same environment, against a bare repository and a fake GitHub.
WORKFLOW = """\
# litradar's weekly run, on GitHub Actions (written by `litradar init --github-actions`).
# It reads new papers, writes the week's digest, emails it when [email] is enabled, and
# opens the pull request against this repository with the workflow's own token.
# Its store lives on the branch {data_branch} (one commit, replaced each run).
name: litradar

on:
  schedule:
    - cron: {cron}
  workflow_dispatch:
    inputs:
      args:
        description: "extra arguments for litradar run (e.g. --since 2025-03-10)"
        required: false
        default: ""

permissions:
  contents: write        # push the pull request's branch and the data branch
  pull-requests: write   # open and update the pull request

concurrency:
  group: litradar        # one run at a time: the store is one SQLite file
  cancel-in-progress: false

env:
  LITRADAR_CONFIG: {config}
  LITRADAR_DATA: {data}
  LITRADAR_DATA_BRANCH: {data_branch}
  LITRADAR_RUN_ARGS: ${{{{ inputs.args }}}}
  # The list is read from, and proposed to, this repository.
  LITRADAR_GITHUB__ENABLED: "true"
  LITRADAR_GITHUB__REPOSITORY: ${{{{ github.repository }}}}
  LITRADAR_GITHUB__API_URL: ${{{{ github.api_url }}}}
  LITRADAR_GITHUB__GIT_URL: ${{{{ github.server_url }}}}/${{{{ github.repository }}}}.git
  LITRADAR_GITHUB__BASE: ${{{{ github.event.repository.default_branch }}}}
  {token_env}: ${{{{ secrets.GITHUB_TOKEN }}}}
  # Set these as repository secrets when [email], the s2 source or [llm] is used.
{secret_lines}
  GIT_AUTHOR_NAME: litradar
  GIT_AUTHOR_EMAIL: litradar@users.noreply.github.com
  GIT_COMMITTER_NAME: litradar
  GIT_COMMITTER_EMAIL: litradar@users.noreply.github.com

jobs:
  weekly:
    runs-on: ubuntu-latest
    timeout-minutes: 120
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - id: install
        name: Install litradar (torch's CPU build first)
        run: |
          pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
          pip install "{package}"
      - id: restore
        name: Restore the store from the data branch
        run: |
          if git ls-remote --exit-code --heads origin "$LITRADAR_DATA_BRANCH" > /dev/null; then
            git fetch --quiet --depth=1 origin \\
              "+refs/heads/$LITRADAR_DATA_BRANCH:refs/remotes/origin/$LITRADAR_DATA_BRANCH"
            mkdir -p "$LITRADAR_DATA"
            git archive "refs/remotes/origin/$LITRADAR_DATA_BRANCH" | tar -x -C "$LITRADAR_DATA"
            echo "store restored from $LITRADAR_DATA_BRANCH"
          else
            mkdir -p "$LITRADAR_DATA"
            echo "no branch $LITRADAR_DATA_BRANCH yet: a first run starts a new store"
          fi
      - id: run
        name: litradar run (ingest, index, train, digest, email, pull request)
        run: litradar run --config "$LITRADAR_CONFIG" $LITRADAR_RUN_ARGS
      - id: save
        name: Save the store to the data branch
        if: ${{{{ !cancelled() && steps.restore.outcome == 'success' }}}}
        run: |
          if [ ! -d "$LITRADAR_DATA" ]; then echo "nothing to save"; exit 0; fi
          export GIT_INDEX_FILE="$RUNNER_TEMP/litradar-data.index"
          rm -f "$GIT_INDEX_FILE"
          # The list's clone is this repository again: not saved.
          git --work-tree="$LITRADAR_DATA" add --all --force -- . ':!{clone}'
          tree=$(git --work-tree="$LITRADAR_DATA" write-tree)
          commit=$(git commit-tree "$tree" -m "litradar data after run $GITHUB_RUN_ID")
          git push --quiet --force origin "$commit:refs/heads/$LITRADAR_DATA_BRANCH"
          echo "store saved to $LITRADAR_DATA_BRANCH"
"""


def render_workflow(
    config: str = ".litradar/litradar.toml",
    data: str = ".litradar/data",
    clone: str = "index/list-repo",
    cron: str = "0 7 * * 1",
    package: str = "litradar",
    token_env: str = "GITHUB_TOKEN",
    secret_envs: tuple[str, ...] = ("LITRADAR_SMTP_PASSWORD", "S2_API_KEY", "LITRADAR_LLM_API_KEY"),
) -> str:
    """The workflow for a config at `config` whose data folders all lie under `data`
    (both relative to the repository's root); `clone` is the list's clone inside `data`.
    `token_env` gets the run's own GitHub token, each of `secret_envs` the repository
    secret of its name: the variables the config reads its secrets from."""
    # Values a YAML reader would take apart ("cfg #x" is "cfg" and a comment) are written
    # as JSON strings, which YAML reads as double-quoted strings.
    secret_lines = "\n".join(
        f"  {name}: ${{{{ secrets.{name} }}}}" for name in dict.fromkeys(secret_envs)
    )
    return WORKFLOW.format(
        config=json.dumps(config), data=json.dumps(data), clone=clone, cron=json.dumps(cron),
        package=package, data_branch=DATA_BRANCH, token_env=token_env,
        secret_lines=secret_lines,
    )  # fmt: skip


def workflow_for(config: Config, config_file: Path, repo: Path) -> str:
    """The workflow for this config in the repository at `repo`: the config file and every
    folder litradar writes (data, classifiers, digests) must lie inside the repository,
    the folders under one parent that is not the repository's root (it is saved whole)."""
    root = repo.resolve()
    folders = [config.data_dir, config.classifiers_dir, config.digests_dir]
    try:
        config_rel = config_file.resolve().relative_to(root)
        rel = [f.resolve().relative_to(root) for f in folders]
    except ValueError:
        raise LitradarError(
            f"the config ({config_file}) and its data, classifiers and digests folders must "
            f"lie inside the repository {repo}"
        ) from None
    data = Path(os.path.commonpath([str(r) for r in rel])) if rel else Path()
    if data == Path():
        raise LitradarError(
            "put [paths] data_dir, classifiers_dir and digests_dir under one folder of their "
            "own, e.g. data/index, data/classifiers, data/digests: the workflow saves that "
            "folder whole to the data branch"
        )
    saved = (root / data).resolve()
    edited = [config_file, config.taxonomy_path, config.list_path]
    for path in (p for p in edited if p is not None):
        if path.resolve().is_relative_to(saved):
            raise LitradarError(
                f"{path.resolve().relative_to(root)} lies in {data}, the folder each run "
                "saves to the data branch and restores over the checkout: its saved copy "
                "would undo your edits. Put data_dir, classifiers_dir and digests_dir in a "
                "folder of their own (e.g. data/index, data/classifiers, data/digests)"
            )
    check_cron_for_github(config.schedule.cron)
    clone = (config.data_dir.resolve() / CLONE_FOLDER).relative_to(root / data)
    secrets = (config.email.password_env, config.sources.s2.api_key_env, config.llm.api_key_env)
    return render_workflow(
        config_rel.as_posix(), data.as_posix(), clone.as_posix(), config.schedule.cron,
        token_env=config.github.token_env, secret_envs=secrets,
    )  # fmt: skip


def check_cron_for_github(cron: str) -> None:
    """Read by Prefect's Cron, as `serve` reads it: GitHub would otherwise reject the
    workflow's schedule ("61 * * * *") after it is pushed, not here."""
    from prefect.schedules import Cron

    extended = sorted({c for c in cron if c in "?#LW"})
    if extended:  # read by Prefect's reader, not in GitHub's syntax (* , - / and numbers)
        raise LitradarError(
            f"[schedule] cron {cron!r}: GitHub's schedule has no {' '.join(extended)}; "
            "write it with * , - / and numbers"
        )
    try:
        Cron(cron)
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "not a cron expression"
        raise LitradarError(f"[schedule] cron {cron!r}: {reason}") from None


def write_workflow(repo: Path, text: str, force: bool = False) -> Path:
    """Write the workflow into the repository at `repo`; an existing one is kept unless
    `force` (it may hold the maintainer's own changes)."""
    if not (repo / ".git").exists():
        raise LitradarError(f"{repo} is not a git repository (run init in the list's clone)")
    path = repo / WORKFLOW_PATH
    if path.exists() and not force:
        raise LitradarError(f"{path} exists; --force replaces it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
