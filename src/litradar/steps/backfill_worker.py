"""Loaded by each local Dask worker process of a backfill (Dask's `preload`), before it
runs a task.

Ctrl-C in a terminal signals the whole process group, the workers too: each printed a
KeyboardInterrupt traceback (two to four in all) over the one line litradar says, while
the main process was already stopping the run between chunks and would close the cluster.
So the workers ignore it; they stop when the cluster closes, or with their nanny.
"""

from __future__ import annotations

import signal
import threading


def dask_setup(worker: object) -> None:
    """Dask's preload hook, run in the worker's process before it takes tasks."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
