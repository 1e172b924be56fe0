"""The channels registry: a channel added by one registration line gets the digest chosen,
read back and its deliveries recorded in the store, like the email and the pull request;
and the one reader of a stored digest, `digest.load`."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from litradar.config import Config, load_config
from litradar.core.errors import LitradarError
from litradar.digests.generations import commit_digest, load
from litradar.publish import channels
from litradar.publish.channels import Delivery, deliver
from litradar.storage.store import Store
from tests.conftest import write_config


@dataclass
class Report:
    name: str
    status: str
    error: str | None = None

    def summary(self) -> str:
        return self.error or self.status


@dataclass
class Outbox:
    """A made-up channel: copies a digest's markdown into a folder, once per digest."""

    name: str = "outbox"
    title: str = "outbox"

    def enabled(self, config: Config) -> bool:
        return (config.base_dir / "outbox").is_dir()

    def check(self, config: Config) -> None:
        if (config.base_dir / "outbox").is_file():
            raise LitradarError("outbox is a file, not a folder")

    def failed(self, digest: str, error: str) -> Report:
        return Report(digest, "failed", error)

    def deliver(self, config: Config, delivery: Delivery) -> Report:
        digest = delivery.digest
        previous = delivery.previous()
        if previous and previous["status"] == "delivered":
            return Report(digest.name, "already delivered")
        target = config.base_dir / "outbox" / f"{digest.name}.md"
        target.write_text(digest.markdown, encoding="utf-8")
        delivery.record("delivered", {"file": str(target), "proposed": digest.proposed})
        return Report(digest.name, "delivered")


def document(proposed: int) -> str:
    return json.dumps({"digest": "x", "proposed": proposed, "papers": []})


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setitem(channels.CHANNELS, "outbox", f"{__name__}:Outbox")
    write_config(tmp_path)
    config = load_config(tmp_path / "litradar.toml", environ={})
    Store.open(config.store_path, create=True).close()
    digests = config.digests_dir
    commit_digest(digests, "2025-W10", "# digest 2025-W10\n", document(2))
    older = time.time() - 60
    os.utime(digests / "2025-W10" / "2025-W10.md", (older, older))
    commit_digest(digests, "2025-W11", "# digest 2025-W11\n", document(3))
    return config


def test_a_registered_channel_delivers_each_digest_once(configured: Config):
    outbox = configured.base_dir / "outbox"
    assert "outbox" not in channels.enabled_channels(configured)
    outbox.mkdir()
    assert "outbox" in channels.enabled_channels(configured)
    channel = channels.channel("outbox")
    first = deliver(channel, configured)  # the newest digest
    assert (first.name, first.status) == ("2025-W11", "delivered")
    assert (outbox / "2025-W11.md").read_text(encoding="utf-8") == "# digest 2025-W11\n"
    again = deliver(channel, configured)
    assert (again.name, again.status) == ("2025-W11", "already delivered")
    named = deliver(channel, configured, "2025-W10")
    assert (named.name, named.status) == ("2025-W10", "delivered")
    with Store.open(configured.store_path) as store:
        rows = store.deliveries("outbox")
    assert [(r["name"], r["status"], r["detail"]["proposed"]) for r in rows] == [
        ("2025-W10", "delivered", 2),
        ("2025-W11", "delivered", 3),
    ]


def test_the_built_in_channels_are_enabled_by_their_config(configured: Config):
    assert channels.enabled_channels(configured) == []
    configured.email.enabled = True
    configured.github.enabled = True
    assert channels.enabled_channels(configured) == ["email", "github"]


def test_a_channel_registered_under_another_name_than_its_own_is_refused(
    monkeypatch: pytest.MonkeyPatch,
):
    """The registry's key is what the flow asks for, the channel's name what the store
    records: two names for one channel would split its deliveries."""
    monkeypatch.setitem(channels.CHANNELS, "mailbox", f"{__name__}:Outbox")
    with pytest.raises(LitradarError, match="registered as 'mailbox' but named 'outbox'"):
        channels.channel("mailbox")


def test_a_bad_digest_name_or_none_at_all_is_one_line(configured: Config, tmp_path: Path):
    channel = channels.channel("outbox")
    for odd in ("../etc", "2025-W11.md.md", "A" * 256, "2025-W11.json.md"):
        with pytest.raises(LitradarError, match="is not a digest name") as error:
            deliver(channel, configured, odd)  # was an OSError (name too long, not a folder)
        assert len(str(error.value)) < 160
    with pytest.raises(LitradarError, match="no digest 2025-W01"):
        deliver(channel, configured, "2025-W01")


def test_load_reads_both_files_of_a_digest_and_says_when_json_is_missing(tmp_path: Path):
    commit_digest(tmp_path, "2025-W11", "# md\n", document(4))
    digest = load(tmp_path, "2025-W11")
    assert (digest.markdown, digest.proposed, digest.document["papers"]) == ("# md\n", 4, [])
    (tmp_path / "by-hand.md").write_text("# written by hand\n", encoding="utf-8")
    by_hand = load(tmp_path, "by-hand")
    assert by_hand.proposed is None and by_hand.markdown == "# written by hand\n"
    with pytest.raises(LitradarError, match="has no JSON: run 'litradar digest'"):
        _ = by_hand.document
    (tmp_path / "broken.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LitradarError, match=r"digest broken in .* is unreadable"):
        load(tmp_path, "broken")
    commit_digest(tmp_path, "countless", "# x\n", json.dumps({"papers": []}))
    with pytest.raises(LitradarError, match=r"digest countless in .* is not a litradar digest"):
        load(tmp_path, "countless")  # no `proposed`: not read as "nothing to send"
