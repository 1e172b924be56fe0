"""Configuration: `litradar.toml`, overridden by `LITRADAR_<TABLE>__<KEY>` environment variables.

One typed model so that a typo in the file is caught at start-up with one clear line,
instead of silently falling back to a default deep inside a weekly run.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError, remember_secret
from litradar.core.plugins import live_names

CONFIG_FILE_NAME = "litradar.toml"
ENV_PREFIX = "LITRADAR_"
# The page's token (litradar.web.security reads it; named here so that it is redacted too).
WEB_TOKEN_ENV = "LITRADAR_WEB_TOKEN"
DEFAULT_MODEL = "all-MiniLM-L6-v2"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathsConfig(_Strict):
    data_dir: Path = Path("index")
    list: Path = Path("demo/data/awesome_list.md")
    survey_bibliography: Path | None = Path("demo/data/survey_bibliography.jsonl")
    classifiers_dir: Path = Path("classifiers")
    digests_dir: Path = Path("digests")
    # The taxonomy the tags follow (see taxonomy.toml); none: no tags.
    taxonomy: Path | None = Path("taxonomy.toml")

    @field_validator("survey_bibliography", "taxonomy", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """TOML has no null: `survey_bibliography = ""` says the list follows no survey."""
        return None if value == "" else value


class RetryConfig(_Strict):
    """Exponential back-off: `backoff_seconds`, doubled per try up to `max_backoff_seconds`,
    at most `retries` times; then the source is reported as failed for this run."""

    retries: int = Field(4, ge=0, le=20)
    backoff_seconds: float = Field(2.0, ge=0.0, le=3600.0)
    max_backoff_seconds: float = Field(60.0, ge=0.0, le=3600.0)
    timeout_seconds: float = Field(60.0, gt=0.0, le=3600.0)  # finite: time_t overflows


class ArxivApiConfig(RetryConfig):
    url: str = "https://export.arxiv.org/api/query"
    # arXiv's terms: one request every 3 seconds, one connection. Lower it only in tests.
    delay_seconds: float = Field(3.0, ge=0.0, le=3600.0)
    page_size: int = Field(500, ge=1, le=2000)
    # Keyword searches over all of arXiv, besides the configured categories.
    queries: list[str] = Field(
        default_factory=lambda: [
            'abs:"mechanistic interpretability"',
            'abs:"sparse autoencoder" AND abs:"vision"',
        ]
    )


class FeedConfig(RetryConfig):
    url: str = "https://rss.arxiv.org/rss"


class SemanticScholarConfig(RetryConfig):
    url: str = "https://api.semanticscholar.org"
    # The key is read from this environment variable, never from the file.
    api_key_env: str = "S2_API_KEY"
    # One request per second is what a key allows; the unauthenticated pool is smaller.
    min_interval_seconds: float = Field(1.0, ge=0.0, le=3600.0)
    queries: list[str] = Field(
        default_factory=lambda: [
            "mechanistic interpretability multimodal",
            "interpretability vision-language model",
        ]
    )
    citations: bool = True  # papers citing a list paper ("snowballing")
    recommendations: bool = True  # S2's recommendations seeded with the list's papers
    recommendations_limit: int = Field(100, ge=1, le=500)


class SourcesConfig(_Strict):
    files: list[Path] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=lambda: ["cs.CV", "cs.CL", "cs.LG", "cs.AI"])
    # Live sources the weekly flow reads, in parallel: "arxiv", "feed", "s2" (any name an
    # installed package declares: litradar.core.plugins).
    live: list[str] = Field(default_factory=list)
    # A source re-reads this many days before its watermark: arXiv announces a paper days
    # after its submission date, and a re-read paper costs nothing (it is deduplicated).
    overlap_days: int = Field(7, ge=0, le=365)
    # How far back a source's very first run reads.
    first_run_days: int = Field(14, ge=1, le=3650)
    arxiv: ArxivApiConfig = Field(default_factory=ArxivApiConfig)
    feed: FeedConfig = Field(default_factory=FeedConfig)
    s2: SemanticScholarConfig = Field(default_factory=SemanticScholarConfig)

    @field_validator("live")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        if not value:  # no scan of the installed packages' entry points for nothing
            return value
        known = live_names()
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown live source {unknown[0]!r}; choose from {known}")
        return value


class EmbeddingConfig(_Strict):
    model: str = Field(DEFAULT_MODEL, min_length=1)
    # How the model runs (litradar.embedding.encoders.BACKENDS): its ONNX export (fp32,
    # torch's vectors, batched by token count) is the default; int8 is faster, and opt-in
    # until `litradar evaluate` has shown it keeps the rankings (docs/speed.md, "The encoder").
    backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = "cpu"
    # Texts embedded and committed together: a kill loses at most one chunk.
    chunk_size: int = Field(512, ge=1, le=100_000)


class IndexConfig(_Strict):
    """Exact search up to `exact_up_to` papers, then an IVF index (see
    litradar.storage.paper_index)."""

    exact_up_to: int = Field(100_000, ge=0)
    nlist: int = Field(0, ge=0, le=65536)  # IVF lists; 0: sqrt(papers), between 64 and 4096
    nprobe: int = Field(48, ge=1, le=65536)  # IVF lists searched per query
    retrain_growth: float = Field(4.0, ge=1.0)  # retrain once grown this many times


class RankingConfig(_Strict):
    # List sections keyed by the survey section number prefix that feeds them. Placement
    # learns from the survey's citations of a section as well as from the list itself.
    survey_sections: dict[str, str] = Field(default_factory=dict)
    # Training learns from every labelled paper and at most this many of the others (a
    # seeded sample, the same from run to run): a store of a year of arXiv (250k papers)
    # would otherwise cost `train` minutes and gigabytes it does not need.
    max_unlabelled: int = Field(50_000, ge=1_000)


class DigestConfig(_Strict):
    size: int = Field(15, ge=1, le=500)
    # The score a paper needs to be proposed; unset: the cut-off `train` chose (the best
    # F1 on held-out papers), so a week with four good papers proposes about four.
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    near_cut: int = Field(5, ge=0, le=50)  # how many of the best held-back papers to show
    close_to: int = Field(3, ge=1, le=10)


class EmailConfig(_Strict):
    """The weekly digest by email. The password is read from `password_env`, never from
    this file."""

    enabled: bool = False  # the weekly flow's last step sends when true
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str = "LITRADAR_SMTP_PASSWORD"
    sender: str = "litradar@localhost"
    recipients: list[str] = Field(default_factory=list)
    subject_prefix: str = "[litradar]"
    # A week with nothing proposed: a one-line "nothing this week" when true; no email
    # when false (the default), and `send` says so.
    send_empty: bool = False
    timeout_seconds: float = Field(30.0, gt=0, le=3600.0)
    # A CA bundle to trust instead of the system's, e.g. for a company relay.
    ca_file: Path | None = None

    @field_validator("sender", "recipients")
    @classmethod
    def _addresses(cls, value: str | list[str]) -> str | list[str]:
        for address in [value] if isinstance(value, str) else value:
            if "@" not in address or any(c in address for c in "\r\n,;<> "):
                raise ValueError(f"not an email address: {address!r}")
        return value


class GitHubConfig(_Strict):
    """Pull requests against the list's repository. The token is read from `token_env`,
    never from this file, and never written anywhere."""

    enabled: bool = False  # the weekly flow opens or updates the week's pull request
    repository: str = ""  # "owner/name"
    api_url: str = "https://api.github.com"
    git_url: str | None = None  # default: https://github.com/<repository>.git
    base: str = "main"
    list_file: str = "README.md"
    token_env: str = "GITHUB_TOKEN"
    min_score: float = Field(0.0, ge=0.0, le=1.0)  # proposals below this stay in the digest
    max_entries: int = Field(10, ge=1, le=100)
    # A Retry-After up to this is waited out.
    max_wait_seconds: float = Field(60.0, ge=0.0, le=3600.0)
    timeout_seconds: float = Field(30.0, gt=0.0, le=3600.0)
    author_name: str = "litradar"
    author_email: str = "litradar@users.noreply.github.com"

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        if value and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
            raise ValueError(f"repository must be 'owner/name', got {value!r}")
        return value

    @property
    def clone_url(self) -> str:
        return self.git_url or f"https://github.com/{self.repository}.git"


class LLMConfig(RetryConfig):
    """An OpenAI-compatible chat completions endpoint (Ollama, llama.cpp, vLLM, a hosted
    API). Off by default: litradar works fully without one."""

    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible endpoint
    model: str = "llama3.1"
    api_key_env: str = "LITRADAR_LLM_API_KEY"  # optional; read from the environment only
    retries: int = Field(2, ge=0, le=10)
    timeout_seconds: float = Field(60.0, gt=0.0, le=3600.0)  # finite: time_t overflows
    max_calls: int = Field(60, ge=0)  # per run: cached answers do not count
    max_tokens: int = Field(100_000, ge=0)  # per run, prompt and answer together
    max_answer_tokens: int = Field(300, ge=16, le=4000)
    # A second opinion for the papers this many ranks either side of the digest's cut-off.
    verdict_margin: int = Field(3, ge=0, le=50)


class CronError(LitradarError, ValueError):
    """A ValueError too, so that pydantic reports it as a bad `[schedule] cron`."""


def check_cron(value: str) -> str:
    """Five fields: for the file (every command loads it, so no Prefect import here) and
    `serve --cron`. What each field says is read by Prefect's own Cron when `serve` builds
    the schedule (litradar.flows.weekly.serve_weekly), before it registers anything."""
    if len(value.split()) != 5:
        raise CronError(f"cron needs 5 fields, got {value!r}")
    return value


def check_timezone(value: str) -> str:
    """An IANA name the standard library knows (its zoneinfo, or the tzdata package):
    Prefect refuses any other when `serve` registers the schedule, in a traceback."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. Europe/Paris)") from None
    return value


