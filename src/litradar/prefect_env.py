"""Prefect settings that keep a run on this machine: no telemetry, no analytics look-ups.

Set before Prefect is imported (its settings are read at import), and only where the user
has not chosen otherwise.
"""

from __future__ import annotations

import os

_DEFAULTS = {
    "DO_NOT_TRACK": "1",  # client telemetry
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the server's analytics host look-up
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",  # 2 loaded cores need longer
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # litradar's own progress lines (one per embedded chunk) in the flow run's log.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "litradar",
}


def configure_prefect() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
