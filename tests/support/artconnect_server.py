"""A local Ketenstandaard MessageService 3.0 hub for tests and benchmarks, on 127.0.0.1 with a free port.

It follows the canonical WSDL and XSD, *read at run time* from ``shared/specs/ketenstandaard-messageservice``
(they carry no open license, so they are not copied into this project): the SOAPAction of each operation and its
input element come from the WSDL binding, and every request's body and ``CustomInfo`` header are checked against
the XSD's sequences (element order, ``minOccurs``, unqualified children). Answers use the XSD's element names.

What it models:
- WS-Security: a ``Timestamp`` (Created not in the future, Expires not passed) and a ``UsernameToken`` with
  ``PasswordDigest`` (Base64(SHA-1(nonce + created + password)), created within 5 minutes, a nonce only once)
  or ``PasswordText`` (unless ``require_digest``);
- messages of any type, their content XML-escaped, base64, or compressed (gzip or zip, base64, with
  ``IsContentCompressed`` in the answer's ``CustomInfo`` header);
- faults in the two shapes (``fault_style``): plain SOAP 1.1 ``faultcode``/``faultstring``, or the WCF
  ``detail/FaultError{FaultCode, FaultDetails{ErrorCode, Message}, FaultString}``; injected faults per operation;
- children qualified WCF-style in answers (``qualified``), a list that ignores ``MsgType`` (``filters_types``), a
  fixed latency per request;
- duplicate detection on PostMessage: a MsgId posted again is kept once and answered ``MessageResult`` true, or
  false (``refuses_duplicates``, as a hub that reports the repeat); answers lost after the hub took the message
  (``lose_answers``: the connection closes without one, as a dying proxy or network does);
- counts of every GetMessage and DeleteMessage per MsgId, the posted messages and the MsgIds posted again.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import itertools
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, SubElement
from xml.sax.saxutils import escape

SPECS = Path("/work/shared/specs/ketenstandaard-messageservice")
WSDL = SPECS / "messageservice_3.0.wsdl"
XSD = SPECS / "MessageServiceTypes_MessageService30.xsd"
INVOICE_SAMPLE = SPECS / "insbou003-samples" / "Invoice.xml"
DESPATCH_SAMPLE = SPECS / "insbou003-samples" / "Despatch.xml"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WCF_FAULTS = "http://schemas.datacontract.org/2004/07/MessageService.FaultHandling"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
_SOAP_BINDING = "{http://schemas.xmlsoap.org/wsdl/soap/}"
_DIGEST = "#PasswordDigest"
_TEXT = "#PasswordText"

Encoding = Literal["escaped", "base64", "gzip", "zip"]
FaultStyle = Literal["soap", "wcf"]


# --- the spec, read from the shared folder ------------------------------------------------------


@dataclass(frozen=True)
class Particle:
    name: str
    min_occurs: int
    max_occurs: int | None


@dataclass(frozen=True)
class ServiceSpec:
    namespace: str
    elements: dict[str, str]
    """Top-level element -> its complex type."""
    sequences: dict[str, list[Particle]]
    """Complex type -> its (flattened) sequence."""
    actions: dict[str, str]
    """SOAPAction -> operation."""
    inputs: dict[str, str]
    """Operation -> its input body element."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def load_spec() -> ServiceSpec:
    schema = ElementTree.parse(XSD).getroot()
    namespace = schema.attrib["targetNamespace"]
    elements = {e.attrib["name"]: e.attrib["type"].split(":")[-1] for e in schema.findall(f"{_XS}element")}
    sequences: dict[str, list[Particle]] = {}
    for complex_type in schema.findall(f"{_XS}complexType"):
        sequences[complex_type.attrib["name"]] = [
            Particle(e.attrib["name"], int(e.attrib.get("minOccurs", "1")),
                     None if e.attrib.get("maxOccurs") == "unbounded" else int(e.attrib.get("maxOccurs", "1")))
            for e in complex_type.iter(f"{_XS}element")]
    wsdl = ElementTree.parse(WSDL).getroot()
    message_elements = {m.attrib["name"]: m.find(f"{_WSDL}part").attrib["element"].split(":")[-1]  # type: ignore[union-attr]
                        for m in wsdl.findall(f"{_WSDL}message")}
    inputs = {op.attrib["name"]: message_elements[op.find(f"{_WSDL}input").attrib["message"].split(":")[-1]]  # type: ignore[union-attr]
              for op in wsdl.find(f"{_WSDL}portType").findall(f"{_WSDL}operation")}  # type: ignore[union-attr]
    actions = {op.find(f"{_SOAP_BINDING}operation").attrib["soapAction"]: op.attrib["name"]  # type: ignore[union-attr]
               for op in wsdl.find(f"{_WSDL}binding").findall(f"{_WSDL}operation")}  # type: ignore[union-attr]
    return ServiceSpec(namespace=namespace, elements=elements, sequences=sequences, actions=actions, inputs=inputs)


