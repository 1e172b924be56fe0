"""The chart page's figures, and the charts drawn from them as SVG by matplotlib.

- per week: papers read and proposed, from each digest's JSON;
- per week: the maintainer's decisions (accepted, rejected), from the labels table, by
  the ISO week in which they were made;
- over time: the quality figures each `train` measured (kept in the store's runs, kind
  "train"), or, before any was kept, those of the current models' metrics.json.

The SVG is served as an image from this server: nothing is fetched from elsewhere, and an
SVG shown as an image runs no script. matplotlib is imported when a chart is drawn, not
when the page starts, and through its object API (no pyplot state shared by threads).
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.digests.generations import counts, digest_names, generation_of
from litradar.ranking.quality_figures import QUALITY_RUN, REPLAY_FILE, quality_figures
from litradar.storage.store import Store

# The figures of `train`'s metrics kept over time, and how the chart names them.
QUALITY_FIGURES = {
    "precision": "relevance precision",
    "recall": "relevance recall",
    "average_precision": "average precision",
    "placement": "placement accuracy",
}


@dataclass
class Series:
    title: str
    labels: list[str] = field(default_factory=list)  # x axis
    values: dict[str, list[float | None]] = field(default_factory=dict)  # name -> per label
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.labels


def papers_per_week(config: Config) -> Series:
    series = Series("Papers read and proposed per digest", values={"read": [], "proposed": []})
    for name in digest_names(config.digests_dir):
        generation = generation_of(config.digests_dir, name)
        try:
            if generation is None:
                read, proposed = _counts(config.digests_dir, name)
            else:
                read, proposed = _counts_of_generation(config.digests_dir, name, generation)
        except LitradarError:
            continue  # one unreadable digest does not hide the others
        series.labels.append(name)
        series.values["read"].append(read)
        series.values["proposed"].append(proposed)
    return series


def _counts(directory: Path, name: str) -> tuple[float, float]:
    read, proposed = counts(directory, name)
    return float(read), float(proposed)


@functools.lru_cache(maxsize=4096)
def _counts_of_generation(directory: Path, name: str, generation: str) -> tuple[float, float]:
    """A digest's JSON holds every paper of its window (megabytes a week at scale): its two
    counts are read once per generation, which never changes once written, not on every
    view of the page (12 digests of a 200k-paper store took 3 s a view)."""
    return _counts(directory, name)


def _iso_week(moment: str) -> str:
    day = datetime.fromisoformat(moment).date() if "T" in moment else date.fromisoformat(moment)
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def decisions_per_week(config: Config) -> Series:
    series = Series("The maintainer's decisions per week", values={"accepted": [], "rejected": []})
    counts: dict[str, list[int]] = {}
    with Store.open(config.store_path) as store:
        for label in store.labels():
            week = counts.setdefault(_iso_week(label["decided_at"]), [0, 0])
            week[0 if label["relevant"] else 1] += 1
    for week in sorted(counts):
        series.labels.append(week)
        series.values["accepted"].append(float(counts[week][0]))
        series.values["rejected"].append(float(counts[week][1]))
    return series


def quality_over_time(config: Config) -> Series:
    series = Series(
        "Quality measured by each train", values={name: [] for name in QUALITY_FIGURES}
    )
    with Store.open(config.store_path) as store:
        runs = [r for r in store.runs(QUALITY_RUN) if r["status"] == "done"]
    points = [(r["started_at"], r["detail"]) for r in runs]
    if not points:
        path = config.classifiers_dir / "metrics.json"
        if path.is_file():
            try:
                metrics = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                metrics = None
            if isinstance(metrics, dict):
                points = [(metrics.get("trained_at") or "current", quality_figures(metrics))]
                series.note = "the current models only: later trainings add points"
    for moment, figures in points:
        series.labels.append(moment[:16].replace("T", " "))
        for name in QUALITY_FIGURES:
            value = figures.get(name)
            series.values[name].append(float(value) if isinstance(value, int | float) else None)
    return series


REPLAY_FIGURES = {
    "precision with decisions": ("with_decisions", "precision"),
    "precision without": ("without", "precision"),
    "section right with decisions": ("with_decisions", "section_right"),
    "section right without": ("without", "section_right"),
}


def replay_over_weeks(config: Config) -> Series:
    """The last `litradar evaluate --replay`: each judged week's proposals with the
    maintainer's decisions on the weeks before it, and without."""
    series = Series(
        "Learning from the maintainer: the judged weeks replayed",
        values={name: [] for name in REPLAY_FIGURES},
    )
    path = config.classifiers_dir / REPLAY_FILE
    try:
        weeks = json.loads(path.read_text(encoding="utf-8"))["weeks"] if path.is_file() else {}
    except (OSError, ValueError, KeyError, TypeError):
        weeks, series.note = {}, f"{REPLAY_FILE} is unreadable: run litradar evaluate --replay"
    if not path.is_file():
        series.note = "run litradar evaluate --replay with judged weeks"
    for week, row in weeks.items():
        series.labels.append(str(week))
        for name, (run, figure) in REPLAY_FIGURES.items():
            value = (row.get(run) or {}).get(figure)
            series.values[name].append(float(value) if isinstance(value, int | float) else None)
    return series


