"""Signing customs' messages as the E-port does: an enveloped XML signature with the enterprise's key.

The single window takes a declared message (``appStatus`` 2) only with a ``ds:Signature`` made with
the certificate customs knows the enterprise by: inclusive C14N 1.0, RSA-SHA1, one reference to
the whole document (``URI=""``) with the enveloped-signature transform and a SHA-1 digest, and
``KeyInfo`` naming the key (the card's certificate number) and carrying the certificate.

Both signers make it the E-port's way: the message's digest goes into a ``SignedInfo``, and the
key signs that SignedInfo's canonical form. ``KeyFileSigner`` holds the key, read from files
(PEM, or PKCS#12) and used through ``cryptography`` (OpenSSL); ``AgentSigner`` asks an external
signing agent that holds the E-port card. What either makes is verified in the suite by signxml,
an implementation of XML signatures that shares nothing with this module.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from pathlib import Path
from typing import Protocol

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import Certificate, load_pem_x509_certificate
from lxml import etree

from integrations.base import CounterpartClient, TerminalError, json_of, send

DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_DS = f"{{{DSIG_NAMESPACE}}}"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


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
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SigningUnavailable("the E-port signs with RSA: the key is not an RSA key")
        self.certificate: Certificate = certificate
        self.key_name = key_name or format(certificate.serial_number, "x")
        self._key = key
        self._certificate_text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    def __repr__(self) -> str:
        return f"KeyFileSigner(key_name={self.key_name!r})"

    def sign(self, body: str) -> str:
        root = _unsigned(body)
        signature = _signature(_digest(root), key_name=self.key_name, certificate=self._certificate_text)
        _place(root, signature)
        signed_info = signature.find(f"{_DS}SignedInfo")
        value = self._key.sign(etree.tostring(signed_info, method="c14n"), padding.PKCS1v15(), hashes.SHA1())
        signature.find(f"{_DS}SignatureValue").text = base64.b64encode(value).decode("ascii")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


class AgentSigner(CounterpartClient):
    """Signs through an external signing agent that holds the E-port card (or a hardware key), as
    the open-source chinaport-data-signature agent offers it: ``POST {url}/rpc/eport/signature``
    with ``{"id", "sourceXml"}`` (the message without a signature), the token in
    ``x-auth-token-eport-sign``; it answers the card's number (``certNo``), its certificate, the
    message's digest (SHA-1 of its inclusive C14N) and the card's RSA-SHA1 signature of the
    ``SignedInfo`` it made around that digest (declaring the ceb, ds and xsi namespaces).

    The signer checks the digest against the message it sent (an agent that signed something else
    is refused) and puts the ``ds:Signature`` together around the agent's values.
    """

    COUNTERPART = "signing agent"

    def __init__(self, base_url: str, *, token: str | None = None, transport: httpx.BaseTransport | None = None):
        super().__init__(base_url, transport=transport)
        self.token = token
        self.requests = itertools.count(1)

    def __repr__(self) -> str:
        return f"AgentSigner({str(self.http.base_url)!r})"

    def sign(self, body: str) -> str:
        root = _unsigned(body)
        digest = _digest(root)
        headers = {"x-auth-token-eport-sign": self.token} if self.token else {}
        request = self.http.build_request(
            "POST",
            "/rpc/eport/signature",
            json={"id": next(self.requests) % 2**31 or 1, "sourceXml": etree.tostring(root, encoding="unicode")},
            headers=headers,
        )
        response = send(self.http, request, gate=self.gate, counterpart=self.COUNTERPART)
        answer = json_of(response, counterpart=self.COUNTERPART)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if response.status_code != 200 or answer.get("success") is not True:
            raise TerminalError(f"{self.COUNTERPART}: {answer.get('code')} {answer.get('message')}")
        if not all(data.get(name) for name in ("signatureValue", "x509Certificate", "certNo")):
            raise TerminalError(f"{self.COUNTERPART}: the answer lacks the signature, certificate or card number")
        if data.get("digestValue") != digest:
            raise TerminalError(f"{self.COUNTERPART}: the digest it signed is not this message's")
        signature = _signature(
            digest, key_name=str(data["certNo"]), certificate="".join(str(data["x509Certificate"]).split())
        )
        signature.find(f"{_DS}SignatureValue").text = "".join(str(data["signatureValue"]).split())
        _place(root, signature)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _digest(root: etree._Element) -> str:
    """The message's digest: SHA-1 of its inclusive C14N, base64."""
    return base64.b64encode(hashlib.sha1(etree.tostring(root, method="c14n")).digest()).decode("ascii")


def _signature(digest: str, *, key_name: str, certificate: str) -> etree._Element:
    """The ds:Signature of a message with this digest, as the E-port's signing makes it: the
    SignedInfo (declaring the ceb, ds and xsi namespaces, as the E-port's signing client does)
    with one enveloped reference, an empty SignatureValue to fill, and the card's number and
    certificate in KeyInfo."""
    signature = etree.Element(f"{_DS}Signature", nsmap={"ds": DSIG_NAMESPACE})
    signed_info = etree.SubElement(
        signature,
        f"{_DS}SignedInfo",
        nsmap={
            "ceb": "http://www.chinaport.gov.cn/ceb",
            "ds": DSIG_NAMESPACE,
            "xsi": "http://www.w3.org/2001/XMLSchema-instance",
        },
    )
    etree.SubElement(signed_info, f"{_DS}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(signed_info, f"{_DS}SignatureMethod", Algorithm=RSA_SHA1)
    reference = etree.SubElement(signed_info, f"{_DS}Reference", URI="")
    etree.SubElement(etree.SubElement(reference, f"{_DS}Transforms"), f"{_DS}Transform", Algorithm=ENVELOPED)
    etree.SubElement(reference, f"{_DS}DigestMethod", Algorithm=SHA1)
    etree.SubElement(reference, f"{_DS}DigestValue").text = digest
    etree.SubElement(signature, f"{_DS}SignatureValue")
    key_info = etree.SubElement(signature, f"{_DS}KeyInfo")
    etree.SubElement(key_info, f"{_DS}KeyName").text = key_name
    etree.SubElement(etree.SubElement(key_info, f"{_DS}X509Data"), f"{_DS}X509Certificate").text = certificate
    return signature


def _unsigned(body: str) -> etree._Element:
    """The message without a signature it may already carry."""
    root = etree.fromstring(body.encode("utf-8"))
    for old in root.findall(f"{_DS}Signature"):
        root.remove(old)
    return root


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
