"""OAuth 1.0a request signing (RFC 5849) as Magento checks it for integrations.

Since Magento 2.4.4 an integration's access token is accepted as a plain Bearer token only with
``oauth/consumer/enable_integration_as_bearer`` on; otherwise every request must carry an OAuth 1.0a
``Authorization`` header signed with the integration's consumer key and secret and its access token and token
secret. Magento accepts HMAC-SHA256 (and HMAC-SHA1). JSON bodies are not part of the signature (only
form-encoded bodies would be); query parameters are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

_DIGESTS = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding: everything but unreserved characters (``A-Z a-z 0-9 - . _ ~``)."""
    return quote(value, safe="-._~")


@dataclass(frozen=True)
class OAuth1Credentials:
    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str
    signature_method: str = "HMAC-SHA256"


def base_string_uri(url: str) -> str:
    """Scheme and host in lower case, the port only when it is not the scheme's default, the path; no query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def signature_base_string(method: str, url: str, oauth_params: dict[str, str]) -> str:
    """``METHOD&uri&parameters`` with the query's and the OAuth parameters, encoded, sorted by name then value."""
    pairs = [*parse_qsl(urlsplit(url).query, keep_blank_values=True), *oauth_params.items()]
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in pairs)
    normalized = "&".join(f"{name}={value}" for name, value in encoded)
    return "&".join([method.upper(), percent_encode(base_string_uri(url)), percent_encode(normalized)])


def sign(base_string: str, credentials: OAuth1Credentials) -> str:
    """The base64 HMAC of ``base_string`` keyed with the encoded consumer secret and token secret."""
    digest = _DIGESTS.get(credentials.signature_method)
    if digest is None:
        raise ValueError(f"unsupported OAuth signature method {credentials.signature_method}")
    key = f"{percent_encode(credentials.consumer_secret)}&{percent_encode(credentials.token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base_string.encode(), digest).digest()).decode()


def authorization_header(method: str, url: str, credentials: OAuth1Credentials, *,
                         timestamp: Callable[[], float] = time.time,
                         nonce: Callable[[], str] = lambda: secrets.token_hex(16)) -> str:
    """The ``Authorization: OAuth ...`` header value for one request."""
    params = {
        "oauth_consumer_key": credentials.consumer_key,
        "oauth_nonce": nonce(),
        "oauth_signature_method": credentials.signature_method,
        "oauth_timestamp": str(int(timestamp())),
        "oauth_token": credentials.token,
        "oauth_version": "1.0",
    }
    params["oauth_signature"] = sign(signature_base_string(method, url, params), credentials)
    return "OAuth " + ", ".join(f'{name}="{percent_encode(value)}"' for name, value in params.items())


def parse_authorization_header(header: str) -> dict[str, str]:
    """The parameters of an ``OAuth ...`` header (for servers and tests that check a signature)."""
    from urllib.parse import unquote

    if not header.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for part in header[len("OAuth "):].split(","):
        name, _, value = part.strip().partition("=")
        params[name] = unquote(value.strip('"'))
    return params


def verify(method: str, url: str, header: str, credentials: OAuth1Credentials) -> bool:
    """True when ``header`` carries a valid signature of the request by ``credentials``."""
    params = parse_authorization_header(header)
    signature = params.pop("oauth_signature", None)
    params.pop("realm", None)
    if signature is None or params.get("oauth_consumer_key") != credentials.consumer_key \
            or params.get("oauth_token") != credentials.token:
        return False
    method_used = OAuth1Credentials(credentials.consumer_key, credentials.consumer_secret, credentials.token,
                                    credentials.token_secret, params.get("oauth_signature_method", ""))
    try:
        expected = sign(signature_base_string(method, url, params), method_used)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)
