"""`litradar init --github-actions`: the workflow's own steps, run here as the runner would
run them (the same bash, the same environment variables, `${{ }}` filled in), against a
bare repository standing for GitHub's and the fake GitHub API. Two runs on two fresh
checkouts: the second finds the first one's store on the data branch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from litradar.cli import app
from litradar.steps.scaffold import DATA_BRANCH, WORKFLOW_PATH
from tests.conftest import DEMO, ROOT, SURVEY_SECTIONS
from tests.fake_github import NAME, OWNER, FakeGitHub, git
from tests.replay import ReplayServer
from tests.test_propose import LIST_TEXT, TOKEN

runner = CliRunner()
CONFIG = f"""
[paths]
data_dir = "data/index"
classifiers_dir = "data/classifiers"
digests_dir = "data/digests"
list = "../README.md"
survey_bibliography = "demo/survey_bibliography.jsonl"
taxonomy = "{ROOT / "taxonomy.toml"}"

[sources]
files = ["demo/arxiv_seed.jsonl", "demo/weeks/2025-03-10.jsonl"]

[embedding]
model = "hashing"
{SURVEY_SECTIONS}
[github]
max_entries = 5
max_wait_seconds = 0
"""
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=M", "-c", "user.email=m@example.org", "commit", "-qm", message)


@pytest.fixture
def list_repo(tmp_path: Path) -> tuple[Path, Path]:
    """The list's repository (bare, at <server>/<owner>/<name>.git) with litradar's config
    committed by the maintainer, who then runs `litradar init --github-actions` in it."""
    server = tmp_path / "github.example"
    remote = server / OWNER / f"{NAME}.git"
    remote.parent.mkdir(parents=True)
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    seed = tmp_path / "maintainer"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "README.md").write_text(LIST_TEXT, encoding="utf-8")
    shutil.copytree(DEMO, seed / ".litradar" / "demo")
    (seed / ".litradar" / "litradar.toml").write_text(CONFIG, encoding="utf-8")
    config = seed / ".litradar" / "litradar.toml"
    result = runner.invoke(app, ["init", "--github-actions", "--repo", str(seed),
                                 "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "litradar-data" in result.output
    again = runner.invoke(app, ["init", "--github-actions", "--repo", str(seed),
                                "--config", str(config)])  # fmt: skip
    assert again.exit_code == 1 and "--force replaces it" in again.output
    commit_all(seed, "litradar")
    git(seed, "push", "--quiet", str(remote), "main")
    return server, remote


def run_workflow(checkout: Path, values: dict[str, str], env: dict[str, str]) -> list[str]:
    """The job's steps as the runner runs them: `uses:` steps are done by the test (the
    checkout) or the test's venv (Python, litradar installed), each `run:` in bash."""
    workflow = yaml.safe_load((checkout / WORKFLOW_PATH).read_text(encoding="utf-8"))

    def fill(text: str) -> str:
        def value(match: re.Match) -> str:
            name = match[1]
            if name.startswith("secrets.") and name not in values:
                return ""  # an unset secret is empty on GitHub too
            return values[name]

        return _EXPRESSION.sub(value, str(text))

    environ = env | {k: fill(v) for k, v in workflow["env"].items()}
    outputs = []
    for step in workflow["jobs"]["weekly"]["steps"]:
        if "uses" in step or step.get("id") == "install":
            continue
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", fill(step["run"])],
                              cwd=checkout, env=environ, capture_output=True, text=True,
                              timeout=900)  # fmt: skip
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, f"step {step['id']}:\n{outputs[-1]}"
    return outputs


@pytest.mark.slow
def test_the_workflow_runs_twice_keeping_its_store_on_the_data_branch(
    list_repo: tuple[Path, Path], tmp_path: Path, tmp_path_factory, prefect_api: str
):
    server_dir, remote = list_repo
    workflow = (remote.parent.parent.parent / "maintainer" / WORKFLOW_PATH).read_text()
    assert 'cron: "0 7 * * 1"' in workflow and "secrets.GITHUB_TOKEN" in workflow
    with ReplayServer() as api:
        fake = FakeGitHub(api)
        values = {
            "inputs.args": "--since 2025-03-10 --until 2025-03-17",
            "github.repository": f"{OWNER}/{NAME}",
            "github.api_url": api.url,
            "github.server_url": str(server_dir),
            "github.event.repository.default_branch": "main",
            "secrets.GITHUB_TOKEN": TOKEN,
        }
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("LITRADAR_", "PREFECT_API_URL", "GIT_"))
        } | {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PREFECT_HOME": str(tmp_path_factory.getbasetemp() / "prefect-home"),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_RUN_ID": "101",
            # The worker's one Prefect server, not a temporary one per run (conftest): a
            # runner's temporary server is what `litradar run` starts in test_flow.py.
            "PREFECT_API_URL": prefect_api,
        }  # fmt: skip
        first = tmp_path / "runner1"
        git(tmp_path, "clone", "--quiet", str(remote), str(first))  # actions/checkout
        restore, run, save = run_workflow(first, values, env)
        assert "a first run starts a new store" in restore
        assert "pull request: #1 opened" in run, run
        assert "store saved to litradar-data" in save

        saved = git(remote, "ls-tree", "-r", "--name-only", DATA_BRANCH).split()
        assert "index/litradar.sqlite" in saved and "digests/2025-W11.json" in saved
        assert not any(name.startswith("index/list-repo") for name in saved)
        assert len(fake.pulls) == 1
        assert fake.pulls[0]["head"]["ref"] == "litradar/2025-W11"

        second = tmp_path / "runner2"  # a new runner: nothing on disk but the checkout
        git(tmp_path, "clone", "--quiet", str(remote), str(second))
        restore, run, save = run_workflow(second, values, env | {"GITHUB_RUN_ID": "102"})
        assert "store restored from litradar-data" in restore
        assert "pull request: #1 unchanged" in run, run  # it knew its pull request
        assert "0 papers added" in run  # they were in the restored store
        assert len(fake.pulls) == 1
        assert [s.method for s in api.seen].count("POST") == 1
    assert git(remote, "rev-list", "--count", DATA_BRANCH).strip() == "1"  # replaced, not grown
    assert TOKEN not in git(remote, "log", "--all", "--format=%B")
    assert git(remote, "log", "-1", "--format=%s", DATA_BRANCH).strip() == (
        "litradar data after run 102"
    )


