"""TLS for the local FTPS gateway: a self-signed certificate kept in the state directory, one TLS context
per control connection, and the check that a data connection resumed the control connection's session.

Why one context per control connection: a context owns its session cache and its session-ticket keys
(OpenSSL makes fresh random ticket keys for every context). A data connection can then only resume a
session that was negotiated on *its own* control connection, which is what AWS Transfer Family (and
vsftpd's ``require_ssl_reuse``) demand: it proves the data connection comes from the same client that
logged in, not from someone who raced to the passive port.

Why TLS 1.2 only: under TLS 1.3 the server sends session tickets *after* each handshake, also on data
connections. A client that uploads and closes without reading them (lftp does, now and then) has unread
bytes in its socket, so its kernel answers the close with a TCP reset, which can destroy the last bytes
of the upload before the server reads them; the gateway then (rightly) discards the upload as truncated.
TLS 1.2 resumption carries the ticket inside the handshake, so nothing is left unread. pyOpenSSL offers no
way to send zero TLS 1.3 tickets per connection, and AWS Transfer Family's FTPS security policies are
TLS 1.2 as well, so both ends behave alike. The TLS 1.2 suites allowed are ECDHE with AES-GCM or
ChaCha20-Poly1305 only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

CERTIFICATE_FILE = "ftps-certificate.pem"
KEY_FILE = "ftps-key.pem"
_VALIDITY = dt.timedelta(days=365)
_RENEW_BEFORE = dt.timedelta(days=14)
_SESSION_ID_CONTEXT = b"pimtasks-ftps"
# TLS 1.2 suites with forward secrecy and AEAD only.
_CIPHERS = b"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"


@dataclass(frozen=True)
class TlsMaterial:
    """The gateway's certificate and key, loaded once; ``new_context()`` is called per control connection."""

    certificate_path: Path
    key_path: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    def new_context(self) -> SSL.Context:
        context = SSL.Context(SSL.TLS_SERVER_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_max_proto_version(SSL.TLS1_2_VERSION)  # see the module docstring
        context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE | SSL.OP_NO_RENEGOTIATION)
        context.set_cipher_list(_CIPHERS)
        context.use_certificate(self.certificate)
        context.use_privatekey(self.private_key)
        context.check_privatekey()
        context.set_session_id(_SESSION_ID_CONTEXT)
        context.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
        return context


def load_or_create_certificate(state_dir: Path, *, hostnames: Sequence[str]) -> TlsMaterial:
    """The certificate in ``state_dir`` if it is still good for ``hostnames``, else a fresh self-signed one.

    Keeping it across restarts lets a client that trusted it once (``lftp``'s ``ssl:ca-file``, curl's
    ``--cacert``) keep working.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    certificate_path, key_path = state_dir / CERTIFICATE_FILE, state_dir / KEY_FILE
    existing = _load(certificate_path, key_path)
    if existing is not None and _still_good(existing[0], hostnames):
        return TlsMaterial(certificate_path, key_path, *existing)
    certificate, key = _self_signed(hostnames)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    _write_private(key_path, key_pem)
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return TlsMaterial(certificate_path, key_path, certificate, key)


def tls_session_reused(connection: SSL.Connection) -> bool:
    """True when the handshake of ``connection`` resumed an earlier session.

    pyOpenSSL has no public call for OpenSSL's ``SSL_session_reused``; its bindings do, so this reaches
    into them (checked at startup by ``session_reuse_check_available``).
    """
    from OpenSSL._util import lib

    return bool(lib.SSL_session_reused(connection._ssl))


def session_reuse_check_available() -> bool:
    """Whether ``tls_session_reused`` can work with the installed pyOpenSSL."""
    try:
        from OpenSSL._util import lib
    except ImportError:
        return False
    return hasattr(lib, "SSL_session_reused") and hasattr(SSL.Connection(SSL.Context(SSL.TLS_METHOD)), "_ssl")


def _load(certificate_path: Path, key_path: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    if not (certificate_path.is_file() and key_path.is_file()):
        return None
    try:
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except ValueError:
        return None  # unreadable: replaced below
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        return None
    return certificate, key


def _still_good(certificate: x509.Certificate, hostnames: Sequence[str]) -> bool:
    if certificate.not_valid_after_utc - dt.datetime.now(dt.UTC) < _RENEW_BEFORE:
        return False
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = {str(value) for value in names.get_values_for_type(x509.DNSName)}
    present |= {str(value) for value in names.get_values_for_type(x509.IPAddress)}
    return set(hostnames) <= present


def _alternative_name(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


def _self_signed(hostnames: Sequence[str]) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pimtasks local FTPS gateway")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_alternative_name(h) for h in dict.fromkeys(hostnames)]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by the owner only (created 0600, never world-readable for a moment)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
