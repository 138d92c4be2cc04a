"""Customs messages in the specification's element order, codes mapped, numbers in N19,5; due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from lxml import etree

from commerce.customs import messages
from commerce.customs.calendar import period_bounds, period_of, summary_due_date
from commerce.customs.codes import UnmappedCode, customs_code, legal_quantity, n19_5
from commerce.customs.models import CustomsBatch
from commerce.customs.reading import BATCH_WARNINGS, batch_warnings
from commerce.web.i18n import translate

# The CEB603 order of fields as the cross-border specification (domain.md) gives it.
SPEC_HEAD = (
    "guid appType appTime appStatus customsCode ebpCode ebpName orderNo logisticsCode logisticsName "
    "logisticsNo copNo ieFlag portCode ieDate statisticsFlag agentCode agentName ebcCode ebcName ownerCode "
    "ownerName iacCode iacName emsNo tradeMode trafMode trafName voyageNo billNo totalPackageNo loctNo "
    "licenseNo country POD freight fCurrency fFlag insuredFee iCurrency iFlag wrapType packNo grossWeight "
    "netWeight note"
)
SPEC_LINE = (
    "gnum itemNo itemRecordNo itemName gcode gname gmodel barCode country currency qty qty1 qty2 unit unit1 "
    "unit2 price totalPrice note"
)
NS = {"ceb": messages.CEB_NAMESPACE}
NOW = datetime(2026, 10, 14, 2, 30, tzinfo=UTC)
SENDER = messages.Sender(
    code="1305960001",
    name="清河外贸综合服务平台",
    dxp_id="DXPENT0000000001",
    ebp_code="1305960001",
    ebp_name="清河平台",
    payment_name="清河县跨境支付结算服务有限公司",
    destination_port="LAX",
)
# Optional elements the parcel has no value for, left out of the message.
UNFILLED_HEAD = {"iacCode", "iacName", "emsNo", "trafName", "voyageNo", "billNo", "totalPackageNo", "loctNo"}
UNFILLED_HEAD |= {"licenseNo", "note"}
UNFILLED_LINE = {"itemRecordNo", "note"}


def inventory():
    declaration = SimpleNamespace(
        declaring_customs="0401",
        order_no="DY-1001",
        logistics_code="SF",
        logistics_no="SF1234567890",
        cop_no="9610-00000001-000001",
        exit_port="0401",
        consignor_code="1305960001",
        consignor_name="清河外贸综合服务平台",
        owner_code="91350200776049653A",
        owner_name="Maker A",
        customs_mode="9610",
        traf_mode="5",
        arrival_country="US",
        gross_weight_kg=Decimal("0.700"),
    )
    line = SimpleNamespace(
        line_no=1,
        item_no="SW-M",
        goods_name="山羊绒衫",
        hs_code="6110120000",
        goods_model="针织|女式|100%山羊绒",
        bar_code=None,
        destination_country="US",
        currency="USD",
        quantity=Decimal("2"),
        legal_quantity=Decimal("2"),
        second_legal_quantity=Decimal("0.7"),
        unit="件",
        legal_unit="件",
        second_legal_unit="千克",
        total_price=Decimal("113.00000"),
    )
    return declaration, [line]


def test_the_inventory_list_follows_the_specification_order_with_customs_codes(ceb_schema):
    declaration, lines = inventory()

    built = messages.inventory_list(declaration, lines, SENDER, now=NOW)
    root = etree.fromstring(built.body.encode())

    assert root.tag == f"{{{messages.CEB_NAMESPACE}}}CEB603Message"
    assert (root.get("guid"), root.get("version")) == (built.guid, "1.0")
    assert ceb_schema.validate(root), ceb_schema.error_log
    head = root.find("ceb:Inventory/ceb:InventoryHead", NS)
    assert [etree.QName(child).localname for child in head] == [
        name for name in SPEC_HEAD.split() if name not in UNFILLED_HEAD
    ]
    values = {etree.QName(child).localname: child.text for child in head}
    assert (values["appTime"], values["ieDate"]) == ("20261014103000", "20261014")
    assert (values["ebcCode"], values["ownerCode"], values["country"], values["tradeMode"]) == (
        "1305960001",
        "91350200776049653A",
        "502",
        "9610",
    )
    assert values["grossWeight"] == "0.7"
    assert (values["POD"], values["wrapType"]) == ("LAX", "2")
    line = root.find("ceb:Inventory/ceb:InventoryList", NS)
    assert [etree.QName(child).localname for child in line] == [
        name for name in SPEC_LINE.split() if name not in UNFILLED_LINE
    ]
    line_values = {etree.QName(child).localname: child.text for child in line}
    assert {name: line_values[name] for name in ("country", "currency", "unit", "unit1", "unit2")} == {
        "country": "502",
        "currency": "502",
        "unit": "011",
        "unit1": "011",
        "unit2": "035",
    }
    assert (line_values["qty"], line_values["price"], line_values["totalPrice"]) == ("2", "56.5", "113")
    # Goods without a barcode say so, as customs' required barCode asks.
    assert line_values["barCode"] == "无"
    transfer = root.find("ceb:BaseTransfer", NS)
    assert [(etree.QName(child).localname, child.text) for child in transfer] == [
        ("copCode", "1305960001"),
        ("copName", "清河外贸综合服务平台"),
        ("dxpMode", "DXP"),
        ("dxpId", "DXPENT0000000001"),
    ]


def _every_parcel_message():
    declaration, lines = inventory()
    for build in (messages.order, messages.payment, messages.waybill, messages.inventory_list):
        yield build(declaration, lines, SENDER, now=NOW)
    summary = SimpleNamespace(declaring_customs="0401", cop_no="9610-S-000001", consignor_code="1305960001")
    summary.consignor_name = "清河外贸综合服务平台"
    yield messages.summary_application(
        summary, ["040120260000000001", "040120260000000002"], SENDER, now=NOW, part=(1, 1)
    )


def test_every_cross_border_message_is_valid_against_customs_schema(ceb_schema):
    kinds = []
    for built in _every_parcel_message():
        root = etree.fromstring(built.body.encode())
        assert ceb_schema.validate(root), f"{built.kind}: {ceb_schema.error_log}"
        kinds.append(built.kind)
    assert kinds == ["CEB303", "CEB403", "CEB505", "CEB603", "CEB701"]


def test_the_schema_is_a_judge_that_can_say_no(ceb_schema):
    declaration, lines = inventory()
    unpaid = messages.payment(
        declaration, lines, messages.Sender("1305960001", "平台", "DXP1", "1305960001", "平台"), now=NOW
    )
    assert not ceb_schema.validate(etree.fromstring(unpaid.body.encode()))
    assert "payName" in str(ceb_schema.error_log)


def test_an_unmapped_code_is_refused_not_sent():
    declaration, lines = inventory()
    lines[0].currency = "XAU"

    with pytest.raises(UnmappedCode) as raised:
        messages.inventory_list(declaration, lines, SENDER, now=NOW)

    assert (raised.value.table, raised.value.value) == ("currency", "XAU")


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("12.50"), "12.5"),
        (Decimal("100"), "100"),
        (Decimal("0.00001"), "0.00001"),
        (Decimal("99999999999999.99999"), "99999999999999.99999"),
    ],
)
def test_numbers_are_written_in_n19_5(value, text):
    assert n19_5(value) == text


@pytest.mark.parametrize("value", [Decimal("0.000001"), Decimal("100000000000000")])
def test_numbers_outside_n19_5_are_refused(value):
    with pytest.raises(ValueError):
        n19_5(value)


def test_code_tables_map_iso_to_customs():
    assert [customs_code("currency", code) for code in ("CNY", "USD", "EUR", "GBP", "JPY")] == [
        "142",
        "502",
        "300",
        "303",
        "116",
    ]
    assert [customs_code("country", code) for code in ("US", "GB", "DE", "JP", "HK")] == [
        "502",
        "303",
        "304",
        "116",
        "110",
    ]


def test_legal_quantities_come_from_weight_for_weight_units_and_from_pieces_otherwise():
    assert legal_quantity("千克", 3, Decimal("0.350")) == Decimal("1.05")
    assert legal_quantity("克", 2, Decimal("0.350")) == Decimal("700")
    assert legal_quantity("件", 3, Decimal("0.350")) == Decimal(3)


def test_periods_are_china_months():
    assert period_of(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)) == "2026-11"
    assert period_of(datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == "2026-10"
    assert period_bounds("2026-12") == (
        datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    )


def test_the_summary_is_due_on_the_15th_of_the_next_month():
    # 2026-11-15 is a Sunday: the next working day is Monday the 16th.
    assert summary_due_date("2026-10") == date(2026, 11, 16)
    assert summary_due_date("2026-08") == date(2026, 9, 15)
    assert summary_due_date("2026-12") == date(2027, 1, 15)


def test_the_due_date_moves_past_holidays_and_keeps_declared_working_weekends():
    holidays = {date(2026, 9, 15), date(2026, 9, 16)}
    assert summary_due_date("2026-08", holidays=holidays) == date(2026, 9, 17)
    assert summary_due_date("2026-10", working_weekend_days={date(2026, 11, 15)}) == date(2026, 11, 15)


def test_a_draft_summary_warns_when_due_soon_and_when_overdue_and_a_submitted_one_does_not():
    summary = CustomsBatch(platform_id=1, customs_mode="9610", kind="summary", due_date=date(2026, 11, 16))
    china_morning = [datetime(2026, 11, day, 1, 0, tzinfo=UTC) for day in (10, 11, 16, 17)]

    seen = [batch_warnings(summary, now) for now in china_morning]

    assert seen == [
        [],
        [("summary_due_soon", {"due_date": "2026-11-16"})],
        [("summary_due_soon", {"due_date": "2026-11-16"})],
        [("summary_overdue", {"due_date": "2026-11-16"})],
    ]
    summary.status = "submitted"
    assert batch_warnings(summary, china_morning[-1]) == []
    assert (
        translate(BATCH_WARNINGS["summary_overdue"], "zh_CN", due_date="2026-11-16") == "汇总申报已于 2026-11-16 到期。"
    )


@pytest.fixture(scope="module")
def signer(signing_files):
    from commerce.customs.signing import KeyFileSigner

    return KeyFileSigner(signing_files[0], certificate_path=signing_files[1])


def answers(office, ceb_schema, kind: str = "CEB604"):
    """What customs sends back of a kind, as the service reads it; every receipt message valid against
    customs' schema."""
    from integrations.single_window.office_receipts import receipt_message
    from integrations.single_window.receipts import read_receipts

    found = []
    for answer in office.due():
        message = receipt_message(answer.kind, [answer])
        if answer.kind != "DEC":
            assert ceb_schema.validate(etree.fromstring(message)), ceb_schema.error_log
        found += read_receipts(message)
    return [receipt for receipt in found if receipt.message_type == kind]


