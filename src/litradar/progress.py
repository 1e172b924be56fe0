"""Progress reporting that the steps use without knowing who watches: a rich bar at the
terminal, nothing inside a Prefect flow (which logs step results instead)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


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
        columns = [
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield lambda n: progress.advance(task, n)

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)
