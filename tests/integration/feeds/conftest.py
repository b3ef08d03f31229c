"""Fixtures of the feed integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.feeds.harness import FeedStack, feed_stack


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedStack]:
    with feed_stack(monkeypatch) as stack:
        yield stack
