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


def latest_source_reports(config: Config, finished_only: bool = True) -> list[dict]:
    """The last finished run of each source, for the digest's 'sources' block; with
    `finished_only=False` the last run whatever its state (`litradar sources`: a run killed
    outright stays "running" in the store, and was not there at all)."""
    with Store.open(config.store_path) as store:
        latest: dict[str, dict] = {}
        for run in store.runs():
            if run["kind"].startswith("ingest:") and (
                not finished_only or run["status"] != "running"
            ):
                latest[run["kind"]] = run
    return [
        run["detail"]
        | {"status": run["status"], "started_at": run["started_at"]}
        | {"finished_at": run["finished_at"]}
        for run in latest.values()
    ]


def describe_source_run(run: dict) -> str:
    """One line per source for the digest: what it read, or why it failed, or that it
    was interrupted (Ctrl-C: "crashed") or never finished (killed: still "running")."""
    report = SourceReport(**{k: run[k] for k in SourceReport.__dataclass_fields__ if k in run})
    when = f", run {run['finished_at']}" if run.get("finished_at") else ""
    status = run.get("status")
    if report.error is None and status in ("crashed", "running"):
        what = (
            "INTERRUPTED" if status == "crashed"
            else f"started {run.get('started_at') or '?'}, not finished (still running, or killed)"
        )  # fmt: skip
        return (
            f"{report.source}: {what} after {report.pages} page(s), {report.added} added "
            f"({report.since} to {report.until}): the pages read are kept, the mark did not "
            f"move, the next run reads the window again{when}"
        )
    return report.summary() + when
