"""The weekly flow: ingest -> embed and index -> [feedback] -> train -> digest -> [each
output channel: email, pull request], each a task; the bracketed ones run when `[email]` /
`[github]` enable them (litradar.publish.channels: a new channel needs no change here).

Ingest runs the bundled files and every live source of `[sources] live` as parallel tasks.
A live source that fails (arXiv down, Semantic Scholar answering 429 past its budget) is
reported in the run log and in the digest's sources block; the run goes on with the rest,
and the flow run ends Failed (so does one whose feedback, email or pull request failed).

`litradar run` runs it once on a temporary local Prefect server; `litradar serve` serves
it as a deployment on a cron schedule (that needs `prefect server start`, see README).
Tasks take the config file's path, not a Config object, so every task re-reads the same
file and a retry starts from what is stored, not from a half-changed object.
"""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from litradar.core.prefect_env import configure_prefect

configure_prefect()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402
from prefect.schedules import Cron  # noqa: E402
from prefect.states import Failed, State  # noqa: E402

from litradar.config import Config, load_config  # noqa: E402
from litradar.core.digest_window import digest_window  # noqa: E402
from litradar.core.errors import LitradarError  # noqa: E402
from litradar.steps import ingest as ingest_step  # noqa: E402
from litradar.steps import pipeline  # noqa: E402
from litradar.steps.run_result import RunResult  # noqa: E402

if TYPE_CHECKING:  # the steps' modules are imported where they are used
    from prefect.futures import PrefectFuture

    from litradar.publish.channels import ChannelReport
    from litradar.publish.feedback import FeedbackReport
    from litradar.sources.report import SourceReport
    from litradar.steps.ingest import IngestReport
    from litradar.steps.pipeline import DigestReport, IndexReport, TrainReport


def _retry_unless_user_error(task, task_run, state) -> bool:
    """A missing file or a bad list will not fix itself in five seconds: do not retry it."""
    try:
        state.result()
    except LitradarError:
        return False
    except Exception:
        return True
    return True


RETRYING = {"retry_delay_seconds": 5, "retry_condition_fn": _retry_unless_user_error}


def _config(config_path: str | None) -> Config:
    return load_config(Path(config_path) if config_path else None)


@task(retries=2, cache_policy=NONE, **RETRYING)
def ingest(config_path: str | None) -> IngestReport:
    cfg = _config(config_path)
    report = ingest_step.ingest_files(cfg, cfg.source_files)
    for problem in report.problems:
        get_run_logger().warning(problem)
    return report


@task(cache_policy=NONE)
def ingest_live(config_path: str | None, name: str) -> SourceReport:
    """No Prefect retries: the source already retried with back-off, and its watermark
    makes the next weekly run catch up on what this one missed."""
    cfg = _config(config_path)
    report = ingest_step.ingest_live(cfg, name)
    logger = get_run_logger()
    (logger.error if report.error else logger.info)(report.summary())
    for note in report.notes:
        logger.warning(f"{name}: {note}")
    return report


@task(retries=1, cache_policy=NONE, **RETRYING)
def embed_and_index(config_path: str | None) -> IndexReport:
    return pipeline.update_index(_config(config_path))


@task(retries=1, cache_policy=NONE, **RETRYING)
def train(config_path: str | None) -> TrainReport:
    return pipeline.train(_config(config_path))


@task(retries=1, cache_policy=NONE, **RETRYING)
def digest(config_path: str | None, since: date, until: date) -> DigestReport:
    return pipeline.make_digest(_config(config_path), since, until)


@task(cache_policy=NONE, task_run_name="deliver-{channel_name}")
def deliver(config_path: str | None, channel_name: str, name: str) -> ChannelReport:
    """One output channel (litradar.publish.channels). A failed delivery is reported, not
    raised: the digest is on disk, the next run (or `litradar send` / `propose`) tries
    again, and each channel keeps what it already did (an email is never sent twice)."""
    from litradar.publish.channels import channel
    from litradar.publish.channels import deliver as deliver_through

    through = channel(channel_name)
    try:
        report = deliver_through(through, _config(config_path), name)
    except LitradarError as exc:  # e.g. an interrupted earlier send: never send twice
        report = through.failed(name, str(exc))
    logger = get_run_logger()
    (logger.error if report.error else logger.info)(
        f"{through.title} of digest {name}: {report.summary()}"
    )
    return report


@task(cache_policy=NONE)
def feedback(config_path: str | None) -> FeedbackReport:
    """Before training: what the maintainer did with earlier pull requests."""
    from litradar.publish.feedback import FeedbackReport, collect_feedback

    try:
        report = collect_feedback(_config(config_path))
    except LitradarError as exc:
        get_run_logger().error(f"feedback failed: {exc}")
        return FeedbackReport(error=str(exc))
    for number, why in report.missing.items():
        get_run_logger().warning(f"feedback: pull request #{number} skipped: {why}")
    if report.error:
        get_run_logger().error(f"feedback failed: {report.error}")
    return report


