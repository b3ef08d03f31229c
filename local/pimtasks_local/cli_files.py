"""``pimtasks files get KEY``: the files API's presigned URL, and the download of the file's bytes from it."""

from __future__ import annotations

import argparse
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pimtasks_local.cli_api import CliError, Operation
from pimtasks_local.http_client import ApiClient, ApiResponse

TRANSFER_TIMEOUT_SECONDS = 300
CHUNK_BYTES = 1 << 20


def get_file(operation: Operation, client: ApiClient, environment: str, arguments: argparse.Namespace) -> ApiResponse:
    """Ask for the file's presigned URL; unless ``--url-only``, save its bytes to ``-o`` (``-``: stdout), by
    default to its name in the current directory. Answers the ticket, with ``saved_to`` when saved."""
    ticket = operation.call(client, environment, arguments)
    if not ticket.ok or arguments.url_only:
        return ticket
    target: Path = arguments.output or Path(str(ticket.body["key"]).rsplit("/", 1)[-1])
    download(str(ticket.body["url"]), target)
    return ApiResponse(ticket.status, {**ticket.body, "saved_to": str(target)}, ticket.headers)


def download(url: str, target: Path) -> None:
    """Stream a presigned GET into ``target`` (a temporary name first: a broken download leaves no file)."""
    request = urllib.request.Request(url, method="GET")  # noqa: S310 (the API's own presigned URL)
    try:
        with urllib.request.urlopen(request, timeout=TRANSFER_TIMEOUT_SECONDS) as response:  # noqa: S310
            if str(target) == "-":
                shutil.copyfileobj(response, sys.stdout.buffer, CHUNK_BYTES)
                return
            partial = target.with_name(f".{target.name}.part")
            try:
                with partial.open("wb") as sink:
                    shutil.copyfileobj(response, sink, CHUNK_BYTES)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
    except urllib.error.HTTPError as error:
        raise CliError(f"the download was refused: {error.code} {error.read()[:300]!r}") from error
    except OSError as error:
        raise CliError(f"cannot save {target}: {error}") from error
