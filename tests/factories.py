"""Builders of test data, through the real use cases, and the standard cluster most tests start from."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from commerce.accounts import service as accounts
from commerce.accounts.models import UserCreate
from commerce.actors import Actor, Role
from commerce.catalog import service as catalog
from commerce.catalog.models import ProductCreate
from commerce.clusters import enterprises as cluster_enterprises
from commerce.clusters import service as clusters
from commerce.clusters import trademarks as cluster_trademarks
from commerce.clusters.models import ClusterCreate, EnterpriseCreate, MembershipCreate, TrademarkCreate
from commerce.db import utcnow
from commerce.uscc import check_character

# The real codes of domain.md; more are made with the GB 32100 check character.
REAL_USCCS = ("91350200776049653A", "91440101MA5CJQ4N59", "913502115628130384", "9135021359498494XQ")
TEXTBOOK_USCC = "91330000142912133P"
PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system()


def make_uscc(number: int) -> str:
    """A valid USCC registered in Qinghe county (division 130534)."""
    first_seventeen = f"91130534{number:09d}"
    return first_seventeen + check_character(first_seventeen)


def product_payload(**overrides: Any) -> dict[str, Any]:
    """A valid product body for POST /products."""
    payload = {
        "hs_code": "6110120000",
        "declaration_elements": "针织|女式|100%山羊绒|套头衫|无品牌",
        "legal_unit": "件",
        "second_legal_unit": "千克",
        "origin_region_code": "13059",
        "translations": {
            "zh-CN": {"title": "山羊绒圆领衫", "description": "100%山羊绒"},
            "en": {"title": "Cashmere crew-neck sweater", "description": "100% cashmere"},
        },
        "skus": [
            {
                "sku_code": "SW-RED-M",
                "attributes": {"color": "red", "size": "M"},
                "price": {"amount": "399.00", "currency": "CNY"},
                "weight_kg": "0.350",
                "on_hand": 10,
            },
        ],
    }
    payload.update(overrides)
    return payload


@dataclass
class World:
    """A cashmere cluster with one of every kind of user."""

    cluster_id: int
    association_id: int
    platform_id: int
    maker_a_id: int
    maker_b_id: int
    trader_id: int
    trademark_id: int
    membership_a_id: int
    far_cluster_id: int | None = None
    far_maker_id: int | None = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)


class Factory:
    def __init__(self, deployment, client):
        self.deployment = deployment
        self.database = deployment.database
        self.client = client
        self._numbers = itertools.count(1)

    def _session(self):
        return self.database.session()

    def cluster(self, **overrides: Any):
        data = {"name": f"Cluster {next(self._numbers)}", "industry": "cashmere", "region_code": "13059", **overrides}
        with self._session() as session:
            return clusters.create_cluster(session, actor=SYSTEM, data=ClusterCreate(**data))

    def enterprise(self, cluster_id: int, kind: str = "manufacturer", **overrides: Any):
        number = next(self._numbers)
        data = {
            "name": f"Firm {number}",
            "uscc": make_uscc(number),
            "cluster_id": cluster_id,
            "kind": kind,
            "region_code": "13059",
            **overrides,
        }
        with self._session() as session:
            return cluster_enterprises.create_enterprise(session, actor=SYSTEM, data=EnterpriseCreate(**data))

    def user(self, role: str, enterprise_id: int | None = None, email: str | None = None):
        email = email or f"{role}{next(self._numbers)}@example.com"
        with self._session() as session:
            return accounts.create_user(
                session,
                actor=SYSTEM,
                data=UserCreate(email=email, password=PASSWORD, role=role, enterprise_id=enterprise_id),
                passwords=self.deployment.passwords,
            )

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/api/v1/auth/tokens", json={"email": email, "password": password})
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    def headers_for(self, role: str, enterprise_id: int | None = None) -> dict[str, str]:
        return self.login(self.user(role, enterprise_id).email)

    def trademark(self, owner_enterprise_id: int, cluster_id: int, **overrides: Any):
        data = {
            "name": "清河羊绒",
            "registration_no": f"TM{next(self._numbers):08d}",
            "owner_enterprise_id": owner_enterprise_id,
            "cluster_id": cluster_id,
            "nice_classes": [23, 25],
            **overrides,
        }
        with self._session() as session:
            return cluster_trademarks.create_trademark(session, actor=SYSTEM, data=TrademarkCreate(**data))

    def membership(
        self, trademark_id: int, enterprise_id: int, *, valid_from: date | None = None, valid_to: date | None = None
    ):
        today = utcnow().date()
        data = MembershipCreate(
            enterprise_id=enterprise_id,
            licence_no=f"QH-{next(self._numbers):05d}",
            valid_from=valid_from or today - timedelta(days=30),
            valid_to=valid_to or today + timedelta(days=335),
        )
        with self._session() as session:
            return cluster_trademarks.admit_member(session, actor=SYSTEM, trademark_id=trademark_id, data=data)

    def product(self, enterprise_id: int, *, status: str = "draft", rejection_reason: str = "no", **overrides: Any):
        number = next(self._numbers)
        payload = product_payload(enterprise_id=enterprise_id, **overrides)
        if "skus" not in overrides:
            payload["skus"] = [{**payload["skus"][0], "sku_code": f"SKU-{number}"}]
        with self._session() as session:
            product = catalog.create_product(session, actor=SYSTEM, data=ProductCreate(**payload))
            if status in ("pending_review", "approved", "rejected"):
                catalog.submit_product(session, actor=SYSTEM, product_id=product.id)
            if status == "approved":
                catalog.approve_product(session, actor=SYSTEM, product_id=product.id)
            if status == "rejected":
                from commerce.catalog.models import RejectInput

                catalog.reject_product(
                    session, actor=SYSTEM, product_id=product.id, data=RejectInput(reason=rejection_reason)
                )
            if status == "retired":
                catalog.retire_product(session, actor=SYSTEM, product_id=product.id)
            return product

    def world(self) -> World:
        """The standard cluster: association with its mark, platform, two makers (A a member), a trader."""
        cluster = self.cluster(name="清河羊绒产业集群")
        association = self.enterprise(cluster.id, "association", name="清河县羊绒制品协会")
        platform = self.enterprise(cluster.id, "service_platform", name="清河外贸综合服务平台")
        maker_a = self.enterprise(cluster.id, "manufacturer", name="Maker A", uscc=REAL_USCCS[0])
        maker_b = self.enterprise(cluster.id, "manufacturer", name="Maker B", uscc=REAL_USCCS[1])
        trader = self.enterprise(cluster.id, "trader", name="Trader C", uscc=REAL_USCCS[2])
        trademark = self.trademark(association.id, cluster.id)
        membership = self.membership(trademark.id, maker_a.id)
        world = World(
            cluster_id=cluster.id,
            association_id=association.id,
            platform_id=platform.id,
            maker_a_id=maker_a.id,
            maker_b_id=maker_b.id,
            trader_id=trader.id,
            trademark_id=trademark.id,
            membership_a_id=membership.id,
        )
        for name, role, enterprise_id in (
            ("admin", Role.ADMIN, None),
            ("brand_admin", Role.BRAND_ADMIN, association.id),
            ("trade_operator", Role.TRADE_OPERATOR, platform.id),
            ("host", Role.HOST, None),
            ("sme_a", Role.SME, maker_a.id),
            ("sme_b", Role.SME, maker_b.id),
        ):
            user = self.user(role.value, enterprise_id, email=f"{name}@example.com")
            world.user_ids[name] = user.id
            world.headers[name] = self.login(user.email)
        return world

    def far_cluster(self, world: World) -> None:
        """A second cluster beside ``world``, with a maker and its own association, platform and staff
        (``*_far`` in ``world.headers``), and a second host: the callers who must not reach ``world``."""
        cluster = self.cluster(name="平乡自行车产业集群", industry="bicycles", region_code="13053")
        association = self.enterprise(cluster.id, "association", name="平乡县自行车行业协会")
        platform = self.enterprise(cluster.id, "service_platform", name="平乡外贸综合服务平台")
        maker = self.enterprise(cluster.id, "manufacturer", name="Far Maker")
        world.far_cluster_id, world.far_maker_id = cluster.id, maker.id
        for name, role, enterprise_id in (
            ("brand_admin_far", Role.BRAND_ADMIN, association.id),
            ("trade_operator_far", Role.TRADE_OPERATOR, platform.id),
            ("host_far", Role.HOST, None),
            ("sme_far", Role.SME, maker.id),
        ):
            user = self.user(role.value, enterprise_id, email=f"{name}@example.com")
            world.user_ids[name] = user.id
            world.headers[name] = self.login(user.email)


def sku_payload(code: str, on_hand: int, price: str = "399.00", currency: str = "CNY") -> dict[str, Any]:
    return {
        "sku_code": code,
        "attributes": {"size": code.rsplit("-", 1)[-1]},
        "price": {"amount": price, "currency": currency},
        "weight_kg": "0.350",
        "on_hand": on_hand,
    }


@dataclass
class Shop:
    """The standard cluster with approved products on sale: two of maker A (one under the mark), one of maker B."""

    world: World
    scarf_id: int
    scarf_skus: list[int]
    sweater_id: int
    sweater_skus: list[int]
    gloves_id: int
    gloves_skus: list[int]


def open_shop(factory: Factory) -> Shop:
    world = factory.world()
    scarf = factory.product(
        world.maker_a_id,
        status="approved",
        trademark_id=world.trademark_id,
        translations={"zh-CN": {"title": "羊绒围巾"}, "en": {"title": "Cashmere scarf"}},
        skus=[sku_payload("SC-S", 100, "199.00"), sku_payload("SC-L", 40, "219.00")],
    )
    sweater = factory.product(world.maker_a_id, status="approved", skus=[sku_payload("SW-M", 30, "399.00")])
    gloves = factory.product(
        world.maker_b_id,
        status="approved",
        translations={"zh-CN": {"title": "羊绒手套"}, "en": {"title": "Cashmere gloves"}},
        skus=[sku_payload("GL-M", 20, "89.50")],
    )

    def sku_ids(product_id: int) -> list[int]:
        from sqlalchemy import select

        from commerce.catalog.models import Sku

        with factory.database.session() as session:
            return list(session.scalars(select(Sku.id).where(Sku.product_id == product_id).order_by(Sku.id)))

    return Shop(world, scarf.id, sku_ids(scarf.id), sweater.id, sku_ids(sweater.id), gloves.id, sku_ids(gloves.id))


def stock_of(database, sku_id: int) -> tuple[int, int, int, int]:
    """(on_hand, reserved, allocated, available) of a SKU, read fresh."""
    from commerce.inventory.models import StockLevel

    with database.session() as session:
        level = session.get(StockLevel, sku_id)
        return (level.on_hand, level.reserved, level.allocated, level.available)


def photo_bytes(kind: str = "JPEG", size: tuple[int, int] = (640, 480), color=(200, 30, 40), **options) -> bytes:
    """A plain photo of one colour, as Pillow writes it (``options`` go to its encoder: exif, quality...)."""
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, kind, **options)
    return output.getvalue()


def upload_photo(client, headers, product_id, data, *, name="photo.jpg", **fields):
    """A photo uploaded for a product through the API, as a firm's browser sends it."""
    import io

    return client.post(
        f"/api/v1/products/{product_id}/images",
        headers=headers,
        data={"file": (io.BytesIO(data), name), **{key: str(value) for key, value in fields.items()}},
        content_type="multipart/form-data",
    )
