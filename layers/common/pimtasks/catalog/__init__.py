"""The catalog: what imports write and exports read (products, sales conditions, attachments, users).

Field names are the column names of the *standard layout*: a file whose header row names these fields
imports without a custom layout.
"""

from pimtasks.catalog.models import (
    Attachment,
    CatalogRecord,
    Feature,
    Product,
    ProductStatus,
    SalesCondition,
    TermsType,
    User,
)

__all__ = [
    "Attachment",
    "CatalogRecord",
    "Feature",
    "Product",
    "ProductStatus",
    "SalesCondition",
    "TermsType",
    "User",
]
