"""Generated arXiv API pages in the exact Atom layout of the recorded ones
(tests/fixtures/recorded/arxiv_api/search_testing_start0_max10.xml), for what no recording
holds: a result set that really ends, and a large stream for the benchmark. The papers are
synthetic (ids 2599.xxxxx, a month that does not exist); tests that say "recorded" use the real files instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

HEADER = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
    "  <id>https://arxiv.org/api/generated</id>\n"
    "  <title>arXiv Query: generated</title>\n"
    "  <updated>2025-03-17T00:00:00Z</updated>\n"
    "  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
    "  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
    "  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
)


def paper_id(i: int) -> str:
    return f"2599.{i:05d}"  # month 99: no real arXiv paper has such an id


def entry(i: int, start: datetime = datetime(2025, 3, 10, 9, tzinfo=UTC)) -> str:
    published = (start + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = paper_id(i)
    title = escape(f"Generated paper {i}: probing vision-language <models> & heads")
    summary = escape(
        f"We study generated model {i}. Attention heads in CLIP & LLaVA are probed with "
        "sparse autoencoders; code at https://github.com/example/gen-" + str(i)
    )
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{pid}v1</id>\n"
        f"    <title>{title}</title>\n"
        f"    <updated>{published}</updated>\n"
        f'    <link href="https://arxiv.org/abs/{pid}v1" rel="alternate" type="text/html"/>\n'
        f'    <link href="https://arxiv.org/pdf/{pid}v1" rel="related" '
        'type="application/pdf" title="pdf"/>\n'
        f"    <summary>{summary}</summary>\n"
        '    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>\n'
        '    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>\n'
        f"    <published>{published}</published>\n"
        "    <arxiv:comment>10 pages</arxiv:comment>\n"
        '    <arxiv:primary_category term="cs.CV"/>\n'
        "    <author>\n      <name>Ada Example</name>\n    </author>\n"
        "    <author>\n      <name>Bo Sample</name>\n    </author>\n"
        "  </entry>\n"
    )


def page(start: int, per_page: int, total: int) -> bytes:
    body = HEADER.format(per_page=per_page, total=total, start=start)
    body += "".join(entry(i) for i in range(start, min(start + per_page, total)))
    return (body + "</feed>\n").encode("utf-8")
