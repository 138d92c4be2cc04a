"""Signing customs' messages as the E-port does: an enveloped XML signature with the enterprise's key.

The single window takes a declared message (``appStatus`` 2) only with a ``ds:Signature`` made with
the certificate customs knows the enterprise by: inclusive C14N 1.0, RSA-SHA1, one reference to
the whole document (``URI=""``) with the enveloped-signature transform and a SHA-1 digest, and
``KeyInfo`` naming the key (the card's certificate number) and carrying the certificate. The key
is read from files (PEM, or PKCS#12) by python-xmlsec (the XML Security Library).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import xmlsec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import Certificate, load_pem_x509_certificate
from lxml import etree

DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"


class SigningUnavailable(RuntimeError):
    """No key to sign with, or one that cannot be read; nothing can be declared until it is set."""


class MessageSigner(Protocol):
    def sign(self, body: str) -> str:
        """The message with its enveloped signature (a signature already there is replaced)."""
        ...


class KeyFileSigner:
    """Signs with a private key and its certificate read once from files.

    ``key_path`` is a PEM private key (with ``certificate_path`` a PEM certificate) or a PKCS#12
    bundle holding both; ``password`` opens an encrypted one. ``key_name`` is what ``KeyName``
    says (the E-port card's certificate number); by default the certificate's serial in hex.
    """

    def __init__(
        self,
        key_path: Path,
        *,
        certificate_path: Path | None = None,
        password: str | None = None,
        key_name: str | None = None,
    ):
        secret = password.encode() if password else None
        try:
            data = Path(key_path).read_bytes()
            if Path(key_path).suffix.lower() in {".p12", ".pfx"}:
                key, certificate, _chain = pkcs12.load_key_and_certificates(data, secret)
            else:
                key = serialization.load_pem_private_key(data, secret)
                if certificate_path is None:
                    raise SigningUnavailable("a PEM key needs its certificate (COMMERCE_CUSTOMS_SIGNING_CERTIFICATE)")
                certificate = load_pem_x509_certificate(Path(certificate_path).read_bytes())
        except (OSError, ValueError, TypeError) as error:
            raise SigningUnavailable(f"the signing key cannot be read: {type(error).__name__}") from None
        if key is None or certificate is None:
            raise SigningUnavailable("the signing bundle holds no key or no certificate")
        self.certificate: Certificate = certificate
        self.key_name = key_name or format(certificate.serial_number, "x")
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Read once: each signature context takes its own copy of it.
        self._key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
        self._key.load_cert_from_memory(
            certificate.public_bytes(serialization.Encoding.PEM), xmlsec.constants.KeyDataFormatPem
        )
        self._key.name = self.key_name

    def __repr__(self) -> str:
        return f"KeyFileSigner(key_name={self.key_name!r})"

    def sign(self, body: str) -> str:
        root = etree.fromstring(body.encode("utf-8"))
        for old in root.findall(f"{{{DSIG_NAMESPACE}}}Signature"):
            root.remove(old)
        signature = xmlsec.template.create(
            root, xmlsec.constants.TransformInclC14N, xmlsec.constants.TransformRsaSha1, ns="ds"
        )
        _place(root, signature)
        reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha1, uri="")
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        key_info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.add_key_name(key_info, self.key_name)
        xmlsec.template.add_x509_data(key_info)
        context = xmlsec.SignatureContext()
        context.key = self._key
        context.sign(signature)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _place(root: etree._Element, signature: etree._Element) -> None:
    """The signature goes where customs' schema has it: after BaseTransfer (and any BaseSubscribe),
    before an ExtendMessage."""
    extension = next((child for child in root if etree.QName(child).localname == "ExtendMessage"), None)
    if extension is None:
        root.append(signature)
    else:
        extension.addprevious(signature)


def write_self_signed(folder: Path, *, common_name: str, days: int = 365) -> tuple[Path, Path]:
    """A new RSA key and a self-signed certificate for it, as PEM files in ``folder`` (for the demo
    and the tests: customs knows only certificates the E-port issued). Returns (key, certificate)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() >> 96)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_path, certificate_path = folder / "key.pem", folder / "certificate.pem"
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, certificate_path
