"""The weekly flow: ingest -> embed and index -> [feedback] -> train -> digest -> [email,
pull request], each a task; the bracketed ones run when `[email]` / `[github]` enable them.

Ingest runs the bundled files and every live source of `[sources] live` as parallel tasks.
A live source that fails (arXiv down, Semantic Scholar answering 429 past its budget) is
reported in the run log and in the digest's sources block; the run goes on with the rest.

`litradar run` runs it once on a temporary local Prefect server; `litradar serve` serves
it as a deployment on a cron schedule (that needs `prefect server start`, see README).
Tasks take the config file's path, not a Config object, so every task re-reads the same
file and a retry starts from what is stored, not from a half-changed object.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from litradar.prefect_env import configure_prefect

configure_prefect()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from litradar import pipeline  # noqa: E402
from litradar.config import Config, load_config  # noqa: E402
from litradar.errors import LitradarError  # noqa: E402


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
def ingest(config_path: str | None) -> dict:
    cfg = _config(config_path)
    report = pipeline.ingest_files(cfg, cfg.source_files)
    for problem in report.problems:
        get_run_logger().warning(problem)
    return report.as_dict()


@task(cache_policy=NONE)
def ingest_live(config_path: str | None, name: str) -> dict:
    """No Prefect retries: the source already retried with back-off, and its watermark
    makes the next weekly run catch up on what this one missed."""
    from litradar.sources.registry import open_live
    from litradar.sources.runner import read_source

    cfg = _config(config_path)
    report = read_source(cfg, open_live(cfg, name))
    logger = get_run_logger()
    (logger.error if report.error else logger.info)(report.summary())
    for note in report.notes:
        logger.warning(f"{name}: {note}")
    return report.as_dict()


@task(retries=1, cache_policy=NONE, **RETRYING)
def embed_and_index(config_path: str | None) -> dict:
    report = pipeline.update_index(_config(config_path))
    return {"papers": report.papers, "embedded_now": report.embedded_now, "rebuilt": report.rebuilt}


@task(retries=1, cache_policy=NONE, **RETRYING)
def train(config_path: str | None) -> dict:
    return pipeline.train(_config(config_path))


@task(retries=1, cache_policy=NONE, **RETRYING)
def digest(config_path: str | None, since: date, until: date) -> dict:
    report = pipeline.make_digest(_config(config_path), since, until)
    return {
        "name": report.name,
        "markdown": str(report.markdown),
        "json": str(report.json),
        "papers": report.papers,
        "proposed": report.proposed,
    }


@task(cache_policy=NONE)
def email(config_path: str | None, name: str) -> dict:
    """A failed send is reported, not raised: the digest is on disk and the next run (or
    `litradar send`) tries again; a digest already sent is not sent twice."""
    from litradar.publish.mail import send_digest

    try:
        report = send_digest(_config(config_path), name)
    except LitradarError as exc:  # e.g. an interrupted earlier send: never send twice
        get_run_logger().error(f"did not email digest {name}: {exc}")
        return {"name": name, "status": "failed", "error": str(exc)}
    if report.error:
        get_run_logger().error(f"could not email digest {name}: {report.error}")
    elif report.status == "nothing to send":  # a week with nothing proposed, send_empty off
        get_run_logger().info(f"digest {name} proposes nothing: no email ([email] send_empty)")
    return {"name": report.name, "status": report.status, "error": report.error}


@task(cache_policy=NONE)
def feedback(config_path: str | None) -> dict:
    """Before training: what the maintainer did with earlier pull requests."""
    from litradar.publish.feedback import collect_feedback

    try:
        report = collect_feedback(_config(config_path))
    except LitradarError as exc:
        get_run_logger().error(f"feedback failed: {exc}")
        return {"error": str(exc)}
    return {"accepted": len(report.accepted), "rejected": len(report.rejected)}


@task(cache_policy=NONE)
def pull_request(config_path: str | None, name: str) -> dict:
    """The week's pull request; a failure is reported and the next run tries again."""
    from litradar.publish.pull_request import propose

    try:
        report = propose(_config(config_path), name)
    except LitradarError as exc:
        get_run_logger().error(f"could not open the pull request for {name}: {exc}")
        return {"name": name, "status": "failed", "error": str(exc)}
    return {"name": name, "status": report.status, "number": report.number, "error": None}


@flow(name="litradar-weekly")
def weekly(
    config_path: str | None = None, since: date | None = None, until: date | None = None
) -> dict:
    """One weekly run. Without a window it digests the last full ISO week."""
    from litradar.digest import last_full_iso_week

    if since is None or until is None:
        since, until = last_full_iso_week(date.today())
    files = ingest.submit(config_path)
    live = {
        name: ingest_live.submit(config_path, name) for name in _config(config_path).sources.live
    }
    ingested = files.result()
    sources = [_live_result(name, future) for name, future in live.items()]
    indexed = embed_and_index(config_path)
    publish = _config(config_path)
    learned = feedback(config_path) if publish.github.enabled else None
    metrics = train(config_path)
    digested = digest(config_path, since, until)
    emailed = email(config_path, digested["name"]) if publish.email.enabled else None
    proposed = pull_request(config_path, digested["name"]) if publish.github.enabled else None
    return {
        "feedback": learned,
        "email": emailed,
        "pull_request": proposed,
        "ingest": ingested,
        "sources": sources,
        "index": indexed,
        "train": metrics,
        "digest": digested,
    }


def _live_result(name: str, future) -> dict:  # type: ignore[no-untyped-def]
    """A source task that crashed (a bug, not a service failure) is reported like a failed
    source, so the other sources' papers still reach the digest."""
    result = future.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        get_run_logger().error(f"source {name} crashed: {result}")
        return {"source": name, "error": f"crashed: {result}"}
    return result


def warm_up() -> None:
    """Import what the steps will import anyway (scikit-learn, about 1.5 s, for training
    and scoring) while `litradar run` waits for the temporary server to start."""
    import sklearn.feature_extraction.text
    import sklearn.linear_model
    import sklearn.svm  # noqa: F401


def serve_weekly(config_path: str | None, cron: str, timezone: str) -> None:
    """Blocks: a runner that starts a weekly run at each cron tick."""
    weekly.serve(
        name="litradar-weekly",
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"config_path": config_path},
    )