class ScheduleConfig(_Strict):
    cron: Annotated[str, AfterValidator(check_cron)] = "0 7 * * 1"
    timezone: Annotated[str, AfterValidator(check_timezone)] = "UTC"


class Config(_Strict):
    paths: PathsConfig = Field(default_factory=PathsConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    ranking: RankingConfig = Field(default_factory=RankingConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    github: GitHubConfig = Field(default_factory=GitHubConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    def secret_env_names(self) -> list[str]:
        """The environment variables that hold this config's secrets (the page's token too):
        their values are redacted from every error text litradar stores or prints."""
        return [
            self.sources.s2.api_key_env,
            self.email.password_env,
            self.github.token_env,
            self.llm.api_key_env,
            WEB_TOKEN_ENV,
        ]

    def resolve(self, path: Path) -> Path:
        """Relative paths in the file mean relative to the file, not to the shell's cwd."""
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.paths.data_dir)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "litradar.sqlite"

    @property
    def list_path(self) -> Path:
        return self.resolve(self.paths.list)

    @property
    def classifiers_dir(self) -> Path:
        return self.resolve(self.paths.classifiers_dir)

    @property
    def digests_dir(self) -> Path:
        return self.resolve(self.paths.digests_dir)

    @property
    def survey_bibliography_path(self) -> Path | None:
        bib = self.paths.survey_bibliography
        return None if bib is None else self.resolve(bib)

    @property
    def taxonomy_path(self) -> Path | None:
        path = self.paths.taxonomy
        return None if path is None else self.resolve(path)

    @property
    def source_files(self) -> list[Path]:
        return [self.resolve(p) for p in self.sources.files]


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """`LITRADAR_DIGEST__SIZE=20` -> {"digest": {"size": 20}}, and nested tables the same way:
    `LITRADAR_SOURCES__ARXIV__DELAY_SECONDS=1` -> {"sources": {"arxiv": {"delay_seconds": 1}}};
    values are JSON when they parse, but a number or a boolean stays text, which pydantic
    reads by the key's type."""
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        *tables, key = name[len(ENV_PREFIX) :].lower().split("__")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        except RecursionError:
            raise LitradarError(f"{name}: nested too deeply to read") from None
        if isinstance(value, bool | int | float):
            # As text: pydantic reads a number or a boolean from it where the key is one,
            # and a text key keeps it (a branch named 2024 was "not a valid string").
            value = raw.strip()
        target = overrides
        for table in tables:
            nested = target.setdefault(table, {})
            if not isinstance(nested, dict):  # LITRADAR_A__B=1 and LITRADAR_A__B__C=2 at once
                raise LitradarError(f"{name}: {'.'.join(tables)} is a value, not a table")
            target = nested
        target[key] = value
    return overrides


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _one_line(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{origin}: unknown key '{where}'"
    return f"{origin}: '{where}': {first['msg']}"


def _check_config_file(path: Path, origin: str) -> None:
    if path.is_dir():
        inside = path / CONFIG_FILE_NAME
        hint = f"; did you mean {inside}?" if inside.is_file() else ""
        raise LitradarError(f"{path}{origin} is a folder, not a config file{hint}")
    if not path.is_file():
        raise LitradarError(f"config file not found: {path}{origin}")


def find_config_file(explicit: Path | None, environ: dict[str, str] | None = None) -> Path | None:
    environ = dict(os.environ) if environ is None else environ
    if explicit is not None:
        _check_config_file(explicit, "")
        return explicit
    if env_path := environ.get("LITRADAR_CONFIG"):
        path = Path(env_path)
        _check_config_file(path, " (from LITRADAR_CONFIG)")
        return path
    local = Path.cwd() / CONFIG_FILE_NAME
    return local if local.is_file() else None


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Load the file (if any), apply environment overrides, validate once."""
    environ = dict(os.environ) if environ is None else environ
    config_file = find_config_file(path, environ)
    raw: dict[str, Any] = {}
    origin = "defaults"
    if config_file is not None:
        origin = str(config_file)
        try:
            raw = tomllib.loads(read_text(config_file).removeprefix("\ufeff"))  # Notepad's BOM
        except tomllib.TOMLDecodeError as exc:
            raise LitradarError(f"{config_file}: not valid TOML: {exc}") from None
        except RecursionError:
            raise LitradarError(f"{config_file}: nested too deeply to read") from None
    overrides = _env_overrides(environ)
    if overrides:
        origin = f"{origin} + environment"
    merged = _merge(raw, overrides)
    base_dir = config_file.resolve().parent if config_file else Path.cwd()
    if "base_dir" in merged:  # where the file is, not a setting
        raise LitradarError(f"{origin}: unknown key 'base_dir'")
    try:
        config = Config(**merged, base_dir=base_dir)
    except ValidationError as exc:
        raise LitradarError(_one_line(exc, origin)) from None
    except TypeError as exc:  # e.g. a table where a value was expected
        raise LitradarError(f"{origin}: {exc}") from None
    for name in config.secret_env_names():
        remember_secret(environ.get(name))
    for key in ("data_dir", "classifiers_dir", "digests_dir"):
        folder = getattr(config, key)
        if folder.exists() and not folder.is_dir():  # else a step fails deep in its writes
            raise LitradarError(f"{origin}: [paths] {key} {folder} is a file, not a folder")
    return config
