"""The command line end to end on the bundled data (hashing encoder: no torch), and every
kind of bad input: one line on stderr, a non-zero exit, nothing stored lost."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from litradar.cli import app
from litradar.curation.awesome_list import parse_list

runner = CliRunner()


def invoke(project: Path, *args: str):
    return runner.invoke(app, [*args, "--config", str(project / "litradar.toml")])


def paper_count(project: Path) -> int:
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]


def assert_one_line_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], result.output


@pytest.fixture
def built(trained_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(trained_project, copy)
    return copy


def test_ingest_twice_changes_nothing(project: Path):
    week = str(project / "data" / "weeks" / "2025-03-10.jsonl")
    first = invoke(project, "ingest", week)
    second = invoke(project, "ingest", week)
    assert "1197 added" in first.output
    assert "0 added, 0 updated, 1197 unchanged" in second.output
    assert paper_count(project) == 1197


def test_digest_proposes_list_formatted_entries_and_lists_every_paper_in_json(built: Path):
    result = invoke(built, "digest", "--since", "2025-03-10", "--until", "2025-03-17")
    assert result.exit_code == 0, result.output
    md = (built / "digests" / "2025-W11.md").read_text()
    document = json.loads((built / "digests" / "2025-W11.json").read_text())
    papers = document["papers"]
    assert document["papers_read"] == len(papers) >= 1197
    assert [p["rank"] for p in papers] == list(range(1, len(papers) + 1))
    assert all(
        p["first_version_date"] >= "2025-03-10" and p["first_version_date"] < "2025-03-17"
        for p in papers
    )
    scores = [p["relevance"] for p in papers]
    assert scores == sorted(scores, reverse=True)
    proposed = [p for p in papers if p["proposed"]]
    # what clears the models' threshold, best first, at most `size` (10 in the tests)
    candidates = [p for p in papers if not p["on_list"]]
    threshold = document["threshold"]
    assert 0 < threshold < 1
    assert proposed == [p for p in candidates if p["relevance"] >= threshold][:10]
    assert 1 <= len(proposed) <= 10 and not any(p["on_list"] for p in proposed)
    assert document["held_back"] == 10 - len(proposed)
    # the best of the rest are shown near the cut, not proposed
    near = [p for p in papers if p["near_cut"]]
    assert near == [p for p in candidates if not p["proposed"]][:5]
    assert "## Near the cut (not proposed)" in md
    # the markdown's entries are in the list's own format, each under its predicted section
    parsed = parse_list(md)
    assert sorted(e.arxiv_id for e in parsed.papers) == sorted(p["arxiv_id"] for p in proposed)
    section_of = {p["arxiv_id"]: p["section"] for p in proposed}
    assert all(e.section_name == section_of[e.arxiv_id] for e in parsed.papers)
    assert "close to:" in md


def test_an_empty_week_is_an_honest_empty_digest(built: Path):
    result = invoke(built, "digest", "--since", "2030-01-07", "--until", "2030-01-14")
    assert result.exit_code == 0
    assert "0 papers read, 0 proposed" in result.output
    assert "No papers in this window" in (built / "digests" / "2030-W02.md").read_text()
    assert json.loads((built / "digests" / "2030-W02.json").read_text())["papers"] == []


def test_find_prints_matches_as_json_with_list_membership(built: Path):
    result = invoke(built, "find", "sparse autoencoder features multimodal", "-k", "5", "--json")
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert len(hits) == 5
    assert {"score", "arxiv_id", "date", "title", "url", "on_list", "section"} <= set(hits[0])
    recent = invoke(built, "find", "hallucination", "--since", "2025-03-12", "--json")
    assert recent.exit_code == 0 and recent.output.strip(), recent.output
    assert all(json.loads(line)["date"] >= "2025-03-12" for line in recent.output.splitlines())


def test_a_missing_file_stops_before_anything_changes(built: Path):
    before = paper_count(built)
    result = invoke(
        built, "ingest", str(built / "data" / "weeks" / "2025-03-10.jsonl"), "nope.jsonl"
    )
    assert_one_line_error(result, "no such file: nope.jsonl")
    assert paper_count(built) == before


def test_a_file_with_no_arxiv_record_at_all_is_an_error(project: Path):
    """Every line bad: most likely the wrong file. It exited 0 with a warning per line."""
    good = project / "data" / "weeks" / "2025-03-10.jsonl"
    garbage = project / "notes.txt"
    garbage.write_text("shopping list\neggs\n")
    result = invoke(project, "ingest", str(garbage), str(good))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "notes.txt: not one line is an arXiv record" in errors[0]
    assert paper_count(project) > 0  # the good file beside it went in
    assert invoke(project, "ingest", str(good)).exit_code == 0


def test_malformed_lines_are_skipped_and_reported(project: Path):
    bad = project / "bad.jsonl"
    good = (project / "data" / "weeks" / "2025-03-10.jsonl").read_text().splitlines()[:3]
    bad.write_text("\n".join([good[0], "{not json", good[1], '{"id": 7}', good[2]]) + "\n")
    result = invoke(project, "ingest", str(bad))
    assert result.exit_code == 0
    assert "3 added" in result.output and "2 line(s) skipped" in result.output
    assert f"{bad}:2: malformed JSON" in result.output
    assert f"{bad}:4:" in result.output


def test_query_on_an_empty_index_is_a_clear_error(project: Path):
    assert_one_line_error(invoke(project, "find", "anything"), "the index is empty")
    assert_one_line_error(invoke(project, "index"), "litradar ingest")


def test_a_list_with_no_entries_is_a_clear_error(built: Path):
    (built / "data" / "awesome_list.md").write_text("# Awesome\n\nNothing here yet.\n")
    assert_one_line_error(invoke(built, "train"), "no paper entries")
    assert (built / "classifiers" / "relevance.json").is_file()  # the last models are kept


def test_unknown_config_key_and_bad_dates(built: Path):
    config = built / "litradar.toml"
    config.write_text(config.read_text() + "\n[digest2]\nsize = 3\n")
    assert_one_line_error(invoke(built, "index"), "unknown key 'digest2'")
    config.write_text(config.read_text().replace("[digest2]\nsize = 3\n", ""))
    assert_one_line_error(invoke(built, "digest", "--since", "last week"), "is not a date")
    assert_one_line_error(
        invoke(built, "digest", "--since", "2025-03-17", "--until", "2025-03-10"), "empty window"
    )


def test_digest_before_training_says_what_to_do(project: Path):
    data = project / "data"
    invoke(project, "ingest", str(data / "weeks" / "2025-03-10.jsonl"))
    assert_one_line_error(invoke(project, "digest"), "run 'litradar train' first")


def test_find_prints_readable_blocks_marking_list_papers(built: Path):
    title = "Large Multi-modal Models Can Interpret Features in Large Multi-modal Models"
    result = invoke(built, "find", title, "-k", "10")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 40  # four lines a hit: score/date/flags, title, link, tags
    at = lines.index("       https://arxiv.org/abs/2411.14982")
    assert lines[at - 1].strip() == title
    assert "(on the list)" in lines[at - 2]
    assert lines[at + 1].startswith("       tags: ") and lines[at + 1].count(" / ") == 2
    assert sum("(on the list)" in line for line in lines[::4]) >= 1


def test_find_prints_a_title_as_written_not_as_emoji_or_markup(built: Path):
    """Rich turned ':warning:' into an emoji and printed a trailing backslash twice."""
    import sqlite3

    title = "Large Multi-modal Models Can Interpret Features in Large Multi-modal Models"
    odd = ":warning: [bold]Features[/] in [link=http://e]LMMs[/link] \\"
    with sqlite3.connect(built / "index" / "litradar.sqlite") as db:
        db.execute("UPDATE papers SET title = ? WHERE arxiv_id = '2411.14982'", (odd,))
    result = invoke(built, "find", title, "-k", "10")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("       https://arxiv.org/abs/2411.14982")
    assert lines[at - 1] == "       " + odd


# Issue 13, holes 3 and 4: every bad input one line, nothing created by a typo.


def test_a_window_beyond_the_calendar_is_one_line(built: Path):
    assert_one_line_error(invoke(built, "digest", "--since", "9999-12-31"), "out of range")
    assert_one_line_error(invoke(built, "digest", "--until", "0001-01-02"), "out of range")


def test_a_data_dir_that_does_not_exist_is_not_silently_created(built: Path, tmp_path: Path):
    env = {"LITRADAR_PATHS__DATA_DIR": str(tmp_path / "nonexistent" / "x")}
    args = ["--config", str(built / "litradar.toml")]
    for command in (["index"], ["train"], ["digest", "--since", "2025-03-10"],
                    ["label", "2503.00001", "--relevant"]):  # fmt: skip
        result = runner.invoke(app, [*command, *args], env=env)
        assert_one_line_error(result, "no store at")
    assert "(no store at" in runner.invoke(app, ["sources", *args], env=env).output
    assert_one_line_error(runner.invoke(app, ["find", "probing", *args], env=env), "is empty")
    week = str(built / "data" / "weeks" / "2025-03-10.jsonl")
    assert_one_line_error(runner.invoke(app, ["ingest", week, *args], env=env), "does not exist")
    assert not (tmp_path / "nonexistent").exists()


def test_a_new_store_is_announced(project: Path):
    week = str(project / "data" / "weeks" / "2025-03-10.jsonl")
    result = invoke(project, "ingest", week)
    assert f"new store at {project / 'index' / 'litradar.sqlite'}" in result.output
    assert "new store" not in invoke(project, "ingest", week).output


def test_a_data_dir_that_is_a_file_and_a_binary_list_are_one_line(built: Path, tmp_path: Path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    env = {"LITRADAR_PATHS__DATA_DIR": str(a_file)}
    week = str(built / "data" / "weeks" / "2025-03-10.jsonl")
    result = runner.invoke(app, ["ingest", week, "--config", str(built / "litradar.toml")], env=env)
    assert_one_line_error(result, "is a file, not a folder")
    for key in ("CLASSIFIERS_DIR", "DIGESTS_DIR"):  # found at once, not deep in a write
        env = {f"LITRADAR_PATHS__{key}": str(a_file)}
        result = runner.invoke(app, ["digest", "--config", str(built / "litradar.toml")], env=env)
        assert_one_line_error(result, f"[paths] {key.lower()} {a_file} is a file, not a folder")
    (built / "data" / "awesome_list.md").write_bytes(b"\xff\xfe\x00binary\x00")
    assert_one_line_error(invoke(built, "train"), "is not UTF-8 text")
    config = built / "litradar.toml"
    config.write_text(config.read_text(), encoding="utf-16")
    assert_one_line_error(invoke(built, "index"), "is not UTF-8 text")


def test_help_texts_show_the_config_tables_they_name():
    """Rich markup read "[email]" as a style tag and dropped it from `send --help`."""
    send = CliRunner().invoke(app, ["send", "--help"])
    assert "[email] recipients" in send.output
    backfill = CliRunner().invoke(app, ["backfill", "--help"])
    assert "[sources]" in backfill.output


# Found by a bad-input sweep of every command (issue 22's session): each was a traceback.


def test_an_inverted_window_is_refused_before_the_run_starts(built: Path):
    """The ingest ran first and the digest step's refusal came out of Prefect."""
    result = invoke(built, "run", "--since", "2025-03-17", "--until", "2025-03-10")
    assert_one_line_error(result, "empty window: --until 2025-03-10 is not after --since")
    week = str(built / "data" / "weeks" / "2025-03-10.jsonl")
    result = invoke(built, "ingest", week, "--since", "2025-03-17", "--until", "2025-03-10")
    assert_one_line_error(result, "empty window: --since 2025-03-17 is not before --until")