def test_the_single_window_refuses_a_parcel_whose_payment_breaks_customs_schema(ceb_schema, signer, known_certificates):
    from integrations.single_window.office import CustomsOffice

    office = CustomsOffice(schema=ceb_schema, clock=lambda: 0.0, trusted_certificates=known_certificates)
    declaration, lines = inventory()
    unnamed = messages.Sender("1305960001", "清河外贸综合服务平台", "DXPENT0000000001", "1305960001", "清河平台")

    def send(built):
        office.receive(signer.sign(built.body))

    for build in (messages.order, messages.waybill, messages.inventory_list):
        send(build(declaration, lines, SENDER, now=NOW))
    send(messages.payment(declaration, lines, unnamed, now=NOW))
    send(messages.inventory_list(declaration, lines, SENDER, now=NOW))
    receipts = answers(office, ceb_schema)
    assert [(receipt.message_type, receipt.status) for receipt in receipts] == [
        ("CEB604", "rejected"),
        ("CEB604", "rejected"),
    ]
    assert "payment of order DY-1001 (CEB403) was refused: schema:" in receipts[-1].info
    assert "payName" in receipts[-1].info
    # The payment sent again with its payer named lets the next list through.
    send(messages.payment(declaration, lines, SENDER, now=NOW))
    send(messages.inventory_list(declaration, lines, SENDER, now=NOW))
    page = answers(office, ceb_schema)
    assert [(receipt.message_type, receipt.status) for receipt in page] == [
        ("CEB604", "accepted"),
        ("CEB604", "cleared"),
    ]


