"""Bad input of Magento tasks: refused credentials, a base URL that is no Magento, store views and attributes
Magento does not have, rate limits; and the other ways of logging in (admin token, OAuth 1.0a) and sync mode."""

from __future__ import annotations

import pytest
from pimtasks.domain.run import RunStatus
from pimtasks.magento.oauth1 import OAuth1Credentials

from tests.integration.magento.harness import MagentoTasks, product, scope_lines


def test_a_refused_token_fails_the_run_naming_the_secret_and_the_base_url(magento: MagentoTasks) -> None:
    magento.put_products([product(1)])
    magento.set_secret("old-token", "revoked")
    run = magento.run(magento.create_task(access_token="old-token"))
    assert run.status is RunStatus.FAILED
    assert "old-token" in (run.error or "") and magento.shop.url in (run.error or "")
    assert "HTTP 401" in (run.error or "")
    assert magento.shop.requests("/async/") == []


@pytest.mark.parametrize(("path", "said"), [
    ("/not-the-shop", "/not-the-shop/rest/V1/store/storeViews"),  # no Magento there: an HTML 404
    ("/rest/V1", "Request does not match any route."),  # a path too many: Magento's own JSON 404
])
def test_a_base_url_that_is_not_a_magento_rest_api_fails_the_run_saying_so(magento: MagentoTasks, path: str,
                                                                           said: str) -> None:
    magento.put_products([product(1)])
    run = magento.run(magento.create_task(base_url=magento.shop.url + path))
    # the run fails at the first request (not with per-SKU "no attribute" messages or bulk errors)
    assert run.status is RunStatus.FAILED
    assert "does not answer as a Magento REST API" in (run.error or "")
    assert said in (run.error or "")
    assert magento.shop.requests("/async/") == []


def test_a_store_view_the_shop_does_not_have_fails_the_run_naming_it(magento: MagentoTasks) -> None:
    magento.put_products([product(1)])
    run = magento.run(magento.create_task(store_views={"en": "default", "fr": "fr"}))
    assert run.status is RunStatus.FAILED
    assert "has no store view fr (language fr)" in (run.error or "")
    assert "its store views are de, default, nl" in (run.error or "")


def test_skus_with_a_value_for_an_attribute_magento_does_not_have_are_reported_naming_it(
        magento: MagentoTasks) -> None:
    # given a mapping of brand to an attribute the shop does not have, and of the colour to one it has
    magento.shop.add_attribute("colour", options=["Red", "Blue"])
    magento.put_products([product(1), product(2, brand=None, custom_fields={"colour": "blue"}),
                          product(3, brand=None, custom_fields={"colour": "green"})])
    task = magento.create_task(attributes=[{"field": "brand", "attribute": "manufacturer_brand"},
                                           {"field": "custom_fields.colour", "attribute": "colour"}])

    run = magento.run(task)

    # then the product without a brand goes in (with the option value of its colour), the others are named
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert magento.shop.skus() == ["P-0002"]
    assert magento.shop.product("P-0002")["colour"] == "11"
    errors = [m.text for m in run.messages if m.level == "error"]
    assert any(e.startswith("SKU P-0001, global values (/rest/all): not sent: Magento has no attribute "
                            "'manufacturer_brand' (mapped from catalog field brand)") for e in errors)
    assert any("SKU P-0003" in e and "'green' of custom_fields.colour is not an option" in e for e in errors)
    assert ("Magento has no attribute 'manufacturer_brand' (mapped from catalog field brand): 1 product(s) with a "
            "value for it were not sent") in errors


def test_sync_mode_puts_each_sku_and_rides_out_429_and_503(magento: MagentoTasks) -> None:
    magento.put_products([product(n) for n in range(4)])
    magento.shop.inject("/V1/products", 429, retry_after=1, times=2)
    magento.shop.inject("/V1/products", 503, times=1)
    magento.shop.fail_sku("P-0002", "Invalid value of \"%value\" provided for the %fieldName field.",
                          {"value": "-1", "fieldName": "weight"})
    task = magento.create_task(bulk=False, max_in_flight=2)

    run = magento.run(task)

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert magento.shop.requests("/async/") == []
    assert magento.shop.skus() == ["P-0000", "P-0001", "P-0003"]
    assert magento.shop.product("P-0003", "nl")["name"] == "Product 3 NL"
    assert ('SKU P-0002, global values (/rest/all): Invalid value of "-1" provided for the weight field.'
            in [m.text for m in run.messages])
    assert scope_lines(run)["global values"] == "selected 4, sent 4, succeeded 3, failed 1, unchanged 0"
    # the second run sends only the failed SKU (as a create: Magento never accepted it)
    before = len(magento.shop.requests("/V1/products"))
    magento.shop.state.failures.clear()
    again = magento.run(task)
    assert again.status is RunStatus.SUCCEEDED, again.messages
    assert [r.method for r in magento.shop.requests("/V1/products")[before:]] == ["POST", "PUT", "PUT", "PUT"]


def test_an_admin_user_logs_in_for_a_token(magento: MagentoTasks) -> None:
    magento.put_products([product(1)])
    magento.set_secret("admin-password", "admin-password")
    run = magento.run(magento.create_task(access_token=None, admin={"username": "admin",
                                                                    "password": "admin-password"}))
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert len(magento.shop.requests("/integration/admin/token")) == 1
    assert magento.shop.product("P-0001", "nl")["name"] == "Product 1 NL"

    magento.set_secret("wrong-password", "guess")
    failed = magento.run(magento.create_task(access_token=None,
                                             admin={"username": "admin", "password": "wrong-password"}))
    assert failed.status is RunStatus.FAILED
    assert "admin user 'admin' (password in secret 'wrong-password')" in (failed.error or "")


def test_oauth1_signed_requests_when_the_shop_does_not_take_integration_tokens_as_bearer(
        magento: MagentoTasks) -> None:
    magento.shop.state.oauth = OAuth1Credentials("ck", "cs", "integration-token", "ts")
    for name, value in (("ck", "ck"), ("cs", "cs"), ("ts", "ts")):
        magento.set_secret(name, value)
    magento.put_products([product(1)])
    bearer = magento.run(magento.create_task())
    assert bearer.status is RunStatus.FAILED and "HTTP 401" in (bearer.error or "")
    assert "enable_integration_as_bearer on, else set oauth1" in (bearer.error or "")

    signed = magento.run(magento.create_task(oauth1={"consumer_key": "ck", "consumer_secret": "cs",
                                                     "access_token_secret": "ts"}))
    assert signed.status is RunStatus.SUCCEEDED, signed.messages
    assert magento.shop.product("P-0001", "de")["name"] == "Product 1"
