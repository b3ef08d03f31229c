"""Page tokens: where the next page of a listing starts, as an opaque, URL-safe string.

A token is base64url JSON of a position model. Decoding validates it against that model strictly (exact
keys, types and bounds), so a garbled or forged token is a 422 naming ``next_token`` at once and never
reaches the database as a malformed start key (which DynamoDB, or the emulator, would answer with an error
the client retries).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pimtasks.errors import ValidationFailedError

PositionT = TypeVar("PositionT", bound=BaseModel)

MAX_TOKEN_LENGTH = 2000
_NOT_OURS = "not a page token of this listing (list again without next_token)"


def encode_page_token(position: BaseModel) -> str:
    """The token of ``position`` (JSON of the model, base64url)."""
    return base64.urlsafe_b64encode(position.model_dump_json().encode()).decode()


def decode_page_token(token: str | None, *, position: type[PositionT]) -> PositionT | None:
    """The position in ``token`` (None for no token); ``ValidationFailedError`` on ``next_token`` otherwise."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValidationFailedError(field="next_token", message=_NOT_OURS)
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        return position.model_validate(document, strict=True)
    except (ValueError, binascii.Error, ValidationError, RecursionError) as exc:
        raise ValidationFailedError(field="next_token", message=_NOT_OURS) from exc
