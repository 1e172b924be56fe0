"""Speed benchmark: embedding throughput (the bare encoder, and the stream that commits
every chunk to the store), `litradar run` end to end on the bundled week (first run, and
second run with nothing new: on the temporary Prefect server, and against a server that
is already up, as `litradar serve` runs), and `find` latency from a cold start.

    .venv/bin/python benchmarks/bench.py            # about 5 minutes on 2 cores
    .venv/bin/python benchmarks/bench.py --tiny     # seconds: the smoke test's input

It works in a fresh temporary project folder (a copy of demo/, litradar.toml and
taxonomy.toml), so it measures a first run honestly and leaves your own store alone.
With --tiny everything uses the `hashing` encoder (no model to load or export), the runs
the bundled week's first 100 papers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from litradar.core.prefect_env import api_server

ROOT = Path(__file__).resolve().parents[1]
LITRADAR = str(Path(sys.executable).with_name("litradar"))
WEEK = ROOT / "demo" / "data" / "weeks" / "2025-03-10.jsonl"


def embedding_throughput(
    n: int, folder: Path, model: str = "all-MiniLM-L6-v2", rounds: int = 2
) -> tuple[float, float]:
    """(bare encoder, chunked stream into a store) in papers/s over the same n texts, the
    best of `rounds` alternating runs of each: on a shared machine the load changes
    within a minute, and alternating keeps the two comparable."""
    from litradar.config import EmbeddingConfig
    from litradar.core.paper import Paper
    from litradar.embedding.encoders import embed_papers, encoder_for
    from litradar.sources.arxiv_jsonl import read_jsonl
    from litradar.storage.store import Store

    papers = [p for p in read_jsonl(WEEK) if isinstance(p, Paper)][:n]
    # The default backend, as `litradar run` embeds; exported (or copied) outside the timing.
    backend = EmbeddingConfig().backend
    encoder = encoder_for(model, backend=backend, data_dir=folder / "export")
    encoder.encode([p.text for p in papers[:8]])
    chunk = max(1, n // 3)  # three committed chunks, as in a run of 3 x [embedding] chunk_size
    bare, stream = 0.0, 0.0
    for round_ in range(rounds):
        started = time.perf_counter()
        encoder.encode([p.text for p in papers])
        bare = max(bare, len(papers) / (time.perf_counter() - started))
        with Store.open(folder / f"throughput-{round_}.sqlite", create=True) as store:
            store.upsert(papers)
            stored = store.papers()
            started = time.perf_counter()
            embed_papers(store, stored, encoder, chunk_size=chunk)
            stream = max(stream, len(papers) / (time.perf_counter() - started))
    return bare, stream


def bare_seconds_for_the_runs_papers(project: Path, model: str) -> float:
    """The configured encoder's time for every text the project's store holds (after a
    first run: every text that run embedded), in one call: the floor the issue measures
    a first run against. The bundled seed's abstracts are longer than the week's (239
    against 231 tokens on average), so a rate taken on the week alone set it too low."""
    from litradar.config import load_config
    from litradar.steps.configured_inputs import default_encoder
    from litradar.storage.store import Store

    config = load_config(project / "litradar.toml").model_copy(deep=True)
    config.embedding.model = model
    encoder = default_encoder(config)
    with Store.open(config.store_path) as store:
        texts = list({p.text_sha: p.text for p in store.papers()}.values())
    encoder.encode(texts[:8])  # the session loaded outside the timing, as for the rate
    started = time.perf_counter()
    encoder.encode(texts)
    return time.perf_counter() - started


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    elapsed, stdout, _ = timed_with_log(args, cwd, env)
    return elapsed, stdout


def timed_with_log(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, list]:
    """(seconds, stdout, the Prefect log's (seconds since the start, line) pairs)."""
    started_at = datetime.now()
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout, _log_times(done.stdout + done.stderr, started_at)


# Prefect's console lines: "16:05:57.924 | INFO    | Task run 'train-6fc' - Finished in ..."
_LOG_LINE = re.compile(
    r"^(\d\d:\d\d:\d\d\.\d{3}) \| INFO +\| (Flow run|Task run) '([^']+)' - "
    r"(Beginning flow run|Finished in state)"
)


def _log_times(output: str, started_at: datetime) -> list[tuple[float, str]]:
    events = []
    for line in output.splitlines():
        found = _LOG_LINE.match(line)
        if not found:
            continue
        clock = datetime.strptime(found[1], "%H:%M:%S.%f").time()
        at = (datetime.combine(started_at.date(), clock) - started_at).total_seconds()
        if found[2] == "Flow run":
            what = "flow begins" if found[4].startswith("Beginning") else "flow ends"
        else:
            what = re.sub(r"-[0-9a-f]{3}$", "", found[3]) + " done"  # the run's random suffix
        events.append((at, what))
    return events


def where_the_time_goes(events: list[tuple[float, str]], total: float) -> str:
    """'flow begins +6.1, ingest done +0.5, ..., exit +1.0 s': the seconds each step of a
    run added, read from its log; 'exit' is what follows the flow's end (Prefect sending
    the last logs, the temporary server stopping, the interpreter ending)."""
    if not events:
        return "no Prefect log lines to break the run down"
    parts, before = [], 0.0
    for at, what in sorted(events):
        parts.append(f"{what} +{at - before:.1f}")
        before = at
    parts.append(f"exit +{total - before:.1f}")
    return ", ".join(parts) + " s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny input: a smoke test")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    env = dict(os.environ)
    # An installed litradar has its byte code compiled; with this set (as some sandboxes
    # do) every command compiles litradar's modules again, 60 ms of every cold start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        n = 24 if args.tiny else 600
        model = "hashing" if args.tiny else "all-MiniLM-L6-v2"
        bare, stream = embedding_throughput(n, project, model)
        print(
            f"embedding throughput ({'hashing' if args.tiny else f'{model} as ONNX'}, "
            f"batch 32, CPU, {n} abstracts, "
            f"best of 2 alternating runs): bare encoder {bare:.1f} papers/s; "
            f"committed to the store in 3 chunks {stream:.1f} papers/s "
            f"({100 * (stream / bare - 1):+.1f}%)"
        )
        shutil.copytree(ROOT / "demo", project / "demo")
        shutil.copy(ROOT / "litradar.toml", project / "litradar.toml")
        shutil.copy(ROOT / "taxonomy.toml", project / "taxonomy.toml")
        if args.tiny:
            week = project / "demo" / "data" / "weeks" / "2025-03-10.jsonl"
            week.write_text("".join(week.read_text().splitlines(keepends=True)[:100]))
            env["LITRADAR_EMBEDDING__MODEL"] = "hashing"
        window = ["--since", "2025-03-10", "--until", "2025-03-17"]
        env["PREFECT_LOGGING_LEVEL"] = "INFO"  # the task lines the breakdown is read from
        first, out1, log1 = timed_with_log([LITRADAR, "run", *window], project, env)
        found = re.search(r"(\d+) embedded", out1)
        papers = int(found[1]) if found else 0
        floor = bare_seconds_for_the_runs_papers(project, model)
        print(
            f"litradar run, first (ingest, embed {papers} papers, index, train, digest): "
            f"{first:.1f} s = {first / floor:.2f}x the bare encoder's time for its new papers "
            f"({floor:.1f} s, timed on those very texts right after the run; from the rate "
            f"above it would be {papers / bare:.1f} s, {first / (papers / bare):.2f}x)"
        )
        print(f"  where its time went: {where_the_time_goes(log1, first)}")
        second, out2, log2 = timed_with_log([LITRADAR, "run", *window], project, env)
        found = re.search(r"(\d+) embedded", out2)
        print(
            f"litradar run, second (nothing new): {second:.1f} s; "
            f"embedded now: {found[1] if found else '?'}"
        )
        print(f"  where its time went: {where_the_time_goes(log2, second)}")
        if "PREFECT_API_URL" not in env and not args.tiny:  # else the runs above used one
            with api_server(project / "prefect-home") as url:
                served = env | {"PREFECT_API_URL": url}
                timed([LITRADAR, "run", *window], project, served)  # its first flow run
                runs = [timed_with_log([LITRADAR, "run", *window], project, served)]
                runs += [timed_with_log([LITRADAR, "run", *window], project, served)]
                runs += [timed_with_log([LITRADAR, "run", *window], project, served)]
            runs.sort(key=lambda r: r[0])
            seconds, _, log = runs[1]
            shown = ", ".join(f"{r[0]:.1f}" for r in runs)
            print(
                f"litradar run, nothing new, against a Prefect server that is up: "
                f"median {seconds:.1f} s ({shown})"
            )
            print(f"  where the median's time went: {where_the_time_goes(log, seconds)}")
        env.pop("PREFECT_LOGGING_LEVEL")
        query = [LITRADAR, "find", "attention heads hallucination", "-k", "10"]
        tries = 1 if args.tiny else 5  # the smoke test only needs it to run
        cold = sorted(timed(query, project, env)[0] for _ in range(tries))
        shown = ", ".join(f"{c:.2f}" for c in cold)
        median = cold[len(cold) // 2]
        print(f"litradar find, cold start (new process): median {median:.2f} s ({shown})")


if __name__ == "__main__":
    main()
