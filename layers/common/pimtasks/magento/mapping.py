"""Catalog product -> Magento product payloads, one per scope, by the task's mapping settings.

The global scope (``/rest/all/``) gets the values that have one value per product: SKU, name in the default
language, attribute set, type, status, visibility, websites, price and the mapped attributes. Each store view of
``store_views`` gets the values of its language: the name (the global name where the product has no
description in that language, so a store view never shows a stale name) and every attribute mapped from
``descriptions``. Every payload has a hash of its canonical JSON: the push sends a scope only when that hash
differs from the last one Magento accepted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pimtasks.domain.task_types import MagentoRemoval, MagentoSettings

GLOBAL_SCOPE = "@global"
"""The state and report key of the global values (never a store code: those start with a letter)."""
STANDARD_ATTRIBUTES = frozenset({"weight"})
"""Mappable attributes that are fields of Magento's product itself (everything else is a custom attribute)."""

Action = Literal["save", "disable", "delete"]


@dataclass(frozen=True)
class Payload:
    """What one scope of one SKU gets: the ``product`` object (None for a delete) and its hash."""

    sku: str
    scope: str
    action: Action
    product: dict[str, Any] | None
    hash: str


@dataclass(frozen=True)
class MappingProblem:
    """A product the mapping cannot send to a scope, and why."""

    sku: str
    scope: str
    text: str
    unknown_attribute: str | None = None
    """The mapped attribute Magento does not have, when that is the problem."""


@dataclass(frozen=True)
class AttributeInfo:
    """What Magento told about a mapped attribute: whether it exists (None: it could not be asked), and for a
    select attribute its options (label in lower case -> option value)."""

    known: bool | None
    options: Mapping[str, str] = field(default_factory=dict)


