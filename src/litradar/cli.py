"""The `litradar` command. Every user error becomes one line on stderr and exit code 1."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from litradar.config import Config, load_config
from litradar.core.atomic_files import atomic_write_text
from litradar.core.errors import LitradarError, redact
from litradar.core.progress import RichReporter, print_log_lines

if TYPE_CHECKING:
    from rich.table import Table

# The click that typer runs on: click itself, or (newer typer) typer's own copy of it.
_click_errors = sys.modules[typer.BadParameter.__module__]


class OneLineUsageErrors(TyperGroup):
    """click's usage errors (an option out of its range, an unknown option or command) in
    one line, as litradar's own: "error: Invalid value for '-k': 0 is not in the range
    1<=x<=1000. (see 'litradar find --help')", and exit code 1 like every user error.
    click prints the usage and a hint first, four lines for one mistake, and exits 2,
    which `litradar run` gives to a run that finished with a failed source or channel: a
    scheduler could not tell a mistyped option from that."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _click_errors.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `litradar` alone: the help
                exc.show()
                sys.exit(exc.exit_code)
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            message = " ".join(exc.format_message().split())
            typer.echo(f"error: {message}{where}", err=True)
            sys.exit(1)
        except _click_errors.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        except OSError as exc:  # past every step's own handling: mostly stdout on a full disk
            _quiet_stdout()
            if exc.filename:
                typer.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
            else:
                typer.echo(f"error: cannot write the output ({exc.strerror or exc})", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush of what could
    not be written does not end the process with a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's): nothing to flush
        pass


app = typer.Typer(
    cls=OneLineUsageErrors,
    help="Keeps a research field's awesome list up to date.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help texts name config tables ("[email] recipients"): plain text, not rich markup,
    # which would swallow every "[table]" as a style tag.
    rich_markup_mode=None,
)


class RedactingConsole(Console):
    """A console that takes every configured secret out of what it prints (an error a
    service echoed, a source's note), so no command shows one on a terminal or in a log."""

    def print(self, *objects: object, **options: object) -> None:  # type: ignore[override]
        cleaned = [redact(o) if isinstance(o, str) else o for o in objects]
        super().print(*cleaned, **options)  # type: ignore[arg-type]


# emoji=False: a title's ":warning:" prints as written, not as an emoji.
out = RedactingConsole(highlight=False, soft_wrap=True, emoji=False)
err = RedactingConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False)
T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="litradar.toml to use (default: $LITRADAR_CONFIG, else ./litradar.toml).",
    ),
]
DigestOption = Annotated[
    str | None,
    typer.Option(
        "--digest", help="Digest name, e.g. 2025-W11 (default: the one written last)."
    ),
]


@app.callback()
def _start_run() -> None:
    # Each command is one run: the list's repository is fetched once in it, and the line
    # saying which list was used goes to stderr (stdout stays clean for --json). A new
    # process has fetched nothing; not importing the list's modules here keeps them (and
    # numpy) off `find`'s path until its query encoder is loading (query_preload).
    list_source = sys.modules.get("litradar.curation.list_source")
    if list_source is not None:
        list_source.new_run()
    print_log_lines(err, "litradar.list")
    print_log_lines(err, "litradar.publish")


def _table(*args: Any, **kwargs: Any) -> Table:
    """A rich table, imported when a command prints one (not on `find`'s cold start)."""
    from rich.table import Table

    return Table(*args, **kwargs)


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except LitradarError as exc:
        # One line, also when the message carries another library's (a model hub's error
        # spans lines) or a user's text with a line break in it.
        err.print(f"[red]error:[/red] {escape(' '.join(str(exc).split()))}")
        raise typer.Exit(1) from None
    except OSError as exc:  # a full disk, a permission, a folder where a file should be
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(exc.strerror or str(exc))}{escape(where)}")
        raise typer.Exit(1) from None
    except sqlite3.DatabaseError as exc:  # a store file made read-only, a disk gone bad
        # SQLite rolled the failed transaction back: what was committed before stays.
        err.print(f"[red]error:[/red] the store: {escape(str(exc))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written was kept")
        raise typer.Exit(130) from None


def _config(path: Path | None, say_defaults: bool = True) -> Config:
    """The config the command names, else $LITRADAR_CONFIG's, else ./litradar.toml; with
    none of them litradar's defaults (the demo's layout), said in one line: an error about
    a missing demo/data/awesome_list.md would otherwise name a file nobody configured."""
    from litradar.config import find_config_file

    config = _guard(lambda: load_config(path))
    if say_defaults and path is None and _guard(lambda: find_config_file(None)) is None:
        err.print(
            f"note: no {escape(str(Path.cwd() / 'litradar.toml'))} nor $LITRADAR_CONFIG: "
            "litradar's defaults apply (--config names a file)"
        )
    return config


def _say_new_store(cfg: Config, was_missing: bool) -> None:
    """'new store at ...' when the command (ingest, backfill, run) started the store."""
    if was_missing and cfg.store_path.exists():
        out.print(f"new store at {escape(str(cfg.store_path))}")


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option} {escape(value)!s} is not a date (YYYY-MM-DD)")
        raise typer.Exit(1) from None