class SpecViolation(Exception):
    """A request that does not follow the WSDL/XSD (answered with a Client fault)."""


def check_against_xsd(spec: ServiceSpec, element: Element) -> None:
    """``element`` (a top-level XSD element) has its type's children, in order, unqualified, as often as allowed."""
    if element.tag != f"{{{spec.namespace}}}{_local(element.tag)}":
        raise SpecViolation(f"<{element.tag}> is not in the service namespace")
    sequence = spec.sequences[spec.elements[_local(element.tag)]]
    found = list(element)
    for node in found:
        if node.tag.startswith("{"):
            raise SpecViolation(f"<{node.tag}> in <{_local(element.tag)}> is qualified (the XSD says unqualified)")
    position = 0
    for particle in sequence:
        count = 0
        while position < len(found) and found[position].tag == particle.name:
            count += 1
            position += 1
        if count < particle.min_occurs or (particle.max_occurs is not None and count > particle.max_occurs):
            raise SpecViolation(f"<{_local(element.tag)}> has {count} <{particle.name}> "
                                f"(the XSD wants {particle.min_occurs}..{particle.max_occurs or 'unbounded'})")
    if position < len(found):
        raise SpecViolation(f"<{found[position].tag}> is not expected in <{_local(element.tag)}> there")


# --- the hub ------------------------------------------------------------------------------------


@dataclass
class HubMessage:
    msg_id: str
    msg_type: str
    content: bytes
    encoding: Encoding = "escaped"
    msg_format: str = "INSBOU"
    msg_version: str = "003"
    msg_date_time: str = "2026-12-01T08:00:00"


@dataclass
class Injected:
    operation: str
    fault_string: str
    msg_id: str | None = None
    times: int = 1
    error_code: str | None = None


@dataclass
class HubState:
    users: dict[str, str] = field(default_factory=lambda: {"pim": "s3cret"})
    messages: dict[str, HubMessage] = field(default_factory=dict)
    gets: Counter[str] = field(default_factory=Counter)
    deletes: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    posted: list[dict[str, str]] = field(default_factory=list)
    duplicates: Counter[str] = field(default_factory=Counter)
    """MsgIds posted again (the hub recognises them and keeps the first)."""
    nonces: set[str] = field(default_factory=set)
    injected: list[Injected] = field(default_factory=list)
    custom_infos: list[dict[str, str]] = field(default_factory=list)
    password_types: Counter[str] = field(default_factory=Counter)


