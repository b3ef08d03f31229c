"""Catalog records: products, sales conditions and attachments.

Money and quantities are ``Decimal`` (never float). Text fields carry the maximum lengths the trade
formats use (ETIM xChange, BMEcat), so an over-long value is rejected with a clear message instead of
being cut off silently. Every record has a ``natural_key()``: the fields that identify it, used for
idempotent upserts and for finding duplicate rows within one file.

Validation context ``{"partial": True}`` (an *update only* import) skips the completeness rules that a
new record must satisfy, because such a row only carries the fields it changes.

Every rule lives in one of two places, so that ``pimtasks.catalog.record_builder`` can apply the very same
rules to a batch of rows without one full model validation per row: a field's own rules are part of its
annotated type (constraints, ``AfterValidator``), and the rules across fields are ``record_problem``.
No ``field_validator`` or further ``model_validator`` decorators (the builder refuses such a model).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from pimtasks.catalog.codes import (
    CURRENCY_PATTERN,
    ETIM_CLASS_PATTERN,
    ETIM_FEATURE_PATTERN,
    ETIM_UNIT_PATTERN,
    GTIN_LENGTHS,
    gs1_problem,
    normalize_language,
)


def _valid_gtin(value: str) -> str:
    problem = gs1_problem(value, lengths=GTIN_LENGTHS, name="GTIN")
    if problem:
        raise ValueError(problem)
    return value


def _valid_gln(value: str) -> str:
    problem = gs1_problem(value, lengths=(13,), name="GLN")
    if problem:
        raise ValueError(problem)
    return value


Gtin = Annotated[str, AfterValidator(_valid_gtin)]
Gln = Annotated[str, AfterValidator(_valid_gln)]
Code35 = Annotated[str, StringConstraints(min_length=1, max_length=35)]
"""Article numbers, item numbers, debtor and project numbers: 35 characters as in ETIM xChange."""
ShortCode = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=4)]
Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=256)]
CustomValue = Annotated[str, StringConstraints(max_length=1000)]
CustomName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RecordProblem(NamedTuple):
    """A rule across fields that a record breaks: its text, and the field a user corrects first."""

    field: str
    text: str


class CatalogRecord(BaseModel):
    """Base of every catalog record: frozen, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def record_problem(cls, values: Mapping[str, Any], partial: bool) -> RecordProblem | None:
        """What is wrong across the fields of ``values`` (every field present, each valid), or None.

        ``partial``: an *update only* row, which need not be complete.
        """
        return None

    @model_validator(mode="after")
    def _record_rules(self, info: ValidationInfo) -> CatalogRecord:
        problem = self.record_problem(self.__dict__, bool(info.context and info.context.get("partial")))
        if problem:
            raise ValueError(problem.text)
        return self

    def natural_key(self) -> tuple[str, ...]:
        """The values that identify this record, as text (empty text for an absent value)."""
        values = self.__dict__
        # Called once per imported row: plain text (the usual case) skips the conversion call.
        return tuple(
            [
                value if value.__class__ is str else "" if value is None else key_text(value)
                for value in map(values.__getitem__, self.KEY_FIELDS)
            ]
        )


