"""The catalog: what imports write and exports read (products, sales conditions, attachments, users).

Field names are the column names of the *standard layout*: a file whose header row names these fields
imports without a custom layout.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """The models, imported when first read (PEP 562): a submodule import (``pimtasks.catalog.codes``, which the
    task settings use) runs this package first, and the models are the heaviest module of the domain."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("pimtasks.catalog.models"), name)
    globals()[name] = value
    return value


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
