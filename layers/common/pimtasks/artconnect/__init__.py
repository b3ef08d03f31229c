"""Ketenstandaard MessageService 3.0 (Art-Connect and wholesalers' hubs): a small SOAP 1.1 client.

Decision: the envelopes are built and read with the standard library's ``xml.etree`` (answers parsed with
``defusedxml``, already a layer dependency), sent with ``urllib3`` (already there through ``requests``).
No zeep, no lxml: the service has four document/literal operations with flat, fixed messages, so a WSDL-driven
library would add megabytes and hundreds of milliseconds of cold start (zeep parses the WSDL and builds types on
every cold start) to produce what ~150 lines write directly; lxml is a 5 MB native wheel per architecture for
nothing ElementTree lacks here. Reading answers by *local name* is what makes both server families work: the
canonical XSD leaves child elements unqualified, WCF servers (Oosterberg) qualify them.

- ``security``: WS-Security UsernameToken (PasswordText or PasswordDigest) with a ``wsu:Timestamp``.
- ``envelope``: request envelopes (the ``CustomInfo`` header) and answers, SOAP faults of both shapes.
- ``client``: the four operations over HTTP.
- ``content``: ``MsgContent`` to bytes (escaped XML, base64, compressed).
- ``insbou``: the INSBOU003 invoice parser.
"""
