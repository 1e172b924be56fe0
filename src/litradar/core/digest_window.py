"""Which days a digest covers, and its name: for `litradar digest`, `litradar run` and the
flow alike. Apart from the digest so that the flow and the command line choose a window
without importing what scores a week (scikit-learn)."""

from __future__ import annotations

from datetime import date, timedelta

from litradar.core.errors import LitradarError

__all__ = ["digest_window", "last_full_iso_week", "window_name"]


def last_full_iso_week(today: date) -> tuple[date, date]:
    """Monday..next Monday of the last week that has fully ended before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday


def digest_window(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    """The window a digest covers, for `litradar digest`, `litradar run` and the flow alike:
    a week from (or up to) the one end given, else the last full ISO week before `today`."""
    if since is not None and until is not None and until <= since:
        # Checked here, before `run` starts its flow: the ingest ran first and the digest
        # step's refusal came out of Prefect as a traceback.
        raise LitradarError(f"empty window: --until {until} is not after --since {since}")
    try:
        if since is not None:
            return since, until or since + timedelta(days=7)
        if until is not None:
            return until - timedelta(days=7), until
    except OverflowError:
        raise LitradarError(
            f"a week from {since or until} is out of range of the calendar"
        ) from None
    return last_full_iso_week(today)


def window_name(since: date, until: date) -> str:
    """'2025-W11' for one ISO week; a date range for any other window."""
    iso = since.isocalendar()
    if since.weekday() == 0 and until - since == timedelta(days=7):
        return f"{iso.year}-W{iso.week:02d}"
    return f"{since.isoformat()}_{until.isoformat()}"
