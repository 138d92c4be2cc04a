"""The data-exchange client's folders: each message handed over once, each receipt read until recorded."""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime

import pytest
from lxml import etree

from integrations.base import TerminalError
from integrations.customs import OutgoingMessage
from integrations.single_window.folders import ExchangeFolders
from integrations.single_window.office import Return
from integrations.single_window.office_receipts import receipt_message
from integrations.single_window.receipts import read_receipts, status_of
from integrations.single_window.simulator import envelope

GUID = "4CF2E0D7-1A3B-4C5D-8E9F-0A1B2C3D4E5F"
BODY = (
    '<ceb:CEB303Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="' + GUID + '" version="1.0">'
    "<ceb:Order/></ceb:CEB303Message>"
)
NAME = f"CEB303Message_{GUID}.xml"
MESSAGE = OutgoingMessage(kind="CEB303", guid=GUID, body=BODY)
MADE = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def folders(tmp_path, **options) -> ExchangeFolders:
    return ExchangeFolders(
        tmp_path / "DXPENT0000000001", sender_id="DXPENT0000000001", clock=lambda: MADE, settle_seconds=0, **options
    )


def sent(exchange: ExchangeFolders) -> list[str]:
    return sorted(path.name for path in exchange.send_dir.iterdir())


def test_a_message_goes_into_the_send_folder_in_its_envelope_once(tmp_path):
    exchange = folders(tmp_path)

    exchange.submit([MESSAGE])

    assert sent(exchange) == [NAME]
    root = etree.fromstring((exchange.send_dir / NAME).read_bytes())
    assert root.tag == "{http://www.chinaport.gov.cn/dxp}DxpMsg"
    assert base64.b64decode(root.findtext("{*}Data")) == BODY.encode()
    assert root.findtext("{*}TransInfo/{*}SenderId") == "DXPENT0000000001"
    before = (exchange.send_dir / NAME).read_bytes()
    # Handed again while the client has not taken it yet, or after it took it: nothing new.
    exchange.submit([MESSAGE])
    assert sent(exchange) == [NAME] and (exchange.send_dir / NAME).read_bytes() == before
    (exchange.send_dir / NAME).unlink()
    exchange.submit([MESSAGE])
    assert sent(exchange) == []


def test_a_worker_killed_at_any_step_leaves_what_the_next_attempt_finishes_once(tmp_path):
    exchange = folders(tmp_path)
    staged, marker = exchange.outbox / NAME, exchange.journal / NAME

    # Killed while staging or after staging, before the journal: not handed yet.
    staged.write_bytes(b"an older, unfinished copy")
    exchange.submit([MESSAGE])
    assert sent(exchange) == [NAME]
    assert base64.b64decode(etree.fromstring((exchange.send_dir / NAME).read_bytes()).findtext("{*}Data")) == (
        BODY.encode()
    )

    # Killed after the journal, before the rename: the staged copy is the one handed over.
    (exchange.send_dir / NAME).unlink()
    marker.unlink()
    exchange.submit([MESSAGE])
    (exchange.send_dir / NAME).rename(staged)
    exchange.submit([MESSAGE])
    assert sent(exchange) == [NAME] and not staged.exists()

    # Killed after the rename, the client has taken it: the journal says it was handed.
    (exchange.send_dir / NAME).unlink()
    exchange.submit([MESSAGE])
    assert sent(exchange) == [] and marker.exists()


def test_an_id_unfit_for_a_file_name_is_refused_and_nothing_is_written(tmp_path):
    exchange = folders(tmp_path)
    for guid in ("../../etc/passwd", "a/b", ""):
        with pytest.raises(TerminalError, match="a message id unfit for a file name"):
            exchange.submit([OutgoingMessage(kind="CEB303", guid=guid, body=BODY)])
    assert sent(exchange) == [] and list(exchange.outbox.iterdir()) == [] and list(exchange.journal.iterdir()) == []


def test_old_journal_entries_are_forgotten_and_recent_ones_kept(tmp_path):
    exchange = folders(tmp_path)
    exchange.submit([MESSAGE])
    old = exchange.journal / "CEB303Message_OLD.xml"
    old.touch()
    long_ago = time.time() - 31 * 86400
    os.utime(old, (long_ago, long_ago))

    assert exchange.forget_handed() == 1
    assert sorted(path.name for path in exchange.journal.iterdir()) == [NAME]
    # Read through once a day: a marker grown old since waits for the next day.
    os.utime(exchange.journal / NAME, (long_ago, long_ago))
    assert exchange.forget_handed() == 0
    assert sorted(path.name for path in exchange.journal.iterdir()) == [NAME]


def inventory_return(status: str, *, guid: str = "A" * 36) -> Return:
    values = {
        "guid": guid,
        "time": "20261203101500123",
        "agentCode": "1305960001",
        "copNo": "9610-00000001-000001",
        "preNo": "040120260000000001",
        "invtNo": "04012026E000000001",
        "ebcCode": "1305960001",
        "ebpCode": "1305960001",
        "orderNo": "DY-1001",
        "statisticsFlag": "A",
        "status": status,
        "info": "放行" if status == "800" else "入库成功",
    }
    return Return(kind="CEB604", values=values, to="DXPENT0000000001")


def deliver(exchange: ExchangeFolders, name: str, message: bytes, message_type: str = "CEB604Message") -> None:
    (exchange.receive_dir / name).write_bytes(envelope(message, message_type=message_type, receiver="DXPENT0000000001"))