def test_a_signed_message_verifies_with_an_independent_library_and_stays_valid(ceb_schema, signer, signing_files):
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

    declaration, lines = inventory()
    body = signer.sign(messages.inventory_list(declaration, lines, SENDER, now=NOW).body)
    root = etree.fromstring(body.encode())
    assert ceb_schema.validate(root), ceb_schema.error_log
    signature = root[-1]
    assert etree.QName(signature).localname == "Signature"
    assert [element.get("Algorithm") for element in signature.iter() if element.get("Algorithm")] == [
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    ]
    assert signature.findtext(".//{http://www.w3.org/2000/09/xmldsig#}KeyName") == signer.key_name
    expected = SignatureConfiguration(
        signature_methods=frozenset({SignatureMethod.RSA_SHA1}), digest_algorithms=frozenset({DigestAlgorithm.SHA1})
    )
    verified = XMLVerifier().verify(body.encode(), x509_cert=signing_files[1].read_text(), expect_config=expected)
    assert etree.QName(verified.signed_xml).localname == "CEB603Message"
    # Signing again gives the same bytes: a message sent twice is the same message.
    assert signer.sign(body) == body


def test_the_single_window_refuses_unsigned_tampered_and_unknown_signatures(
    ceb_schema, signer, known_certificates, tmp_path
):
    from commerce.customs.signing import KeyFileSigner, write_self_signed
    from integrations.single_window.office import CustomsOffice

    declaration, lines = inventory()
    built = messages.inventory_list(declaration, lines, SENDER, now=NOW)
    key, certificate = write_self_signed(tmp_path, common_name="Someone else")
    stranger = KeyFileSigner(key, certificate_path=certificate)
    tampered = signer.sign(built.body).replace("<ceb:qty>2</ceb:qty>", "<ceb:qty>20</ceb:qty>")
    for body, reason in (
        (built.body, "signature: the message is not signed"),
        (tampered, "signature: Digest mismatch"),
        (stranger.sign(built.body), "signature: the certificate is not one the E-port issued to a known enterprise"),
    ):
        office = CustomsOffice(schema=ceb_schema, clock=lambda: 0.0, trusted_certificates=known_certificates)
        office.receive(body)
        (receipt,) = answers(office, ceb_schema)
        assert receipt.status == "rejected"
        assert reason in receipt.info


