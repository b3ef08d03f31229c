"""One trade item's rows (details, descriptions, ordering, pricings) and its product's rows (details, descriptions,
ETIM classification) joined into a catalog ``Product``.

The product's fields: ``brandName`` is the brand; its descriptions fill the languages the trade item does not
describe itself (the trade item's text is the more specific one: it names the packaging, the length...); its
ETIM class, release and features are the item's.

The article number follows the task's rule (the supplier's item number, the first GTIN, or a prefix followed by
the item number); an item the catalog refuses (an item number over 35 characters, a price that is not a number)
is rejected with a message naming the supplier, the item number, the field and its value. A GTIN or
manufacturer GLN whose GS1 check digit is wrong does not cost the item: it is left out with a warning (the
specification only asks for digits, and the item's prices and texts are still worth having).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pimtasks.catalog.codes import GTIN_LENGTHS, gs1_problem
from pimtasks.catalog.models import Product
from pimtasks.domain.task_types import ArticleNumberRule
from pimtasks.twoba.pricings import current_pricing, group_pricings

ITEM_STATUS = {"PRE-LAUNCH": "pre-launch", "ACTIVE": "active", "ON HOLD": "on hold",
               "PLANNED WITHDRAWAL": "planned withdrawal", "OBSOLETE": "obsolete"}
_PRICING_TO_PRODUCT = {"gross_price": "gross_price", "price_quantity": "price_unit",
                       "price_unit_code": "price_unit_code", "currency": "currency"}
_PRODUCT_FIELD_FROM_PRICING = {"gross_price": "grossListPrice", "price_unit": "priceQuantity",
                               "price_unit_code": "priceUnit", "currency": "currencyCode"}


class TradeItemRejected(ValueError):
    """The catalog refuses the item; ``field`` is the 2BA field at fault, ``value`` what the data pool sent."""

    def __init__(self, text: str, *, field: str, value: str | None) -> None:
        super().__init__(text)
        self.field = field
        self.value = value


@dataclass(frozen=True)
class ArticleRule:
    rule: ArticleNumberRule
    prefix: str | None = None

    def article_number(self, item_number: str, details: Mapping[str, Any] | None) -> str | None:
        if self.rule is ArticleNumberRule.GTIN:
            gtins = (details or {}).get("itemGtins") or []
            return str(gtins[0]) if gtins else None
        if self.rule is ArticleNumberRule.PREFIX:
            return f"{self.prefix or ''}{item_number}"
        return item_number


@dataclass(frozen=True)
class JoinedItem:
    """A trade item as a catalog product, with the fields its rows set and the fields they clear.

    A delta scan returns, per endpoint, only the rows that changed: a product whose pricing changed comes with
    pricing rows only, and merging it must leave its descriptions alone. So ``fields`` are the product fields
    the rows of this scan set (``descriptions.<language>`` per language) and ``cleared`` the fields of an
    endpoint that answered for the item (or, on a full scan, of every endpoint) that its rows leave empty.
    """

    product: Product
    fields: frozenset[str]
    cleared: frozenset[str]
    warnings: tuple[str, ...] = ()
    """What was left out of the item, and why (a GS1 number with a wrong check digit)."""


PRODUCT_DETAILS = "product-details"
PRODUCT_DESCRIPTIONS = "product-descriptions"
ETIM_CLASSIFICATIONS = "etim-classifications"
ENDPOINT_FIELDS: dict[str, tuple[str, ...]] = {
    "details": ("manufacturer_gln", "manufacturer_product_number", "discount_group", "gtin", "status"),
    "descriptions": (),  # per language: a language missing from a scan is not known to be gone
    "ordering": ("order_unit", "minimum_order_quantity"),
    "pricings": ("pricings", "gross_price", "price_unit", "price_unit_code", "currency"),
    PRODUCT_DETAILS: ("brand",),
    PRODUCT_DESCRIPTIONS: (),  # as the trade item's
    ETIM_CLASSIFICATIONS: ("etim_class", "etim_release", "features"),
}
"""The catalog fields each endpoint sets (the keys are the staged endpoint names: ``products/bulk/details`` is
``product-details``), so an endpoint that answered for an item without a field clears it."""


STAGED_FIELDS: dict[str, tuple[str, ...]] = {
    PRODUCT_DETAILS: ("manufacturerIdGln", "manufacturerProductNumber", "brandName"),
    PRODUCT_DESCRIPTIONS: ("manufacturerIdGln", "manufacturerProductNumber", "descriptionLanguage",
                           "minimalProductDescription", "uniqueMainProductDescription"),
}
"""The fields of a product row the join reads, the only ones staged: a description row may carry five texts of up
to 10,000 characters (full, marketing, specification...) and a details row lists of GTINs and groups, which would
take a staged page past DynamoDB's 400 KB an item and the join's memory far up."""


def staged_row(endpoint: str, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as staged for ``endpoint`` (``STAGED_FIELDS``; the rows of other endpoints whole)."""
    names = STAGED_FIELDS.get(endpoint)
    return row if names is None else {name: row[name] for name in names if name in row}


