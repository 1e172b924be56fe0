"""Adding entries to the list's README without touching anything else in it.

Each entry goes into its section, newest first as the list orders them: before the first
entry that is strictly older, else after the section's last entry, with the blank line the
list puts between entries. Every other byte of the file, its line endings included, stays
as it was; `remove_added` in the tests proves it by taking the additions out again.
"""

from __future__ import annotations

import re

from litradar.core.errors import LitradarError
from litradar.curation.awesome_list import ListEntry, parse_list, render_entry

_HEADING = re.compile(r"^#{1,6}\s+(?P<name>.*?)\s*:?\s*$")


def insert_entry(text: str, entry: ListEntry) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    block = [line + newline for line in render_entry(entry).split("\n")]
    same_section = [e for e in parse_list(text).entries if e.section == entry.section]
    new_date = entry.date
    older = next(
        (e for e in same_section if e.date and new_date and e.date < new_date),
        None,
    )
    if older is not None:
        at = older.line_no - 1
        lines[at:at] = [*block, newline]
    elif same_section:
        at = max(e.end_line for e in same_section)
        if not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += newline  # the file ended without a newline on that entry
        lines[at:at] = [newline, *block]
    else:
        at = _line_after_heading(lines, entry.section[-1])
        lines[at:at] = [*block, newline]
    return "".join(lines)


def _line_after_heading(lines: list[str], section: str) -> int:
    """An empty section: right after its heading and its 'Back to contents' line."""
    for index, line in enumerate(lines):
        match = _HEADING.match(line.rstrip("\r\n"))
        if match and match["name"] == section:
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
