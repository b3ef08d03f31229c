"""BMEcat 2005 with the ETIM guideline (and BMEcat 1.2 element names) as rows of the standard layout.

Parsed with defusedxml: a document that declares entities (external entities / XXE, "billion laughs"
entity expansion) or references external resources fails as a whole with ``UnsafeXmlError``; nothing
is fetched, nothing expanded. Products are streamed with ``iterparse`` and dropped after use.

Read per ``PRODUCT`` (``ARTICLE`` in 1.2):
- ``SUPPLIER_PID`` / ``SUPPLIER_AID`` -> article_number and supplier_item_number;
- ``*_DETAILS``: ``DESCRIPTION_SHORT`` (per ``lang``, else the catalog language) -> descriptions,
  ``INTERNATIONAL_PID type=gtin|ean`` -> gtin, ``MANUFACTURER_PID``, ``MANUFACTURER_NAME`` (brand unless
  ``UDX.EDXF.BRAND_NAME`` is given);
- ``*_FEATURES``: ``REFERENCE_FEATURE_SYSTEM_NAME`` (``ETIM-9.0`` -> release 9.0),
  ``REFERENCE_FEATURE_GROUP_ID`` -> etim_class, ``FEATURE`` ``FNAME``/``FVALUE``/``FUNIT`` -> features
  (two FVALUEs are a range, ``-`` means no value);
- ``*_ORDER_DETAILS``: ``ORDER_UNIT``, ``QUANTITY_MIN``, ``PRICE_QUANTITY`` (-> price_unit);
- ``*_PRICE_DETAILS``: the first ``*_PRICE`` of type gros_list, else net_list, else nrp, else any:
  ``PRICE_AMOUNT``, ``PRICE_CURRENCY`` (else the header's ``CURRENCY``);
- ``UDX.EDXF.DISCOUNT_GROUP_SUPPLIER`` -> discount_group; header ``SUPPLIER_ID type=gln`` -> supplier_gln.
``row`` is the product's 1-based ordinal in the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import defusedxml
from defusedxml.ElementTree import iterparse

from pimtasks.catalog.codes import normalize_language
from pimtasks.imports.errors import CorruptFileError, UnsafeXmlError
from pimtasks.imports.reading.etim_xchange import BASE_COLUMNS, features_text
from pimtasks.imports.reading.tables import Table
from pimtasks.imports.rows import CellValue, SourceRow

PRODUCT_TAGS = frozenset({"PRODUCT", "ARTICLE"})
PRICE_PREFERENCE = ("gros_list", "net_list", "nrp")
# BMEcat uses ISO 639-2 three-letter codes; the catalog uses two letters where one exists.
ISO639_2 = {
    "deu": "de", "ger": "de", "nld": "nl", "dut": "nl", "eng": "en", "fra": "fr", "fre": "fr", "ita": "it",
    "spa": "es", "fin": "fi", "nor": "nb", "nob": "nb", "swe": "sv", "dan": "da", "pol": "pl", "por": "pt",
    "ces": "cs", "cze": "cs",
}  # fmt: skip


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if "}" in text else text


def _language(code: str | None, default: str | None) -> str | None:
    if not code:
        return default
    code = code.strip().lower()
    return normalize_language(ISO639_2.get(code, code))


class BmecatTable(Table):
    """The products of a BMEcat file."""

    def __init__(self, path: Path, *, file: str) -> None:
        self._path = path
        languages: set[str] = set()
        for product in self._products():
            languages.update(product.get("descriptions", {}))
        header = list(BASE_COLUMNS) + [f"description_{language}" for language in sorted(languages)]
        super().__init__(file=file, sheet=None, header_row=0, header=header)

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """One row per product."""
        positions = {name: index for index, name in enumerate(self.header)}
        for number, product in enumerate(self._products(), start=1):
            if number <= after_row:
                continue
            values: list[CellValue] = [""] * len(self.header)
            cells = {key: value for key, value in product.items() if key != "descriptions"}
            cells.update({f"description_{lang}": text for lang, text in product.get("descriptions", {}).items()})
            for name, value in cells.items():
                position = positions.get(name)
                if position is not None and value:
                    values[position] = value
            yield SourceRow(self.file, None, number, self.header, values)

    def _products(self) -> Iterator[dict[str, Any]]:
        header: dict[str, Any] = {"language": None, "currency": None, "supplier_gln": None}
        container: ElementTree.Element | None = None
        try:
            for event, element in iterparse(str(self._path), events=("start", "end"), forbid_dtd=False):
                tag = _local(element.tag)
                if event == "start":
                    if tag in ("T_NEW_CATALOG", "T_UPDATE_PRODUCTS", "T_UPDATE_PRICES", "T_NEW_PRODUCTDATA"):
                        container = element
                    continue
                if tag == "HEADER":
                    header = _header(element)
                    element.clear()
                elif tag in PRODUCT_TAGS:
                    yield _product(element, header)
                    element.clear()
                    if container is not None:
                        container.clear()  # drop finished products so memory stays flat
        except defusedxml.DefusedXmlException as error:
            raise UnsafeXmlError(unsafe_xml_message(error)) from error
        except ElementTree.ParseError as error:
            line, column = getattr(error, "position", (None, None))
            raise CorruptFileError(
                f"the XML is not well-formed at line {line}, column {column}: {error}", row=line
            ) from error


def unsafe_xml_message(error: defusedxml.DefusedXmlException) -> str:
    """Say which kind of hostile XML this is; either way the file is refused as a whole."""
    name = getattr(error, "name", None)
    system_id = getattr(error, "sysid", None)
    if isinstance(error, defusedxml.EntitiesForbidden) and system_id:
        return (
            f"the XML declares an external entity {name!r} ({system_id}): external entities (XXE) are refused "
            "for safety; nothing was read from that address"
        )
    if isinstance(error, defusedxml.EntitiesForbidden):
        return (
            f"the XML declares entity {name!r}: entity declarations (used for entity expansion, "
            "'billion laughs') are refused for safety"
        )
    if isinstance(error, defusedxml.ExternalReferenceForbidden):
        return f"the XML refers to an external resource ({system_id}); such references are refused for safety"
    return f"the XML uses a construct refused for safety ({type(error).__name__})"


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element.iter() if _local(child.tag) == name]


def _text(element: ElementTree.Element, *names: str) -> str | None:
    for name in names:
        for child in _children(element, name):
            if child.text and child.text.strip():
                return child.text.strip()
    return None


def _header(element: ElementTree.Element) -> dict[str, Any]:
    supplier_gln = None
    for child in _children(element, "SUPPLIER_ID"):
        if (child.get("type") or "").lower() == "gln" and child.text:
            supplier_gln = child.text.strip()
    languages = _children(element, "LANGUAGE")
    default = next((lang for lang in languages if (lang.get("default") or "").lower() == "true"), None)
    chosen = default if default is not None else (languages[0] if languages else None)
    return {
        "language": _language(chosen.text if chosen is not None else None, None),
        "currency": _text(element, "CURRENCY"),
        "supplier_gln": supplier_gln,
    }


def _product(element: ElementTree.Element, header: dict[str, Any]) -> dict[str, Any]:
    number = _text(element, "SUPPLIER_PID", "SUPPLIER_AID")
    product: dict[str, Any] = {
        "article_number": number,
        "supplier_item_number": number,
        "supplier_gln": header["supplier_gln"],
        "manufacturer_product_number": _text(element, "MANUFACTURER_PID", "MANUFACTURER_AID"),
        "brand": _text(element, "UDX.EDXF.BRAND_NAME", "MANUFACTURER_NAME"),
        "gtin": _gtin(element),
        "discount_group": _text(element, "UDX.EDXF.DISCOUNT_GROUP_SUPPLIER"),
        "order_unit": _text(element, "ORDER_UNIT"),
        "minimum_order_quantity": _text(element, "QUANTITY_MIN"),
        "price_unit": _text(element, "PRICE_QUANTITY"),
        "descriptions": _descriptions(element, header["language"]),
    }
    product.update(_features(element))
    product.update(_price(element, header["currency"]))
    return product


def _gtin(element: ElementTree.Element) -> str | None:
    for child in _children(element, "INTERNATIONAL_PID") + _children(element, "EAN"):
        if (child.get("type") or "gtin").lower() in ("gtin", "ean") and child.text and child.text.strip():
            return child.text.strip()
    return None


def _descriptions(element: ElementTree.Element, default_language: str | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for child in _children(element, "DESCRIPTION_SHORT"):
        language = _language(child.get("lang"), default_language) or "und"
        if child.text and child.text.strip():
            result.setdefault(language, child.text.strip())
    return result


def _features(element: ElementTree.Element) -> dict[str, Any]:
    for group in _children(element, "PRODUCT_FEATURES") + _children(element, "ARTICLE_FEATURES"):
        system = _text(group, "REFERENCE_FEATURE_SYSTEM_NAME") or ""
        if system and "ETIM" not in system.upper():
            continue
        features: list[tuple[str, str, str | None]] = []
        for feature in _children(group, "FEATURE"):
            code = _text(feature, "FNAME")
            values = [child.text.strip() for child in _children(feature, "FVALUE") if child.text and child.text.strip()]
            values = [value for value in values if value != "-"]
            if not code or not values:
                continue
            value = f"{values[0]}..{values[1]}" if len(values) == 2 else values[0]
            features.append((code, value, _text(feature, "FUNIT")))
        release = system.upper().replace("ETIM", "").strip(" -_") or None
        return {
            "etim_release": release,
            "etim_class": _text(group, "REFERENCE_FEATURE_GROUP_ID"),
            "features": features_text(features) or None,
        }
    return {}


def _price(element: ElementTree.Element, currency: str | None) -> dict[str, Any]:
    prices = _children(element, "PRODUCT_PRICE") + _children(element, "ARTICLE_PRICE")
    if not prices:
        return {"currency": currency}
    ranked = sorted(
        prices,
        key=lambda price: PRICE_PREFERENCE.index(price.get("price_type", ""))
        if price.get("price_type", "") in PRICE_PREFERENCE
        else len(PRICE_PREFERENCE),
    )
    chosen = ranked[0]
    return {"gross_price": _text(chosen, "PRICE_AMOUNT"), "currency": _text(chosen, "PRICE_CURRENCY") or currency}
