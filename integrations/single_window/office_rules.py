"""The customs office's field rules: its copy of customs' code tables, the unified social credit
code's check character, the ``N19,5`` numbers, the checks of a message's head and goods lines, and
the enveloped signature a declared message carries."""

from __future__ import annotations

import base64
import re
from decimal import Decimal, InvalidOperation

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import SignXMLException

_NUMBER = re.compile(r"^-?\d{1,14}(\.\d{1,5})?$")


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The office's own copy of customs' parameter tables (country, currency and unit codes) it checks against.
KNOWN_COUNTRIES = set(
    words(
        "103 110 111 112 115 116 118 121 122 127 129 130 131 132 133 136 137 138 141 142 143 145 244 301 302 303 "
        "304 305 306 307 309 310 311 312 315 318 326 327 330 331 344 347 352 410 429 501 502 601 609"
    )
)
KNOWN_CURRENCIES = set(words("110 116 122 132 142 300 303 501 502 601"))
KNOWN_UNITS = set(
    words(
        "001 002 003 006 007 008 010 011 012 014 015 016 017 018 019 020 021 025 026 030 032 033 035 036 070 095 "
        "120 140 147"
    )
)
# GB 32100: the unified social credit code's characters and the weights of its check character.
_USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_valid_uscc(code: str) -> bool:
    """Whether an 18-character code carries the check character GB 32100 gives it."""
    if len(code) != 18 or any(character not in _USCC_CHARACTERS for character in code):
        return False
    total = sum(
        _USCC_CHARACTERS.index(character) * weight for character, weight in zip(code[:17], _USCC_WEIGHTS, strict=True)
    )
    return code[17] == _USCC_CHARACTERS[(31 - total % 31) % 31]


def valid_party(code: str) -> bool:
    return is_valid_uscc(code) or bool(re.fullmatch(r"[0-9A-Z]{10}", code))


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def check_header(head: dict[str, str], *, ebc: str, owner: str, country: str, port: str) -> list[str]:
    problems = []
    if not valid_party(head.get(ebc, "")):
        problems.append(f"{ebc} {head.get(ebc)!r} is not a valid consignor code")
    if not is_valid_uscc(head.get(owner, "")) and not valid_party(head.get(owner, "")):
        problems.append(f"{owner} {head.get(owner)!r} is not a valid USCC")
    if head.get(country) not in KNOWN_COUNTRIES:
        problems.append(f"{country} {head.get(country)!r} is not a customs country code")
    if not re.fullmatch(r"\d{4}", head.get(port, "")):
        problems.append(f"{port} must be a 4-digit customs code")
    return problems


def check_line(
    pairs: list[tuple[str, str]],
    names: tuple[str, ...] | None,
    *,
    hs: str,
    country: str,
    currency: str,
    units: tuple[str, str],
    quantity: str,
    price: str,
    total: str,
) -> list[str]:
    problems = []
    values = dict(pairs)
    number = values.get("gnum") or values.get("GNo")
    if names is not None and tuple(name for name, _ in pairs) != names:
        problems.append(f"line {number}: elements not in the order of the specification")
    if not re.fullmatch(r"\d{10}", values.get(hs, "")):
        problems.append(f"line {number}: {hs} must be a 10-digit HS code")
    if values.get(country) not in KNOWN_COUNTRIES:
        problems.append(f"line {number}: {country} {values.get(country)!r} is not a customs country code")
    if values.get(currency) not in KNOWN_CURRENCIES:
        problems.append(f"line {number}: {currency} {values.get(currency)!r} is not a customs currency code")
    for unit in units:
        if values.get(unit) not in KNOWN_UNITS:
            problems.append(f"line {number}: {unit} {values.get(unit)!r} is not a customs unit code")
    for name in (quantity, price, total):
        if not is_number(values.get(name, "")):
            problems.append(f"line {number}: {name} {values.get(name)!r} is not an N19,5 number")
    if not problems:
        try:
            expected = Decimal(values[price]) * Decimal(values[quantity])
            if abs(expected - Decimal(values[total])) > Decimal("0.01") + Decimal(values[quantity]) * Decimal(
                "0.00001"
            ):
                problems.append(f"line {number}: {total} does not equal {price} x {quantity}")
        except InvalidOperation:
            problems.append(f"line {number}: unreadable numbers")
    return problems


_SIGNED = SignatureConfiguration(
    signature_methods=frozenset({SignatureMethod.RSA_SHA1}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1}),
    expect_references=1,
)
_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def signature_problems(root: etree._Element, trusted: set[bytes] | None) -> list[str]:
    """A declared message carries an enveloped RSA-SHA1 signature over the whole document, made with
    the certificate in its KeyInfo (checked by signxml, not by the sender's code)."""
    signature = root.find(f"{_DSIG}Signature")
    if signature is None:
        return ["signature: the message is not signed"]
    text = signature.findtext(f"{_DSIG}KeyInfo/{_DSIG}X509Data/{_DSIG}X509Certificate") or ""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return ["signature: no readable certificate in KeyInfo"]
    if trusted is not None and der not in trusted:
        return ["signature: the certificate is not one the E-port issued to a known enterprise"]
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    try:
        XMLVerifier().verify(etree.tostring(root), x509_cert=pem, expect_config=_SIGNED)
    except SignXMLException as error:
        return [f"signature: {error}"]
    return []