@flow(name="litradar-weekly")
def weekly(
    config_path: str | None = None, since: date | None = None, until: date | None = None
) -> RunResult | State:
    """One weekly run; the window as `litradar digest` chooses it (see digest_window).

    A step that fails softly (a source, the feedback, the email, the pull request) lets
    the others run, then the flow run ends Failed, naming it, with the RunResult as its
    data: the Prefect UI shows the run failed, `litradar run` still prints every step. It
    is Failed by type and by name, so automations on `prefect.flow-run.Failed` see it."""
    from litradar.curation.list_source import new_run
    from litradar.publish.channels import channel, enabled_channels

    new_run()  # one fetch of the list's repository per run, also when served for weeks
    since, until = digest_window(since, until, date.today())
    config = _config(config_path)  # which steps run; each task reads the file itself
    files = ingest.submit(config_path)
    live = {name: ingest_live.submit(config_path, name) for name in config.sources.live}
    ingested = files.result()
    sources = [_live_result(name, future) for name, future in live.items()]
    indexed = embed_and_index(config_path)
    learned = feedback(config_path) if config.github.enabled else None
    trained = train(config_path)
    digested = digest(config_path, since, until)
    result = RunResult(
        ingest=ingested,
        sources=sources,
        index=indexed,
        train=trained,
        digest=digested,
        feedback=learned,
        deliveries={
            channel(name).title: deliver(config_path, name, digested.name)
            for name in enabled_channels(config)
        },
    )
    if failed := result.failures():
        return Failed(message=f"finished with failures: {', '.join(failed)}", data=result)
    return result


def run_weekly(
    config_path: str | None, since: date, until: date, heartbeats: bool = True
) -> RunResult:
    """Run the flow once and return what it did, even when the run ended Failed because a
    step failed softly; a step that raised raises here (a LitradarError: one line).

    Without `heartbeats` the flow run sends none. They let a server that outlives the run
    mark it crashed; a temporary server stops with the run, so nothing could read them,
    and Prefect's heartbeat thread, asleep in one-second steps, holds up the run's end by
    up to a second (half of one on average, measured: docs/speed.md)."""
    from prefect.settings import temporary_settings

    quiet = {} if heartbeats else {"flows.heartbeat_frequency": None}
    with temporary_settings(updates=quiet):
        state = weekly(config_path=config_path, since=since, until=until, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result


def _live_result(name: str, future: PrefectFuture[SourceReport]) -> SourceReport:
    """A source task that crashed (a bug, not a service failure) is reported like a failed
    source, so the other sources' papers still reach the digest."""
    from litradar.sources.report import SourceReport

    result = future.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        get_run_logger().error(f"source {name} crashed: {result}")
        return SourceReport(name, since="", until="", error=f"crashed: {result}")
    return result


def warm_up() -> None:
    """Import what the steps will import anyway while `litradar run` waits for the
    temporary server to start: first what every run imports (the digest and its channels,
    the query encoder the index step checks, what Prefect's engine imports for the first
    flow run: about 0.25 s), then scikit-learn (about 1 s), which training and a digest
    written again need."""
    for module in (
        "fastapi.encoders",
        "markdown_it",
        "onnxruntime",
        "litradar.embedding.query_encoder",
        "litradar.publish.channels",
        "sklearn.feature_extraction.text",
        "sklearn.linear_model",
        "sklearn.svm",
    ):
        importlib.import_module(module)


def serve_weekly(config_path: str | None, cron: str, timezone: str) -> None:
    """Blocks: a runner that starts a weekly run at each cron tick. The expression is read
    by Prefect's Cron first, so one it cannot read is one line, not a failed deployment."""
    try:
        schedule = Cron(cron, timezone=timezone)
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "not a cron expression"
        raise LitradarError(f"cron {cron!r} (timezone {timezone}): {reason}") from None
    try:
        weekly.serve(
            name=SERVED_NAME,
            schedules=[schedule],
            parameters={"config_path": config_path},
        )
    finally:
        try:
            pause_served()
        except Exception as exc:  # the stop goes on whatever failed: say what is left to do
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            print(
                f"warning: could not pause deployment {weekly.name}/{SERVED_NAME} ({reason}); "
                f"pause it with: prefect deployment pause {weekly.name}/{SERVED_NAME}",
                file=sys.stderr,
            )


SERVED_NAME = "litradar-weekly"


def pause_served() -> None:
    """Pause the served deployment, so that no run starts once `serve` has stopped.

    Prefect's runner pauses it on its way out, but on a SIGTERM its handler exits from
    inside the loop, and in one CI run (2026-12-08) the deployment was still active after
    a clean stop: its schedule had nobody serving it. Pausing twice changes nothing."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"{weekly.name}/{SERVED_NAME}")
        if not deployment.paused:
            client.pause_deployment(deployment.id)
