"""Slow, salted password hashes for FTPS users (stdlib scrypt), verified in constant time.

A hash is self-describing: ``scrypt$n=<N>,r=<r>,p=<p>$<salt>$<digest>`` (salt and digest in URL-safe
base64 without padding), so the cost can be raised later and old hashes still verify; ``needs_rehash``
tells the caller when a stored hash is weaker than the current parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SCHEME = "scrypt"
_SALT_BYTES = 16
_DIGEST_BYTES = 32


@dataclass(frozen=True)
class ScryptParameters:
    """scrypt cost: memory is ``128 * n * r`` bytes (32 MiB for the defaults), time grows with ``n * r * p``."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    @property
    def max_memory(self) -> int:
        # hashlib refuses to use more than ``maxmem``; leave headroom above the nominal 128*n*r.
        return 2 * 128 * self.n * self.r * self.p + (1 << 20)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ScryptPasswordHasher:
    """Hashes and verifies passwords with scrypt."""

    def __init__(self, parameters: ScryptParameters | None = None) -> None:
        self.parameters = parameters or ScryptParameters()

    def hash(self, password: str) -> str:
        """A fresh hash of ``password`` with a random salt."""
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = _derive(password, salt, self.parameters)
        p = self.parameters
        return f"{_SCHEME}$n={p.n},r={p.r},p={p.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, hashed: str) -> bool:
        """True when ``password`` matches ``hashed``; a malformed hash never matches."""
        parsed = _parse(hashed)
        if parsed is None:
            return False
        parameters, salt, expected = parsed
        try:
            actual = _derive(password, salt, parameters)
        except ValueError:  # parameters scrypt rejects (a corrupted hash): never a match
            return False
        return hmac.compare_digest(actual, expected)

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` was made with other (older) parameters than the current ones."""
        parsed = _parse(hashed)
        return parsed is None or parsed[0] != self.parameters


def _derive(password: str, salt: bytes, parameters: ScryptParameters) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=parameters.n, r=parameters.r, p=parameters.p,
                          maxmem=parameters.max_memory, dklen=_DIGEST_BYTES)


def _parse(hashed: str) -> tuple[ScryptParameters, bytes, bytes] | None:
    try:
        scheme, cost, salt, digest = hashed.split("$")
        values = dict(part.split("=", 1) for part in cost.split(","))
        parameters = ScryptParameters(n=int(values["n"]), r=int(values["r"]), p=int(values["p"]))
        return (parameters, _unb64(salt), _unb64(digest)) if scheme == _SCHEME else None
    except (ValueError, KeyError):
        return None
