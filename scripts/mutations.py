"""Break each guarantee README's "What litradar promises" names, one at a time, and check
that the tests claiming it fail.

Each mutation replaces one exact piece of source (it must occur exactly once, else the
mutation is out of date and the script says so), runs only the test files (or tests)
that claim the guarantee with `pytest -x`, and puts the file back. A mutation the tests
pass is a guarantee nothing checks: it is printed as SURVIVED and the exit code is 1.

    .venv/bin/python scripts/mutations.py            # all of them
    .venv/bin/python scripts/mutations.py -k csrf    # those whose name holds "csrf"
    .venv/bin/python scripts/mutations.py --list
    .venv/bin/python scripts/mutations.py --fast     # without the four slow ones (CI)

The file is restored in a `finally`, and a backup beside it (`.<name>.mutation-backup`)
lets the next run restore it should this process be killed mid-way.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str  # short, for -k
    guarantee: str  # what README promises, in its words
    path: str  # relative to the repository
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments: the tests that claim the guarantee
    slow: bool = False  # its tests start Prefect, Dask, MiniLM or the trained page: not --fast


MUTATIONS = [
    Mutation(
        "atomic-write",
        "a file is replaced whole or not at all (write beside it, fsync, rename)",
        "src/litradar/core/atomic_files.py",
        "    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)\n",
        "    fd, tmp = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), str(path)\n",
        ("tests/test_files.py",),
    ),
    Mutation(
        "watermark-after-commit (live sources)",
        "a source's watermark moves only after its pages are committed",
        "src/litradar/sources/runner.py",
        '            with reporter.track(f"reading {source.name}", None) as advance:\n',
        "            store.set_watermark(source.name, "
        'max(until.isoformat(), report.watermark or ""))\n'
        '            with reporter.track(f"reading {source.name}", None) as advance:\n',
        ("tests/test_sources_runner.py",),
    ),
    Mutation(
        "watermark-after-commit (backfill)",
        "the backfill's byte watermark moves only after its batch is committed",
        "src/litradar/steps/backfill.py",
        "            result = store.upsert(batch.papers)\n"
        '            faultpoint("backfill.batch-stored")\n'
        "            store.set_watermark(key, str(batch.end))",
        "            store.set_watermark(key, str(batch.end))\n"
        '            faultpoint("backfill.batch-stored")\n'
        "            result = store.upsert(batch.papers)",
        ("tests/test_faults.py", "-k", "backfill and batch"),
        slow=True,
    ),
    Mutation(
        "digest-generation-link",
        "a digest's two files become current by one atomic rename of a link",
        "src/litradar/digests/generations.py",
        "    os.symlink(target, temporary)\n    os.replace(temporary, link)\n",
        "    link.unlink(missing_ok=True)\n    os.symlink(target, link)\n",
        ("tests/test_digest.py", "-k", "kill or leftovers"),
    ),
    Mutation(
        "index-generation",
        "the index metadata names whole files: a kill at any point keeps a loadable index",
        "src/litradar/storage/paper_index.py",
        '        generation = f"g{secrets.token_hex(6)}"\n',
        '        generation = "g000000000000"\n',
        ("tests/test_faults.py", "-k", "grows and before-meta and flat"),
        slow=True,
    ),
    Mutation(
        "index-sweep",
        "superseded index generations and temporaries are removed by the next index",
        "src/litradar/steps/pipeline.py",
        "        PaperIndex.sweep(config.data_dir, encoder.name)\n",
        "",
        ("tests/test_index_repair.py", "-k", "kill"),
    ),
    Mutation(
        "onnx-export-temporary",
        "a kill mid-export leaves a folder the next index removes (named by its writer's pid)",
        "src/litradar/embedding/query_encoder.py",
        "    prefix, suffix = temporary_prefix(target.name)\n",
        '    prefix, suffix = f".{target.name}.", ""\n',
        ("tests/test_query_encoder.py", "-k", "kill"),
        slow=True,
    ),
    Mutation(
        "stale-temporaries",
        "a killed writer's temporaries are removed by the next writer in that folder",
        "src/litradar/core/atomic_files.py",
        "        if stale:\n            remove_path(entry)\n",
        "        if False:\n            remove_path(entry)\n",
        ("tests/test_files.py",),
    ),
    Mutation(
        "model-generation-stamp",
        "model files of two trainings are refused, not mixed",
        "src/litradar/ranking/model_files.py",
        "    if len(generations) > 1:\n",
        "    if False:\n",
        ("tests/test_ranking.py", "tests/test_files.py"),
    ),
    Mutation(
        "secret-redaction",
        "no configured secret in any stored or printed error text",
        "src/litradar/core/errors.py",
        "    if not values or not text:\n        return text\n",
        "    return text\n",
        (
            "tests/test_errors.py",
            "tests/test_sources_runner.py::"
            "test_an_error_that_echoes_the_s2_key_is_redacted_in_stderr_and_the_store",
        ),
    ),
    Mutation(
        "host-check",
        "on loopback, only requests whose Host names loopback are answered",
        "src/litradar/web/security.py",
        "        return not self.loopback_only or host_name(header or \"\") in LOOPBACK_NAMES\n",
        "        return True\n",
        ("tests/test_web_security.py",),
    ),
    Mutation(
        "csrf-check",
        "a form is accepted only with the CSRF token of this browser's cookie",
        "src/litradar/web/security.py",
        "        if not nonce or not sent:\n            return False\n",
        "        return True\n",
        ("tests/test_web_security.py",),
    ),
    Mutation(
        "cross-site-check",
        "a POST a browser marks as cross-site is refused",
        "src/litradar/web/security.py",
        '    site = headers.get("sec-fetch-site")\n',
        '    return False\n    site = headers.get("sec-fetch-site")\n',
        ("tests/test_web_security.py",),
    ),
    Mutation(
        "page-not-serialised",
        "a decision waiting for the store's lock does not hold other requests",
        "src/litradar/web/review_page.py",
        "        await run_in_threadpool(\n"
        '            review.decide, pages.config, key, action, form.get("section"), '
        'form.get("short_name")\n'
        "        )\n",
        "        review.decide(\n"
        '            pages.config, key, action, form.get("section"), form.get("short_name")\n'
        "        )\n",
        ("tests/test_web.py", "-k", "write_lock"),
        slow=True,
    ),
    Mutation(
        "control-and-bidi-stripping",
        "text enters without control or bidi characters",
        "src/litradar/core/paper.py",
        "    if text.isprintable() or not _UNSAFE.search(text):",
        "    if True:",
        ("tests/test_paper.py",),
    ),
    Mutation(
        "field-caps",
        "a field beyond its cap is stored cut, and said in one line",
        "src/litradar/core/paper.py",
        "        if limit is None or len(value) <= limit:\n",
        "        if True:\n",
        ("tests/test_paper.py",),
    ),
    Mutation(
        "link-origin-check",
        "Link pagination is followed only on the configured API (the token goes nowhere else)",
        "src/litradar/publish/github_api.py",
        "            if url and _origin(str(self._http.base_url.join(url))) != self._api_origin:\n",
        "            if False:\n",
        ("tests/test_github_api.py",),
    ),
]


def backup_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.mutation-backup")


def restore_leftovers() -> None:
    """Put back any file a killed run of this script left mutated."""
    for mutation in MUTATIONS:
        path = ROOT / mutation.path
        backup = backup_of(path)
        if backup.exists():
            os.replace(backup, path)
            print(f"restored {mutation.path} from a killed run's backup")


def run(mutation: Mutation, verbose: bool) -> tuple[str, float]:
    path = ROOT / mutation.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutation.old) != 1:
        return "OUT OF DATE (its source text is not there once)", 0.0
    backup = backup_of(path)
    backup.write_text(original, encoding="utf-8")
    started = time.monotonic()
    try:
        path.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
        done = subprocess.run(
            # One process (-n 0): under xdist a -x stop is exit 2, not the failure's 1.
            [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
             "-p", "no:randomly", *mutation.tests],
            cwd=ROOT,
            capture_output=not verbose,
            text=True,
            check=False,
        )  # fmt: skip
    finally:
        path.write_text(original, encoding="utf-8")
        backup.unlink(missing_ok=True)
    took = time.monotonic() - started
    if done.returncode == 1:
        return "caught", took
    if done.returncode == 0:
        return "SURVIVED", took
    tail = (done.stdout or "").strip().splitlines()[-1:] if not verbose else []
    return f"ERROR (pytest exit {done.returncode}) {' '.join(tail)}", took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only mutations whose name holds this")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--fast", action="store_true", help="leave out the slow ones (for CI)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if args.k in m.name and not (args.fast and m.slow)]
    if args.list:
        for m in chosen:
            print(f"{m.name}: {m.guarantee} ({m.path}; {' '.join(m.tests)})")
        return 0
    restore_leftovers()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    started = time.monotonic()
    survived = 0
    for mutation in chosen:
        outcome, took = run(mutation, args.verbose)
        survived += outcome != "caught"
        print(f"{outcome:>9}  {mutation.name:<40} {took:6.1f} s  {' '.join(mutation.tests)}")
        sys.stdout.flush()
    total = time.monotonic() - started
    print(f"{len(chosen) - survived} of {len(chosen)} mutations caught, "
          f"{survived} not, in {total:.0f} s")  # fmt: skip
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
