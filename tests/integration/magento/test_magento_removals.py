"""Products removed from the catalog (an API delete or a ``full`` import leaves a tombstone) are disabled in
Magento, or deleted there with ``removed: delete``; in bulk and in sync mode, and only once."""

from __future__ import annotations

import pytest
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import ImportTarget

from tests.integration.magento.harness import ENV, MagentoTasks, product, scope_lines


def remove_from_catalog(magento: MagentoTasks, *article_numbers: str) -> None:
    magento.core.clock.advance(seconds=1)
    for article_number in article_numbers:
        assert magento.imports.catalog.remove(environment=ENV, target=ImportTarget.PRODUCTS,
                                              identifier=article_number, removed_at=magento.core.clock.now())
    magento.core.clock.advance(seconds=1)


def product_writes(magento: MagentoTasks) -> int:
    return sum(1 for r in magento.shop.requests("/products") if r.method in ("POST", "PUT", "DELETE"))


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "sync"])
def test_a_removed_product_is_disabled_in_the_shop_once(magento: MagentoTasks, bulk: bool) -> None:
    # given five products in the shop
    magento.put_products([product(n) for n in range(5)])
    task = magento.create_task(bulk=bulk)
    assert magento.run(task).status is RunStatus.SUCCEEDED
    assert magento.shop.product("P-0002", "all")["status"] == 1

    # when two of them leave the catalog and the task runs
    remove_from_catalog(magento, "P-0002", "P-0004")
    run = magento.run(task)

    # then the shop still has them, disabled, and the others untouched and enabled
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert magento.shop.skus() == [f"P-{n:04d}" for n in range(5)]
    assert [magento.shop.product(f"P-{n:04d}", "all")["status"] for n in range(5)] == [1, 1, 2, 1, 2]
    assert scope_lines(run)["global values"].startswith("selected 2, sent 2, succeeded 2, failed 0")

    # and a third run sends nothing for them again
    writes_before = product_writes(magento)
    assert writes_before > 0
    again = magento.run(task)
    assert again.status is RunStatus.SUCCEEDED
    assert scope_lines(again)["global values"].startswith("selected 0")
    assert product_writes(magento) == writes_before


def test_with_removed_delete_the_product_leaves_the_shop(magento: MagentoTasks) -> None:
    magento.put_products([product(n) for n in range(3)])
    task = magento.create_task(removed="delete")
    assert magento.run(task).status is RunStatus.SUCCEEDED

    remove_from_catalog(magento, "P-0001")
    run = magento.run(task)

    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert magento.shop.skus() == ["P-0000", "P-0002"]


def test_a_product_removed_before_the_shop_ever_had_it_is_not_sent(magento: MagentoTasks) -> None:
    magento.put_products([product(n) for n in range(3)])
    remove_from_catalog(magento, "P-0001")
    task = magento.create_task()

    run = magento.run(task)

    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert magento.shop.skus() == ["P-0000", "P-0002"]