def test_init_refuses_a_config_outside_the_repository_or_data_at_its_root(tmp_path: Path):
    repo = tmp_path / "list"
    git(tmp_path, "init", "--quiet", str(repo))
    outside = tmp_path / "litradar.toml"
    outside.write_text(CONFIG, encoding="utf-8")
    result = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo),
                                 "--config", str(outside)])  # fmt: skip
    assert result.exit_code == 1 and "must lie inside the repository" in result.output
    inside = repo / "litradar.toml"
    inside.write_text(CONFIG.replace('"data/', '"'), encoding="utf-8")
    result = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo),
                                 "--config", str(inside)])  # fmt: skip
    assert result.exit_code == 1 and "under one folder of their own" in result.output
    not_a_repo = runner.invoke(app, ["init", "--github-actions", "--repo", str(tmp_path),
                                     "--config", str(outside)])  # fmt: skip
    assert not_a_repo.exit_code == 1 and "error:" in not_a_repo.output
    assert runner.invoke(app, ["init"]).exit_code == 1


def test_init_refuses_data_folders_that_hold_the_config_and_a_cron_github_would_reject(
    tmp_path: Path,
):
    """With the data folders beside the config (`.litradar/index`, ...), each run saved the
    config to the data branch and restored that copy over the maintainer's next edit."""
    repo = tmp_path / "list"
    git(tmp_path, "init", "--quiet", str(repo))
    (repo / "README.md").write_text(LIST_TEXT, encoding="utf-8")
    folder = repo / ".litradar"
    folder.mkdir()
    beside = folder / "litradar.toml"
    beside.write_text(CONFIG.replace('"data/', '"'), encoding="utf-8")  # index, classifiers...
    result = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo),
                                 "--config", str(beside)])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert ".litradar/litradar.toml lies in .litradar, the folder each run saves" in result.output
    assert not (repo / WORKFLOW_PATH).exists()

    good = repo / "cfg #x" / "litradar.toml"  # a folder name YAML would cut at the "#"
    good.parent.mkdir()
    good.write_text(CONFIG, encoding="utf-8")
    odd_cron = {**os.environ, "LITRADAR_SCHEDULE__CRON": "61 * * * *"}
    refused = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo),
                                  "--config", str(good)], env=odd_cron)  # fmt: skip
    assert refused.exit_code == 1 and "cron '61 * * * *'" in refused.output, refused.output
    written = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo),
                                  "--config", str(good)])  # fmt: skip
    assert written.exit_code == 0, written.output
    assert "warning" not in written.output
    workflow = yaml.safe_load((repo / WORKFLOW_PATH).read_text(encoding="utf-8"))
    assert workflow["env"]["LITRADAR_CONFIG"] == "cfg #x/litradar.toml"
    assert workflow["env"]["LITRADAR_DATA"] == "cfg #x/data"
    paris = {**os.environ, "LITRADAR_SCHEDULE__TIMEZONE": "Europe/Paris"}
    again = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo), "--force",
                                "--config", str(good)], env=paris)  # fmt: skip
    assert again.exit_code == 0, again.output  # written, and the time zone said to be unused
    assert "warning: [schedule] timezone Europe/Paris is not used" in again.output
    # The variables the config reads its secrets from, whatever their names.
    renamed = {**os.environ, "LITRADAR_EMAIL__PASSWORD_ENV": "MY_SMTP_PW",
               "LITRADAR_GITHUB__TOKEN_ENV": "MY_GH"}  # fmt: skip
    named = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo), "--force",
                                "--config", str(good)], env=renamed)  # fmt: skip
    assert named.exit_code == 0, named.output
    env = yaml.safe_load((repo / WORKFLOW_PATH).read_text(encoding="utf-8"))["env"]
    assert env["MY_GH"] == "${{ secrets.GITHUB_TOKEN }}" and "GITHUB_TOKEN" not in env
    assert env["MY_SMTP_PW"] == "${{ secrets.MY_SMTP_PW }}"
    assert env["LITRADAR_LLM_API_KEY"] == "${{ secrets.LITRADAR_LLM_API_KEY }}"
    for cron in ("0 7 ? * 1", "0 7 * * 1#2", "0 7 L * *"):  # Prefect reads them; GitHub not
        quartz = {**os.environ, "LITRADAR_SCHEDULE__CRON": cron}
        refused = runner.invoke(app, ["init", "--github-actions", "--repo", str(repo), "--force",
                                      "--config", str(good)], env=quartz)  # fmt: skip
        assert refused.exit_code == 1 and "GitHub's schedule has no" in refused.output, cron
