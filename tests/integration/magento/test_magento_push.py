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


def test_skus_magento_fails_or_rejects_are_named_with_its_message_and_sent_again_next_run(
        magento: MagentoTasks) -> None:
    # given a shop that fails one SKU (with a %placeholder message) and rejects another when queuing it
    magento.put_products([product(n) for n in range(5)])
    magento.shop.fail_sku("P-0001", 'The value of attribute "%1" must be unique', ["url_key"])
    magento.shop.reject_sku("P-0003", "Error processing %1 element of input data")
    task = magento.create_task()

    # when the task runs
    run = magento.run(task)

    # then the others are in the shop, and the two SKUs are reported with Magento's message filled in
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert magento.shop.skus() == ["P-0000", "P-0002", "P-0004"]
    errors = [m.text for m in run.messages if m.level == "error"]
    assert ('SKU P-0001, global values (/rest/all): The value of attribute "url_key" must be unique' in errors)
    assert any(e.startswith("SKU P-0003, global values (/rest/all): rejected: Error processing 3 element")
               for e in errors)
    assert scope_lines(run)["global values"] == "selected 5, sent 5, succeeded 3, failed 2, unchanged 0"
    assert scope_lines(run)["store view nl"] == "selected 3, sent 3, succeeded 3, failed 0, unchanged 0"

    # when the shop takes them again and the task runs without catalog changes, exactly those two are sent
    magento.shop.state.failures.clear()
    magento.shop.state.rejected.clear()
    again = magento.run(task)
    assert again.status is RunStatus.SUCCEEDED, again.messages
    assert magento.shop.skus() == [f"P-{n:04d}" for n in range(5)]
    assert scope_lines(again)["global values"] == "selected 2, sent 2, succeeded 2, failed 0, unchanged 0"
    assert shop_view(magento, "P-0003", "nl")["name"] == "Product 3 NL"
    # and once they are in, the next run has nothing to send again
    assert scope_lines(magento.run(task))["global values"].startswith("selected 0, sent 0")


def test_a_retriable_failure_is_sent_once_more_within_the_run(magento: MagentoTasks) -> None:
    magento.put_products([product(n) for n in range(3)])
    magento.shop.fail_sku("P-0002", "Deadlock found when trying to get lock", retriable=True, times=1)
    run = magento.run(magento.create_task())
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert shop_view(magento, "P-0002", "nl")["name"] == "Product 2 NL"
    assert scope_lines(run)["global values"] == "selected 3, sent 3, succeeded 3, failed 0, unchanged 0"


def test_a_stopped_consumer_ends_the_run_with_the_open_operations_and_the_next_run_checks_them(
        magento: MagentoTasks) -> None:
    # given a shop whose async.operations.all consumer does not run
    magento.put_products([product(n) for n in range(4)])
    magento.shop.set_consumer("stopped")
    task = magento.create_task(open_operations_minutes=1)

    # when the task runs, it waits a minute and then fails saying so (the fake clock moves while it polls)
    run = magento.run(task)
    assert run.status is RunStatus.FAILED
    assert run.error == ("Magento accepted 4 operations that are still open after 1 minutes: is the "
                         "async.operations.all consumer running?")
    assert magento.shop.skus() == []
    assert scope_lines(run)["global values"] == "selected 4, sent 4, succeeded 0, failed 0, unchanged 0"

    # when the consumer ran meanwhile, the next run finds them done, sends nothing twice and goes on to the views
    magento.shop.run_consumer()
    magento.shop.set_consumer("on_poll")
    again = magento.run(task)
    assert again.status is RunStatus.SUCCEEDED, again.messages
    assert magento.bulk_items_sent() == 4 + 3 * 4
    assert "Operations sent by earlier runs, finished now: succeeded 4, failed 0" in [m.text for m in again.messages]
    assert shop_view(magento, "P-0001", "nl")["name"] == "Product 1 NL"


def test_a_bulk_magento_no_longer_knows_is_sent_again_instead_of_failing_every_later_run(
        magento: MagentoTasks) -> None:
    # given a run that gave up waiting for a stopped consumer, and a shop that then forgot the bulk (bulk lifetime)
    magento.put_products([product(n) for n in range(2)])
    magento.shop.set_consumer("stopped")
    task = magento.create_task(open_operations_minutes=1)
    assert magento.run(task).status is RunStatus.FAILED
    magento.shop.forget_bulks()
    magento.shop.set_consumer("on_poll")

    # when the task runs again, its SKUs are named as unknown and marked to be sent again
    again = magento.run(task)
    assert again.status is RunStatus.FAILED, again.messages
    texts = [m.text for m in again.messages]
    assert any(t.startswith("SKU P-0001, sent by an earlier run, global values") and "no longer knows bulk" in t
               for t in texts), texts
    assert "Operations sent by earlier runs, finished now: succeeded 0, failed 2" in texts

    # and the run after that pushes them and goes on to the store views
    third = magento.run(task)
    assert third.status is RunStatus.SUCCEEDED, third.messages
    assert shop_view(magento, "P-0001", "nl")["name"] == "Product 1 NL"
    assert magento.bulk_items_sent() == 2 + 2 + 3 * 2


def test_polling_goes_on_in_a_continuation(magento: MagentoTasks) -> None:
    # given a consumer that applies the queue only every third status poll, and time for a few safe points only
    magento.put_products([product(n) for n in range(6)])
    magento.shop.set_consumer("on_poll", polls_per_batch=3)
    calls = {"n": 0}

    def remaining_ms() -> int:
        calls["n"] += 1
        return 900_000 if calls["n"] % 4 else 1_000

    # when the task runs
    run = magento.run(magento.create_task(chunk_size=2), remaining_ms=remaining_ms)

    # then it took several invocations and the shop holds everything once
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.invocations > 1
    assert magento.bulk_items_sent() == 24
    assert shop_view(magento, "P-0005", "de")["name"] == "Product 5"
    assert scope_lines(run)["store view de"] == "selected 6, sent 6, succeeded 6, failed 0, unchanged 0"
