"""Backtest on the list's own history, as far as the bundled data allows.

    .venv/bin/python benchmarks/backtest_history.py      # about 1.5 minutes after the demo

Replays the three versions of the list we hold (demo/data/list_history/README.md: two
seed versions with assumed dates, then the 2025-03-31 list) as a git history, in a fresh
temporary project holding the seed metadata and both bundled weeks (2025-02-24 and
2025-03-10), and runs `litradar backtest` on it. If the demo has run, its store is copied
first so that only the new week is embedded. The report and plot go to
benchmarks/results/backtest/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "demo" / "data"
LITRADAR = str(Path(sys.executable).with_name("litradar"))
HISTORY = [
    (DATA / "list_history" / "v1.md", "2025-02-17"),
    (DATA / "list_history" / "v2.md", "2025-03-03"),
    (DATA / "awesome_list.md", "2025-03-31"),
]


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_history(repo: Path) -> None:
    repo.mkdir()
    run(["git", "init", "-q", "--initial-branch=main"], repo)
    for path, day in HISTORY:
        shutil.copyfile(path, repo / "README.md")
        stamp = f"{day}T12:00:00+00:00"
        env = os.environ | {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        run(["git", "add", "README.md"], repo)
        identity = ["-c", "user.name=replay", "-c", "user.email=replay@example.org"]
        run(["git", *identity, "commit", "-qm", f"{path.name} as of {day}"], repo, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "backtest")
    out = parser.parse_args().out
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "demo", project / "demo")
        shutil.copy(ROOT / "litradar.toml", project / "litradar.toml")
        shutil.copy(ROOT / "taxonomy.toml", project / "taxonomy.toml")
        if (ROOT / "index" / "litradar.sqlite").is_file():
            shutil.copytree(ROOT / "index", project / "index")
        files = [DATA / "arxiv_seed.jsonl", *sorted((DATA / "weeks").glob("*.jsonl"))]
        print(run([LITRADAR, "ingest", *map(str, files)], project).strip())
        print(run([LITRADAR, "index"], project).strip())
        build_history(project / "list")
        print(
            run(
                [LITRADAR, "backtest", "--list-repo", str(project / "list"), "--weeks", "4",
                 "--out", str(out)],
                project,
            ).strip()
        )  # fmt: skip


if __name__ == "__main__":
    main()
