"""Which catalog fields an import can fill, and how a header or a layout's field name finds them.

Standard layout: a header names a catalog field, compared case-insensitively with spaces, dashes, dots
and underscores treated alike (``Gross Price``, ``gross-price`` and ``GROSS_PRICE`` all mean
``gross_price``). Beyond plain fields:
- ``description_<language>`` (``description_nl``, ``Description nl-NL``) fills ``descriptions``;
- ``custom_<name>`` fills ``custom_fields``;
- ``feature_<n>_code`` / ``feature_<n>_value`` / ``feature_<n>_unit`` fill ``features``, and so does
  one ``features`` column written ``EF000008=12.5[EU570448]; EF000007=EV000123``.
A custom layout's ``field`` uses the same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pimtasks.catalog.codes import normalize_language
from pimtasks.catalog.models import Attachment, CatalogRecord, Product, SalesCondition, User
from pimtasks.domain.task_types import ImportTarget


class FieldKind(StrEnum):
    """How a cell is converted for a field."""

    TEXT = "text"
    UPPER = "upper"  # codes written in capitals (currency, ETIM class, unit codes)
    DIGITS = "digits"  # GS1 numbers: GTIN, GLN
    DECIMAL = "decimal"
    PERCENT = "percent"
    DATE = "date"
    INTEGER = "integer"
    CHOICE = "choice"  # enumerations (status, terms_type)
    BOOLEAN = "boolean"  # yes/no flags (a user's active)
    FEATURES = "features"


PRODUCT_FIELDS: dict[str, FieldKind] = {
    "article_number": FieldKind.TEXT,
    "gtin": FieldKind.DIGITS,
    "brand": FieldKind.TEXT,
    "manufacturer_gln": FieldKind.DIGITS,
    "manufacturer_product_number": FieldKind.TEXT,
    "supplier_gln": FieldKind.DIGITS,
    "supplier_item_number": FieldKind.TEXT,
    "etim_class": FieldKind.UPPER,
    "etim_release": FieldKind.TEXT,
    "discount_group": FieldKind.TEXT,
    "gross_price": FieldKind.DECIMAL,
    "currency": FieldKind.UPPER,
    "price_unit": FieldKind.DECIMAL,
    "price_unit_code": FieldKind.UPPER,
    "order_unit": FieldKind.UPPER,
    "minimum_order_quantity": FieldKind.DECIMAL,
    "status": FieldKind.CHOICE,
}

SALES_CONDITION_FIELDS: dict[str, FieldKind] = {
    "supplier_gln": FieldKind.DIGITS,
    "customer_group": FieldKind.TEXT,
    "debtor": FieldKind.TEXT,
    "region": FieldKind.TEXT,
    "discount_group": FieldKind.TEXT,
    "article_number": FieldKind.TEXT,
    "gtin": FieldKind.DIGITS,
    "net_price": FieldKind.DECIMAL,
    "discount_1": FieldKind.PERCENT,
    "discount_2": FieldKind.PERCENT,
    "discount_3": FieldKind.PERCENT,
    "valid_from": FieldKind.DATE,
    "valid_until": FieldKind.DATE,
    "terms_type": FieldKind.CHOICE,
    "project_number": FieldKind.TEXT,
    "quantity_lower_limit": FieldKind.DECIMAL,
    "currency": FieldKind.UPPER,
}

ATTACHMENT_FIELDS: dict[str, FieldKind] = {
    "article_number": FieldKind.TEXT,
    "type_code": FieldKind.UPPER,
    "language": FieldKind.TEXT,
    "sequence": FieldKind.INTEGER,
    "file_name": FieldKind.TEXT,
    "stored_key": FieldKind.TEXT,
    "checksum": FieldKind.TEXT,
    "content_type": FieldKind.TEXT,
}

USER_FIELDS: dict[str, FieldKind] = {
    "user_id": FieldKind.TEXT,
    "name": FieldKind.TEXT,
    "email": FieldKind.TEXT,
    "debtor_number": FieldKind.TEXT,
    "customer_group": FieldKind.TEXT,
    "gln": FieldKind.DIGITS,
    "active": FieldKind.BOOLEAN,
}

ALIASES: dict[str, str] = {"ean": "gtin", "ean_code": "gtin", "gtin_code": "gtin", "e_mail": "email"}

KIND_HELP: dict[FieldKind, str] = {
    FieldKind.TEXT: "text, trimmed",
    FieldKind.UPPER: "a code, read in capitals",
    FieldKind.DIGITS: "digits only (spaces and a number cell's .0 are dropped)",
    FieldKind.DECIMAL: "a number (the column's decimal_separator says how text is read)",
    FieldKind.PERCENT: "a percentage: 10 or 10% is 10 percent (a cell formatted as a percentage reads as shown)",
    FieldKind.DATE: "a date (ISO 2027-04-03, a date cell, an Excel day number, or text read by date_format, else "
                    "day first)",
    FieldKind.INTEGER: "a whole number",
    FieldKind.CHOICE: "one of the listed values",
    FieldKind.FEATURES: "CODE=VALUE or CODE=VALUE[UNIT] entries separated by ';'",
    FieldKind.BOOLEAN: "true or false (also yes/no, y/n, 1/0, ja/nee, j/n, x for true; a checkbox cell as shown)",
}
"""How a cell is read for each kind of field (``GET /catalog/fields``)."""


@dataclass(frozen=True)
class FieldPattern:
    """A family of names that fills one key of a dict or list field (``description_nl`` -> descriptions.nl)."""

    name: str
    kind: FieldKind
    fills: str
    meaning: str
    example: str
    """A name of the family, which ``resolve_field`` resolves (a test holds the two together)."""


PRODUCT_PATTERNS: tuple[FieldPattern, ...] = (
    FieldPattern("description_<language>", FieldKind.TEXT, "descriptions",
                 "Description in one language (description_nl, description_en, description_nl_BE); at most 256 "
                 "characters", "description_nl"),
    FieldPattern("custom_<name>", FieldKind.TEXT, "custom_fields",
                 "A field of your own (custom_colour); name up to 64 of a-z, 0-9, _; value at most 1000 characters",
                 "custom_colour"),
    FieldPattern("features", FieldKind.FEATURES, "features",
                 "Every ETIM feature value in one cell: EF000008=12.5[EU570448]; EF000007=EV000123", "features"),
    FieldPattern("feature_<n>_code", FieldKind.UPPER, "features", "Feature n's ETIM feature code (EF...)",
                 "feature_1_code"),
    FieldPattern("feature_<n>_value", FieldKind.UPPER, "features",
                 "Feature n's value: an EV code, a number with a decimal point, true/false, or lower..upper; empty "
                 "or - is not applicable", "feature_1_value"),
    FieldPattern("feature_<n>_unit", FieldKind.UPPER, "features", "Feature n's ETIM unit code (EU...)",
                 "feature_1_unit"),
)


@dataclass(frozen=True)
class TargetSpec:
    """The record type an import target produces and the columns it needs."""

    model: type[CatalogRecord]
    fields: dict[str, FieldKind]
    required_any: tuple[tuple[str, ...], ...]
    """Groups of fields of which the file must have at least one column each (standard layout)."""
    dict_fields: bool
    patterns: tuple[FieldPattern, ...] = ()
    """The name families a layout may use besides ``fields`` (only with ``dict_fields``)."""


TARGETS: dict[ImportTarget, TargetSpec] = {
    ImportTarget.PRODUCTS: TargetSpec(Product, PRODUCT_FIELDS, (("article_number",),), dict_fields=True,
                                         patterns=PRODUCT_PATTERNS),
    ImportTarget.SALES_CONDITIONS: TargetSpec(
        SalesCondition, SALES_CONDITION_FIELDS, (("discount_group", "article_number", "gtin"),), dict_fields=False
    ),
    ImportTarget.ATTACHMENTS: TargetSpec(
        Attachment, ATTACHMENT_FIELDS, (("article_number",), ("type_code",), ("file_name",)), dict_fields=False
    ),
    ImportTarget.USERS: TargetSpec(User, USER_FIELDS, (("user_id",),), dict_fields=False),
}

_SEPARATORS = re.compile(r"[^0-9a-z]+")
_DESCRIPTION = re.compile(r"^description_([a-z]{2,3})(?:_([a-z]{2}))?$")
_CUSTOM = re.compile(r"^custom(?:_fields?)?_([0-9a-z_]{1,64})$")
_FEATURE_PART = re.compile(r"^feature_([0-9]{1,3})_(code|value|unit)$")


@dataclass(frozen=True)
class FieldRef:
    """Where a column's value goes: a plain field, or one key of a dict/list field."""

    field: str
    key: str | None = None
    kind: FieldKind = FieldKind.TEXT

    @property
    def path(self) -> str:
        """``gross_price``, ``descriptions.nl``, ``custom_fields.colour``, ``features.2.value``."""
        return f"{self.field}.{self.key}" if self.key is not None else self.field


