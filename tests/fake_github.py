"""A fake GitHub on 127.0.0.1 for the pull-request calls, and a real git remote.

Pull requests are the recorded object of `github_api/pulls_create_201.github3py.json`
with the fields litradar reads (number, title, body, head.ref, state, merged_at, html_url)
set from what the client sent: the fake keeps state, so a re-run sees the pull request the
first run opened. The "remote" is a real bare git repository that litradar pushes to.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

from tests.conftest import RECORDED
from tests.replay import ReplayServer, Reply, Seen

OWNER, NAME = "maint", "awesome-lmm-mi"
PULLS = f"/repos/{OWNER}/{NAME}/pulls"
RECORDED_PULL = json.loads((RECORDED / "github_api/pulls_create_201.github3py.json").read_text())
RECORDED_HEADERS = Reply.recorded("github_api/pulls_create_201.github3py.json").headers


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def make_remote(folder: Path, readme: str) -> Path:
    """A bare repository whose main branch holds the list's README.md."""
    remote, seed = folder / "remote.git", folder / "seed"
    git(folder, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(folder, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "README.md").write_text(readme, encoding="utf-8")
    git(seed, "add", "README.md")
    git(
        seed,
        "-c",
        "user.name=Maintainer",
        "-c",
        "user.email=m@example.org",
        "commit",
        "-qm",
        "list",
    )
    git(seed, "push", "--quiet", str(remote), "main")
    return remote


class FakeGitHub:
    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.pulls: list[dict] = []
        server.on("GET", PULLS, self._list)
        server.on("POST", PULLS, self._create)
        for number in range(1, 6):
            server.on("PATCH", f"{PULLS}/{number}", self._update)
            server.on("GET", f"{PULLS}/{number}", self._get)

    def _list(self, seen: Seen) -> Reply:
        return Reply.json([p for p in self.pulls if p["state"] == "open"])

    def _create(self, seen: Seen) -> Reply:
        sent = json.loads(seen.body)
        pull = copy.deepcopy(RECORDED_PULL)
        number = len(self.pulls) + 1
        pull |= {
            "number": number,
            "title": sent["title"],
            "body": sent["body"],
            "state": "open",
            "merged_at": None,
            "html_url": f"https://github.com/{OWNER}/{NAME}/pull/{number}",
        }
        pull["head"]["ref"] = sent["head"]
        pull["base"]["ref"] = sent["base"]
        self.pulls.append(pull)
        return Reply(201, json.dumps(pull).encode(), RECORDED_HEADERS)

    def _update(self, seen: Seen) -> Reply:
        pull = self._find(seen.path)
        pull |= json.loads(seen.body)
        return Reply.json(pull)

    def _get(self, seen: Seen) -> Reply:
        if int(seen.path.rsplit("/", 1)[1]) > len(self.pulls):
            return Reply.json({"message": "Not Found", "status": "404"}, 404)
        return Reply.json(self._find(seen.path))

    def _find(self, path: str) -> dict:
        return self.pulls[int(path.rsplit("/", 1)[1]) - 1]

    def merge(self, number: int, remote: Path) -> None:
        """What pressing "Merge" does: the branch lands on main, the pull request closes."""
        pull = self.pulls[number - 1]
        work = remote.parent / f"merge-{number}"
        git(remote.parent, "clone", "--quiet", str(remote), str(work))
        git(work, "-c", "user.name=Maintainer", "-c", "user.email=m@example.org",
            "merge", "--quiet", "--no-ff", "-m", "merge", f"origin/{pull['head']['ref']}")  # fmt: skip
        git(work, "push", "--quiet", "origin", "main")
        pull |= {"state": "closed", "merged_at": "2025-03-20T10:00:00Z"}

    def close(self, number: int) -> None:
        self.pulls[number - 1] |= {"state": "closed", "merged_at": None}