def key_text(value: Any) -> str:
    """One value of a natural key as text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # 10, 10.0 and 10.00 are the same bracket.
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class ProductStatus(StrEnum):
    """Lifecycle status, with the values of ETIM xChange ``ProductStatus``."""

    PRE_LAUNCH = "pre-launch"
    ACTIVE = "active"
    ON_HOLD = "on hold"
    PLANNED_WITHDRAWAL = "planned withdrawal"
    OBSOLETE = "obsolete"


class Feature(BaseModel):
    """One ETIM feature value of a product: code (EF...), value and unit (EU...).

    ``value`` is text: an EV code for alphanumeric features, a number with ``.`` as decimal point,
    ``true``/``false`` for logical features, ``lower..upper`` for ranges.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    code: Annotated[str, StringConstraints(pattern=ETIM_FEATURE_PATTERN)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    unit: Annotated[str, StringConstraints(pattern=ETIM_UNIT_PATTERN)] | None = None


def _normalized_languages(value: dict[str, str]) -> dict[str, str]:
    return {normalize_language(language): text for language, text in value.items()}


def _unique_features(value: list[Feature]) -> list[Feature]:
    seen: set[str] = set()
    for feature in value:
        if feature.code in seen:
            raise ValueError(f"feature {feature.code} is given twice")
        seen.add(feature.code)
    return value


Descriptions = Annotated[dict[str, Description], AfterValidator(_normalized_languages)]
"""Language tag (nl, nl-NL, EN...) -> description; tags are normalized (``NL`` is ``nl``)."""
Features = Annotated[list[Feature], AfterValidator(_unique_features)]
"""A product's ETIM feature values, each feature at most once."""


class AllowanceSurcharge(BaseModel):
    """An allowance (discount) or surcharge on a pricing, as the 2BA / ETIM xChange pricing carries it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    indicator: Annotated[str, StringConstraints(pattern=r"^(ALLOWANCE|SURCHARGE)$")]
    type: Annotated[str, StringConstraints(min_length=1, max_length=10)]
    sequence: int | None = Field(default=None, ge=0, le=999)
    valid_from: dt.date | None = None
    amount: Annotated[Decimal, Field(max_digits=15, decimal_places=4)] | None = None
    percentage: Annotated[Decimal, Field(ge=-1000, le=1000, decimal_places=4)] | None = None
    minimum_quantity: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)] | None = None


class Pricing(BaseModel):
    """One pricing of a trade item (ETIM xChange ``Pricing``): gross and net price for a price quantity of a
    price unit, its validity, and the allowances and surcharges on it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    price_unit_code: Annotated[str, StringConstraints(min_length=1, max_length=10)] = Field(
        description="UN/ECE Recommendation 20 unit the price is for, e.g. C62 (piece), MTR")
    price_quantity: Quantity = Field(description="How many price units the price is for")
    price_unit_factor: Quantity | None = None
    currency: Currency = "EUR"
    price_on_request: bool | None = None
    gross_price: Money | None = None
    net_price: Money | None = None
    recommended_retail_price: Money | None = None
    vat: Percentage | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    allowances: list[AllowanceSurcharge] = Field(default_factory=list, max_length=100)


class Product(CatalogRecord):
    """A product / article of the catalog, identified by its article number."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("article_number",)

    article_number: Code35
    gtin: Gtin | None = None
    descriptions: Descriptions = Field(
        default_factory=dict, max_length=50, description="Language tag (nl, nl-NL, EN...) -> description"
    )
    brand: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    manufacturer_gln: Gln | None = None
    manufacturer_product_number: Code35 | None = None
    supplier_gln: Gln | None = None
    supplier_item_number: Code35 | None = None
    etim_class: Annotated[str, StringConstraints(pattern=ETIM_CLASS_PATTERN)] | None = None
    etim_release: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    features: Features = Field(default_factory=list, max_length=500)
    discount_group: ShortCode | None = None
    gross_price: Money | None = None
    currency: Currency = "EUR"
    price_unit: Quantity | None = Field(default=None, description="Quantity the gross price is for (100 = per 100)")
    order_unit: Annotated[str, StringConstraints(min_length=1, max_length=10)] | None = Field(
        default=None, description="UN/ECE Recommendation 20 unit code, e.g. C62 (piece), MTR"
    )
    minimum_order_quantity: Quantity | None = None
    status: ProductStatus | None = None
    custom_fields: dict[CustomName, CustomValue] = Field(default_factory=dict, max_length=100)
    price_unit_code: Annotated[str, StringConstraints(min_length=1, max_length=10)] | None = Field(
        default=None, description="UN/ECE unit code the gross price is for (with price_unit as its quantity)")
    pricings: list[Pricing] | None = Field(
        default=None, max_length=100, description="Every pricing of the item with its allowances and surcharges "
                                                   "(2BA); gross_price is the one valid today")


class TermsType(StrEnum):
    """Kind of a sales condition: the basic condition, a (temporary) action or a project price."""

    BASIC = "basic"
    ACTION = "action"
    PROJECT = "project"


ITEM_SCOPE_FIELDS = ("discount_group", "article_number", "gtin")
PRICE_FIELDS = ("net_price", "discount_1", "discount_2", "discount_3")


class SalesCondition(CatalogRecord):
    """A condition record: a net price or discounts for a customer group or debtor on an item scope.

    The natural key is what makes two rows *the same condition*: who grants it (supplier_gln), to whom
    (customer_group or debtor, and region), on what (discount_group, article_number or gtin), of which
    kind (terms_type, project_number), from which quantity (quantity_lower_limit) and from when
    (valid_from). So a price change announced for next month is a second record next to the current one,
    and a quantity bracket is a record of its own. Prices, discounts, valid_until and currency are the
    condition's *values*: changing them updates the record.
    """

    KEY_FIELDS: ClassVar[tuple[str, ...]] = (
        "supplier_gln",
        "customer_group",
        "debtor",
        "region",
        "discount_group",
        "article_number",
        "gtin",
        "terms_type",
        "project_number",
        "quantity_lower_limit",
        "valid_from",
    )

    supplier_gln: Gln | None = None
    customer_group: Code35 | None = None
    debtor: Code35 | None = None
    region: Code35 | None = None
    discount_group: ShortCode | None = None
    article_number: Code35 | None = None
    gtin: Gtin | None = None
    net_price: Money | None = None
    discount_1: Percentage | None = None
    discount_2: Percentage | None = None
    discount_3: Percentage | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    terms_type: TermsType = TermsType.BASIC
    project_number: Code35 | None = None
    quantity_lower_limit: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)] = Decimal(0)
    currency: Currency = "EUR"

    @classmethod
    def record_problem(cls, values: Mapping[str, Any], partial: bool) -> RecordProblem | None:
        """One item scope, one customer scope, a valid period, a project number only for projects, a price."""
        # Runs once per imported row (see record_builder): plain lookups, the common case first.
        if (values["discount_group"] is None) + (values["article_number"] is None) + (values["gtin"] is None) != 2:
            scopes = [name for name in ITEM_SCOPE_FIELDS if values[name] is not None]
            return RecordProblem(
                scopes[-1] if scopes else "discount_group",
                f"give exactly one of discount_group, article_number, gtin (found: {', '.join(scopes) or 'none'})",
            )
        if values["customer_group"] is not None and values["debtor"] is not None:
            return RecordProblem("debtor", "give customer_group or debtor, not both")
        valid_from, valid_until = values["valid_from"], values["valid_until"]
        if valid_until is not None and valid_from is not None and valid_until < valid_from:
            return RecordProblem(
                "valid_until", f"valid_until {valid_until.isoformat()} is before valid_from {valid_from.isoformat()}"
            )
        if (values["terms_type"] is TermsType.PROJECT) != (values["project_number"] is not None):
            if values["project_number"] is None:
                return RecordProblem("project_number", "terms_type project needs a project_number")
            return RecordProblem(
                "project_number",
                f"project_number is only allowed with terms_type project (not {values['terms_type']})",
            )
        if (
            values["net_price"] is None
            and values["discount_1"] is None
            and values["discount_2"] is None
            and values["discount_3"] is None
            and not partial
        ):
            return RecordProblem("net_price", "a sales condition needs a net_price or a discount_1..3")
        return None


class Attachment(CatalogRecord):
    """A file linked to an article: a picture, manual, drawing... (type codes PPI, MAN, CAD, SCH, OTD, ...)."""

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("article_number", "type_code", "language", "sequence")

    article_number: Code35
    type_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,6}$")]
    language: Annotated[str, StringConstraints(max_length=10)] | None = None
    sequence: int = Field(default=1, ge=1, le=999)
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    stored_key: Annotated[str, StringConstraints(max_length=1024)] | None = Field(
        default=None, description="Where the file is stored (S3 key relative to the environment)"
    )
    checksum: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="SHA-256 of the content, hex"
    )
    content_type: Annotated[str, StringConstraints(max_length=100)] | None = None