CHARTS = {
    "papers": papers_per_week,
    "decisions": decisions_per_week,
    "quality": quality_over_time,
    "replay": replay_over_weeks,
}
LINE_CHARTS = ("quality", "replay")

_COLOURS = ["#3b6ea8", "#e07b39", "#4c9a5b", "#a5488f"]


def render_svg(series: Series, kind: str) -> bytes:
    """Lines for the quality figures; for counts, one bar panel per series (papers read
    run to a thousand, proposals to ten: one scale would hide the proposals). The page's
    caption names the chart; an empty series says so."""
    from matplotlib.figure import Figure

    panels = 1 if series.empty or kind != "papers" else len(series.values)
    figure = Figure(figsize=(7.5, 2.6 if panels == 1 else 1.7 * panels), dpi=100)
    grid = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    for axes in grid:
        axes.spines[["top", "right"]].set_visible(False)
    axes = grid[0]
    ticks = range(len(series.labels))
    if series.empty:
        axes.text(0.5, 0.5, "nothing yet", ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
    elif kind in LINE_CHARTS:
        for colour, (name, values) in zip(_COLOURS, series.values.items(), strict=False):
            xs = [i for i, v in enumerate(values) if v is not None]
            ys = [v for v in values if v is not None]
            style = "--" if name.endswith("without") else "-"
            axes.plot(xs, ys, style, marker="o", color=colour,
                      label=QUALITY_FIGURES.get(name, name))  # fmt: skip
        axes.set_ylim(0, 1.05)
        axes.set_xlim(-0.5, len(series.labels) - 0.5)
        axes.legend(fontsize=8, frameon=False, loc="lower left", ncols=2)
    elif panels > 1:
        drawn = zip(grid, _COLOURS, series.values.items(), strict=False)
        for panel, colour, (name, values) in drawn:
            bars = panel.bar(ticks, [v or 0 for v in values], width=0.6, color=colour)
            panel.bar_label(bars, fmt="%g", fontsize=8)
            panel.set_ylabel(name, fontsize=9)
            panel.margins(y=0.25)
    else:
        width = 0.8 / max(1, len(series.values))
        for i, (colour, (name, values)) in enumerate(
            zip(_COLOURS, series.values.items(), strict=False)
        ):
            xs = [x + i * width - 0.4 + width / 2 for x in ticks]
            bars = axes.bar(xs, [v or 0 for v in values], width=width, color=colour, label=name)
            axes.bar_label(bars, fmt="%g", fontsize=8)
        axes.margins(y=0.2)
        axes.legend(fontsize=8, frameon=False)
    if not series.empty:
        grid[-1].set_xticks(ticks, series.labels, fontsize=8)
        if kind not in LINE_CHARTS:  # a first week's bar is a bar, not the whole width
            grid[-1].set_xlim(-0.6, max(len(series.labels), 6) - 0.4)
        if len(series.labels) > 6:
            figure.autofmt_xdate(rotation=30)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
