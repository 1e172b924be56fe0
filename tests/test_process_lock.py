"""One writer of the index and of the models at a time (litradar.core.process_lock): a
second `train` or `index` waits for the first, says so, and finishes on what it left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from litradar.core.atomic_files import FAULTPOINT_ENV, FAULTPOINT_READY_ENV
from litradar.ranking.model_files import load_models
from tests.faultpoints import START


def litradar(project: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", START, *args, "--config", str(project / "litradar.toml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ | (env or {}), start_new_session=True,
    )  # fmt: skip


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("args", "point", "doing"),
    [
        # between the moves of its model files: alone, a second training mixed the two sets
        (("train", "--force"), "models.between-moves", "training"),
        # its new generation written, not yet named: alone, a second index swept it
        (("index",), "index.before-meta", "writing the index"),
    ],
)
def test_a_second_writer_waits_for_the_first_instead_of_mixing_their_files(
    trained_project: Path, tmp_path: Path, args: tuple[str, ...], point: str, doing: str
):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project, symlinks=True)
    if args[0] == "index":
        for meta in (project / "index").glob("papers.*.json"):
            meta.unlink()  # an index to build again
    ready = tmp_path / "paused.pid"
    # The first stops inside its critical window, holding its lock.
    first = litradar(project, *args, env={FAULTPOINT_ENV: point, FAULTPOINT_READY_ENV: str(ready)})
    second = None
    try:
        wait_for(ready.exists, "pause of the first training")
        second = litradar(project, *args)
        waited: list[str] = []

        def says_it_waits() -> bool:
            assert second.poll() is None, second.communicate()  # it must not finish meanwhile
            line = second.stderr.readline()
            waited.append(line)
            return f"waiting for another litradar process {doing}" in line

        wait_for(says_it_waits, "waiting line from the second")
        time.sleep(1.0)
        assert second.poll() is None  # still waiting while the first holds the lock
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the lock goes with its holder
        first.communicate()
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, out + err
    load_models(project / "classifiers", "hashing")  # one training's files, not two
    found = subprocess.run([sys.executable, "-c", START, "find", "attention heads",
                            "--config", str(project / "litradar.toml")],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert found.returncode == 0 and "error" not in found.stderr, found.stderr  # a whole index