@app.command()
def ingest(
    files: Annotated[
        list[Path] | None, typer.Argument(help="arXiv bulk-metadata JSON-lines files.")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            "-s",
            # Not read from the entry points here: that scan would cost every command (and
            # find's cold start) 15-30 ms; `litradar sources` lists what is installed.
            help="A live source (arxiv, feed, s2, or one an installed package declares: "
            "see 'litradar sources') or a JSON-lines FILE; repeatable.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Backfill from this date (YYYY-MM-DD) instead of the watermark."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Read up to this date, exclusive (default: tomorrow).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Add papers to the store (idempotent): from files, or from live sources, each read
    from its watermark (minus the overlap) or from --since."""
    from litradar.sources.registry import live_names, split_sources
    from litradar.steps.ingest import ingest_files, ingest_live

    cfg = _config(config)
    live, named_files = split_sources(source or [])
    paths = [*(files or []), *named_files]
    if not live and not paths:
        names = "|".join([*live_names(), "FILE"])
        err.print(f"[red]error:[/red] nothing to ingest: give FILES or --source {names}")
        raise typer.Exit(1)
    start, end = _parse_date(since, "--since"), _parse_date(until, "--until")
    if start is not None and end is not None and end <= start:  # before any file is read
        err.print(f"[red]error:[/red] empty window: --since {start} is not before --until {end}")
        raise typer.Exit(1)
    for name in source or []:  # --source arxv: a mistyped source name, not a missing file
        if name not in live and not Path(name).exists() and not {"/", "."} & set(name):
            known = ", ".join(live_names())
            err.print(
                f"[red]error:[/red] --source {escape(str(name))}: neither a live source "
                f"({escape(known)}) nor a file"
            )
            raise typer.Exit(1)
    failed = False
    new_store = not cfg.store_path.exists()
    if paths:
        report = _guard(lambda: ingest_files(cfg, paths, RichReporter(err)))
        cut = f", {len(report.cut)} stored with a field cut" if report.cut else ""
        out.print(
            f"ingested {len(report.files)} file(s): {report.added} added, {report.updated} "
            f"updated, {report.unchanged} unchanged, {len(report.problems)} line(s) "
            f"skipped{cut}"
        )
        for unreadable in report.unreadable:
            err.print(
                f"[red]error:[/red] {escape(unreadable)}: not one line is an arXiv record "
                "(is it arXiv's bulk-metadata JSON lines?)"
            )
        failed = bool(report.unreadable)
    for name in live:
        live_report = _guard(
            lambda name=name: ingest_live(cfg, name, start, end, RichReporter(err))
        )
        if live_report.error is None:
            out.print(escape(live_report.summary()))
        else:
            err.print(f"[red]error:[/red] {escape(live_report.summary())}")
        for note in live_report.notes:
            out.print(f"  note: {escape(note)}")
        failed = failed or live_report.error is not None
    _say_new_store(cfg, new_store)
    if failed:
        raise typer.Exit(1)


@app.command()
def sources(config: ConfigOption = None) -> None:
    """Where each live source stands: its watermark and how its last run went."""
    from litradar.sources.report import describe_source_run, latest_source_reports
    from litradar.sources.runner import PART_SEPARATOR
    from litradar.steps.ingest import FILE_MARK_PREFIX
    from litradar.storage.store import Store

    cfg = _config(config)
    out.print(f"configured live sources: {', '.join(cfg.sources.live) or 'none'}")
    if not cfg.store_path.exists():
        out.print(f"no live source has run yet (no store at {escape(str(cfg.store_path))})")
        return
    with _guard(lambda: Store.open(cfg.store_path)) as store:
        marks = store.watermarks()
    marks = {k: v for k, v in marks.items() if not k.startswith(FILE_MARK_PREFIX)}
    runs = {run["source"]: run for run in _guard(lambda: latest_source_reports(cfg, False))}
    if not marks and not runs:
        out.print("no live source has run yet")
    names = set(marks) | set(runs)
    searches = {k for k in marks if PART_SEPARATOR in k and k.partition(PART_SEPARATOR)[0] in names}
    for name in sorted(names - searches):
        out.print(f"{escape(name)}: read up to {marks.get(name, 'nothing yet')}")
        for key in sorted(k for k in searches if k.startswith(name + PART_SEPARATOR)):
            if part := key.removeprefix(name + PART_SEPARATOR):  # "" marks that searches have marks
                # Every search of a read moves with its source: one behind was not in it.
                gone = " (not in the last read)" if marks[key] != marks.get(name) else ""
                out.print(f"  search ({escape(part)}): read up to {marks[key]}{gone}")
        if name in runs:
            out.print(f"  last run: {escape(describe_source_run(runs[name]))}")


@app.command("list")
def list_report(config: ConfigOption = None) -> None:
    """How the list's entries match the store's papers: how many by which key (arXiv id,
    DOI, ACL Anthology, Semantic Scholar id, title), and the entries that match nothing."""
    from litradar.curation.list_match import MatchReport
    from litradar.curation.list_source import read_list
    from litradar.storage.store import Store

    cfg = _config(config)
    read = _guard(lambda: read_list(cfg))
    if cfg.store_path.is_file():
        with _guard(lambda: Store.open(cfg.store_path)) as store:
            report = MatchReport.of(read.awesome, store)
    else:
        report = MatchReport.of(read.awesome, None)
        out.print("no store yet: only arXiv links can be matched ('litradar ingest' first)")
    for line in report.lines():
        out.print(line, markup=False)


@app.command()
def index(config: ConfigOption = None) -> None:
    """Embed papers that have no embedding yet and rebuild the FAISS index if needed."""
    from litradar.steps.pipeline import update_index

    cfg = _config(config)
    report = _guard(lambda: update_index(cfg, reporter=RichReporter(err)))
    state = {"built": "built", "grown": f"grown by {report.added}"}.get(
        report.action, "already up to date"
    )
    out.print(f"index {state}: {report.papers} papers, {report.embedded_now} embedded now")


@app.command()
def backfill(
    snapshot: Annotated[Path, typer.Argument(help="arXiv's metadata snapshot (JSON lines).")],
    categories: Annotated[
        str | None,
        typer.Option(help="Comma-separated arXiv categories (default: [sources] categories)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only papers first announced on or after (YYYY-MM-DD).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Local Dask workers (default 2).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="An existing Dask scheduler, e.g. tcp://host:8786.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Fill the store from the snapshot, embed on Dask (resumable), grow the index."""
    cfg = _config(config)
    start = _parse_date(since, "--since")
    if not snapshot.is_file():
        err.print(f"[red]error:[/red] no such file: {escape(str(snapshot))}")
        raise typer.Exit(1)
    wanted = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    if categories is not None and not wanted:
        err.print(f"[red]error:[/red] --categories {escape(repr(categories))} names no category")
        raise typer.Exit(1)
    if address and workers is not None:  # the scheduler's cluster has its own workers
        err.print("[red]error:[/red] give --workers (a local cluster) or --address, not both")
        raise typer.Exit(1)
    workers = workers or 2
    if address:
        from litradar.steps.backfill import check_scheduler

        _guard(lambda: check_scheduler(address))
    from litradar.core.prefect_env import configure_prefect, start_temporary_server

    configure_prefect()
    server_ready = start_temporary_server()
    from litradar.flows.backfill import run_backfill

    _guard(server_ready)
    new_store = not cfg.store_path.exists()  # a backfill may start a project, as ingest does
    try:  # said also when the backfill fails after it started the store
        result = _guard(
            lambda: run_backfill(cfg_path(cfg, config), snapshot, wanted, start, workers, address)
        )
    finally:
        _say_new_store(cfg, new_store)
    if result.interrupted:
        err.print(
            f"interrupted: {result.kept} papers stored and {result.embedded} embedded in "
            "this run are kept; the same command goes on from there"
        )
        raise typer.Exit(130)
    out.print(
        f"backfill done: {result.kept} papers kept of {result.lines} lines read, "
        f"{result.problems} bad line(s), {result.embedded} embedded; "
        f"index {result.index}: {result.indexed} papers"
    )
    if result.lines and not result.kept:
        wanted_text = ", ".join(wanted) if wanted else "[sources] categories"
        hint = (
            f"no paper of the snapshot is dated {start} or later"
            if start and start > date.today()
            else "arXiv categories are written as cs.CV, case and all"
        )
        err.print(
            escape(
                f"warning: no paper of the snapshot passed the filter ({wanted_text}"
                f"{f', since {start}' if start else ''}); {hint}"
            )
        )


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def print_metrics(metrics: dict) -> None:
    rel = metrics["relevance"]
    out.print(
        f"relevance ({rel['method']}; {rel['positives']} in scope, {rel['negatives']} other): "
        f"threshold {rel['threshold']:.2f}, precision {rel['precision']:.3f}, "
        f"recall {rel['recall']:.3f}, average precision {rel['average_precision']:.3f}"
    )
    decisions = metrics.get("decisions") or {}
    if decisions.get("accepted") or decisions.get("rejected"):
        out.print(
            f"maintainer decisions learned from: {decisions['accepted']} accepted, "
            f"{decisions['rejected']} rejected"
        )
    place = metrics["placement"]
    table = _table(title=f"placement ({place['method']}): accuracy {place['accuracy']}")
    table.add_column("section")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for section, stats in place["per_section"].items():
        acc = "-" if stats["accuracy"] is None else f"{stats['accuracy']:.2f}"
        table.add_row(escape(section), f"{stats['correct']}/{stats['total']}", acc)
    out.print(table)
    survey = place.get("survey_papers") or {}
    if survey.get("papers"):
        out.print(
            f"placement of the survey's papers the list does not hold (leave-one-out): "
            f"{survey['accuracy']} over {survey['papers']}"
        )
    print_taxonomy_metrics(metrics.get("taxonomy") or {})


def print_taxonomy_metrics(taxonomy: dict) -> None:
    """Per class: known and title-named papers, and precision and recall at 0.5,
    cross-validated on the known labels."""
    for dimension, result in taxonomy.items():
        table = _table(
            title=f"taxonomy: {dimension} ({result['labelled']} labelled papers, "
            f"{result.get('weak', 0)} more named in their titles)"
        )
        for column in ("class", "labelled", "title names", "precision", "recall"):
            table.add_column(column, justify="left" if column == "class" else "right")
        for name, stats in result["classes"].items():
            if not stats["trained"]:
                row = ["too few", "-"]
            elif stats["precision"] is None:
                row = ["unmeasured", "-"]  # fewer than 2 known positives to test on
            else:
                row = [f"{stats['precision']:.2f}", f"{stats['recall']:.2f}"]
            weak = str(stats.get("weak", 0))
            table.add_row(escape(name), str(stats["positives"]), weak, *row)
        out.print(table)


@app.command()
def train(
    force: Annotated[
        bool, typer.Option(help="Train even when nothing training reads has changed.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Fit the relevance and placement models from the list and the survey; print metrics."""
    from litradar.steps.pipeline import train as train_step

    cfg = _config(config)
    report = _guard(lambda: train_step(cfg, reporter=RichReporter(err), force=force))
    if report.unchanged:
        out.print("models up to date: nothing they learn from changed (--force retrains)")
    print_metrics(report.metrics)
    out.print(f"saved to {cfg.classifiers_dir}")


def _window(since: str | None, until: str | None) -> tuple[date, date]:
    from litradar.core.digest_window import digest_window

    start, end = _parse_date(since, "--since"), _parse_date(until, "--until")
    return _guard(lambda: digest_window(start, end, date.today()))


@app.command()
def digest(
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD), inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end (YYYY-MM-DD), exclusive.")] = None,
    config: ConfigOption = None,
) -> None:
    """Write digests/<ISO week>.md and .json (default window: the last full ISO week)."""
    from litradar.steps.pipeline import make_digest

    cfg = _config(config)
    start, end = _window(since, until)
    report = _guard(lambda: make_digest(cfg, start, end, reporter=RichReporter(err)))
    kept = " (unchanged: nothing it reads changed)" if report.unchanged else ""
    out.print(
        f"digest {report.name}: {report.papers} papers read, {report.proposed} proposed{kept}\n"
        f"  {report.markdown}\n  {report.json}"
    )


@app.command()
def find(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("-k", min=1, max=1000, help="How many results.")] = 10,
    since: Annotated[
        str | None, typer.Option(help="Only papers first announced on or after.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    config: ConfigOption = None,
) -> None:
    """Semantic search over the indexed papers."""
    from litradar.embedding.query_preload import PreloadedEncoder

    cfg = _config(config)
    start = _parse_date(since, "--since")
    if not query.strip():
        err.print("[red]error:[/red] empty query")
        raise typer.Exit(1)
    preloaded = PreloadedEncoder(cfg)  # first: it loads while the rest imports
    from litradar.ranking.taxonomy_model import top_tags
    from litradar.steps.search import find as find_step

    hits = _guard(lambda: find_step(cfg, query, k=k, since=start, preloaded=preloaded))
    if as_json:
        for hit in hits:
            sys.stdout.write(json.dumps(hit.as_record(), ensure_ascii=False) + "\n")
        return
    if not hits:
        out.print("no matches")
        return
    # One block per hit rather than a table: it stays readable in any terminal width.
    for hit in hits:
        flags = "  (title match)" if hit.title_match else ""
        flags += "  (on the list)" if hit.on_list else ""
        section = f"  section: {escape(hit.section)}" if hit.section else ""
        out.print(f"{hit.score:.3f}  {hit.paper.first_version_date}{flags}{section}")
        # Plain text, not escaped markup: rich's escape doubles a trailing backslash.
        out.print(f"       {hit.paper.title}", markup=False)
        out.print(f"       {hit.paper.abs_url}", markup=False)
        if hit.tags:
            shown = " / ".join(f"{c} {p:.2f}" for c, p in top_tags(hit.tags))
            out.print(f"       tags: {escape(shown)}")


@app.command()
def evaluate(
    week: Annotated[
        list[Path],
        typer.Option(help="JSON-lines file of one week of papers to rank in (repeatable)."),
    ],
    judged: Annotated[
        Path | None,
        typer.Option(help="A judged set (weeks/<week>.jsonl, queries.jsonl) to measure with."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write every figure to this file.")
    ] = None,
    replay_weeks: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="With --judged: replay the weeks in date order, the maintainer's decisions "
            "on each week's proposals feeding the next (in a copy of the store).",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Measure the proposals: leave-one-out on the list (in the first --week), and with
    --judged, each judged week held out in turn (what is tuned chosen on the others) and
    each judged query, against TF-IDF + linear SVM and MiniLM."""
    from litradar.steps.evaluation import (
        JudgedSet,
        check_weeks,
        judged_evaluation,
        leave_one_out,
        summarise,
    )

    cfg = _config(config)
    if json_out is not None and (json_out.is_dir() or not json_out.parent.is_dir()):
        # Said before minutes of evaluation, and of the path given, not of a temporary file.
        where = escape(str(json_out))
        err.print(f"[red]error:[/red] --json {where}: not a file in an existing folder")
        raise typer.Exit(1)
    if replay_weeks and judged is None:
        err.print("[red]error:[/red] --replay needs --judged (the judgements are the decisions)")
        raise typer.Exit(1)
    judged_set = None if judged is None else _guard(lambda: JudgedSet.load(judged))
    # A bad judged file, an unreadable or unjudged week: said now, not minutes on.
    _guard(lambda: check_weeks(week, judged_set, judged))
    reporter = RichReporter(err)
    result = _guard(lambda: leave_one_out(cfg, week[0], reporter=reporter))
    _print_leave_one_out(result, week[0])
    document: dict = {"leave_one_out": result}
    if judged is not None:
        measured = _guard(lambda: judged_evaluation(cfg, week, judged, reporter=reporter))
        measured["summary"] = summarise(measured)
        _print_judged(measured)
        document["judged"] = measured
    if replay_weeks and judged is not None:
        document["replay"] = _guard(lambda: _replay(cfg, week, judged, reporter))
    if json_out is not None:
        _guard(lambda: atomic_write_text(json_out, json.dumps(document, indent=2) + "\n"))
        out.print(f"figures written to {json_out}")


def _print_leave_one_out(result: dict, week: Path) -> None:
    table = _table(
        title=f"leave-one-out: {result['held_out']} list papers "
        f"among {result['pool']} papers of {week.name}"
    )
    for column in ("ranker", "median rank", "recall@10", "recall@25", "worst rank"):
        table.add_column(column)
    for name, stats in result["rankers"].items():
        table.add_row(
            name,
            f"{stats['median_rank']:.1f}",
            f"{stats['recall_at_10']:.2f}",
            f"{stats['recall_at_25']:.2f}",
            str(stats["worst_rank"]),
        )
    out.print(table, width=WIDE)
    place, baseline = result["placement"], result["placement_baseline"]
    out.print(
        f"placement accuracy (leave-one-out): {place['accuracy']} "
        f"over {place['papers']} list papers; TF-IDF + linear SVM on the same split: "
        f"{baseline['accuracy']}"
    )
    survey, survey_baseline = place.get("survey_papers") or {}, baseline.get("survey_papers") or {}
    if survey.get("papers"):
        out.print(
            f"placement of the survey's papers the list does not hold: {survey['accuracy']} "
            f"over {survey['papers']}; TF-IDF + linear SVM: {survey_baseline.get('accuracy')}"
        )


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _replay(cfg: Config, weeks: list[Path], judged: Path, reporter: RichReporter) -> dict:
    """Run the replay, print its table, keep it where the page's charts read it."""
    from litradar.ranking.quality_figures import REPLAY_FILE
    from litradar.steps.replay import replay
    from litradar.web.charts import render_svg, replay_over_weeks

    result = replay(cfg, weeks, judged, reporter)
    table = _table(
        title="the judged weeks replayed in date order: the maintainer's decisions on each "
        "week's proposals train the next week (with), or not (without)"
    )
    for column in ("week", "run", "decided before", "bar", "proposed", "accepted", "rejected",
                   "precision", "section right"):  # fmt: skip
        table.add_column(column)
    for name, row in result["weeks"].items():
        for run in ("with_decisions", "without"):
            m = row[run]
            table.add_row(
                name, run.replace("_", " "), str(m["decided_before"]), _figure(m["bar"]),
                str(m["proposed"]), str(m["accepted"]), str(m["rejected"]),
                _figure(m["precision"]), _figure(m["section_right"]),
            )  # fmt: skip
    out.print(table, width=WIDE)
    folder = cfg.classifiers_dir
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / REPLAY_FILE, json.dumps(result, indent=2) + "\n")
    svg = render_svg(replay_over_weeks(cfg), "replay").decode("utf-8")
    atomic_write_text(folder / "replay.svg", svg)
    out.print(f"replay written to {folder / REPLAY_FILE} and its chart to {folder / 'replay.svg'}")
    return result


WIDE = 240  # evaluate's tables are read in logs and CI output: never cut at 80 columns


def _right_of(counts: list[int] | None) -> str:
    """'39 of 55' for the papers judged 2 or 1 placed in their judged section."""
    return "-" if not counts or not counts[1] else f"{counts[0]} of {counts[1]}"


def _print_judged(measured: dict) -> None:
    summary = measured["summary"]
    weeks = ", ".join(measured["weeks"])
    table = _table(
        title=f"leave one week out over {weeks}: chosen on the other weeks, measured on "
        "each held-out week (mean of the folds); in-sample: chosen and measured on all"
    )
    for column in ("ranker", "figures", "precision", "R@10", "nDCG@15", "section right",
                   "placed right (2 or 1)", "proposed/week", "cap hit"):  # fmt: skip
        table.add_column(column)
    for ranker, both in summary["weeks"].items():
        for kind in ("held_out", "in_sample"):
            m = both[kind]
            table.add_row(
                ranker, kind.replace("_", "-"), _figure(m["precision"]),
                _figure(m["recall_at_10"]), _figure(m["ndcg_at_15"]),
                _figure(m["section_right"]), _right_of(m.get("placed_right")),
                _figure(m["proposed"]), str(m["cap_hits"]),
            )  # fmt: skip
    out.print(table, width=WIDE)
    table = _table(title="litradar, each week held out: what the other weeks chose, and how it did")
    for column in ("week", "variant", "bar", "proposed", "precision", "ranks of 2s",
                   "section right", "placed right (2 or 1)", "placement"):  # fmt: skip
        table.add_column(column)
    for name, m in measured["rankers"]["litradar"]["folds"].items():
        table.add_row(
            name, m["variant"], _figure(m["bar"]), str(m["proposed"]) + (" (cap)" if
            m["cap_hit"] else ""), _figure(m["precision"]), " ".join(map(str, m["ranks"])),
            _figure(m.get("section_right")), _right_of(m.get("placed_right")),
            str(m.get("placement")),
        )  # fmt: skip
    out.print(table, width=WIDE)
    calibration = measured.get("calibration")
    if calibration:
        table = _table(title="calibration: expected against judged precision per probability "
                      "band (each week scored by the variant chosen without it)")  # fmt: skip
        for column in ("band", "papers", "expected", "judged"):
            table.add_column(column)
        for row in calibration:
            table.add_row(row["band"], str(row["papers"]), _figure(row["expected"]),
                          _figure(row["judged"]))  # fmt: skip
        out.print(table, width=WIDE)
    for name, keys in measured.get("left_out", {}).items():
        if keys:
            out.print(
                f"{name}: {len(keys)} judged paper(s) left out, already on the list or "
                f"decided by the maintainer: {', '.join(keys)}",
                width=WIDE,
            )
    if measured["queries"]:
        table = _table(title="judged queries (condensed: unjudged papers dropped first)")
        for column in ("query", "ranker", "P@5", "nDCG@10", "cond. P@5", "cond. nDCG@10",
                       "unjudged in top 5"):  # fmt: skip
            table.add_column(column)
        for query, rankers in measured["queries"].items():
            for ranker, m in rankers.items():
                table.add_row(
                    escape(query), ranker, _figure(m["p_at_5"]), _figure(m["ndcg_at_10"]),
                    _figure(m["condensed_p_at_5"]), _figure(m["condensed_ndcg_at_10"]),
                    str(m["unjudged_in_top_5"]),
                )  # fmt: skip
        out.print(table, width=WIDE)
        corpus = measured.get("query_corpus", {})
        if corpus.get("left_out"):
            out.print(
                f"queries searched among the papers they were judged on (weeks "
                f"{', '.join(corpus['weeks'])} and the rest of the store): "
                f"{corpus['left_out']} paper(s) of the other weeks left out",
                width=WIDE,
            )
        for ranker, m in summary["queries"].items():
            out.print(
                f"{ranker}: mean P@5 {_figure(m['p_at_5'])}, nDCG@10 {_figure(m['ndcg_at_10'])}"
                f"; condensed P@5 {_figure(m['condensed_p_at_5'])}, nDCG@10 "
                f"{_figure(m['condensed_ndcg_at_10'])}"
            )


@app.command()
def backtest(
    list_repo: Annotated[Path, typer.Option(help="A git clone of the list's repository.")],
    list_file: Annotated[str, typer.Option(help="The list's file in that repository.")] = (
        "README.md"
    ),
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks after each commit.")] = 4,
    min_papers: Annotated[
        int,
        typer.Option(min=1, help="Score a week only if the store holds this many of its papers."),
    ] = 100,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the report and the plot go.")
    ] = Path("backtest"),
    config: ConfigOption = None,
) -> None:
    """Replay the list's git history: would litradar have proposed what was added later?"""
    from litradar.steps.backtest import backtest as replay
    from litradar.steps.backtest import summary, write_backtest

    cfg = _config(config)
    results = _guard(
        lambda: replay(cfg, list_repo, list_file, weeks, min_papers, reporter=RichReporter(err))
    )
    report, plot = _guard(lambda: write_backtest(results, list_repo, out_dir))
    total = summary(results)
    if total["targets"]:
        out.print(
            f"backtest: {total['targets']} paper{'' if total['targets'] == 1 else 's'} added "
            f"later; recall@10 "
            f"{total['recall_at_10']} (TF-IDF + linear SVM {total['baseline_recall_at_10']}), "
            f"@25 {total['recall_at_25']}, @50 {total['recall_at_50']}; section right "
            f"{_or_dash(total['placement_accuracy'])} (the list's section known for a target); "
            f"median lead {total['median_lead_weeks']} weeks"
        )
    else:
        out.print("backtest: no paper added later falls in a week the store holds")
    if total["unscored_targets"]:
        out.print(
            f"  not scored: {total['unscored_targets']} paper(s) added later in weeks of which "
            f"the store holds fewer than {min_papers} papers"
        )
    out.print(f"  {report}\n  {plot}")


@app.command()
def run(
    since: Annotated[str | None, typer.Option(help="Digest window start (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Digest window end, exclusive.")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the weekly flow once (ingest, index, train, digest) on a temporary local Prefect
    server (or the one PREFECT_API_URL names).

    Exit code 0: every step worked; 2: the run finished but a source, the feedback or an
    output channel (the email, the pull request) failed (each said above); 1: the run
    stopped on an error."""
    from litradar.steps.pipeline import preflight

    cfg = _config(config)
    start, end = _window(since, until)
    _guard(lambda: preflight(cfg))
    from litradar.core.prefect_env import (
        configure_prefect,
        on_a_temporary_server,
        start_temporary_server,
        temporary_server_started,
    )

    configure_prefect()
    server_ready = start_temporary_server()
    from litradar.flows.weekly import run_weekly, warm_up

    if temporary_server_started():  # seconds to wait anyway; else a run that trains nothing
        warm_up()  # and keeps its digest would import scikit-learn for nothing
    _guard(server_ready)
    heartbeats = not on_a_temporary_server()  # a server that stops with the run reads none
    new_store = not cfg.store_path.exists()  # its ingest step starts one, as `ingest` does
    try:  # said also when a later step fails
        result = _guard(lambda: run_weekly(cfg_path(cfg, config), start, end, heartbeats))
    finally:
        _say_new_store(cfg, new_store)
    out.print(
        f"weekly run done: {result.ingest.added} papers added, "
        f"{result.index.embedded_now} embedded, digest {result.digest.name} "
        f"({result.digest.proposed} proposed{', unchanged' if result.digest.unchanged else ''})"
        f"\n  {result.digest.markdown}"
    )
    for title, report in result.deliveries.items():
        out.print(f"  {title}: {escape(report.summary())}")
    for source in result.sources:
        state = f"FAILED: {source.error}" if source.error else f"{source.added} added"
        out.print(f"  source {escape(source.source)}: {escape(state)}")
    if result.feedback and result.feedback.error:
        out.print(f"  feedback: FAILED: {escape(result.feedback.error)}")
    if failed := result.failures():
        # A scheduler sees a partial failure without reading the log; the rest ran.
        err.print(f"run finished with failures: {', '.join(failed)}")
        raise typer.Exit(2)


@app.command()
def send(
    digest: DigestOption = None,
    resend: Annotated[bool, typer.Option(help="Send again a digest already sent.")] = False,
    config: ConfigOption = None,
) -> None:
    """Email a digest (plain text and HTML) to [email] recipients; each digest once."""
    from litradar.publish.mail import send_digest

    cfg = _config(config)
    report = _guard(lambda: send_digest(cfg, digest, resend))
    nothing = " (nothing this week)" if report.empty else ""
    if report.status == "sent":
        out.print(f"sent digest {report.name}{nothing} to {len(report.recipients)} recipient(s)")
    elif report.status == "nothing to send":
        out.print(
            escape(
                f"digest {report.name} proposes nothing: not sent ([email] send_empty = true "
                "sends a one-line 'nothing this week')"
            )
        )
    elif report.status == "already sent":
        out.print(f"digest {report.name} was already sent; --resend sends it again")
    else:
        retried = " (the digest stays on disk; the next run tries again)"
        later = "" if report.may_have_arrived else retried
        err.print(
            f"[red]error:[/red] could not send digest {report.name}: "
            f"{escape(report.error or '')}{later}"
        )
        raise typer.Exit(1)
    if report.note:
        out.print(f"  note: {escape(report.note)}")


@app.command()
def propose(
    digest: DigestOption = None,
    config: ConfigOption = None,
) -> None:
    """Open (or update) the week's pull request adding its proposals to the list."""
    from litradar.publish.pull_request import propose as open_pull_request

    cfg = _config(config)
    report = _guard(lambda: open_pull_request(cfg, digest))
    for key, why in report.skipped.items():
        out.print(f"  not proposed: {escape(key)}: {escape(why)}")
    if report.status == "nothing to propose":
        out.print(f"digest {report.name}: nothing to propose")
        return
    if report.note:
        out.print(f"pull request #{report.number} {report.status}: {escape(report.note)}")
        return
    out.print(
        f"pull request #{report.number} {report.status}: {len(report.entries)} paper(s) on "
        f"branch {escape(report.branch)}\n  {escape(report.url or '')}"
    )


@app.command()
def feedback(config: ConfigOption = None) -> None:
    """Learn from closed litradar pull requests: merged entries are accepted (in the section
    the maintainer left them), the others rejected. The next 'litradar train' uses them."""
    from litradar.publish.feedback import collect_feedback

    cfg = _config(config)
    report = _guard(lambda: collect_feedback(cfg))
    for key, section in report.accepted.items():
        out.print(f"  accepted: {escape(key)} in {escape(section)}")
    for key in report.rejected:
        out.print(f"  rejected: {escape(key)}")
    for number, why in report.missing.items():
        err.print(f"warning: pull request #{number} skipped: {escape(why)}")
    if report.error:
        err.print(f"[red]error:[/red] {escape(report.error)}")
        raise typer.Exit(1)
    waiting = ", ".join(f"#{n}" for n in report.waiting) or "none"
    out.print(
        f"feedback: {len(report.accepted)} accepted, {len(report.rejected)} rejected; "
        f"pull requests still open: {waiting}"
    )


@app.command()
def label(
    paper_id: Annotated[str, typer.Argument(help="The paper: an arXiv id (or s2:<id>).")],
    # Two flags, not click's flag pair, with which the last of both given won silently.
    belongs: Annotated[
        bool, typer.Option("--relevant", help="It belongs on the list.")
    ] = False,
    does_not: Annotated[
        bool, typer.Option("--not-relevant", help="It does not belong on the list.")
    ] = False,
    section: Annotated[str | None, typer.Option(help="The list section it belongs in.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="A taxonomy class, as DIMENSION=CLASS; repeatable per dimension."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Record a maintainer's decision about a paper; the next 'litradar train' learns it."""
    from litradar.steps.labelling import record_label

    cfg = _config(config)
    if belongs and does_not:
        err.print("[red]error:[/red] say --relevant or --not-relevant, not both")
        raise typer.Exit(1)
    if not (belongs or does_not or tag):
        err.print("[red]error:[/red] say --relevant or --not-relevant, or give a --tag")
        raise typer.Exit(1)
    relevant = True if belongs else False if does_not else None
    summary = _guard(lambda: record_label(cfg, paper_id, relevant, section, tag or []))
    out.print(f"recorded: {escape(summary)}; run 'litradar train' to learn from it")


@app.command()
def web(
    host: Annotated[
        str, typer.Option(help="Address to listen on; beyond loopback needs $LITRADAR_WEB_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    config: ConfigOption = None,
) -> None:
    """Serve the maintainer's page: search, the week's review queue (accept, reject, skip),
    the pull request, charts, and /api/find."""
    import os
    import socket

    from litradar.web.security import TOKEN_ENV, check_binding

    cfg = _config(config)
    token = os.environ.get(TOKEN_ENV) or None
    _guard(lambda: check_binding(host, token))
    try:  # a port in use is one line here, not uvicorn's log and exit
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        why = escape(exc.strerror or str(exc))
        err.print(f"[red]error:[/red] cannot listen on {escape(host)}:{port}: {why}")
        raise typer.Exit(1) from None
    import uvicorn

    from litradar.web.app import create_app

    shown = f"[{host}]" if ":" in host else host
    signed = " (sign in with $LITRADAR_WEB_TOKEN)" if token else ""
    out.print(f"litradar web: http://{shown}:{port}/{signed}; Ctrl-C stops it")
    uvicorn.run(
        create_app(cfg, token=token, host=host),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
    )


@app.command()
def init(
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[LIST]",
            help="A new list to set up: its README (a file, a folder holding it, or a git "
            "URL or repository to clone).",
        ),
    ] = None,
    github_actions: Annotated[
        bool,
        typer.Option(
            "--github-actions",
            help="Write .github/workflows/litradar.yml: the weekly run on GitHub Actions, "
            "its store kept on the branch litradar-data.",
        ),
    ] = False,
    repo: Annotated[
        Path, typer.Option(help="The list repository's clone (default: here).")
    ] = Path("."),
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="With LIST: where to write litradar.toml and taxonomy.toml."),
    ] = Path("."),
    papers: Annotated[
        list[Path] | None,
        typer.Option(
            "--papers",
            help="With LIST: arXiv bulk-metadata JSON lines holding the list's papers and "
            "others of the field to contrast them with; repeatable. The new config ingests them.",
        ),
    ] = None,
    list_file: Annotated[
        str, typer.Option(help="With a repository as LIST: the list's file in it.")
    ] = "README.md",
    force: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="An existing litradar.toml: with --github-actions the one to run; with LIST "
            "its store's papers are contrasted with the list's, and its [llm] drafts a "
            "suggestion.",
        ),
    ] = None,
) -> None:
    """Set litradar up: for a new list (LIST), or where the list lives (--github-actions)."""
    if source is not None:
        _init_list(source, out_dir, papers or [], list_file, force, config)
        return
    from litradar.config import find_config_file
    from litradar.steps.scaffold import workflow_for, write_workflow

    if not github_actions:
        err.print("[red]error:[/red] say what to set up: a LIST, or --github-actions")
        raise typer.Exit(1)
    found = _guard(lambda: find_config_file(config))
    if found is None:
        err.print("[red]error:[/red] no litradar.toml here: give --config (inside the repository)")
        raise typer.Exit(1)
    cfg = _config(found)
    path = _guard(lambda: write_workflow(repo, workflow_for(cfg, found, repo), force))
    out.print(
        escape(
            f'wrote {path}: the weekly run on cron "{cfg.schedule.cron}" (UTC), its store on '
            "the branch litradar-data; commit and push it, and add the secrets "
            f"{cfg.email.password_env}, {cfg.sources.s2.api_key_env} and "
            f"{cfg.llm.api_key_env} if [email], the s2 source or [llm] is used"
        )
    )
    if cfg.schedule.timezone != "UTC":  # GitHub reads a workflow's cron in UTC only
        err.print(
            "[yellow]warning:[/yellow] "
            + escape(
                f"[schedule] timezone {cfg.schedule.timezone} is not used: GitHub Actions "
                "reads the cron in UTC (write it in UTC)"
            )
        )


def _init_list(
    source: str, out_dir: Path, papers: list[Path], list_file: str, force: bool,
    config: Path | None,
) -> None:  # fmt: skip
    """`litradar init LIST`: draft litradar.toml and taxonomy.toml for a new list."""
    import tempfile

    from litradar.assist.term_suggest import suggest_terms
    from litradar.curation.list_origin import is_local, read_origin
    from litradar.steps import list_init

    existing = _config(config) if config is not None else None
    llm = existing or _config(None, say_defaults=False)  # [llm]: the file given, or the env
    store = existing.store_path if existing is not None else None
    if store is not None and not store.is_file():
        err.print(
            f"[red]error:[/red] {escape(str(config))} has no store yet ({escape(str(store))})"
        )
        raise typer.Exit(1)
    if not papers and store is None:
        err.print(
            "[red]error:[/red] give --papers FILE (arXiv metadata of the list's papers and of "
            "others to contrast them with) or --config of a litradar store"
        )
        raise typer.Exit(1)
    names = [list_init.CONFIG_NAME, list_init.TAXONOMY_NAME]
    if not is_local(source, list_file):  # a clone's list is copied beside the config
        names.append(list_init.LIST_COPY)
    _guard(lambda: list_init.check_writable(out_dir, names, force))
    with tempfile.TemporaryDirectory(prefix="litradar-init-") as work:
        origin = _guard(lambda: read_origin(source, Path(work), list_file))
    awesome = _guard(lambda: list_init.check_list(origin))
    found, bad_lines = _guard(lambda: list_init.gather_papers(papers, store))
    result = _guard(lambda: list_init.draft(awesome, found))
    if llm.llm.enabled:
        titles = [p.title for p in result.list_papers]
        result.suggestion = suggest_terms(llm.llm, awesome.section_names(), titles)
    files = {
        list_init.CONFIG_NAME: list_init.render_config(result, origin, out_dir, papers, llm),
        list_init.TAXONOMY_NAME: list_init.render_taxonomy(result),
    }
    if origin.file is None:  # a cloned list: its copy is the offline fallback
        files[list_init.LIST_COPY] = origin.text
    written = _guard(lambda: list_init.write_files(out_dir, files, force))
    sections = awesome.section_names()
    out.print(
        escape(
            f"list {source}: {len(awesome.entries)} entries in {len(sections)} sections, "
            f"{len(awesome.arxiv_ids)} arXiv papers, {len(result.list_papers)} of them in the "
            f"papers given ({result.rest} others to contrast with)"
        )
    )
    out.print(escape(f"  sections: {', '.join(sections)}"))
    out.print(escape(f"  categories: {', '.join(result.categories)}"))
    for half, terms in (
        ("model_terms", result.model_terms),
        ("internals_terms", result.topic_terms),
    ):
        out.print(escape(f"  {half}: {', '.join(t.term for t in terms[:10]) or 'none'}"))
    if result.suggestion is not None:
        s = result.suggestion
        said = "beside the drafted terms" if s.terms else f"none: {s.note}"
        out.print(escape(f"  LLM {s.model} suggestion: {said}"))
    for problem in bad_lines[:5]:  # named as ingest names them
        result.notes.append(f"skipped {problem}")
    if len(bad_lines) > 5:
        result.notes.append(f"and {len(bad_lines) - 5} more bad lines skipped")
    if not papers:
        result.notes.append(
            "the papers came from a store, not files: add [sources] files or live sources "
            "so that litradar run has papers to read"
        )
    for note in result.notes:
        out.print(escape(f"  note: {note}"))
    out.print(
        escape(
            f"wrote {', '.join(str(p) for p in written)}: read and edit the draft, then "
            f"litradar run --config {out_dir / list_init.CONFIG_NAME}"
        )
    )


def cfg_path(cfg: Config, explicit: Path | None) -> str | None:
    from litradar.config import find_config_file

    found = explicit or find_config_file(None)
    return str(Path(found).resolve()) if found else None


@app.command()
def serve(
    cron: Annotated[str | None, typer.Option(help="Cron schedule (default from config).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the weekly flow as a Prefect deployment on a cron schedule (needs a Prefect server)."""
    from litradar.config import check_cron

    cfg = _config(config)
    if cron is not None and not cron.strip():
        err.print("[red]error:[/red] --cron is empty (leave it out for \\[schedule] cron)")
        raise typer.Exit(1)
    schedule = _guard(lambda: check_cron(cron) if cron else cfg.schedule.cron)
    from litradar.core.prefect_env import configure_prefect, require_api

    configure_prefect()
    _guard(require_api)
    from litradar.flows.weekly import serve_weekly

    try:
        _guard(lambda: serve_weekly(cfg_path(cfg, config), schedule, cfg.schedule.timezone))
    except SystemExit as stop:  # SIGTERM: Prefect's handler exits 0 from inside its loop
        if stop.code not in (0, None):
            raise
    # Prefect's serve returns only when Ctrl-C or SIGTERM stopped it (it swallows both): a
    # server's usual stop, exit 0 (as uvicorn's, and what a service manager expects), but
    # said, with what it means for a run in progress.
    err.print(
        "litradar serve stopped: no weekly run starts from here until it is served again; "
        "a run it had started stopped with it, and the next run redoes what that one left"
    )


def main() -> None:
    """The console script `litradar`. When the command is done, every object is moved out
    of the garbage collector's reach (`gc.freeze`): the interpreter's exit then skips
    collecting them one by one, 50 ms of every command (a sixth of a cold `find`), while
    atexit handlers (Prefect's) and the flush of stdout and stderr still run."""
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
