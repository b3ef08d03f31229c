"""Which product a sales condition or an attachment is about (its *subject*), for a product's detail view.

An attachment belongs to its article. A sales condition applies to one article, or one GTIN, or every
product of a discount group (the trade's condition records name exactly one of these scopes; the most
specific one that is filled is the subject). A product's detail gathers the records of all three of its
subjects: its article number, its GTIN and its discount group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pimtasks.catalog.models import Attachment, CatalogRecord, Product, SalesCondition


def article_subject(article_number: str) -> str:
    return f"ART#{article_number}"


def gtin_subject(gtin: str) -> str:
    return f"GTIN#{gtin}"


def discount_group_subject(discount_group: str) -> str:
    return f"DG#{discount_group}"


def record_subject(record: CatalogRecord) -> str | None:
    """The subject of a condition or attachment (None for a product, or a condition with no scope)."""
    if isinstance(record, Attachment):
        return article_subject(record.article_number)
    if isinstance(record, SalesCondition):
        if record.article_number:
            return article_subject(record.article_number)
        if record.gtin:
            return gtin_subject(record.gtin)
        if record.discount_group:
            return discount_group_subject(record.discount_group)
    return None


def product_subjects(product: Mapping[str, Any]) -> list[str]:
    """The subjects whose conditions and attachments concern ``product`` (its stored data)."""
    subjects = [article_subject(str(product[Product.KEY_FIELDS[0]]))]
    if product.get("gtin"):
        subjects.append(gtin_subject(str(product["gtin"])))
    if product.get("discount_group"):
        subjects.append(discount_group_subject(str(product["discount_group"])))
    return subjects
