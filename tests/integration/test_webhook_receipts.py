"""What a webhook costs and how the account it names is held: one statement once the account is
held (two on SQLite), a changed secret taken at once, a held account answering for its own
platform only."""

import json
import re

from sqlalchemy import func, select, update

from commerce.jobs.models import Job
from commerce.listings.models import ChannelAccount, WebhookReceipt
from commerce.recent import Recent
from commerce.secrets import seal
from integrations.tiktok_shop.client import webhook_signature
from tests.clock import ManualClock
from tests.integration.test_queries import _count_queries, _table

CREDENTIALS = {"app_key": "tts-app", "app_secret": "tts-secret", "access_token": "tts-token"}


def _account(database, deployment, credentials=CREDENTIALS) -> int:
    with database.session() as session:
        account = ChannelAccount(
            platform="tiktok_shop",
            name="Shop",
            credentials_sealed=seal(deployment.settings.secret_key, credentials),
            rate_limit_per_second=5,
        )
        session.add(account)
        session.commit()
        return account.id


def _refund_news(client, account_id: int, event_id: str, *, secret: str = "tts-secret", platform="tiktok_shop"):
    body = json.dumps(
        {
            "type": 12,
            "tts_notification_id": event_id,
            "shop_id": "1",
            "timestamp": 1764900000,
            "data": {"order_id": "O-1"},
        }
    ).encode()
    headers = {"Authorization": webhook_signature("tts-app", secret, body), "Content-Type": "application/json"}
    return client.post(f"/api/v1/webhooks/{platform}/{account_id}", data=body, headers=headers)


def _kept(database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(WebhookReceipt)),
            session.scalar(select(func.count()).select_from(Job).where(Job.kind == "aftersales.follow")),
        )


def test_a_webhook_is_one_statement_once_its_account_is_held(client, database, deployment):
    account_id = _account(database, deployment)
    first, read = _count_queries(deployment, lambda: _refund_news(client, account_id, "n-1"))
    again, kept = _count_queries(deployment, lambda: _refund_news(client, account_id, "n-2"))
    assert (first.status_code, first.json, again.status_code, again.json) == (
        200,
        {"received": 1, "duplicates": 0},
        200,
        {"received": 1, "duplicates": 0},
    )
    # PostgreSQL: the receipt and its job in one statement. SQLite: the receipt, then the job.
    written = ["writes webhook_receipt", "writes job"] if database.is_sqlite else ["writes webhook_receipt, job"]
    assert [_described(statement) for statement in read] == ["reads channel_account", *written]
    assert [_described(statement) for statement in kept] == written
    assert _kept(database) == (2, 1)


def test_a_changed_secret_is_taken_at_once_and_the_old_one_refused_within_the_hold(
    client, database, deployment, monkeypatch
):
    clock = ManualClock()
    monkeypatch.setattr(deployment.marketplace_clients, "webhook_accounts", Recent(60, clock=clock))
    account_id = _account(database, deployment)
    assert _refund_news(client, account_id, "n-1").status_code == 200
    _rotate(database, deployment, account_id, "tts-rotated")
    fresh = _refund_news(client, account_id, "n-2", secret="tts-rotated")
    stale = _refund_news(client, account_id, "n-3")
    assert (fresh.status_code, fresh.json) == (200, {"received": 1, "duplicates": 0})
    assert (stale.status_code, stale.json["code"]) == (401, "invalid_signature")
    # Rotated once more: what the worker holds matches the last secret until its minute is up.
    _rotate(database, deployment, account_id, "tts-third")
    clock.advance(60)
    lapsed = _refund_news(client, account_id, "n-4", secret="tts-rotated")
    assert (lapsed.status_code, lapsed.json["code"]) == (401, "invalid_signature")
    assert _refund_news(client, account_id, "n-5", secret="tts-third").status_code == 200
    assert _kept(database) == (3, 1)


def _rotate(database, deployment, account_id: int, secret: str) -> None:
    with database.session() as session:
        rotated = seal(deployment.settings.secret_key, {**CREDENTIALS, "app_secret": secret})
        session.execute(
            update(ChannelAccount).where(ChannelAccount.id == account_id).values(credentials_sealed=rotated)
        )
        session.commit()


def test_a_held_account_answers_for_its_own_platform_only(client, database, deployment):
    account_id = _account(database, deployment)
    assert _refund_news(client, account_id, "n-1").status_code == 200
    elsewhere = _refund_news(client, account_id, "n-2", platform="douyin")
    missing = _refund_news(client, account_id + 1000, "n-3")
    assert (elsewhere.status_code, elsewhere.json["code"], missing.status_code, missing.json["code"]) == (
        404,
        "not_found",
        404,
        "not_found",
    )
    assert _kept(database) == (1, 1)


def _described(statement: str) -> str:
    """What a statement does: the tables it inserts into, or the table it reads."""
    written = re.findall(r"INSERT INTO (\w+)", statement)
    return "writes " + ", ".join(written) if written else "reads " + _table(statement)
