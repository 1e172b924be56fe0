"""A working clone of the list's repository, driven through the git command line.

The token never touches the command line, the remote URL or `.git/config`: it reaches git
as an `http.extraHeader` through the environment (GIT_CONFIG_COUNT/KEY/VALUE), which git
reads per process and does not store. Error messages are scrubbed of it all the same. A
user and password written into the URL itself go the same way: the remote is stored
without them.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from litradar.core.errors import LitradarError, redact, remember_secret


class GitError(LitradarError):
    pass


class ListRepo:
    def __init__(
        self,
        workdir: Path,
        remote_url: str,
        token: str | None = None,
        author: tuple[str, str] = ("litradar", "litradar@users.noreply.github.com"),
    ) -> None:
        self.workdir = workdir
        self.remote_url, self._userinfo = _without_credentials(remote_url)
        self._token = token
        self.author = author
        if self._userinfo:  # the password, or a token written as the user
            user, _, password = self._userinfo.partition(":")
            remember_secret(password or user)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        name, email = self.author
        env |= {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_TERMINAL_PROMPT": "0",
        }
        if self._token and self.remote_url.startswith("https://"):
            credentials = f"x-access-token:{self._token}"
        else:  # the URL's own user and password, where the maintainer wrote them
            credentials = self._userinfo
        if credentials:
            basic = base64.b64encode(credentials.encode()).decode()
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        return env

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["git", *args],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            # git's cause is its first "fatal:" or "error:" line; advice follows it
            # ("Please make sure you have the correct access rights and the repository
            # exists."), and the last line alone read "failed: and the repository exists."
            said = next((x for x in lines if x.startswith(("fatal:", "error:"))), lines[-1])
            raise GitError(f"git {args[0]} failed: {redact(said, [self._token])}")
        return done

    def sync(self) -> None:
        """Clone once, then fetch every branch (pruning deleted ones) on each run."""
        if not (self.workdir / ".git").is_dir():
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.git("init", "--quiet")
            self.git("remote", "add", "origin", self.remote_url)
        else:
            self.git("remote", "set-url", "origin", self.remote_url)
        self.git("fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*")

    def has_branch(self, branch: str) -> bool:
        ref = f"refs/remotes/origin/{branch}"
        return self.git("rev-parse", "--verify", "--quiet", ref, check=False).returncode == 0

    def read(self, branch: str, path: str) -> str:
        """The file as it stands on the remote branch (bytes kept: no newline conversion)."""
        return self.read_commit(f"refs/remotes/origin/{branch}", path, branch)

    def read_commit(self, commit: str, path: str, shown: str | None = None) -> str:
        """The file as it stands at a commit (or any revision git names)."""
        done = subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            where, said = shown or commit[:10], done.stderr.decode().strip()
            if "does not exist in" in said or "but not in" in said:  # git's two wordings
                raise GitError(f"{path} is not on branch {where} of {self.remote_url}")
            raise GitError(f"cannot read {path} on {where}: {said}")
        return done.stdout.decode("utf-8")

    def commit_and_push(self, branch: str, base: str, path: str, text: str, message: str) -> str:
        """One commit on top of `base` that changes only `path`, force-pushed to `branch`
        (the branch is litradar's own; each run rebuilds it from the current base)."""
        self.git("checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{base}")
        (self.workdir / path).write_bytes(text.encode("utf-8"))
        self.git("add", "--", path)
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
        self.git("fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        return self.git("rev-parse", "HEAD").stdout.strip()


def _without_credentials(url: str) -> tuple[str, str | None]:
    """An http(s) URL without its `user:password@`, and that `user:password` (None when
    it has none); any other URL as it is (an ssh user is no secret)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), f"{unquote(user)}:{unquote(password)}"
