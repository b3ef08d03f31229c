"""Magento's error texts with their placeholders filled in, and OAuth 1.0a signatures."""

from __future__ import annotations

import pytest
from pimtasks.magento.errors import fill_placeholders, magento_message, operation_message
from pimtasks.magento.oauth1 import (
    OAuth1Credentials,
    authorization_header,
    base_string_uri,
    signature_base_string,
    verify,
)


@pytest.mark.parametrize(("message", "parameters", "expected"), [
    ('The "%1" attribute set ID is invalid.', ["4"], 'The "4" attribute set ID is invalid.'),
    ('"%fieldName" is required.', {"fieldName": "sku"}, '"sku" is required.'),
    ("%1 of %2", ["a", "b"], "a of b"),
    ("No %2 here", ["a"], "No %2 here"),
    ("Access to %resources", [{"resources": "Magento_Catalog::products"}], "Access to Magento_Catalog::products"),
    ("Plain", None, "Plain"),
    ('"%1" must be unique in %store', {"0": "url_key", "store": "nl"}, '"url_key" must be unique in nl'),
    ("%2 after %1", {"1": "b", "0": "a"}, "b after a"),
])
def test_placeholders_are_filled_from_the_parameters(message: str, parameters: object, expected: str) -> None:
    assert fill_placeholders(message, parameters) == expected


def test_an_error_body_reads_as_one_message_with_its_details() -> None:
    body = {"message": "Validation failed for %1", "parameters": ["P-1"],
            "errors": [{"message": "%fieldName is empty", "parameters": {"fieldName": "price"}}]}
    assert magento_message(body) == "Validation failed for P-1; price is empty"
    assert magento_message('{"message": "x %1", "parameters": ["y"]}') == "x y"
    assert magento_message("<html>") is None
    assert operation_message('{"message": "SKU %1 failed", "parameters": ["A"]}') == "SKU A failed"
    assert operation_message("already formatted") == "already formatted"


def test_oauth1_signs_so_that_the_same_credentials_verify_and_others_do_not() -> None:
    credentials = OAuth1Credentials("key", "secret", "token", "token secret")
    url = "https://Shop.example.com:443/rest/all/V1/products?searchCriteria[pageSize]=20"
    header = authorization_header("GET", url, credentials, timestamp=lambda: 1_700_000_000, nonce=lambda: "n0nce")
    assert header.startswith('OAuth oauth_consumer_key="key", oauth_nonce="n0nce", '
                             'oauth_signature_method="HMAC-SHA256"')
    assert verify("GET", url, header, credentials)
    assert not verify("PUT", url, header, credentials)
    assert not verify("GET", url, header, OAuth1Credentials("key", "other", "token", "token secret"))


def test_the_signature_base_string_follows_rfc_5849() -> None:
    assert base_string_uri("HTTP://Example.COM:80/r%20v/X?id=123") == "http://example.com/r%20v/X"
    assert base_string_uri("https://example.com:8443/a") == "https://example.com:8443/a"
    base = signature_base_string("post", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                                 {"oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7"})
    assert base == ("POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
                    "%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_token%3Dkkk9d7dh3k39sjv7")
