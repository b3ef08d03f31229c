"""WS-Security 1.0 UsernameToken profile with a Timestamp, as the MessageService policy asks.

``PasswordDigest = Base64(SHA-1(nonce + created + password))`` (nonce as raw bytes, ``created`` as the
literal text sent); ``PasswordText`` sends the password itself (the Wefabric senders do, over HTTPS).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement

from pimtasks.domain.task_types import ArtConnectPasswordType as PasswordType

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TEXT_TYPE = f"{_PROFILE}#PasswordText"
PASSWORD_DIGEST_TYPE = f"{_PROFILE}#PasswordDigest"
BASE64_ENCODING = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
TIMESTAMP_SECONDS = 300


def password_digest(*, nonce: bytes, created: str, password: str) -> str:
    """The UsernameToken profile's digest of ``password`` for this nonce and creation time."""
    # SHA-1 is what the UsernameToken profile 1.0 prescribes (the hub checks exactly this digest).
    digest = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8"), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")


def wsu_time(moment: dt.datetime) -> str:
    """``2026-12-02T16:00:00.000Z``: UTC with milliseconds, as WCF and PHP servers both read it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str
    password_type: PasswordType = PasswordType.DIGEST
    timestamp_seconds: int = TIMESTAMP_SECONDS

    def security_header(self, *, now: dt.datetime, nonce: bytes | None = None) -> Element:
        """A fresh ``wsse:Security`` header (a new nonce every call: servers reject a nonce seen before)."""
        created = wsu_time(now)
        security = Element(f"{{{WSSE}}}Security")
        timestamp = SubElement(security, f"{{{WSU}}}Timestamp", {f"{{{WSU}}}Id": "TS-1"})
        SubElement(timestamp, f"{{{WSU}}}Created").text = created
        SubElement(timestamp, f"{{{WSU}}}Expires").text = wsu_time(now + dt.timedelta(seconds=self.timestamp_seconds))
        token = SubElement(security, f"{{{WSSE}}}UsernameToken", {f"{{{WSU}}}Id": "UT-1"})
        SubElement(token, f"{{{WSSE}}}Username").text = self.username
        if self.password_type is PasswordType.TEXT:
            SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_TEXT_TYPE}).text = self.password
            return security
        nonce = secrets.token_bytes(16) if nonce is None else nonce
        SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_DIGEST_TYPE}).text = password_digest(
            nonce=nonce, created=created, password=self.password)
        SubElement(token, f"{{{WSSE}}}Nonce", {"EncodingType": BASE64_ENCODING}).text = (
            base64.b64encode(nonce).decode("ascii"))
        SubElement(token, f"{{{WSU}}}Created").text = created
        return security