def test_input_nested_too_deeply_is_one_line(built: Path, tmp_path: Path):
    """Python's parsers give up with a RecursionError a thousand brackets deep."""
    deep_toml = tmp_path / "deep.toml"
    deep_toml.write_text("x = " + "[" * 1000 + "]" * 1000)
    result = runner.invoke(app, ["find", "probing", "--config", str(deep_toml)])
    assert_one_line_error(result, "deep.toml: nested too deeply to read")
    env = {"LITRADAR_DIGEST__SIZE": "[" * 5000 + "]" * 5000}
    result = runner.invoke(app, ["find", "probing", "--config", str(built / "litradar.toml")], env=env)
    assert_one_line_error(result, "LITRADAR_DIGEST__SIZE: nested too deeply to read")
    env = {"LITRADAR_PATHS__TAXONOMY": str(deep_toml)}
    result = runner.invoke(app, ["train", "--config", str(built / "litradar.toml")], env=env)
    assert_one_line_error(result, "deep.toml: nested too deeply to read")
    survey = built / "data" / "survey_bibliography.jsonl"
    survey.write_text("[" * 5000 + "]" * 5000 + "\n" + survey.read_text())
    assert_one_line_error(invoke(built, "train", "--force"), "survey_bibliography.jsonl:1: malformed")


