"""The store's tables, as SQL: created or upgraded by `Store.open`."""

from __future__ import annotations

SCHEMA_VERSION = 4

PAPERS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    arxiv_id TEXT UNIQUE,
    s2_id TEXT UNIQUE,
    doi TEXT,
    title_key TEXT NOT NULL,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,
    first_version_date TEXT NOT NULL,
    version INTEGER NOT NULL,
    categories TEXT NOT NULL,
    comments TEXT,
    venue TEXT,
    code_url TEXT,
    source TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (arxiv_id IS NOT NULL OR s2_id IS NOT NULL OR doi IS NOT NULL)
)
"""

SCHEMA = (
    PAPERS_TABLE.format(name="papers")
    + """;
CREATE INDEX IF NOT EXISTS papers_by_date ON papers (first_version_date);
CREATE INDEX IF NOT EXISTS papers_by_doi ON papers (doi);
CREATE INDEX IF NOT EXISTS papers_by_title ON papers (title_key);
CREATE TABLE IF NOT EXISTS provenance (
    paper_id INTEGER NOT NULL REFERENCES papers (id),
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (paper_id, source, detail)
);
CREATE TABLE IF NOT EXISTS watermarks (
    source TEXT PRIMARY KEY,
    mark TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, name)
);
CREATE TABLE IF NOT EXISTS labels (
    key TEXT PRIMARY KEY,
    relevant INTEGER NOT NULL,
    section TEXT,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS short_names (
    key TEXT PRIMARY KEY,
    short_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tag_labels (
    key TEXT NOT NULL,
    dimension TEXT NOT NULL,
    class_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (key, dimension, class_name)
);
CREATE TABLE IF NOT EXISTS llm_answers (
    prompt_sha TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha)
);
CREATE TABLE IF NOT EXISTS paper_scores (
    paper_id INTEGER PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    score REAL NOT NULL,
    relevance REAL NOT NULL,
    section TEXT,
    tags TEXT NOT NULL,
    trained_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    detail TEXT
);
"""
)

# Version 1 keyed papers by arXiv id alone (NOT NULL) and had no provenance table.
MIGRATE_FROM_1 = [
    PAPERS_TABLE.format(name="papers_v2"),
    "INSERT INTO papers_v2 (id, arxiv_id, s2_id, doi, title_key, title, abstract, authors, "
    "first_version_date, version, categories, comments, venue, code_url, source, text_sha, "
    "added_at, updated_at) SELECT id, arxiv_id, NULL, lower(doi), title_key(title), title, "
    "abstract, authors, first_version_date, version, categories, comments, NULL, NULL, source, "
    "text_sha, added_at, updated_at FROM papers",
    "DROP TABLE papers",
    "ALTER TABLE papers_v2 RENAME TO papers",
]
