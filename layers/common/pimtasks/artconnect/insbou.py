"""The INSBOU003 invoice (``<Invoice>``, no namespace, ``Factuur_insbou003.xsd``) into a ``ParsedInvoice``.

The XSD is for members only; the shape here follows the published sample and the deviations the sector's
converters tolerate (``VATpercentage`` in lower case in ``VATSubTotal``, no GLN on parties). A document that is
not XML fails with the parser's line and column; one that is XML but not an INSBOU003 invoice fails naming the
element. Parsed with defusedxml: no DTDs, no entities.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pimtasks.artconnect.envelope import child, children, local_name
from pimtasks.domain.invoice import InvoiceLine, InvoiceTotals, ParsedInvoice, Party, VatSubtotal


class InvoiceParseError(ValueError):
    """Why a message is not a readable INSBOU003 invoice; ``line``/``column`` for XML syntax errors."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 element: str | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column
        self.element = element


def parse_invoice(data: bytes) -> ParsedInvoice:
    try:
        root = fromstring(data, forbid_dtd=True)
    except ParseError as error:
        line, column = error.position
        raise InvoiceParseError(f"not well-formed XML: {str(error).split(':')[0]}", line=line,
                                column=column + 1) from None
    except DefusedXmlException as error:
        raise InvoiceParseError(f"refused XML: {error}") from None
    if local_name(root.tag) != "Invoice":
        raise InvoiceParseError(f"the root element is <{local_name(root.tag)}>, not an INSBOU003 <Invoice>",
                                element=local_name(root.tag))
    totals = _required(root, "InvoiceTotals", "Invoice")
    lines = children(root, "InvoiceLine")
    if not lines:
        raise InvoiceParseError("<Invoice> has no <InvoiceLine>", element="InvoiceLine")
    return ParsedInvoice(
        invoice_type=_text(root, "InvoiceType", "Invoice"),
        invoice_number=_text(root, "InvoiceNumber", "Invoice"),
        invoice_date=_date(root, "InvoiceDate", "Invoice"),
        delivery_date=_date(root, "DeliveryDate", "Invoice", required=False),
        currency=_optional(root, "Currency") or "EUR",
        buyers_order_number=_optional(root, "BuyersOrderNumber"),
        despatch_advice_number=_optional(root, "DespatchAdviceNumber"),
        buyer=_party(root, "Buyer"), supplier=_party(root, "Supplier"), invoicee=_party(root, "Invoicee"),
        invoicer=_party(root, "Invoicer"),
        lines=[_line(line, index) for index, line in enumerate(lines, start=1)],
        totals=InvoiceTotals(
            total_invoice_amount=_amount(totals, "TotalInvoiceAmount", "InvoiceTotals"),
            total_net_line_amount=_amount(totals, "TotalNetLineAmount", "InvoiceTotals"),
            total_vat_amount=_amount(totals, "TotalVATAmount", "InvoiceTotals"),
            total_charge_allowance=_opt_amount(totals, "TotalAmountInvoiceChargeAllowance",
                                               "InvoiceTotals") or Decimal(0),
            total_subject_to_payment_discount=_opt_amount(totals, "TotalAmountSubjectToPaymentDiscount",
                                                      "InvoiceTotals")),
        vat_subtotals=[_vat_subtotal(node) for node in children(root, "VATSubTotal")],
    )


def _line(node: Element, index: int) -> InvoiceLine:
    where = f"InvoiceLine {index}"
    item = child(node, "TradeItemIdentification")
    additional = child(item, "AdditionalItemIdentification") if item is not None else None
    price = child(node, "PriceInformation")
    base = child(price, "PriceBase") if price is not None else None
    vat = child(node, "VATInformation")
    return InvoiceLine(
        line_number=_optional(node, "LineNumber") or str(index),
        delivered_quantity=_opt_amount(node, "DeliveredQuantity", where),
        quantity_unit=_optional(node, "DeliveredQuantityMeasureUnitCode"),
        invoiced_quantity=_amount(node, "NumberOfInvoicingUnits", where),
        net_line_amount=_amount(node, "NetLineAmount", where),
        supplier_item_id=_optional(item, "SuppliersTradeItemIdentification") if item is not None else None,
        gtin=_optional(item, "GTIN") if item is not None else None,
        description=_optional(additional, "TradeItemDescription") if additional is not None else None,
        price=_opt_amount(price, "Price", f"{where}/PriceInformation") if price is not None else None,
        price_base_quantity=(_opt_amount(base, "NumberOfUnitsInPriceBasis", f"{where}/PriceBase")
                             if base is not None else None) or Decimal(1),
        price_base_unit=_optional(base, "MeasureUnitPriceBasis") if base is not None else None,
        vat_rate=_optional(vat, "VATRate") if vat is not None else None,
        vat_percentage=_percentage(vat, f"{where}/VATInformation") if vat is not None else None,
        order_line_id=_optional(node, "OrderLineIdentification"),
    )


def _vat_subtotal(node: Element) -> VatSubtotal:
    info = child(node, "VATInformation")
    return VatSubtotal(
        vat_amount=_amount(node, "VATAmount", "VATSubTotal"),
        vat_rate=_optional(info, "VATRate") if info is not None else None,
        vat_percentage=_percentage(info, "VATSubTotal/VATInformation") if info is not None else None,
        base_amount=_opt_amount(info, "VATBaseAmount", "VATSubTotal/VATInformation")
        if info is not None else None,
    )


def _party(root: Element, name: str) -> Party:
    node = child(root, name)
    if node is None:
        return Party()
    return Party(gln=_optional(node, "GLN"), vat_number=_optional(node, "VATRegistrationNumber"),
                 name=_optional(node, "Name"), street=_optional(node, "StreetAndNumber"),
                 city=_optional(node, "City"), country=_optional(node, "Country"))


def _required(parent: Element, name: str, where: str) -> Element:
    node = child(parent, name)
    if node is None:
        raise InvoiceParseError(f"<{where}> has no <{name}>", element=name)
    return node


def _optional(parent: Element, name: str) -> str | None:
    node = child(parent, name)
    text = (node.text or "").strip() if node is not None else ""
    return text or None


def _text(parent: Element, name: str, where: str) -> str:
    text = _optional(parent, name)
    if text is None:
        raise InvoiceParseError(f"<{where}> has no <{name}> (or it is empty)", element=name)
    return text


def _amount(parent: Element, name: str, where: str) -> Decimal:
    return _number(_text(parent, name, where), name=name, where=where)


def _opt_amount(parent: Element, name: str, where: str) -> Decimal | None:
    text = _optional(parent, name)
    return None if text is None else _number(text, name=name, where=where)


def _number(text: str, *, name: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvoiceParseError(f"<{name}> in {where} is not a number: {text!r}", element=name) from None
    if not value.is_finite():
        raise InvoiceParseError(f"<{name}> in {where} is not a number: {text!r}", element=name)
    return value


def _percentage(parent: Element, where: str) -> Decimal | None:
    # The sample writes VATPercentage on lines and VATpercentage in the subtotal.
    name = "VATPercentage" if child(parent, "VATPercentage") is not None else "VATpercentage"
    return _opt_amount(parent, name, where)


def _date(parent: Element, name: str, where: str, *, required: bool = True) -> dt.date | None:
    text = _text(parent, name, where) if required else _optional(parent, name)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InvoiceParseError(f"<{name}> in {where} is not a date (YYYY-MM-DD): {text!r}", element=name) from None