class ArtConnectServer:
    """``with ArtConnectServer() as hub: hub.url ...``"""

    def __init__(self, *, latency_seconds: float = 0.0, fault_style: FaultStyle = "soap", qualified: bool = False,
                 require_digest: bool = False, clock_skew_seconds: int = 300, filters_types: bool = True,
                 refuses_duplicates: bool = False) -> None:
        self.spec = load_spec()
        self.state = HubState()
        self.latency_seconds = latency_seconds
        self.fault_style = fault_style
        self.qualified = qualified
        self.require_digest = require_digest
        self.filters_types = filters_types
        """False: GetAvailableMessages lists every type whatever MsgType asks (as some hubs do)."""
        self.refuses_duplicates = refuses_duplicates
        self.lose_answers: Counter[str] = Counter()
        """Operation -> how many of its next answers are lost (handled, then the connection closes)."""
        self.clock_skew = dt.timedelta(seconds=clock_skew_seconds)
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/3.0/messageservice_3.0.php"

    def __enter__(self) -> ArtConnectServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- set-up -------------------------------------------------------------------------------
    def add_message(self, content: bytes, *, msg_type: str = "INVOIC", encoding: Encoding = "escaped",
                    msg_id: str | None = None, msg_format: str = "INSBOU") -> str:
        with self._lock:
            identifier = msg_id or f"{next(self._ids):08d}-0000-4000-8000-{next(self._ids):012d}"
            self.state.messages[identifier] = HubMessage(identifier, msg_type, content, encoding, msg_format)
            return identifier

    def inject_fault(self, operation: str, fault_string: str, *, msg_id: str | None = None, times: int = 1,
                     error_code: str | None = None) -> None:
        with self._lock:
            self.state.injected.append(Injected(operation, fault_string, msg_id, times, error_code))

    # --- handling -----------------------------------------------------------------------------
    def lose_answer(self, action: str) -> bool:
        """Whether the answer to this request is lost (``lose_answers``), counting it down."""
        operation = self.spec.actions.get(action.strip('"'), "")
        with self._lock:
            if self.lose_answers[operation] <= 0:
                return False
            self.lose_answers[operation] -= 1
            return True

    def handle(self, action: str, raw: bytes) -> tuple[int, bytes]:
        try:
            envelope = ElementTree.fromstring(raw)
        except ElementTree.ParseError as error:
            return 500, self._fault("Client", f"not XML: {error}")
        operation = self.spec.actions.get(action.strip('"'))
        if operation is None:
            return 500, self._fault("Client", f"unknown SOAPAction {action!r}")
        header = envelope.find(f"{{{SOAP_ENV}}}Header")
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        try:
            request = self._check(operation, header, body)
            self._authenticate(header)
        except PermissionError as refused:
            return 500, self._fault("wsse:FailedAuthentication", str(refused), error_code="401")
        except SpecViolation as violation:
            return 500, self._fault("Client", str(violation))
        with self._lock:
            self.state.calls[operation] += 1
            fault = self._injected(operation, request)
            if fault is not None:
                return 500, self._fault("Server", fault.fault_string, error_code=fault.error_code)
            return 200, self._answer(operation, request)

    def _check(self, operation: str, header: Element | None, body: Element | None) -> Element:
        if header is None or body is None or len(body) != 1:
            raise SpecViolation("a MessageService request has a Header and one body element")
        request = body[0]
        if _local(request.tag) != self.spec.inputs[operation]:
            raise SpecViolation(f"{operation} takes <{self.spec.inputs[operation]}>, not <{_local(request.tag)}>")
        check_against_xsd(self.spec, request)
        info = header.find(f"{{{self.spec.namespace}}}CustomInfo")
        if info is None:
            raise SpecViolation("the CustomInfo header is missing")
        check_against_xsd(self.spec, info)
        with self._lock:
            self.state.custom_infos.append({node.tag: node.text or "" for node in info})
        return request

    def _authenticate(self, header: Element | None) -> None:
        assert header is not None
        security = header.find(f"{{{WSSE}}}Security")
        if security is None:
            raise PermissionError("no WS-Security header")
        now = dt.datetime.now(dt.UTC)
        timestamp = security.find(f"{{{WSU}}}Timestamp")
        if timestamp is None:
            raise PermissionError("no wsu:Timestamp")
        created = _time(timestamp.findtext(f"{{{WSU}}}Created"))
        expires = _time(timestamp.findtext(f"{{{WSU}}}Expires"))
        if created is None or expires is None or created > now + self.clock_skew or expires < now:
            raise PermissionError("the message has expired or its timestamp is invalid")
        token = security.find(f"{{{WSSE}}}UsernameToken")
        if token is None:
            raise PermissionError("no UsernameToken")
        username = token.findtext(f"{{{WSSE}}}Username") or ""
        password = token.find(f"{{{WSSE}}}Password")
        expected = self.state.users.get(username)
        if expected is None or password is None:
            raise PermissionError("The security token could not be authenticated or authorized")
        kind = password.attrib.get("Type", "")
        if kind.endswith(_DIGEST):
            nonce_text = token.findtext(f"{{{WSSE}}}Nonce") or ""
            token_created = token.findtext(f"{{{WSU}}}Created") or ""
            moment = _time(token_created)
            if moment is None or abs(moment - now) > self.clock_skew:
                raise PermissionError("the UsernameToken is too old")
            digest = base64.b64encode(hashlib.sha1(base64.b64decode(nonce_text) + token_created.encode()
                                                   + expected.encode(), usedforsecurity=False).digest()).decode()
            with self._lock:
                if nonce_text in self.state.nonces:
                    raise PermissionError("the nonce was used before")
                self.state.nonces.add(nonce_text)
            if digest != (password.text or ""):
                raise PermissionError("The security token could not be authenticated or authorized")
            self.state.password_types["digest"] += 1
        elif kind.endswith(_TEXT) or not kind:
            if self.require_digest or (password.text or "") != expected:
                raise PermissionError("The security token could not be authenticated or authorized")
            self.state.password_types["text"] += 1
        else:
            raise PermissionError(f"unsupported password type {kind}")

    def _injected(self, operation: str, request: Element) -> Injected | None:
        msg_id = request.findtext("MsgId")
        for fault in self.state.injected:
            if fault.operation == operation and fault.times > 0 and fault.msg_id in (None, msg_id):
                fault.times -= 1
                return fault
        return None

    def _answer(self, operation: str, request: Element) -> bytes:
        ns = self.spec.namespace
        header_info: bool | None = None
        if operation == "GetAvailableMessages":
            wanted = request.findtext("MsgType") or ""
            result = Element(f"{{{ns}}}AvailableMessagesResponse")
            for message in self.state.messages.values():
                if not wanted or message.msg_type == wanted or not self.filters_types:
                    self._properties(SubElement(result, self._name("MessageList")), message)
        elif operation == "GetMessage":
            message = self.state.messages.get(request.findtext("MsgId") or "")
            if message is None:
                return self._fault("Client", f"message {request.findtext('MsgId')} does not exist")
            self.state.gets[message.msg_id] += 1
            result = Element(f"{{{ns}}}MessageRequestResponse")
            inner = SubElement(result, self._name("MessageRequestResult"))
            self._properties(SubElement(inner, self._name("MsgProperties")), message)
            SubElement(inner, self._name("MsgContent")).text = _encoded(message)
            header_info = message.encoding in ("gzip", "zip")
        elif operation == "DeleteMessage":
            msg_id = request.findtext("MsgId") or ""
            known = self.state.messages.pop(msg_id, None)
            if known is not None:
                self.state.deletes[msg_id] += 1
            result = Element(f"{{{ns}}}MessageResponse")
            SubElement(result, self._name("MessageResult")).text = "true" if known else "false"
        else:  # PostMessage
            properties = request.find("MsgProperties")
            posted = {node.tag: node.text or "" for node in properties} if properties is not None else {}
            duplicate = any(p.get("MsgId") == posted.get("MsgId") for p in self.state.posted)
            posted["MsgContent"] = request.findtext("MsgContent") or ""
            if duplicate:
                self.state.duplicates[posted.get("MsgId", "")] += 1
            else:
                self.state.posted.append(posted)
            result = Element(f"{{{ns}}}MessageResponse")
            refused = duplicate and self.refuses_duplicates
            SubElement(result, self._name("MessageResult")).text = "false" if refused else "true"
        return self._envelope(result, compressed=header_info)

    def _name(self, local: str) -> str:
        return f"{{{self.spec.namespace}}}{local}" if self.qualified else local

    def _properties(self, parent: Element, message: HubMessage) -> None:
        for name, value in (("MsgId", message.msg_id), ("MsgDateTime", message.msg_date_time),
                            ("MsgFormat", message.msg_format), ("MsgVersion", message.msg_version),
                            ("MsgType", message.msg_type)):
            SubElement(parent, self._name(name)).text = value

    def _envelope(self, result: Element, *, compressed: bool | None = None) -> bytes:
        envelope = Element(f"{{{SOAP_ENV}}}Envelope")
        if compressed is not None:
            info = SubElement(SubElement(envelope, f"{{{SOAP_ENV}}}Header"), f"{{{self.spec.namespace}}}CustomInfo")
            for name, value in (("IsTestMessage", "false"), ("IsContentCompressed", str(compressed).lower()),
                                ("ApplicationId", "hub"), ("VersionId", "3.0"), ("RelationId", "")):
                SubElement(info, name).text = value
        SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(result)
        return ElementTree.tostring(envelope, encoding="utf-8", xml_declaration=True)

    def _fault(self, code: str, text: str, *, error_code: str | None = None) -> bytes:
        fault = Element(f"{{{SOAP_ENV}}}Fault")
        if self.fault_style == "soap":
            SubElement(fault, "faultcode").text = code if ":" in code else f"soap:{code}"
            SubElement(fault, "faultstring").text = text
        else:
            SubElement(fault, "faultcode").text = "s:Client"
            SubElement(fault, "faultstring").text = "The creator of this fault did not specify a Reason."
            error = SubElement(SubElement(fault, "detail"), f"{{{WCF_FAULTS}}}FaultError")
            SubElement(error, f"{{{WCF_FAULTS}}}FaultCode").text = code.split(":")[-1]
            details = SubElement(error, f"{{{WCF_FAULTS}}}FaultDetails")
            SubElement(details, f"{{{WCF_FAULTS}}}ErrorCode").text = error_code or "500"
            SubElement(details, f"{{{WCF_FAULTS}}}Message").text = text
            SubElement(error, f"{{{WCF_FAULTS}}}FaultString").text = text
        return self._envelope(fault)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _encoded(message: HubMessage) -> str:
    """MsgContent as the WSDL describes it (ElementTree escapes the text once more for the envelope)."""
    if message.encoding == "escaped":
        return message.content.decode("utf-8")
    if message.encoding == "base64":
        return base64.b64encode(message.content).decode("ascii")
    if message.encoding == "gzip":
        return base64.b64encode(gzip.compress(message.content)).decode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("invoice.xml", message.content)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _handler_for(server: ArtConnectServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: without this, Nagle and the client's delayed ACK add ~40 ms per answer.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if server.latency_seconds:
                time.sleep(server.latency_seconds)
            action = self.headers.get("SOAPAction") or ""
            status, body = server.handle(action, raw)
            if server.lose_answer(action):
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


# --- invoices for tests ---------------------------------------------------------------------------


def invoice_xml(*, number: str, seller_gln: str = "1234567899121", date: str = "2026-11-20",
                lines: list[tuple[str, str, str]] | None = None, vat_percentage: str = "21.00",
                total_override: str | None = None) -> bytes:
    """An INSBOU003 invoice shaped like the shared sample; ``lines`` are (item, quantity, price); totals are
    computed the standard's way (each step rounded to 2 decimals) unless ``total_override``."""
    from decimal import ROUND_HALF_UP, Decimal

    def r2(value: Decimal) -> Decimal:
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    lines = lines or [("2700175908", "3.000", "1.85")]
    parts = []
    net_total = Decimal(0)
    for index, (item, quantity, price) in enumerate(lines, start=1):
        amount = r2(Decimal(quantity) * Decimal(price))
        net_total += amount
        parts.append(f"""
	<InvoiceLine>
		<LineNumber>{index * 10}</LineNumber>
		<DeliveredQuantity>{quantity}</DeliveredQuantity>
		<DeliveredQuantityMeasureUnitCode>PCE</DeliveredQuantityMeasureUnitCode>
		<NumberOfInvoicingUnits>{quantity}</NumberOfInvoicingUnits>
		<NetLineAmount>{amount}</NetLineAmount>
		<TradeItemIdentification>
			<SuppliersTradeItemIdentification>{escape(item)}</SuppliersTradeItemIdentification>
			<AdditionalItemIdentification>
				<TradeItemDescription>Item {escape(item)} &amp; co</TradeItemDescription>
			</AdditionalItemIdentification>
		</TradeItemIdentification>
		<PriceInformation><Price>{price}</Price><PriceBase><NumberOfUnitsInPriceBasis>1.000</NumberOfUnitsInPriceBasis><MeasureUnitPriceBasis>PCE</MeasureUnitPriceBasis></PriceBase></PriceInformation>
		<VATInformation><VATRate>S</VATRate><VATPercentage>{vat_percentage}</VATPercentage></VATInformation>
	</InvoiceLine>""")
    vat = r2(net_total * Decimal(vat_percentage) / 100)
    total = total_override or str(net_total + vat)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Invoice xsi:noNamespaceSchemaLocation="Factuur_insbou003.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<InvoiceType>380</InvoiceType>
	<InvoiceNumber>{escape(number)}</InvoiceNumber>
	<InvoiceDate>{date}</InvoiceDate>
	<Currency>EUR</Currency>
	<BuyersOrderNumber>PO-{escape(number)}</BuyersOrderNumber>
	<Buyer><GLN>1234567890123</GLN></Buyer>
	<Supplier><GLN>{seller_gln}</GLN><VATRegistrationNumber>NL12345670B01</VATRegistrationNumber></Supplier>
	<Invoicee><GLN>1234567890123</GLN><Name>Groothandel B.V.</Name></Invoicee>
	<Invoicer><GLN>{seller_gln}</GLN><Name>Fabrikant &amp; Zn</Name></Invoicer>{''.join(parts)}
	<InvoiceTotals>
		<TotalInvoiceAmount>{total}</TotalInvoiceAmount>
		<TotalNetLineAmount>{net_total}</TotalNetLineAmount>
		<TotalAmountInvoiceChargeAllowance>0</TotalAmountInvoiceChargeAllowance>
		<TotalVATAmount>{vat}</TotalVATAmount>
	</InvoiceTotals>
	<VATSubTotal>
		<VATAmount>{vat}</VATAmount>
		<VATInformation><VATRate>S</VATRate><VATpercentage>{vat_percentage}</VATpercentage><VATBaseAmount>{net_total}</VATBaseAmount></VATInformation>
	</VATSubTotal>
</Invoice>
""".encode()


def main(argv: list[str]) -> int:
    """``python -m tests.support.artconnect_server [latency_seconds] [invoices] [TYPE=count ...]``: serve until stdin
    closes (the first line printed is the URL), holding ``invoices`` INVOIC messages and ``count`` invoices of each
    other ``TYPE`` (MsgIds ``<TYPE>-000000``...), for benchmarks that keep the hub out of the measured process."""
    import sys

    latency = float(argv[0]) if argv else 0.0
    counts = {"INVOIC": int(argv[1]) if len(argv) > 1 else 0}
    counts.update({kind: int(n) for kind, _, n in (spec.partition("=") for spec in argv[2:])})
    with ArtConnectServer(latency_seconds=latency) as server:
        for kind, count in counts.items():
            for index in range(count):
                lines = [(f"ART-{(index * 7 + n) % 5000:05d}", str(n + 1), f"{(index + n) % 90 + 1}.25")
                         for n in range(5)]
                server.add_message(invoice_xml(number=f"{kind}-{index:06d}", lines=lines), msg_type=kind,
                                   msg_id=f"{kind}-{index:06d}")
        print(server.url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
