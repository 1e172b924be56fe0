"""What one weekly run did: each step's own report, and which steps failed.

A source, the feedback and each output channel (email, pull request) fail softly: the run
goes on and their report carries the `error`. The flow ends its Prefect run Failed when
`failures()` names any, and `litradar run` exits 2; a step that raises stops the run
instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only annotations: this module imports no step
    from litradar.publish.channels import ChannelReport
    from litradar.publish.feedback import FeedbackReport
    from litradar.sources.report import SourceReport
    from litradar.steps.ingest import IngestReport
    from litradar.steps.pipeline import DigestReport, IndexReport, TrainReport


class SoftStep(Protocol):
    """A step's report that can say it failed without stopping the run."""

    @property
    def error(self) -> str | None: ...


@dataclass
class RunResult:
    ingest: IngestReport
    sources: list[SourceReport]
    index: IndexReport
    train: TrainReport
    digest: DigestReport
    feedback: FeedbackReport | None = None  # None: not configured ([github] enabled)
    # What each enabled output channel did, by its title ("email", "pull request"), in
    # the order of litradar.publish.channels.CHANNELS.
    deliveries: dict[str, ChannelReport] = field(default_factory=dict)

    def failures(self) -> list[str]:
        """The steps that failed softly, named as the run's summary names them."""
        steps: list[tuple[str, SoftStep | None]] = [
            *((f"source {s.source}", s) for s in self.sources),
            ("feedback", self.feedback),
            *self.deliveries.items(),
        ]
        return [name for name, report in steps if report is not None and report.error]
