"""Output channels: where a written digest goes (email, a pull request against the list;
the web page's propose button uses the pull request's). One registration line each.

What every channel does around its own work is written once, here: choose the digest (the
one named, or the newest), read it back (`litradar.digests.generations.load`), tell the
channel what it did with that digest before, and record what it does now, in the store's
deliveries (one row per channel and digest: how `send` never mails a digest twice, and
how `feedback` finds the pull requests to learn from).

Adding a channel: a module with a class that has `name`, `enabled(config)` and
`deliver(config, delivery)` (the `Channel` protocol), plus one entry point in the group
`litradar.channels` (pyproject.toml: `name = "module:Class"`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Protocol, TypeVar

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.plugins import declared_channels
from litradar.digests.generations import StoredDigest, choose_digest, load
from litradar.storage.store import Store


class ChannelReport(Protocol):
    name: str  # the digest's
    status: str  # e.g. "sent", "already sent", "failed"; "opened", "updated"
    error: str | None  # set when the delivery failed: the run goes on and says so

    def summary(self) -> str:
        """One line for `litradar run` and the flow's log."""
        ...


R = TypeVar("R", bound=ChannelReport, covariant=True)


@dataclass(frozen=True)
class Delivery:
    """One digest on one channel."""

    config: Config
    channel: str
    digest: StoredDigest
    newest: bool  # chosen as the newest digest, not named

    def previous(self) -> dict | None:
        """What the store says this channel did with this digest: {status, detail,
        updated_at}, or None. Read when asked: a channel with nothing to deliver needs no
        store."""
        with Store.open(self.config.store_path) as store:
            return store.delivery(self.channel, self.digest.name)

    def record(self, status: str, detail: dict) -> None:
        with Store.open(self.config.store_path) as store:
            store.set_delivery(self.channel, self.digest.name, status, detail)


class Channel(Protocol[R]):
    name: str  # its rows in the store's deliveries
    title: str  # how a run's summary names it ("email", "pull request")

    def enabled(self, config: Config) -> bool:
        """Does the weekly run deliver through it?"""
        ...

    def check(self, config: Config) -> None:
        """Raise a LitradarError if the configuration cannot deliver (before a digest is
        chosen)."""
        ...

    def deliver(self, config: Config, delivery: Delivery) -> R: ...

    def failed(self, digest: str, error: str) -> R:
        """The report of a delivery that could not start, for a weekly run (which goes on)."""
        ...


# name -> "module:Class", as the installed packages declare them (entry points in the
# group `litradar.channels`: litradar's own are in its pyproject.toml); the module is
# imported when the channel is used.
CHANNELS: dict[str, str] = declared_channels()


def channel(name: str) -> Channel:
    module, _, attribute = CHANNELS[name].partition(":")
    found: Channel = getattr(import_module(module), attribute)()
    if found.name != name:  # the flow asks by the key, the store records by the name
        raise LitradarError(
            f"channel {attribute} is registered as {name!r} but named {found.name!r}"
        )
    return found


def enabled_channels(config: Config) -> list[str]:
    return [name for name in CHANNELS if channel(name).enabled(config)]


def deliver(channel: Channel[R], config: Config, name: str | None = None) -> R:
    """Deliver digest `name` (default: the newest) through `channel`."""
    channel.check(config)
    chosen = choose_digest(config.digests_dir, name)
    digest = load(config.digests_dir, chosen)
    return channel.deliver(config, Delivery(config, channel.name, digest, newest=name is None))
