"""How an import row changes a stored record: merge, clear, hashes (no AWS)."""

from __future__ import annotations

from decimal import Decimal

from pimtasks.catalog.models import Product, SalesCondition
from pimtasks.domain.catalog_storage import StoredRecord
from pimtasks.domain.task_types import ImportMode
from pimtasks.imports import MappedRecord
from pimtasks.services.catalog_writer import (
    NOT_IN_CATALOG,
    content_hash,
    decide,
    distinct_key_chunks,
    merge_into,
    planned_write,
    row_hash,
)


def mapped(product: Product, fields: set[str], cleared: frozenset[str] = frozenset()) -> MappedRecord:
    return MappedRecord("f.csv", None, 2, product, product.natural_key(), frozenset(fields), cleared)


def stored(product: Product) -> StoredRecord:
    write = planned_write(product)
    return StoredRecord(key=write.key, data=product.model_dump(mode="json", exclude_none=True),
                        content_hash=write.content_hash)


def test_the_hash_sees_values_not_their_notation() -> None:
    assert content_hash({"price": Decimal("12.50"), "b": 1}) == content_hash({"b": 1, "price": Decimal("12.5")})
    assert content_hash({"price": Decimal("12.5")}) != content_hash({"price": Decimal("12.6")})


def test_a_row_sets_its_fields_per_language_and_keeps_the_others() -> None:
    existing = Product(article_number="A", gross_price=Decimal("1.00"), brand="X", descriptions={"nl": "Kabel"})
    row = mapped(Product(article_number="A", descriptions={"en": "Cable"}), {"article_number", "descriptions.en"})
    merged = Product.model_validate(merge_into(stored(existing).data, row, model=Product))
    assert merged.descriptions == {"nl": "Kabel", "en": "Cable"} and merged.brand == "X"
    assert merged.gross_price == Decimal("1.00")


def test_cleared_fields_go_back_to_their_defaults() -> None:
    existing = Product(article_number="A", gross_price=Decimal("1.00"), currency="USD", descriptions={"nl": "K"})
    row = mapped(Product(article_number="A"), {"article_number"},
                 cleared=frozenset({"gross_price", "currency", "descriptions.nl"}))
    merged = Product.model_validate(merge_into(stored(existing).data, row, model=Product))
    assert merged.gross_price is None and merged.currency == "EUR" and merged.descriptions == {}


def test_decisions_per_mode() -> None:
    product = Product(article_number="A", gross_price=Decimal("2"))
    row = mapped(product, {"article_number", "gross_price"})
    hashed = row_hash(row)

    def kind(existing: Product | None, mode: ImportMode) -> str:
        return decide(row, stored(existing) if existing else None, mode=mode, model=Product, row=hashed).kind

    assert kind(None, ImportMode.UPSERT) == "create"
    refused = decide(row, None, mode=ImportMode.UPDATE_ONLY, model=Product, row=hashed)
    assert refused.kind == "refused" and refused.reason == NOT_IN_CATALOG
    assert kind(product, ImportMode.UPSERT) == "unchanged"
    older = Product(article_number="A", gross_price=Decimal("1"))
    assert kind(older, ImportMode.UPDATE_ONLY) == "update"
    assert kind(older, ImportMode.INSERT_ONLY) == "kept"


def test_a_merge_that_breaks_the_record_is_refused() -> None:
    existing = SalesCondition(article_number="A", net_price=Decimal("1"))
    row = MappedRecord("f.csv", None, 2, SalesCondition.model_validate({"article_number": "A"},
                                                                       context={"partial": True}),
                       existing.natural_key(), frozenset({"article_number"}), frozenset({"net_price"}))
    decision = decide(row, stored_condition(existing), mode=ImportMode.UPSERT, model=SalesCondition, row="r")
    assert decision.kind == "refused" and "net_price or a discount" in (decision.reason or "")


def stored_condition(condition: SalesCondition) -> StoredRecord:
    write = planned_write(condition)
    return StoredRecord(key=write.key, data=condition.model_dump(mode="json", exclude_none=True),
                        content_hash=write.content_hash)


def test_a_key_repeated_in_one_batch_starts_a_new_chunk() -> None:
    a, b = (mapped(Product(article_number=n), {"article_number"}) for n in ("A", "B"))
    assert [[r.key for r in chunk] for chunk in distinct_key_chunks([a, b, a, b])] == [[("A",), ("B",)],
                                                                                       [("A",), ("B",)]]
