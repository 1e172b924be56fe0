"""One writer at a time for the files outside the store: the FAISS index and the models.

SQLite serialises the store's writers, but the index files and the model files are
written beside it, and two writers interleaved there: a second `index` swept the first
one's new generation just before the first named it, and two `train`s moved their model
files in turn, each leaving the set "of two trainings". Both said done, exit 0. A cron
run that overlaps a manual `index` or `train` is enough. So each of those steps holds a
lock file (an OS lock on an open file: a killed holder releases it at once) and the
second one waits, says so, then finds the work done or does it on what the first left.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from litradar.core.errors import LitradarError
from litradar.core.progress import Reporter, SilentReporter

log = logging.getLogger("litradar.lock")


@contextlib.contextmanager
def held(path: Path, what: str, reporter: Reporter | None = None) -> Iterator[None]:
    """Hold the lock at `path` for the block, waiting for another process's if need be.
    Where its folder does not exist yet there is nothing of the step's to protect, and a
    lock must not make it (a mistyped data folder would then pass for a real one)."""
    from filelock import FileLock, Timeout

    if not path.parent.is_dir():
        yield
        return
    lock = FileLock(path)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            message = f"waiting for another litradar process {what} ({path})"
            if reporter is None or isinstance(reporter, SilentReporter):
                log.warning(message)  # a flow's log
            else:
                reporter.warn(message)
            lock.acquire()
    except OSError as exc:
        raise LitradarError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
