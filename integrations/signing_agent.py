"""A signing agent with an E-port card in it, as a small Flask app: what the platform's signer talks to.

It follows the open-source agent enterprises run beside the card reader (chinaport-data-signature,
``POST /rpc/eport/signature``): the request names the message without a signature
(``sourceXml``, starting ``<ceb:CEB`` or with the XML declaration) and an ``id``; the token, when
one is set, comes in ``x-auth-token-eport-sign`` (a missing or wrong one is answered with code
401 in the body). The agent digests the message (SHA-1 of its inclusive C14N, base64), puts a
``ds:SignedInfo`` around that digest (declaring the ceb, ds and xsi namespaces) into the message,
and has the card sign that SignedInfo's inclusive C14N with RSA-SHA1. It answers
``{code, message, success, timestamp, data: {success, certNo, x509Certificate, digestValue,
signatureValue}}``. The card here is a key and certificate given to the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask, jsonify, request
from lxml import etree

_DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_DS = f"{{{_DS_NAMESPACE}}}"
TOKEN_HEADER = "x-auth-token-eport-sign"
CHINA = ZoneInfo("Asia/Shanghai")


class SigningAgentSimulator:
    def __init__(
        self, key_pem: bytes, certificate_pem: bytes, *, token: str | None = None, card_number: str = "01691fe9"
    ):
        self.key = serialization.load_pem_private_key(key_pem, None)
        self.certificate = x509.load_pem_x509_certificate(certificate_pem)
        self.token = token
        self.card_number = card_number
        # What the agent was asked to sign, in order (a test can see a message was never signed twice).
        self.signed: list[str] = []
        # Set to sign something other than what was sent (a broken agent).
        self.tamper = False
        self.app = self._build_app()

    def _result(self, code: int, message: str, data=None):
        return jsonify(
            code=code,
            message=message,
            success=code == 200,
            timestamp=datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            data=data,
        )

    def _sign(self, source: str) -> dict:
        document = etree.fromstring(source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        if self.tamper:
            document[0].text = (document[0].text or "") + " "
        digest = base64.b64encode(hashlib.sha1(etree.tostring(document, method="c14n", with_comments=True)).digest())
        signature = etree.SubElement(document, f"{_DS}Signature", nsmap={"ds": _DS_NAMESPACE})
        signed_info = etree.SubElement(
            signature,
            f"{_DS}SignedInfo",
            nsmap={
                "ceb": "http://www.chinaport.gov.cn/ceb",
                "ds": _DS_NAMESPACE,
                "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            },
        )
        etree.SubElement(
            signed_info, f"{_DS}CanonicalizationMethod", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
        )
        etree.SubElement(signed_info, f"{_DS}SignatureMethod", Algorithm=f"{_DS_NAMESPACE}rsa-sha1")
        reference = etree.SubElement(signed_info, f"{_DS}Reference", URI="")
        transforms = etree.SubElement(reference, f"{_DS}Transforms")
        etree.SubElement(transforms, f"{_DS}Transform", Algorithm=f"{_DS_NAMESPACE}enveloped-signature")
        etree.SubElement(reference, f"{_DS}DigestMethod", Algorithm=f"{_DS_NAMESPACE}sha1")
        etree.SubElement(reference, f"{_DS}DigestValue").text = digest.decode("ascii")
        canonical = etree.tostring(signed_info, method="c14n")
        value = self.key.sign(canonical, padding.PKCS1v15(), hashes.SHA1())
        certificate = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "success": True,
            "certNo": self.card_number,
            "x509Certificate": base64.b64encode(certificate).decode("ascii"),
            "digestValue": digest.decode("ascii"),
            "signatureValue": base64.b64encode(value).decode("ascii"),
        }

    def _build_app(self) -> Flask:
        app = Flask("signing_agent_simulator")

        @app.post("/rpc/eport/signature")
        def signature():
            if self.token is not None and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), self.token):
                return self._result(401, "Unauthorized", f"Please add '{TOKEN_HEADER}' to your HTTP request header")
            body = request.get_json(silent=True)
            source = body.get("sourceXml") if isinstance(body, dict) else None
            if not isinstance(source, str) or not (
                source.startswith(("<ceb:CEB", '<?xml version="1.0" encoding="UTF-8"?>'))
            ):
                return self._result(500, "加签数据请求入参不合法")
            try:
                data = self._sign(source)
            except etree.XMLSyntaxError:
                return self._result(500, "加签失败")
            self.signed.append(source)
            return self._result(200, "操作成功", data)

        return app
