"""Presigned GETs of an object version in the emulator, as S3 answers them.

moto checks a presigned request whose key has no current version (a version of a file that was removed since,
such as a run's input after its import moved it out of ``Uploads/``) by requiring every ``content-*`` value in
the URL to be sent as a request header. It finds ``response-content-disposition`` there too, which is not a
request header at all but S3's override of the *response's* header (the name the browser saves the file
under), and refuses the download as ``SignatureDoesNotMatch``. ``install()`` leaves the check as it is for the
request's own headers and only hides the ``response-*`` overrides from it. In AWS none of this applies.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any

_RESPONSE_OVERRIDES = re.compile(r"(?<=[?&])response-[a-z-]+=[^&]*&?", re.IGNORECASE)
_LOCK = threading.Lock()
_ORIGINAL: dict[str, Callable[..., bool]] = {}


def install() -> None:
    """Have the emulator take presigned GETs with response overrides of removed keys' versions (idempotent)."""
    from moto.s3.responses import S3Response

    with _LOCK:
        if _ORIGINAL:
            return
        _ORIGINAL["check"] = S3Response._invalid_headers
        S3Response._invalid_headers = _ignoring_response_overrides(  # type: ignore[method-assign]
            S3Response._invalid_headers)


def _ignoring_response_overrides(check: Callable[..., bool]) -> Callable[..., bool]:
    @functools.wraps(check)
    def checked(self: Any, url: str, headers: dict[str, str]) -> bool:
        return check(self, _RESPONSE_OVERRIDES.sub("", url), headers)

    return checked
