"""A weekly run's result names the steps that failed softly, in the order the run says them."""

from pathlib import Path

from litradar.publish.feedback import FeedbackReport
from litradar.publish.mail import SendReport
from litradar.publish.pull_request import ProposeReport
from litradar.sources.report import SourceReport
from litradar.steps.ingest import IngestReport
from litradar.steps.pipeline import DigestReport, IndexReport, TrainReport
from litradar.steps.run_result import RunResult


def run_result(**steps) -> RunResult:  # type: ignore[no-untyped-def]
    defaults = {
        "ingest": IngestReport(files=["week.jsonl"], added=3),
        "sources": [SourceReport("arxiv", "2025-03-10", "2025-03-17", added=2)],
        "index": IndexReport(papers=5, embedded_now=5, rebuilt=True),
        "train": TrainReport({"relevance": {}}),
        "digest": DigestReport("2025-W11", Path("d.md"), Path("d.json"), 5, 1),
    }
    return RunResult(**(defaults | steps))


def test_a_run_whose_steps_all_worked_has_no_failures():
    assert run_result().failures() == []
    sent = SendReport("2025-W11", "sent", ["a@example.org"])
    opened = ProposeReport("2025-W11", "litradar/2025-W11", "opened", number=1)
    assert run_result(feedback=FeedbackReport(), deliveries={"email": sent, "pull request": opened}).failures() == []


def test_each_soft_failure_is_named():
    result = run_result(
        sources=[
            SourceReport("arxiv", "2025-03-10", "2025-03-17", added=2),
            SourceReport("s2", "2025-03-10", "2025-03-17", error="429 past the budget"),
            SourceReport("feed", "", "", error="crashed: KeyError"),
        ],
        feedback=FeedbackReport(error="GitHub said 401"),
        deliveries={
            "email": SendReport.failed("2025-W11", "interrupted earlier send"),
            "pull request": ProposeReport.failed("2025-W11", "push refused"),
        },
    )
    assert result.failures() == ["source s2", "source feed", "feedback", "email", "pull request"]


def test_a_send_that_failed_at_the_smtp_server_is_a_failure():
    refused = SendReport("2025-W11", "failed", ["a@example.org"], error="550 relay denied")
    assert run_result(deliveries={"email": refused}).failures() == ["email"]
    nothing = SendReport("2025-W11", "nothing to send", [], empty=True)
    assert run_result(deliveries={"email": nothing}).failures() == []


def test_a_run_result_survives_prefect_s_serializer():
    """Persisted results (PREFECT_RESULTS_PERSIST_BY_DEFAULT, a retried flow) are pickled."""
    from prefect.serializers import PickleSerializer

    result = run_result(deliveries={"email": SendReport.failed("2025-W11", "interrupted earlier send")})
    serializer = PickleSerializer()
    again = serializer.loads(serializer.dumps(result))
    assert again == result and again.failures() == ["email"]
