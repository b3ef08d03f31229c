"""Magento tasks through the run engine and the worker, against a local Magento server: what the shop holds per
store view equals the catalog; unchanged products are not sent again; failures are named and sent again."""

from __future__ import annotations

from pimtasks.domain.run import RunStatus

from tests.integration.magento.harness import ENV, MagentoTasks, product, scope_lines


def shop_view(magento: MagentoTasks, sku: str, store: str) -> dict:
    found = magento.shop.product(sku, store)
    assert found is not None, f"{sku} is not in the shop"
    return found


def test_a_first_run_pushes_the_catalog_to_every_store_view_and_a_second_run_sends_nothing(
        magento: MagentoTasks) -> None:
    # given ten products with English and Dutch descriptions (German for every other one)
    magento.put_products([product(n) for n in range(10)])
    task = magento.create_task()

    # when the task runs for the first time
    run = magento.run(task)

    # then the shop holds each product's global values and each store view's name as the catalog says
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert magento.shop.skus() == [f"P-{n:04d}" for n in range(10)]
    for n in range(10):
        sku = f"P-{n:04d}"
        assert shop_view(magento, sku, "all")["price"] == n + 0.5
        assert shop_view(magento, sku, "all")["name"] == f"Product {n}"
        assert shop_view(magento, sku, "default")["name"] == f"Product {n}"
        assert shop_view(magento, sku, "nl")["name"] == f"Product {n} NL"
        assert shop_view(magento, sku, "de")["name"] == (f"Produkt {n}" if n % 2 == 0 else f"Product {n}")
    lines = scope_lines(run)
    assert lines["global values"] == "selected 10, sent 10, succeeded 10, failed 0, unchanged 0"
    assert lines["store view nl"] == "selected 10, sent 10, succeeded 10, failed 0, unchanged 0"
    assert run.counts.created == 10 and run.counts.read == 40
    sent = magento.bulk_items_sent()
    assert sent == 40

    # when it runs again without catalog changes, nothing is sent
    again = magento.run(task)
    assert again.status is RunStatus.SUCCEEDED
    assert magento.bulk_items_sent() == sent

    # and three changed products send three
    magento.put_products([product(n, gross_price="99.00") for n in (1, 4, 7)])
    third = magento.run(task)
    assert third.status is RunStatus.SUCCEEDED
    assert magento.bulk_items_sent() == sent + 3
    assert scope_lines(third)["global values"] == "selected 3, sent 3, succeeded 3, failed 0, unchanged 0"
    assert scope_lines(third)["store view nl"] == "selected 3, sent 0, succeeded 0, failed 0, unchanged 3"
    assert shop_view(magento, "P-0004", "nl")["price"] == 99.0
    assert ENV