@dataclass(frozen=True)
class ProductRows:
    """What the Product API's bulk endpoints brought in this scan for the product a trade item is of.

    ``details``: its ``products/bulk/details`` row; ``descriptions``: its ``products/bulk/descriptions`` rows
    (one per language); ``classification``: ``etim_classification`` of its classification rows. ``None`` / empty:
    that endpoint brought nothing for it (on a delta: nothing changed).
    """

    details: Mapping[str, Any] | None = None
    descriptions: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    classification: Mapping[str, Any] | None = None
_VALUE_FIELDS = ("etimValueCode", "etimValueNumeric", "etimValueLogical")


def etim_classification(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """One product's ``products/bulk/etim-classifications`` rows (one per feature value; a classification
    without features is one row without ``etimFeatureCode``) as the catalog's class, release and features.

    A product classified in more than one class (or release) takes the first one the rows name; a feature seen
    twice (a page boundary that moved) is kept once.
    """
    chosen: tuple[Any, Any] | None = None
    features: dict[str, dict[str, Any]] = {}
    for row in rows:
        identity = (row.get("etimClassCode"), row.get("etimReleaseVersion"))
        chosen = chosen or identity
        if identity != chosen or not row.get("etimFeatureCode"):
            continue
        value = _feature_value(row)
        if value is not None:
            features[str(row["etimFeatureCode"])] = {"code": row["etimFeatureCode"], "value": value,
                                                     "unit": row.get("etimUnitCode")}
    if chosen is None:
        return None
    return {"etim_class": chosen[0], "etim_release": chosen[1], "features": list(features.values())}


def _feature_value(row: Mapping[str, Any]) -> str | None:
    for name in _VALUE_FIELDS:
        value = row.get(name)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is not None and value != "":
            return str(value)
    lower, upper = row.get("etimValueRangeLower"), row.get("etimValueRangeUpper")
    if lower is not None and upper is not None:
        return f"{lower}..{upper}"
    return None


def trade_item_product(*, supplier_gln: str, item_number: str, details: Mapping[str, Any] | None,
                       descriptions: Iterable[Mapping[str, Any]], ordering: Mapping[str, Any] | None,
                       pricing_rows: Iterable[Mapping[str, Any]], rule: ArticleRule, today: dt.date) -> Product:
    """The product of one trade item, or ``TradeItemRejected``."""
    return trade_item_record(supplier_gln=supplier_gln, item_number=item_number, details=details,
                             descriptions=descriptions, ordering=ordering, pricing_rows=pricing_rows, rule=rule,
                             today=today, complete=True).product


def trade_item_record(*, supplier_gln: str, item_number: str, details: Mapping[str, Any] | None,
                      descriptions: Iterable[Mapping[str, Any]], ordering: Mapping[str, Any] | None,
                      pricing_rows: Iterable[Mapping[str, Any]], rule: ArticleRule, today: dt.date,
                      complete: bool, known_article: str | None = None, product: ProductRows | None = None,
                      described: Iterable[str] = ()) -> JoinedItem:
    """The product of one trade item with the fields it sets and clears, or ``TradeItemRejected``.

    ``complete``: every endpoint was read whole (a full scan), so an endpoint without rows for the item means
    the item has none. ``known_article``: the article number an earlier scan gave the item, for the GTIN rule
    when this scan brought no details. ``product``: its product's rows. ``described``: the languages an earlier
    scan found the trade item's own descriptions in (a delta's changed product description must not replace
    them).
    """
    product = product or ProductRows()
    where = f"supplier {supplier_gln}, item {item_number!r}"
    article = rule.article_number(item_number, details) if details is not None or rule.rule is not \
        ArticleNumberRule.GTIN else known_article
    if article is None:
        raise TradeItemRejected(f"{where}: no GTIN (itemGtins), so no article number by the GTIN rule",
                                field="itemGtins", value=None)
    values: dict[str, Any] = {"article_number": article, "supplier_gln": supplier_gln,
                              "supplier_item_number": item_number}
    sources: dict[str, str] = {"article_number": "supplierItemNumber", "supplier_item_number": "supplierItemNumber",
                               "supplier_gln": "supplierIdGln"}
    if details:
        _put(values, sources, "manufacturer_gln", details, "manufacturerIdGln")
        _put(values, sources, "manufacturer_product_number", details, "manufacturerProductNumber")
        _put(values, sources, "discount_group", details, "discountGroupId")
        gtins = details.get("itemGtins") or []
        if gtins:
            values["gtin"], sources["gtin"] = str(gtins[0]), "itemGtins"
        status = details.get("itemStatus")
        if status is not None:
            values["status"], sources["status"] = ITEM_STATUS.get(str(status), status), "itemStatus"
    own = _texts(descriptions, "Item")
    if product.details:
        _put(values, sources, "brand", product.details, "brandName")
    kept = set(own) | set(described)
    inherited = {language: text for language, text in _texts(product.descriptions, "Product").items()
                 if language not in kept}
    values["descriptions"] = {**inherited, **own}
    if ordering:
        _put(values, sources, "order_unit", ordering, "orderUnit")
        _put(values, sources, "minimum_order_quantity", ordering, "minimumOrderQuantity")
    pricings = group_pricings(pricing_rows)
    if pricings:
        values["pricings"] = pricings
        sources["pricings"] = "pricings"
        chosen = current_pricing(pricings, today=today) or {}
        for theirs, ours in _PRICING_TO_PRODUCT.items():
            if theirs in chosen:
                values[ours] = chosen[theirs]
                sources[ours] = _PRODUCT_FIELD_FROM_PRICING[ours]
    classification = product.classification
    if classification:
        for ours, theirs in (("etim_class", "etimClassCode"), ("etim_release", "etimReleaseVersion"),
                             ("features", "etimFeatureCode")):
            if classification.get(ours):
                values[ours], sources[ours] = classification[ours], theirs
    if values["descriptions"]:
        sources["descriptions"] = "minimalItemDescription" if own else "minimalProductDescription"
    warnings, withheld = _withhold_bad_gs1_numbers(values, sources, where=where)
    joined = _validated(values, sources, where=where)
    answered = {"details": details is not None, "ordering": ordering is not None, "pricings": bool(pricings),
                PRODUCT_DETAILS: product.details is not None, ETIM_CLASSIFICATIONS: classification is not None}
    cleared = {name for endpoint, names in ENDPOINT_FIELDS.items() if complete or answered.get(endpoint)
               for name in names if name not in sources and name not in withheld}
    fields = {name for name in sources if name != "descriptions"}
    fields |= {f"descriptions.{language}" for language in values["descriptions"]}
    return JoinedItem(product=joined, fields=frozenset(fields), cleared=frozenset(cleared), warnings=warnings)


_GS1_FIELDS = {"gtin": (GTIN_LENGTHS, "GTIN"), "manufacturer_gln": ((13,), "GLN")}


def _withhold_bad_gs1_numbers(values: dict[str, Any], sources: dict[str, str], *,
                              where: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """Take a GTIN or manufacturer GLN the catalog would refuse out of ``values``: the warnings saying so, and
    the fields withheld (neither set nor cleared, so what the catalog held stays)."""
    warnings: list[str] = []
    withheld: set[str] = set()
    for name, (lengths, kind) in _GS1_FIELDS.items():
        value = values.get(name)
        problem = gs1_problem(value, lengths=lengths, name=kind) if isinstance(value, str) else None
        if problem:
            warnings.append(f"{where}: {sources[name]} {value!r} is left out ({name}: {problem}); "
                            "the item is imported without it")
            del values[name], sources[name]
            withheld.add(name)
    return tuple(warnings), frozenset(withheld)


def _texts(rows: Iterable[Mapping[str, Any]], kind: str) -> dict[str, str]:
    """Language -> text of description rows (``kind`` ``Item`` or ``Product``): the unique main description,
    else the minimal one (both are required to be short enough for the catalog's 256 characters)."""
    texts = {str(row["descriptionLanguage"]): row.get(f"uniqueMain{kind}Description") or
             row.get(f"minimal{kind}Description") for row in rows if row.get("descriptionLanguage")}
    return {language: str(text) for language, text in texts.items() if text}


def _validated(values: dict[str, Any], sources: dict[str, str], *, where: str) -> Product:
    try:
        return Product.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        ours = str(first["loc"][0]) if first["loc"] else "article_number"
        field = sources.get(ours, ours)
        value = first.get("input")
        shown = None if isinstance(value, dict | list) else str(value)
        raise TradeItemRejected(f"{where}: {field} {shown!r} is refused by the catalog ({ours}: {first['msg']})",
                                field=field, value=shown) from error


def _put(values: dict[str, Any], sources: dict[str, str], ours: str, row: Mapping[str, Any], theirs: str) -> None:
    value = row.get(theirs)
    if value is not None:
        values[ours] = value if isinstance(value, str | bool) else str(value)
        sources[ours] = theirs