def test_a_pkcs12_bundle_signs_like_the_pem_files_and_a_wrong_password_is_named(signing_files, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    from commerce.customs.signing import KeyFileSigner, SigningUnavailable

    key = serialization.load_pem_private_key(signing_files[0].read_bytes(), None)
    certificate = load_pem_x509_certificate(signing_files[1].read_bytes())
    bundle = tmp_path / "platform.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"platform", key, certificate, None, serialization.BestAvailableEncryption(b"card-password")
        )
    )
    declaration, lines = inventory()
    body = messages.payment(declaration, lines, SENDER, now=NOW).body
    from_bundle = KeyFileSigner(bundle, password="card-password", key_name="01691fe9")
    from_files = KeyFileSigner(signing_files[0], certificate_path=signing_files[1], key_name="01691fe9")
    assert from_bundle.sign(body) == from_files.sign(body)
    with pytest.raises(SigningUnavailable, match="the signing key cannot be read: ValueError"):
        KeyFileSigner(bundle, password="wrong")
    with pytest.raises(SigningUnavailable, match="needs its certificate"):
        KeyFileSigner(signing_files[0])


def test_a_sku_code_longer_than_customs_takes_becomes_the_skus_number():
    from commerce.customs.batch_goods import item_number

    assert item_number(7, "SW-RED-M") == "SW-RED-M"
    assert item_number(7, "A" * 20) == "A" * 20
    assert item_number(123456, "CASHMERE-SWEATER-RED-XXL") == "SKU123456"