def normalize_name(text: str) -> str:
    """``Gross Price (EUR)`` -> ``gross_price_eur``: the form headers and field names are compared in."""
    return _SEPARATORS.sub("_", text.strip().casefold()).strip("_")


def resolve_field(name: str, target: ImportTarget) -> FieldRef | None:
    """The catalog field a header or layout field name means for ``target``, or None."""
    spec = TARGETS[target]
    normalized = normalize_name(name)
    normalized = ALIASES.get(normalized, normalized)
    kind = spec.fields.get(normalized)
    if kind is not None:
        return FieldRef(normalized, kind=kind)
    if not spec.dict_fields:
        return None
    if normalized == "features":
        return FieldRef("features", kind=FieldKind.FEATURES)
    if match := _DESCRIPTION.match(normalized):
        language = match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")
        return FieldRef("descriptions", normalize_language(language))
    if match := _FEATURE_PART.match(normalized):
        return FieldRef("features", f"{int(match.group(1))}.{match.group(2)}", FieldKind.UPPER)
    if match := _CUSTOM.match(normalized):
        return FieldRef("custom_fields", match.group(1))
    return None


def standard_columns(target: ImportTarget) -> list[str]:
    """The standard layout's plain column names for ``target`` (for documentation and templates)."""
    return list(TARGETS[target].fields)
