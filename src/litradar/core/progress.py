"""Progress reporting that the steps use without knowing who watches: a rich bar at the
terminal, nothing inside a Prefect flow (which logs step results instead).

Long steps also log a line per chunk of work (rate, time left) on the `litradar` logger:
without a terminal the command line prints those lines instead of a bar, and inside a
Prefect flow they go to the run's log (`PREFECT_LOGGING_EXTRA_LOGGERS=litradar`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.markup import escape

Advance = Callable[[int], None]

log = logging.getLogger("litradar")
if log.level == logging.NOTSET:
    log.setLevel(logging.INFO)


class _ConsoleLines(logging.Handler):
    """Log lines on a rich console, for as long as a step runs without a terminal."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(escape(record.getMessage()), highlight=False, soft_wrap=True)


def print_log_lines(console: Console, name: str) -> None:
    """Show logger `name`'s lines on `console` for the rest of the process (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(h, _ConsoleLines) for h in logger.handlers):
        logger.addHandler(_ConsoleLines(console))


class Reporter(Protocol):
    def track(self, description: str, total: int | None) -> Iterator[Advance]: ...

    def warn(self, message: str) -> None: ...


class SilentReporter:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    @contextmanager
    def track(self, description: str, total: int | None) -> Iterator[Advance]:
        yield lambda n: None

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class RichReporter:
    """Bars go to stderr, so `--json` output on stdout stays clean."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)

    @contextmanager
    def track(self, description: str, total: int | None) -> Iterator[Advance]:
        # Imported here: rich's progress and table modules are 10 ms of `find`'s cold
        # start, which shows no bar.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        if not self.console.is_terminal:
            handler = _ConsoleLines(self.console)
            log.addHandler(handler)
            try:
                yield lambda n: None
            finally:
                log.removeHandler(handler)
            return
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield lambda n: progress.advance(task, n)

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)