def test_a_message_travels_in_its_dxp_envelope_and_comes_out_the_same():
    from integrations.single_window import dxp
    from integrations.single_window.simulator import open_envelope

    declaration, lines = inventory()
    body = messages.order(declaration, lines, SENDER, now=NOW).body
    created = datetime(2026, 10, 14, 10, 30, tzinfo=UTC)
    envelope = dxp.wrap(
        body, message_type="CEB303Message", message_id="GUID-1", sender_id=SENDER.dxp_id, created=created
    )
    root = etree.fromstring(envelope)
    assert (root.tag, root.get("ver")) == ("{http://www.chinaport.gov.cn/dxp}DxpMsg", "1.0")
    assert [etree.QName(child).localname for child in root] == ["TransInfo", "Data", "AddInfo"]
    assert open_envelope(envelope) == (body.encode(), "DXPENT0000000001")
    assert (dxp.message_type("CEB603"), dxp.message_type("DEC")) == ("CEB603Message", "DecMessage")
    info = {etree.QName(element).localname: element.text for element in root.find("{*}TransInfo").iter()}
    assert (info["CopMsgId"], info["SenderId"], info["ReceiverId"], info["CreatTime"], info["MsgType"]) == (
        "GUID-1",
        "DXPENT0000000001",
        "DXPEDCCEB0000002",
        "2026-10-14T10:30:00+00:00",
        "CEB303Message",
    )
    assert root.findtext("{*}AddInfo/{*}FileName") == "CEB303Message_GUID-1.xml"


def test_the_single_window_turns_away_what_is_not_a_proper_envelope():
    from integrations.single_window import dxp
    from integrations.single_window.office import MalformedMessage
    from integrations.single_window.simulator import open_envelope

    declaration, lines = inventory()
    body = messages.order(declaration, lines, SENDER, now=NOW).body

    def wrapped(**overrides):
        options = {"message_type": "CEB303Message", "message_id": "G", "sender_id": SENDER.dxp_id, "created": NOW}
        return dxp.wrap(body, **{**options, **overrides})

    for envelope, reason in (
        (body.encode(), "not a DXP envelope"),
        (wrapped(message_type="CEB603Message"), "MsgType CEB603Message does not name the CEB303Message"),
        (wrapped(sender_id="DXPENT0000009999"), "SenderId DXPENT0000009999 is not the message's dxpId"),
    ):
        with pytest.raises(MalformedMessage, match=reason):
            open_envelope(envelope)


@pytest.fixture
def signing_agent(signing_files):
    """A signing agent with the platform's card in it (its key and certificate), and its token."""
    from integrations.signing_agent import SigningAgentSimulator

    return SigningAgentSimulator(
        signing_files[0].read_bytes(), signing_files[1].read_bytes(), token="agent-token-2026", card_number="01691fe9"
    )


def agent_signer(agent, token="agent-token-2026"):
    import httpx

    from commerce.customs.signing import AgentSigner

    return AgentSigner("http://agent.test", token=token, transport=httpx.WSGITransport(app=agent.app))


def test_a_message_signed_by_the_signing_agent_verifies_independently_and_customs_takes_it(
    ceb_schema, signing_agent, signing_files, known_certificates
):
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

    from integrations.single_window.office import CustomsOffice

    declaration, lines = inventory()
    body = messages.inventory_list(declaration, lines, SENDER, now=NOW).body

    signed = agent_signer(signing_agent).sign(body)

    root = etree.fromstring(signed.encode())
    assert ceb_schema.validate(root), ceb_schema.error_log
    assert signed_is_the_message(signed, body)
    assert root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}KeyName") == "01691fe9"
    expected = SignatureConfiguration(
        signature_methods=frozenset({SignatureMethod.RSA_SHA1}), digest_algorithms=frozenset({DigestAlgorithm.SHA1})
    )
    verified = XMLVerifier().verify(signed.encode(), x509_cert=signing_files[1].read_text(), expect_config=expected)
    assert etree.QName(verified.signed_xml).localname == "CEB603Message"
    assert signing_agent.signed == [etree.tostring(etree.fromstring(body.encode()), encoding="unicode")]
    # Customs takes it: the order, payment and waybill first, then the list the agent signed.
    office = CustomsOffice(schema=ceb_schema, clock=lambda: 0.0, trusted_certificates=known_certificates)
    signer = agent_signer(signing_agent)
    for build in (messages.order, messages.payment, messages.waybill):
        office.receive(signer.sign(build(declaration, lines, SENDER, now=NOW).body))
    office.receive(signed)
    assert [(receipt.status, receipt.info) for receipt in answers(office, ceb_schema)] == [
        ("accepted", "入库成功"),
        ("cleared", "放行"),
    ]


