"""What one run of a source did, kept in the store's runs: the CLI, the flow, `litradar
sources` and the digest's sources block all read it from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from litradar.config import Config
from litradar.storage.store import Store


@dataclass
class SourceReport:
    source: str
    since: str
    until: str
    pages: int = 0
    fetched: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    watermark: str | None = None  # where the mark stands after this run
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        counts = (
            f"{self.fetched} read, {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.error:
            return f"{self.source}: FAILED after {self.pages} page(s) ({counts}): {self.error}"
        return f"{self.source}: {counts} ({self.since} to {self.until})"


def latest_source_reports(config: Config) -> list[dict]:
    """The last finished run of each source, for the digest's 'sources' block."""
    with Store.open(config.store_path) as store:
        latest: dict[str, dict] = {}
        for run in store.runs():
            if run["kind"].startswith("ingest:") and run["status"] != "running":
                latest[run["kind"]] = run
    return [
        run["detail"] | {"status": run["status"], "finished_at": run["finished_at"]}
        for run in latest.values()
    ]


def describe_source_run(run: dict) -> str:
    """One line per source for the digest: what it read, or why it failed."""
    report = SourceReport(**{k: run[k] for k in SourceReport.__dataclass_fields__ if k in run})
    when = f", run {run['finished_at']}" if run.get("finished_at") else ""
    return report.summary() + when
