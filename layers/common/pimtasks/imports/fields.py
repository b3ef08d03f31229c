"""The import's view of the catalog fields: defined in ``pimtasks.catalog.fields`` (light enough for the API,
which documents them at ``GET /catalog/fields`` and checks layouts against them, without the reading library)."""

from pimtasks.catalog.fields import (
    ALIASES,
    ATTACHMENT_FIELDS,
    PRODUCT_FIELDS,
    SALES_CONDITION_FIELDS,
    TARGETS,
    USER_FIELDS,
    FieldKind,
    FieldRef,
    TargetSpec,
    normalize_name,
    resolve_field,
    standard_columns,
)

__all__ = [
    "ALIASES",
    "ATTACHMENT_FIELDS",
    "PRODUCT_FIELDS",
    "SALES_CONDITION_FIELDS",
    "TARGETS",
    "USER_FIELDS",
    "FieldKind",
    "FieldRef",
    "TargetSpec",
    "normalize_name",
    "resolve_field",
    "standard_columns",
]
