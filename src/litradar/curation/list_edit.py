"""Adding entries to the list's README without touching anything else in it.

Each entry goes into its section, newest first as the list orders them: before the first
entry that is strictly older, else after the section's last entry (always there in a list
that shows no dates), written as the list writes its entries (`EntryStyle`, learned from
the list): its marker and indent, its name, date and badge forms, and a blank line between
entries where the list has one. In a numbered list the entry takes the number of the entry
it goes before, or the number after the section's last one: the entries after it keep
theirs (GitHub numbers a list from its first item, so it still reads in order). Every
other byte of the file, its line endings included, stays as it was; `remove_added` in the
tests proves it by taking the additions out again.
"""

from __future__ import annotations

from dataclasses import replace

from litradar.core.errors import LitradarError
from litradar.curation.awesome_list import (
    EntryStyle,
    ListEntry,
    heading_of,
    marker_of,
    parse_list,
    render_entry,
    shown_lines,
)


def insert_entry(text: str, entry: ListEntry) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    parsed = parse_list(text)
    style = parsed.style
    gap = [newline] if style.blank_line else []
    same_section = [e for e in parsed.entries if e.section == entry.section]
    new_date = entry.date
    dated = [e.date for e in same_section if e.date]
    # Newest first, as most lists are; oldest first where the section's dates say so.
    oldest_first = len(dated) > 1 and dated[0] < dated[-1] and dated == sorted(dated)
    before = next(
        (
            e
            for e in same_section
            if e.date and new_date and (e.date > new_date if oldest_first else e.date < new_date)
        ),
        None,
    )
    if before is not None:
        at = before.line_no - 1
        block = _block(replace(entry, number=before.number), style, lines[at], newline)
        lines[at:at] = [*block, *gap]
    elif same_section:
        last = max(same_section, key=lambda e: e.end_line)
        at = last.end_line
        if not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += newline  # the file ended without a newline on that entry
        number = last.number + 1 if last.number is not None else None
        block = _block(replace(entry, number=number), style, lines[last.line_no - 1], newline)
        lines[at:at] = [*gap, *block]
    else:
        at = _line_after_heading(lines, entry.section[-1])
        lines[at:at] = [*_block(entry, style, None, newline), *gap]
    return "".join(lines)


def _block(entry: ListEntry, style: EntryStyle, neighbour: str | None, newline: str) -> list[str]:
    """The entry's lines, indented and marked as its neighbour's line is (an entry nested
    in a list; a numbered section in a list of bullets): a marker of another kind would
    split the neighbours' list in two."""
    indent = ""
    if neighbour is not None:
        indent = neighbour[: len(neighbour) - len(neighbour.lstrip())]
        here = marker_of(neighbour)
        style = replace(style, bullet=here)
        # A line without a marker must start with its link to be read as an entry.
        entry = replace(entry, bulleted=bool(here), short_name=entry.short_name if here else None)
    return [f"{indent}{line}{newline}" for line in render_entry(entry, style).split("\n")]


def _line_after_heading(lines: list[str], section: str) -> int:
    """An empty section: right after its heading and its 'Back to contents' line."""
    bare = [line.rstrip("\r\n") for line in lines]
    for index, (line, shown) in enumerate(zip(bare, shown_lines(bare), strict=True)):
        heading = heading_of(line) if shown else None
        if heading and heading[1] == section:
            after = index + 1
            while after < len(lines) and lines[after].lstrip().startswith("([Back"):
                after += 1
            return after
    raise LitradarError(f"the list has no section '{section}'")


def insert_entries(text: str, entries: list[ListEntry]) -> str:
    """Insert in the given order; entries of the same date keep that order."""
    for entry in entries:
        text = insert_entry(text, entry)
    return text