def test_receipts_are_read_until_confirmed_and_a_copy_is_the_same_receipt(tmp_path, ceb_schema):
    exchange = folders(tmp_path)
    message = receipt_message("CEB604", [inventory_return("120"), inventory_return("800", guid="B" * 36)])
    assert ceb_schema.validate(etree.fromstring(message)), ceb_schema.error_log
    deliver(exchange, "r1.xml", message)
    deliver(exchange, "r1-again.xml", message)
    # Oldest first: the copy came a second later.
    now = time.time()
    os.utime(exchange.receive_dir / "r1.xml", (now - 2, now - 2))
    os.utime(exchange.receive_dir / "r1-again.xml", (now - 1, now - 1))

    page = exchange.receipts()
    again = exchange.receipts()

    assert [(receipt.receipt_id, receipt.status, receipt.entry_id) for receipt in page.receipts] == [
        ("A" * 36, "accepted", "04012026E000000001"),
        ("B" * 36, "cleared", "04012026E000000001"),
        ("A" * 36, "accepted", "04012026E000000001"),
        ("B" * 36, "cleared", "04012026E000000001"),
    ]
    (first,) = {receipt.at for receipt in page.receipts}
    assert first.isoformat() == "2026-12-03T10:15:00.123000+08:00"
    assert page.receipts == again.receipts and page.sources == again.sources == ("r1.xml", "r1-again.xml")
    exchange.confirm(page)
    assert exchange.receipts().receipts == []
    assert sorted(path.name for path in exchange.received.iterdir()) == ["r1-again.xml", "r1.xml"]


def test_a_file_that_is_no_receipt_is_set_aside_with_its_reason_and_the_rest_go_on(tmp_path):
    exchange = folders(tmp_path)
    deliver(exchange, "good.xml", receipt_message("CEB604", [inventory_return("120")]))
    (exchange.receive_dir / "garbage.xml").write_bytes(b"\x00\x01 not xml")
    deliver(exchange, "order.xml", BODY.encode(), message_type="CEB303Message")
    (exchange.receive_dir / "bomb.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    )
    (exchange.receive_dir / "huge.xml").write_bytes(b" " * (4 * 1024 * 1024 + 1))
    (exchange.receive_dir / ".being-written.xml.part").write_bytes(b"<")

    page = exchange.receipts()

    assert [receipt.cop_no for receipt in page.receipts] == ["9610-00000001-000001"]
    aside = sorted(path.name for path in exchange.malformed.iterdir())
    assert aside == sorted(
        [name for stem in ("bomb", "garbage", "huge", "order") for name in (f"{stem}.xml", f"{stem}.xml.error.txt")]
    )
    assert (exchange.malformed / "order.xml.error.txt").read_text() == "CEB303Message is not a receipt\n"
    assert (exchange.malformed / "huge.xml.error.txt").read_text() == "larger than 4194304 bytes\n"
    assert sorted(path.name for path in exchange.receive_dir.iterdir()) == [".being-written.xml.part", "good.xml"]


def test_a_receipt_file_still_being_written_waits(tmp_path):
    exchange = folders(tmp_path)
    exchange.settle_seconds = 60
    deliver(exchange, "fresh.xml", receipt_message("CEB604", [inventory_return("120")]))
    assert exchange.receipts().receipts == []
    exchange.settle_seconds = 0
    assert len(exchange.receipts().receipts) == 1


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("1", None),
        ("2", None),
        ("3", None),
        ("4", "rejected"),
        ("100", "rejected"),
        ("-301010", "rejected"),
        ("120", "accepted"),
        ("300", "accepted"),
        ("399", "accepted"),
        ("500", "accepted"),
        ("700", None),
        ("800", "cleared"),
        ("899", "cleared"),
    ],
)
def test_a_return_status_means_what_customs_schema_says(code, meaning):
    assert status_of(code) == meaning


def test_a_summary_result_names_the_summary_by_its_number_alone(ceb_schema):
    values = {
        "guid": "C" * 36,
        "time": "20261203101500000",
        "customsCode": "0401",
        "sumNo": "04012026S000000007",
        "declSeqNo": "000000000000000007",
        "entryId": "040120261000000007",
        "decState": "9",
        "agentCode": "1305960001",
        "agentName": "清河外贸综合服务平台",
        "ebcCode": "1305960001",
        "ebcName": "清河外贸综合服务平台",
        "declAgentCode": "1305960001",
        "declAgentName": "清河外贸综合服务平台",
        "grossWeight": "1.75",
        "netWeight": "1.75",
        "msgCount": "1",
        "msgSeqNo": "1",
        "status": "800",
        "info": "放行",
    }
    message = receipt_message("CEB792", [Return(kind="CEB792", values=values, to="DXPENT0000000001")])
    assert ceb_schema.validate(etree.fromstring(message)), ceb_schema.error_log

    (receipt,) = read_receipts(message)

    assert (receipt.cop_no, receipt.summary_no, receipt.entry_id, receipt.status) == (
        "",
        "04012026S000000007",
        "040120261000000007",
        "cleared",
    )


def test_the_send_folder_must_be_on_the_staging_folders_disk(tmp_path, monkeypatch):
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if str(path).endswith("send"):
            return os.stat_result((*result[:2], result.st_dev + 1, *result[3:]))
        return result

    monkeypatch.setattr(os, "stat", stat)
    with pytest.raises(TerminalError, match="is on another file system"):
        folders(tmp_path)
