"""The gateway's short cache of each environment's imports (no AWS)."""

from __future__ import annotations

from pimtasks.services.upload_channels import ImportFolders, UploadChannel
from pimtasks_local.ftps_gateway.import_folders import ImportFolderCache


def test_answers_are_reused_per_environment_until_the_ttl_passes() -> None:
    # Given a lookup whose answer changes with every call, and a clock moved by hand
    asked: list[str] = []
    now = [100.0]

    def lookup(environment: str) -> ImportFolders:
        asked.append(environment)
        return ImportFolders(channels={f"Import {len(asked)}": frozenset({UploadChannel.FTPS})})

    cache = ImportFolderCache(lookup, ttl_seconds=5.0, clock=lambda: now[0])

    # Then within the TTL an environment is looked up once, each environment on its own
    first = cache("000001")
    assert cache("000001") is first and cache("000002") is not first
    now[0] += 4.9
    assert cache("000001") is first
    # and after it the tasks are read again, so a changed task takes effect
    now[0] += 0.2
    assert cache("000001").names == ["Import 3"]
    assert asked == ["000001", "000002", "000001"]


def test_a_zero_ttl_asks_every_time() -> None:
    asked: list[str] = []

    def lookup(environment: str) -> ImportFolders:
        asked.append(environment)
        return ImportFolders()

    cache = ImportFolderCache(lookup, ttl_seconds=0)
    cache("000001")
    cache("000001")
    assert asked == ["000001", "000001"]
