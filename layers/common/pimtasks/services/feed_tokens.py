"""Feed tokens: one per feed, how a channel reads the feed (``Authorization: Bearer <token>``).

Not an API key: it opens exactly one feed of one environment, for reading, and nothing else. A token is
``pft_`` and 256 random bits; like API keys, only its SHA-256 is stored (a slow password hash would add
latency to every feed call and buys nothing against a 256-bit secret). Issuing a token again rotates it: the
old one stops working at once. The token is shown once, in the answer that issued it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from pimtasks.clock import Clock
from pimtasks.domain.task_types import FeedSettings
from pimtasks.errors import AuthenticationError, NotFoundError
from pimtasks.services.access import hash_api_key
from pimtasks.services.feed_ports import FeedTokenStore
from pimtasks.services.ports import EnvironmentLookup, TaskStore

TOKEN_PREFIX = "pft_"  # noqa: S105 (the prefix of every feed token, not a secret)
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # 32 bytes in URL-safe base64 without padding


@dataclass(frozen=True)
class IssuedFeedToken:
    """A freshly issued token: ``token`` is shown once and never stored."""

    environment: str
    feed: str
    token: str
    created_at: dt.datetime


@dataclass(frozen=True)
class FeedReaderPrincipal:
    """Who reads a feed: the holder of that feed's token."""

    environment: str
    feed: str


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None when there is none)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class FeedTokenService:
    def __init__(self, *, store: FeedTokenStore, tasks: TaskStore, environments: EnvironmentLookup,
                 clock: Clock) -> None:
        self._store = store
        self._tasks = tasks
        self._environments = environments
        self._clock = clock

    def issue(self, *, environment: str, feed: str) -> IssuedFeedToken:
        """A new token for the feed (replacing its previous one); NotFoundError when no feed task has the name."""
        self._require_feed(environment=environment, feed=feed)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        self._store.put_token_hash(environment=environment, feed=feed, token_hash=hash_api_key(token), created_at=now)
        return IssuedFeedToken(environment=environment, feed=feed, token=token, created_at=now)

    def revoke(self, *, environment: str, feed: str) -> None:
        if not self._store.delete_token(environment=environment, feed=feed):
            raise NotFoundError(f"feed '{feed}' of environment {environment} has no token")

    def authenticate(self, *, environment: str, feed: str, authorization: str | None) -> FeedReaderPrincipal:
        """The reader of this feed, or AuthenticationError (no token, a malformed one, another feed's)."""
        token = bearer_token(authorization)
        if token is None or len(token) != _TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
            raise AuthenticationError("no feed token")
        stored = self._store.token_hash(environment=environment, feed=feed)
        if stored is None or not hmac.compare_digest(stored, hash_api_key(token)):
            raise AuthenticationError("not this feed's token")
        return FeedReaderPrincipal(environment=environment, feed=feed)

    def _require_feed(self, *, environment: str, feed: str) -> None:
        if self._environments.find_environment(environment) is None:
            raise NotFoundError(f"environment {environment} not found")
        for task in self._tasks.list(environment=environment):
            settings = task.spec.settings
            if isinstance(settings, FeedSettings) and settings.feed_name == feed:
                return
        raise NotFoundError(f"environment {environment} has no feed task with feed_name '{feed}'")