def signed_is_the_message(signed: str, body: str) -> bool:
    """The signed message is the message and a signature, nothing else changed."""
    root = etree.fromstring(signed.encode())
    root.remove(root.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    return etree.tostring(root, method="c14n") == etree.tostring(etree.fromstring(body.encode()), method="c14n")


def test_a_signing_agent_that_refuses_or_signs_something_else_stops_the_sending(signing_agent, caplog):
    from integrations.base import TerminalError

    declaration, lines = inventory()
    body = messages.payment(declaration, lines, SENDER, now=NOW).body
    with pytest.raises(TerminalError, match="signing agent: 401 Unauthorized"):
        agent_signer(signing_agent, token="wrong-token-2026").sign(body)
    with pytest.raises(TerminalError, match="signing agent: 500"):
        agent_signer(signing_agent).sign("<Order>not customs'</Order>")
    signing_agent.tamper = True
    with pytest.raises(TerminalError, match="the digest it signed is not this message's"):
        agent_signer(signing_agent).sign(body)
    assert "agent-token-2026" not in caplog.text and "wrong-token-2026" not in caplog.text


def test_the_single_window_cancels_a_list_it_released_once_and_refuses_what_it_cannot(
    ceb_schema, signer, known_certificates
):
    from integrations.single_window.office import CustomsOffice

    office = CustomsOffice(schema=ceb_schema, clock=lambda: 0.0, trusted_certificates=known_certificates)
    declaration, lines = inventory()
    for build in (messages.order, messages.payment, messages.waybill, messages.inventory_list):
        office.receive(signer.sign(build(declaration, lines, SENDER, now=NOW).body))
    [entered, _released] = answers(office, ceb_schema)
    listed = SimpleNamespace(**vars(declaration), entry_id=entered.entry_id)
    cancel = messages.list_cancellation(listed, "包裹未出境", SENDER, now=NOW)
    assert ceb_schema.validate(etree.fromstring(cancel.body.encode())), ceb_schema.error_log

    unsigned = messages.list_cancellation(listed, "包裹未出境", SENDER, now=NOW)
    office.receive(unsigned.body)
    office.receive(signer.sign(cancel.body))
    office.receive(signer.sign(cancel.body))  # the same message handed twice is taken once
    again = messages.list_cancellation(listed, "再次申请", SENDER, now=NOW)
    office.receive(signer.sign(again.body))
    unknown = SimpleNamespace(**{**vars(listed), "entry_id": "04012026E999999999"})
    office.receive(signer.sign(messages.list_cancellation(unknown, "x", SENDER, now=NOW).body))

    page = answers(office, ceb_schema, "CEB606")
    assert [(receipt.cop_no, receipt.status, receipt.return_status) for receipt in page] == [
        (declaration.cop_no, "refused", "100"),
        (declaration.cop_no, "cancelled", "399"),
        (declaration.cop_no, "refused", "100"),
        (declaration.cop_no, "refused", "100"),
    ]
    assert "signature" in page[0].info.lower()
    assert page[2].info == f"inventory list {entered.entry_id} is already cancelled"
    assert page[3].info == "inventory list 04012026E999999999 is unknown"
    assert office.received["CEB605"] == 4


def test_a_cancellation_reason_customs_cannot_take_is_not_built():
    declaration, _lines = inventory()
    listed = SimpleNamespace(**vars(declaration), entry_id="04012026E000000001")
    with pytest.raises(messages.FieldTooLong) as refused:
        messages.list_cancellation(listed, "长" * 1001, SENDER, now=NOW)
    assert (refused.value.field, refused.value.limit) == ("reason", 1000)
