"""Killing a real `litradar` process inside a step's critical window: the command runs with
$LITRADAR_FAULTPOINT naming a point (litradar.core.atomic_files.faultpoint), which pauses it there; the
test then sends SIGKILL to its whole process group (Dask workers included) and reaps it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from litradar.core.atomic_files import FAULTPOINT_ENV, FAULTPOINT_READY_ENV

# The command line as a user runs it (`litradar ARGS --config PROJECT/litradar.toml`).
START = "import sys, litradar.cli; sys.argv = ['litradar', *sys.argv[1:]]; litradar.cli.app()"


def kill_at(
    project: Path, point: str, *args: str, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `litradar ARGS` on `project` until it reaches `point`, then kill -9 it there.
    Fails if the command ends (or the timeout passes) without reaching the point."""
    ready = project / f".faultpoint-{point}.pid"
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", START, *args, "--config", str(project / "litradar.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | (env or {}) | {FAULTPOINT_ENV: point, FAULTPOINT_READY_ENV: str(ready)},
        start_new_session=True,  # its own process group: the kill reaches its workers too
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready.exists():
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"{args} ended before {point}: {out}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{args} did not reach {point} in {timeout} s")
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()  # reaped: a zombie's pid would look alive
        ready.unlink(missing_ok=True)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def hidden_leftovers(folder: Path, allowed: tuple[str, ...] = ()) -> list[str]:
    """Every name in `folder` (recursively) that a writer made aside: a dot-name (any
    temporary of any naming) or `.tmp`, other than the digest's `.generations` folder."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if (p.name.startswith(".") or p.name.endswith(".tmp"))
        and p.name not in (".generations", *allowed)
        and ".generations" not in p.relative_to(folder).parts[:-1]
    )