def test_a_digest_nested_too_deeply_is_unreadable_not_a_crash(built: Path):
    from litradar.core.errors import LitradarError
    from litradar.digests.generations import load

    assert invoke(built, "digest", "--since", "2025-03-10").exit_code == 0
    document = (built / "digests" / "2025-W11.json").resolve()
    document.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(LitradarError, match=r"digest 2025-W11 in .* is unreadable"):
        load(built / "digests", "2025-W11")


def test_model_files_of_the_wrong_shape_are_one_line_and_retrained(built: Path):
    """Valid JSON that is not the models' own (`[]`) passed the parse and failed later."""
    from litradar.config import load_config
    from litradar.core.errors import LitradarError
    from litradar.ranking.model_files import load_metrics
    from litradar.steps.pipeline import _trained_on

    config = load_config(built / "litradar.toml")
    assert _trained_on(config) is not None
    relevance = built / "classifiers" / "relevance.json"
    saved = relevance.read_text()
    relevance.write_text("[]")
    assert_one_line_error(invoke(built, "digest", "--since", "2025-03-10"), "not a JSON object")
    assert _trained_on(config) is None  # the next train retrains
    relevance.write_text(saved)
    metrics = built / "classifiers" / "metrics.json"
    for damaged in ("[1", "[1]"):
        metrics.write_text(damaged)
        with pytest.raises(LitradarError, match=r"training metrics .* are unreadable"):
            load_metrics(built / "classifiers")
        assert _trained_on(config) is None  # not "up to date", then a crash


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None,
    reason="root writes a read-only file; setpriv drops that power",
)
def test_a_store_file_that_cannot_be_written_is_one_line_and_kept(built: Path):
    store = built / "index" / "litradar.sqlite"
    before = paper_count(built)
    store.chmod(0o444)
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
            "--inh-caps=-all"] if os.geteuid() == 0 else []  # fmt: skip
    try:
        done = subprocess.run(
            [*drop, sys.executable, "-m", "litradar.cli", "label", "2503.10602", "--relevant",
             "--config", str(built / "litradar.toml")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        store.chmod(0o644)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == "error: the store: attempt to write a readonly database"
    assert paper_count(built) == before
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_evaluate_refuses_a_json_path_it_cannot_write_before_it_measures(built: Path):
    """It measured for minutes, then named a temporary file it could not create."""
    week = str(built / "data" / "weeks" / "2025-03-10.jsonl")
    for where in (built, built / "missing" / "figures.json"):
        result = invoke(built, "evaluate", "--week", week, "--json", str(where))
        assert_one_line_error(result, f"--json {where}: not a file in an existing folder")


@pytest.mark.parametrize(
    "args, says",
    [
        (["find", "x", "-k", "0"], "Invalid value for '-k'"),
        (["find", "x", "-k", "abc"], "Invalid value for '-k'"),
        (["web", "--port", "0"], "Invalid value for '--port'"),
        (["find", "x", "--bogus"], "No such option: --bogus"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help(args: list[str], says: str):
    """click printed the usage and a hint before the error: four lines for one mistake."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # 2 is run's "finished with a failure"
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert "--help')" in lines[0]


def test_the_command_alone_still_shows_its_help():
    result = runner.invoke(app, [])
    assert "Usage: " in result.output and "Commands" in result.output


@pytest.mark.parametrize("args, code", [(["find", "x", "-k", "0"], 1), (["--help"], 0)])
def test_the_console_script_keeps_the_exit_code_and_freezes_the_heap(args: list[str], code: int):
    """`litradar` (pyproject's console script) is `main`: the command's own exit code, and
    its objects frozen before the interpreter exits (the exit then skips collecting them)."""
    script = (
        "import gc, sys\n"
        f"sys.argv = ['litradar', *{args!r}]\n"
        "from litradar.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    print('frozen', gc.get_freeze_count() > 1000, file=sys.stderr)\n"
        "    raise\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert "frozen True" in done.stderr
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'litradar = "litradar.cli:main"' in pyproject


@pytest.mark.parametrize(
    "raised, code, says",
    [
        (KeyboardInterrupt, 130, "interrupted; nothing half-written was kept"),
        (typer.Abort, 1, "Aborted!"),  # click's own abort, raised outside litradar's guard
    ],
)
def test_an_interrupt_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raised: type, code: int, says: str
):
    """Ctrl-C during a command, or click's abort: one line, not a traceback."""
    from litradar.steps import search

    def interrupted(*args, **kwargs):
        raise raised

    monkeypatch.setattr(search, "find", interrupted)
    config = tmp_path / "litradar.toml"
    config.write_text("")
    result = runner.invoke(app, ["find", "attention heads", "--config", str(config)])
    assert result.exit_code == code, result.output
    assert result.output.strip().splitlines() == [says]


@pytest.mark.parametrize("as_json", [True, False])
def test_a_reader_that_stops_early_gets_no_traceback(indexed_project: Path, as_json: bool):
    """`litradar find ... | head -1`: the pipe closes while find still writes."""
    command = [
        sys.executable, "-c", "from litradar.cli import main; main()", "find", "attention heads",
        "-k", "200", "--config", str(indexed_project / "litradar.toml"),
        *(["--json"] if as_json else []),
    ]  # fmt: skip
    env = {**os.environ, "LITRADAR_EMBEDDING__MODEL": "hashing"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # what `head -1` does after its line
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert first.strip()
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert code in (0, 1), stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_output_to_a_full_disk_is_one_line(indexed_project: Path, as_json: bool):
    """`litradar find ... > /dev/full`: one line on stderr, exit code 1."""
    command = [
        sys.executable, "-c", "from litradar.cli import main; main()", "find", "attention heads",
        "--config", str(indexed_project / "litradar.toml"), *(["--json"] if as_json else []),
    ]  # fmt: skip
    env = {**os.environ, "LITRADAR_EMBEDDING__MODEL": "hashing"}
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: cannot write the output (No space left on device)"
    ], done.stderr


def test_a_mistyped_source_name_is_named_as_such_not_as_a_missing_file(project: Path):
    result = invoke(project, "ingest", "--source", "arxv")
    assert_one_line_error(result, "--source arxv: neither a live source (arxiv, feed, s2")
    assert not (project / "index" / "litradar.sqlite").exists()  # nothing was started
    assert "no such file: arxv" in invoke(project, "ingest", "--source", "./arxv").output


def test_without_any_config_file_the_defaults_are_said_to_apply(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LITRADAR_CONFIG", raising=False)
    result = runner.invoke(app, ["list"])
    said = " ".join(result.output.split())  # the console may wrap a long path
    assert said.startswith(
        f"note: no {tmp_path / 'litradar.toml'} nor $LITRADAR_CONFIG: litradar's defaults "
        "apply (--config names a file)"
    )
    assert_one_line_error(result, "awesome list not found")
    (tmp_path / "litradar.toml").write_text("", encoding="utf-8")  # a file, even empty
    assert "note: no" not in runner.invoke(app, ["list"]).output


def test_an_empty_window_is_said_with_its_last_day_as_the_digest_shows_it(built: Path):
    result = invoke(built, "digest", "--since", "2030-01-07", "--until", "2030-01-14")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "no papers first announced from 2030-01-07 to 2030-01-13 in the store" in said
