"""Catalog records: products, sales conditions, attachments and users (customer accounts).

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
import re
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
    ATTACHMENT_TYPE_PATTERN,
    CURRENCY_PATTERN,
    ETIM_CLASS_PATTERN,
    ETIM_FEATURE_PATTERN,
    ETIM_UNIT_PATTERN,
    GTIN_LENGTHS,
    SHA256_PATTERN,
    gs1_problem,
    normalize_language,
)


def _valid_gtin(value: str) -> str:
    """a GTIN of 8, 12, 13 or 14 digits with a valid GS1 check digit (the last digit)"""
    problem = gs1_problem(value, lengths=GTIN_LENGTHS, name="GTIN")
    if problem:
        raise ValueError(problem)
    return value


def _valid_gln(value: str) -> str:
    """a GLN of 13 digits with a valid GS1 check digit (the last digit)"""
    problem = gs1_problem(value, lengths=(13,), name="GLN")
    if problem:
        raise ValueError(problem)
    return value


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _valid_email(value: str) -> str:
    """an e-mail address: name@domain.tld, no spaces, one @, a dot in the domain"""
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (expected name@domain.tld)")
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
    RULES: ClassVar[tuple[str, ...]] = ()
    """The rules across fields that ``record_problem`` checks, in words (``GET /catalog/fields`` lists them)."""

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
    """each feature code at most once per product"""
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

    article_number: Code35 = Field(description="The supplier's article number: identifies the product")
    gtin: Gtin | None = Field(default=None, description="GTIN (EAN) of the trade item")
    descriptions: Descriptions = Field(
        default_factory=dict, max_length=50, description="Language tag (nl, nl-NL, EN...) -> description"
    )
    brand: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = Field(
        default=None, description="Brand name")
    manufacturer_gln: Gln | None = Field(default=None, description="GLN of the manufacturer")
    manufacturer_product_number: Code35 | None = Field(
        default=None, description="The manufacturer's own product number")
    supplier_gln: Gln | None = Field(default=None, description="GLN of the supplier")
    supplier_item_number: Code35 | None = Field(
        default=None, description="The supplier's item number, when it differs from the article number")
    etim_class: Annotated[str, StringConstraints(pattern=ETIM_CLASS_PATTERN)] | None = Field(
        default=None, description="ETIM class of the product (checked against the environment's ETIM model when it "
                                  "has one)")
    etim_release: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = Field(
        default=None, description="ETIM release the class and features are of, e.g. ETIM-9.0 (default: the newest "
                                  "synced)")
    features: Features = Field(default_factory=list, max_length=500,
                               description="ETIM feature values: code (EF...), value (EV... code, number, true/false "
                                           "or lower..upper) and unit (EU...)")
    discount_group: ShortCode | None = Field(
        default=None, description="The supplier's discount group, which sales conditions can refer to")
    gross_price: Money | None = Field(default=None, description="Gross (list) price per price_unit")
    currency: Currency = Field(default="EUR", description="Currency of the prices (ISO 4217)")
    price_unit: Quantity | None = Field(default=None, description="Quantity the gross price is for (100 = per 100)")
    order_unit: Annotated[str, StringConstraints(min_length=1, max_length=10)] | None = Field(
        default=None, description="UN/ECE Recommendation 20 unit code, e.g. C62 (piece), MTR"
    )
    minimum_order_quantity: Quantity | None = Field(
        default=None, description="Smallest quantity that can be ordered, in order units")
    status: ProductStatus | None = Field(default=None, description="Lifecycle status (ETIM xChange ProductStatus)")
    custom_fields: dict[CustomName, CustomValue] = Field(default_factory=dict, max_length=100,
                                                         description="Fields of your own: name -> text")
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
# The rules of SalesCondition.record_problem, in the words its messages use.
ONE_ITEM_SCOPE = f"exactly one of {', '.join(ITEM_SCOPE_FIELDS)}"
ONE_CUSTOMER_SCOPE = "customer_group or debtor, not both"
PERIOD_RULE = "valid_until is not before valid_from"
PROJECT_RULE = "terms_type project needs a project_number, and a project_number is only allowed with it"
PRICE_RULE = "a net_price or a discount_1..3 (an update_only import may leave them out)"


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

    supplier_gln: Gln | None = Field(default=None, description="GLN of the supplier who grants the condition")
    customer_group: Code35 | None = Field(default=None, description="Customer group the condition is for")
    debtor: Code35 | None = Field(default=None, description="Debtor (one customer) the condition is for")
    region: Code35 | None = Field(default=None, description="Region the condition holds in")
    discount_group: ShortCode | None = Field(default=None, description="Item scope: a discount group of products")
    article_number: Code35 | None = Field(default=None, description="Item scope: one product by article number")
    gtin: Gtin | None = Field(default=None, description="Item scope: one product by GTIN (EAN)")
    net_price: Money | None = Field(default=None, description="Net price (instead of, or with, discounts)")
    discount_1: Percentage | None = Field(default=None, description="First discount, in percent (10 = 10%)")
    discount_2: Percentage | None = Field(default=None, description="Second discount, in percent, on the first")
    discount_3: Percentage | None = Field(default=None, description="Third discount, in percent, on the second")
    valid_from: dt.date | None = Field(default=None, description="First day the condition holds")
    valid_until: dt.date | None = Field(default=None, description="Last day the condition holds")
    terms_type: TermsType = Field(default=TermsType.BASIC, description="Kind of condition")
    project_number: Code35 | None = Field(default=None, description="Project the price is for (terms_type project)")
    quantity_lower_limit: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)] = Field(
        default=Decimal(0), description="Quantity from which the condition holds (a bracket of its own)")
    currency: Currency = Field(default="EUR", description="Currency of the net price (ISO 4217)")

    RULES: ClassVar[tuple[str, ...]] = (ONE_ITEM_SCOPE, ONE_CUSTOMER_SCOPE, PERIOD_RULE, PROJECT_RULE, PRICE_RULE)

    @classmethod
    def record_problem(cls, values: Mapping[str, Any], partial: bool) -> RecordProblem | None:
        """One item scope, one customer scope, a valid period, a project number only for projects, a price."""
        # Runs once per imported row (see record_builder): plain lookups, the common case first.
        if (values["discount_group"] is None) + (values["article_number"] is None) + (values["gtin"] is None) != 2:
            scopes = [name for name in ITEM_SCOPE_FIELDS if values[name] is not None]
            return RecordProblem(
                scopes[-1] if scopes else "discount_group",
                f"give {ONE_ITEM_SCOPE} (found: {', '.join(scopes) or 'none'})",
            )
        if values["customer_group"] is not None and values["debtor"] is not None:
            return RecordProblem("debtor", f"give {ONE_CUSTOMER_SCOPE}")
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

    article_number: Code35 = Field(description="Article number of the product the file belongs to")
    type_code: Annotated[str, StringConstraints(pattern=ATTACHMENT_TYPE_PATTERN)] = Field(
        description="Kind of file: PPI (picture), MAN (manual), CAD (drawing), SCH, OTD, ...")
    language: Annotated[str, StringConstraints(max_length=10)] | None = Field(
        default=None, description="Language of the file's content, if any")
    sequence: int = Field(default=1, ge=1, le=999, description="Order among files of the same type and language")
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        description="Name of the file (in the uploaded ZIP, or as delivered)")
    stored_key: Annotated[str, StringConstraints(max_length=1024)] | None = Field(
        default=None, description="Where the file is stored (S3 key relative to the environment)"
    )
    checksum: Annotated[str, StringConstraints(pattern=SHA256_PATTERN)] | None = Field(
        default=None, description="SHA-256 of the content, hex"
    )
    content_type: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="MIME type of the file, e.g. image/jpeg")


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_valid_email)]


class User(CatalogRecord):
    """A customer account, identified by its user id: what Export Art-Connect Users posts to the hub.

    The debtor number and customer group are those sales conditions name (``SalesCondition.debtor`` and
    ``customer_group``), so a user's account links to the conditions that apply to it.
    """

    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id",)

    user_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The account's id (the login the customer knows): identifies the user")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="Name of the user or the customer's company")
    email: Email | None = Field(default=None, description="E-mail address of the user")
    debtor_number: Code35 | None = Field(default=None, description="Debtor (customer) number, as sales conditions "
                                                                   "name it in debtor")
    customer_group: Code35 | None = Field(default=None, description="Customer group, as sales conditions name it")
    gln: Gln | None = Field(default=None, description="GLN of the customer's location")
    active: bool = Field(default=True, description="Whether the account may order (false: blocked)")