def payload_hash(action: str, product: Mapping[str, Any] | None) -> str:
    canonical = json.dumps({"action": action, "product": product}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def pick_description(descriptions: Mapping[str, str], language: str) -> str | None:
    """The description in ``language`` (``nl-NL``), else in its bare language (``nl``), else in another region of
    it (``nl-BE``); None when the product has none of them."""
    if language in descriptions:
        return descriptions[language]
    primary = language.split("-")[0]
    if primary in descriptions:
        return descriptions[primary]
    for tag in sorted(descriptions):
        if tag.split("-")[0] == primary:
            return descriptions[tag]
    return None


def field_value(data: Mapping[str, Any], path: str) -> Any:
    """The value of a catalog field path: ``brand``, ``custom_fields.<name>``, ``features.<EF code>``."""
    head, _, rest = path.partition(".")
    if head == "custom_fields" and rest:
        return (data.get("custom_fields") or {}).get(rest)
    if head == "features" and rest:
        for feature in data.get("features") or []:
            if feature.get("code") == rest:
                return feature.get("value")
        return None
    return data.get(path)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def as_number(value: Any) -> float | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return float(number) if number.is_finite() else None


class ProductMapper:
    """Builds the payloads of one task's mapping (``attributes``: what Magento said about the mapped codes)."""

    def __init__(self, settings: MagentoSettings, attributes: Mapping[str, AttributeInfo] | None = None) -> None:
        self._settings = settings
        self._attributes = dict(attributes or {})
        self._global_mappings = [m for m in settings.attributes if m.field != "descriptions"]
        self._language_mappings = [m for m in settings.attributes if m.field == "descriptions"]
        self._name_language = settings.default_language or next(iter(settings.store_views))

    @property
    def store_views(self) -> dict[str, str]:
        """Language -> store code."""
        return dict(self._settings.store_views)

    def global_name(self, sku: str, data: Mapping[str, Any]) -> str:
        descriptions = data.get("descriptions") or {}
        name = pick_description(descriptions, self._name_language)
        if name is None and descriptions:
            name = descriptions[sorted(descriptions)[0]]
        return name or sku

    def global_payload(self, sku: str, data: Mapping[str, Any]) -> Payload | MappingProblem:
        settings = self._settings
        product: dict[str, Any] = {
            "sku": sku,
            "name": self.global_name(sku, data),
            "attribute_set_id": settings.attribute_set_id,
            "type_id": settings.type_id,
            "status": settings.status,
            "visibility": settings.visibility,
            "extension_attributes": {"website_ids": list(settings.website_ids)},
        }
        price = self._price(data)
        if price is not None:
            product["price"] = price
        custom: dict[str, str] = {}
        for mapping in self._global_mappings:
            value = field_value(data, mapping.field)
            problem = self._put(product, custom, attribute=mapping.attribute, field=mapping.field, value=value)
            if problem:
                return _problem(sku, GLOBAL_SCOPE, problem)
        for mapping in self._language_mappings:  # the default language's text as the global value
            value = pick_description(data.get("descriptions") or {}, self._name_language)
            problem = self._put(product, custom, attribute=mapping.attribute, field=mapping.field, value=value)
            if problem:
                return _problem(sku, GLOBAL_SCOPE, problem)
        if custom:
            product["custom_attributes"] = [{"attribute_code": code, "value": custom[code]} for code in sorted(custom)]
        return Payload(sku, GLOBAL_SCOPE, "save", product, payload_hash("save", product))

    def store_payloads(self, sku: str, data: Mapping[str, Any]) -> list[Payload | MappingProblem]:
        """One payload per store view, in the order of ``store_views``."""
        descriptions = data.get("descriptions") or {}
        fallback = self.global_name(sku, data)
        default_text = pick_description(descriptions, self._name_language)
        payloads: list[Payload | MappingProblem] = []
        for language, code in self._settings.store_views.items():
            text = pick_description(descriptions, language)
            product: dict[str, Any] = {"sku": sku, "name": text or fallback}
            custom: dict[str, str] = {}
            problem = None
            for mapping in self._language_mappings:
                problem = self._put(product, custom, attribute=mapping.attribute, field=mapping.field,
                                    value=text if text is not None else default_text)
                if problem:
                    break
            if problem:
                payloads.append(_problem(sku, code, problem))
                continue
            if custom:
                product["custom_attributes"] = [{"attribute_code": c, "value": custom[c]} for c in sorted(custom)]
            payloads.append(Payload(sku, code, "save", product, payload_hash("save", product)))
        return payloads

    def removal(self, sku: str) -> Payload:
        """What a product removed from the catalog becomes: disabled (status 2) or deleted."""
        if self._settings.removed is MagentoRemoval.DELETE:
            return Payload(sku, GLOBAL_SCOPE, "delete", None, payload_hash("delete", None))
        product = {"sku": sku, "status": 2}
        return Payload(sku, GLOBAL_SCOPE, "disable", product, payload_hash("disable", product))

    def mapped_attribute_codes(self) -> list[str]:
        """The custom attribute codes of the mapping (those worth asking Magento about)."""
        return sorted({m.attribute for m in self._settings.attributes if m.attribute not in STANDARD_ATTRIBUTES})

    def field_of(self, attribute: str) -> str:
        return next((m.field for m in self._settings.attributes if m.attribute == attribute), "?")

    # --- values -------------------------------------------------------------------------------
    def _price(self, data: Mapping[str, Any]) -> float | None:
        if self._settings.price_field is None:
            return None
        raw = data.get(self._settings.price_field)
        if raw is None:
            return None
        try:
            price = Decimal(str(raw))
            unit = data.get("price_unit")
            if self._settings.price_per_unit and unit not in (None, ""):
                divisor = Decimal(str(unit))
                if divisor > 0:
                    price = price / divisor
        except InvalidOperation:
            return None
        return float(price.quantize(Decimal("0.0001")))

    def _put(self, product: dict[str, Any], custom: dict[str, str], *, attribute: str, field: str,
             value: Any) -> str | None:
        """Add one attribute value to the payload; the problem text when it cannot be sent."""
        if value is None or value == "":
            if self._settings.clear_missing and attribute not in STANDARD_ATTRIBUTES:
                custom[attribute] = ""
            return None
        info = self._attributes.get(attribute)
        if info is not None and info.known is False:
            return _Unknown(f"Magento has no attribute '{attribute}' (mapped from catalog field {field}); create it "
                            f"in Magento or change the mapping", attribute)
        if attribute in STANDARD_ATTRIBUTES:
            number = as_number(value)
            if number is None:
                return f"value {value!r} of {field} is not a number, as Magento's {attribute} must be"
            product[attribute] = number
            return None
        text = as_text(value)
        if info is not None and info.options:
            option = info.options.get(text.casefold())
            if option is None and text in info.options.values():
                option = text
            if option is None:
                known = ", ".join(sorted(info.options)[:10])
                return (f"value {text!r} of {field} is not an option of Magento attribute '{attribute}' "
                        f"(options: {known}{', ...' if len(info.options) > 10 else ''})")
            text = option
        custom[attribute] = text
        return None


class _Unknown(str):
    """A problem text that is about an attribute Magento does not have."""

    attribute: str

    def __new__(cls, text: str, attribute: str) -> _Unknown:
        made = super().__new__(cls, text)
        made.attribute = attribute
        return made


def _problem(sku: str, scope: str, text: str) -> MappingProblem:
    return MappingProblem(sku, scope, str(text), text.attribute if isinstance(text, _Unknown) else None)


def attribute_infos(options_by_code: Mapping[str, Sequence[Mapping[str, Any]] | None],
                    unknown: Sequence[str]) -> dict[str, AttributeInfo]:
    """``AttributeInfo`` per code from the option lists Magento gave (None: not asked or not answered)."""
    infos: dict[str, AttributeInfo] = {code: AttributeInfo(known=False) for code in unknown}
    for code, options in options_by_code.items():
        if options is None:
            infos[code] = AttributeInfo(known=None)
            continue
        labels = {str(o.get("label", "")).strip().casefold(): str(o.get("value"))
                  for o in options if str(o.get("value", "")).strip() and str(o.get("label", "")).strip()}
        infos[code] = AttributeInfo(known=True, options=labels)
    return infos
