"""The demo cluster: Qinghe cashmere, its association and mark, a trade platform, ten firms, 80 products.

Loading is idempotent: everything is found by its natural key (cluster name, USCC, e-mail,
registration number, product code) and created only when missing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlmodel import Session

from commerce.accounts import service as accounts
from commerce.accounts.models import User, UserCreate
from commerce.accounts.passwords import Passwords
from commerce.actors import Actor, Role
from commerce.aftersales import service as aftersales
from commerce.aftersales.models import AfterSaleCreate, AfterSaleKind
from commerce.catalog import service as catalog
from commerce.catalog.models import Product, ProductCreate, RejectInput, Sku
from commerce.clusters import enterprises as cluster_enterprises
from commerce.clusters import service as clusters
from commerce.clusters import trademarks as cluster_trademarks
from commerce.clusters.models import (
    FIRM_KINDS,
    Cluster,
    ClusterCreate,
    Enterprise,
    EnterpriseCreate,
    Membership,
    MembershipCreate,
    MembershipUpdate,
    Trademark,
    TrademarkCreate,
)
from commerce.customs import batches, lifecycle, platforms, result_recording
from commerce.customs.calendar import first_day, period_bounds, period_of, shift_period
from commerce.customs.models import CustomsDeclaration, CustomsMessage, CustomsPlatform, CustomsStatus
from commerce.customs.shapes import ExchangeRateInput, PlatformConfig
from commerce.db import utcnow, write_transaction
from commerce.jobs.models import Job, JobStatus
from commerce.live import service as live
from commerce.live.models import LineupInput, Stream, StreamCreate
from commerce.orders import service as orders
from commerce.orders.models import BuyerInput, ExportInput, OrderCreate, OrderLineInput, OrderStatus, SalesOrder
from commerce.rebates import rates as rebate_rates
from commerce.rebates import service as rebate_facts
from commerce.rebates.shapes import ProceedsInput, RebateRateInput
from commerce.reports import outside as outside_exports
from commerce.reports import statistics as report_statistics
from commerce.reports.models import OutsideExportInput
from commerce.settlement import agreements as settlement_agreements
from commerce.settlement import statements
from commerce.settlement.models import Agreement, AgreementCreate, AgreementKind
from commerce.uscc import check_character

DEMO_PASSWORD = "demo-password-2026"
REGION = "13059"
# Where the demo platform declares and exits, and its data-exchange id (its folders under
# instance/single-window, which `flask --app wsgi simulator run single_window` serves).
DEMO_CUSTOMS_OFFICE = "0401"
DEMO_DXP_ID = "DXPENT0000000001"
EXPORT_COUNTRIES = ("US", "DE", "GB", "JP", "US", "CA")
# Demo list prices are in CNY; parcels abroad are priced in USD at about this many CNY a dollar.
USD_RATE = Decimal("7.1")
HISTORY_MONTHS = 6
HISTORY_COUNTRIES = ("US", "US", "DE", "GB", "JP", "US", "CA", "AU", "FR", "KR")
SYSTEM = Actor.system()

FIRMS = (
    ("清河县宏达羊绒制品有限公司", "Hongda Cashmere Products", "manufacturer"),
    ("清河县雪莲羊绒服饰有限公司", "Xuelian Cashmere Apparel", "manufacturer"),
    ("清河县金羊绒纺织有限公司", "Jinyang Cashmere Textile", "manufacturer"),
    ("清河县福祥绒毛制品厂", "Fuxiang Fibre Works", "manufacturer"),
    ("清河县恒源针织有限公司", "Hengyuan Knitting", "manufacturer"),
    ("清河县嘉禾羊绒有限公司", "Jiahe Cashmere", "manufacturer"),
    ("清河县瑞丰服饰有限公司", "Ruifeng Apparel", "manufacturer"),
    ("清河县天山绒业有限公司", "Tianshan Down & Cashmere", "manufacturer"),
    ("清河县鼎盛羊绒纱线有限公司", "Dingsheng Cashmere Yarn", "manufacturer"),
    ("清河县远航进出口贸易有限公司", "Yuanhang Import & Export", "trader"),
)

# (code, zh title, en title, HS code, declaration elements, legal unit, second unit, price CNY, weight kg, sizes)
PRODUCT_TYPES = (
    (
        "CN",
        "女式山羊绒圆领套头衫",
        "Women's cashmere crew-neck sweater",
        "6110120000",
        "针织|女式|100%山羊绒|套头衫|无品牌",
        "件",
        "千克",
        "499.00",
        "0.320",
        ("S", "M", "L"),
    ),
    (
        "VC",
        "男式山羊绒V领开衫",
        "Men's cashmere V-neck cardigan",
        "6110120000",
        "针织|男式|100%山羊绒|开襟衫|无品牌",
        "件",
        "千克",
        "629.00",
        "0.410",
        ("M", "L", "XL"),
    ),
    (
        "TN",
        "女式山羊绒高领毛衣",
        "Women's cashmere turtleneck",
        "6110120000",
        "针织|女式|100%山羊绒|套头衫|无品牌",
        "件",
        "千克",
        "559.00",
        "0.360",
        ("S", "M"),
    ),
    (
        "SC",
        "山羊绒针织围巾",
        "Knitted cashmere scarf",
        "6117100000",
        "针织|围巾|100%山羊绒|无品牌",
        "条",
        "千克",
        "259.00",
        "0.150",
        (),
    ),
    (
        "SH",
        "山羊绒梭织披肩",
        "Woven cashmere shawl",
        "6214200000",
        "梭织|披肩|100%山羊绒|无品牌",
        "条",
        "千克",
        "399.00",
        "0.280",
        (),
    ),
    (
        "GL",
        "山羊绒针织手套",
        "Knitted cashmere gloves",
        "6116910000",
        "针织|手套|100%山羊绒|无品牌",
        "双",
        "千克",
        "129.00",
        "0.080",
        ("M", "L"),
    ),
    (
        "HT",
        "山羊绒针织帽",
        "Knitted cashmere beanie",
        "6505009900",
        "针织|帽子|100%山羊绒|无品牌",
        "顶",
        "千克",
        "159.00",
        "0.090",
        (),
    ),
    (
        "YN",
        "精梳山羊绒纱线",
        "Combed cashmere yarn",
        "5108200000",
        "精梳|山羊绒|非供零售用|支数26Nm",
        "千克",
        None,
        "880.00",
        "1.000",
        (),
    ),
)
COLOURS = (("驼色", "camel"), ("黑色", "black"), ("燕麦色", "oatmeal"), ("酒红", "burgundy"))


def demo_uscc(number: int) -> str:
    """A valid USCC registered in Qinghe county (division 130534) for demo firm ``number``."""
    first_seventeen = f"91130534MA{number:07d}"
    return first_seventeen + check_character(first_seventeen)


def _get(session: Session, model, **where):
    return session.scalars(select(model).filter_by(**where)).first()


def _user(session: Session, passwords: Passwords, email: str, role: str, enterprise_id: int | None, name: str) -> User:
    user = _get(session, User, email=email)
    if user is None:
        user = accounts.create_user(
            session,
            actor=SYSTEM,
            data=UserCreate(
                email=email, password=DEMO_PASSWORD, role=role, enterprise_id=enterprise_id, display_name=name
            ),
            passwords=passwords,
        )
    return user


def _enterprise(session: Session, cluster_id: int, number: int, name: str, kind: str) -> Enterprise:
    uscc = demo_uscc(number)
    return _get(session, Enterprise, uscc=uscc) or cluster_enterprises.create_enterprise(
        session,
        actor=SYSTEM,
        data=EnterpriseCreate(
            name=name,
            uscc=uscc,
            cluster_id=cluster_id,
            kind=kind,
            region_code=REGION,
            customs_code=None if kind == "association" else uscc,
        ),
    )


def load(session: Session, *, passwords: Passwords, today: date | None = None) -> dict[str, int]:
    """Create whatever of the demo cluster is missing; returns counts of what exists.

    Users' passwords are hashed with ``passwords``.
    """
    today = today or utcnow().date()
    cluster = _get(session, Cluster, name="清河羊绒产业集群") or clusters.create_cluster(
        session,
        actor=SYSTEM,
        data=ClusterCreate(name="清河羊绒产业集群", industry="羊绒制品 cashmere", region_code=REGION),
    )
    association = _enterprise(session, cluster.id, 1, "清河县羊绒制品行业协会", "association")
    platform = _enterprise(session, cluster.id, 2, "清河县外贸综合服务有限公司", "service_platform")
    firms = [_enterprise(session, cluster.id, 10 + index, name, kind) for index, (name, _en, kind) in enumerate(FIRMS)]
    trademark = _get(session, Trademark, registration_no="30518866") or cluster_trademarks.create_trademark(
        session,
        actor=SYSTEM,
        data=TrademarkCreate(
            name="清河羊绒",
            registration_no="30518866",
            owner_enterprise_id=association.id,
            cluster_id=cluster.id,
            nice_classes=[23, 24, 25],
            usage_rules="《“清河羊绒”集体商标使用管理规则》：山羊绒含量与标识一致，针织品起球不低于3级，"
            "须经协会审核后方可使用集体商标。",
        ),
    )
    _user(session, passwords, "admin@demo.example.com", "admin", None, "平台管理员 Platform admin")
    _user(session, passwords, "brand@demo.example.com", "brand_admin", association.id, "协会商标管理 Brand admin")
    operator = _user(
        session, passwords, "trade@demo.example.com", "trade_operator", platform.id, "外综服专员 Trade operator"
    )
    host = _user(session, passwords, "host@demo.example.com", "host", None, "主播 Host")
    for number, firm in enumerate(firms, start=1):
        _user(session, passwords, f"sme{number}@demo.example.com", "sme", firm.id, f"{firm.name} 运营")

    for number, firm in enumerate(firms[:9], start=1):
        if _get(session, Membership, trademark_id=trademark.id, enterprise_id=firm.id) is None:
            membership = cluster_trademarks.admit_member(
                session,
                actor=SYSTEM,
                trademark_id=trademark.id,
                data=MembershipCreate(
                    enterprise_id=firm.id,
                    licence_no=f"QHYR-2026-{number:03d}",
                    valid_from=today - timedelta(days=200),
                    valid_to=today + timedelta(days=530),
                ),
            )
            if number == 9:
                cluster_trademarks.change_membership(
                    session,
                    actor=SYSTEM,
                    trademark_id=trademark.id,
                    membership_id=membership.id,
                    data=MembershipUpdate(status="suspended", reason="抽检起球等级不达标 Pilling test failed"),
                )

    for firm_number, firm in enumerate(firms, start=1):
        for type_number, kind in enumerate(PRODUCT_TYPES):
            if (firm_number + type_number) % 10 in (0, 7):
                continue
            _product(session, firm, firm_number, type_number, kind, trademark.id if firm_number <= 9 else None)

    _stream(session, host, today)
    _customs_platform(session, cluster, platform)
    _export_history(session, operator, firms[0])
    _export_orders(session, operator)
    _after_sales(session, operator)
    _settlement(session, operator, cluster, firms, host)
    return {
        "clusters": session.scalar(select(func.count()).select_from(Cluster)),
        "enterprises": session.scalar(select(func.count()).select_from(Enterprise)),
        "users": session.scalar(select(func.count()).select_from(User)),
        "products": session.scalar(select(func.count()).select_from(Product)),
        "streams": session.scalar(select(func.count()).select_from(Stream)),
        "export orders": session.scalar(
            select(func.count()).select_from(SalesOrder).where(SalesOrder.customs_mode.is_not(None))
        ),
        "password for every demo user": DEMO_PASSWORD,
    }


def _stream(session: Session, host: User, today: date) -> None:
    """Tomorrow evening's stream, its lineup of eight approved products, stock ring-fenced for three."""
    title = "清河羊绒源头工厂直播 · 冬季专场"
    if _get(session, Stream, title=title) is not None:
        return
    actor = Actor(user_id=host.id, role=Role.HOST, email=host.email)
    evening = datetime.combine(today + timedelta(days=1), time(12, 0), tzinfo=UTC)
    stream = live.create_stream(
        session,
        actor=actor,
        data=StreamCreate(title=title, category="羊绒制品 cashmere", currency="CNY", scheduled_start=evening),
    )
    products = session.scalars(
        select(Product).where(Product.status == "approved").order_by(Product.enterprise_id, Product.id)
    ).all()
    chosen = [products[index] for index in range(0, len(products), max(1, len(products) // 8))][:8]
    items = []
    for position, product in enumerate(chosen):
        sku = session.scalars(select(Sku).where(Sku.product_id == product.id).order_by(Sku.id)).first()
        item = {"product_id": product.id}
        if position < 3:
            item["live_price"] = {"amount": f"{sku.price_amount * Decimal('0.85'):.2f}", "currency": "CNY"}
            item["sku_allocations"] = {str(sku.id): 20}
        items.append(item)
    live.replace_lineup(session, actor=actor, stream_id=stream.id, data=LineupInput(items=items), limit=100)


def _customs_platform(session: Session, cluster: Cluster, platform: Enterprise) -> None:
    """The county's foreign-trade service platform as consignor, declaring through its data-exchange folders."""
    if session.scalars(select(CustomsPlatform).where(CustomsPlatform.cluster_id == cluster.id)).first() is not None:
        return
    platforms.configure_platform(
        session,
        actor=SYSTEM,
        cluster_id=cluster.id,
        data=PlatformConfig(
            enterprise_id=platform.id,
            customs_registration=f"{REGION}96001",
            declaring_customs=DEMO_CUSTOMS_OFFICE,
            exit_ports=[DEMO_CUSTOMS_OFFICE],
            transport_modes=["5", "2"],
            dxp_id=DEMO_DXP_ID,
            payment_name="清河县跨境支付结算服务有限公司",
            destination_port="LAX",
        ),
    )


def _operator_actor(operator: User) -> Actor:
    return Actor(
        user_id=operator.id, role=Role.TRADE_OPERATOR, email=operator.email, enterprise_id=operator.enterprise_id
    )


def _export_skus(session: Session) -> list:
    return session.execute(
        select(Sku.id, Sku.price_amount)
        .join(Product, Product.id == Sku.product_id)
        .where(Product.status == "approved", Product.hs_code.in_(("6110120000", "6117100000")))
        .order_by(Product.enterprise_id, Sku.id)
    ).all()


def _shipped_parcel(
    session: Session, actor: Actor, external_id: str, sku, quantity: int, country: str, at: datetime | None = None
) -> SalesOrder:
    sku_id, price = sku
    view, created = orders.place_order(
        session,
        actor=actor,
        data=OrderCreate(
            channel="direct",
            external_id=external_id,
            buyer=BuyerInput(id=f"buyer-{external_id}", name=f"Demo buyer {external_id[-4:]}", country=country),
            currency="USD",
            lines=[
                OrderLineInput(
                    sku_id=sku_id, quantity=quantity, unit_price=(price / USD_RATE).quantize(Decimal("0.01"))
                )
            ],
            export=ExportInput(
                customs_mode="9610", destination_country=country, waybill_no=f"SF{external_id}", logistics_code="SF"
            ),
        ),
    )
    if created:
        for status in (OrderStatus.PAID, OrderStatus.SHIPPED):
            orders.record_progress(session, actor=actor, order_id=view.order.id, status=status, at=at)
    return view.order


def _after_sales(session: Session, operator: User) -> None:
    """Two domestic orders of the first firm, each with a buyer's request waiting for the firm's
    answer: a refund before shipping, and a return."""
    actor = _operator_actor(operator)
    sku_id, price = _export_skus(session)[0]
    requests = (
        ("DEMO-AS-1", False, AfterSaleKind.REFUND_ONLY, "拍错尺码 Ordered the wrong size"),
        ("DEMO-AS-2", True, AfterSaleKind.RETURN_AND_REFUND, "颜色与直播间展示不符 Colour not as shown in the stream"),
    )
    for external_id, shipped, kind, reason in requests:
        view, created = orders.place_order(
            session,
            actor=actor,
            data=OrderCreate(
                channel="direct",
                external_id=external_id,
                buyer=BuyerInput(id=f"buyer-{external_id}", name=f"直播间买家 {external_id[-1]}", country="CN"),
                currency="CNY",
                lines=[OrderLineInput(sku_id=sku_id, quantity=2, unit_price=price.quantize(Decimal("0.01")))],
            ),
        )
        if created:
            for status in (OrderStatus.PAID, OrderStatus.SHIPPED) if shipped else (OrderStatus.PAID,):
                orders.record_progress(session, actor=actor, order_id=view.order.id, status=status)
        line = view.lines[0]
        aftersales.request_after_sale(
            session,
            actor=actor,
            data=AfterSaleCreate(
                order_id=view.order.id,
                order_line_id=line.id,
                kind=kind,
                quantity=1,
                reason=reason,
                external_id=f"{external_id}-1",
            ),
        )


def _settlement(session: Session, operator: User, cluster: Cluster, firms: list[Enterprise], host: User) -> None:
    """The host's 15% commission on their streams and the platform's 3% fee on every firm, from
    the history's first month, and last month's statements computed as drafts to look at."""
    actor = _operator_actor(operator)
    this_month = period_of(utcnow())
    if _get(session, Agreement, cluster_id=cluster.id) is None:
        valid_from = first_day(shift_period(this_month, -HISTORY_MONTHS))
        terms = [
            AgreementCreate(
                kind=AgreementKind.HOST_COMMISSION,
                cluster_id=cluster.id,
                host_user_id=host.id,
                rate=Decimal("0.15"),
                valid_from=valid_from,
                note="主播佣金 The host's commission",
            )
        ]
        terms += [
            AgreementCreate(
                kind=AgreementKind.PLATFORM_FEE,
                cluster_id=cluster.id,
                enterprise_id=firm.id,
                rate=Decimal("0.03"),
                valid_from=valid_from,
                note="平台服务费 The platform's service fee",
            )
            for firm in firms
            if firm.kind in FIRM_KINDS
        ]
        for data in terms:
            settlement_agreements.create_agreement(session, actor=actor, data=data)
    statements.compute_statements(session, actor=actor, period=shift_period(this_month, -1))


def _export_orders(session: Session, operator: User) -> None:
    """A few shipped 9610 parcels of the member firms, ready for the trade operator's first batch."""
    actor = _operator_actor(operator)
    skus = _export_skus(session)
    chosen = skus[:: max(1, len(skus) // 6)][:6]
    for number, (sku, country) in enumerate(zip(chosen, EXPORT_COUNTRIES, strict=False), start=1):
        _shipped_parcel(session, actor, f"DEMO-EXPORT-{number}", sku, 1 + number % 3, country)


def _cleared(session: Session, actor: Actor, batch_id: int, at: datetime) -> None:
    """Submit a batch as if months ago: its messages went out then, and customs cleared every declaration."""
    lifecycle.submit_batch(session, actor=actor, batch_id=batch_id, now=at)
    message_ids = session.scalars(
        select(CustomsMessage.id)
        .join(CustomsDeclaration, CustomsDeclaration.id == CustomsMessage.declaration_id)
        .where(CustomsDeclaration.batch_id == batch_id)
    ).all()
    with write_transaction(session):
        lifecycle.mark_sent(session, message_ids, now=at)
        # Sent months ago: the send job it queued has nothing left to do, and customs has answered.
        session.execute(
            update(Job)
            .where(Job.key.like(f"customs-batch:{batch_id}:submit:%"), Job.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.DONE.value, finished_at=at)
        )
    declarations = session.scalars(select(CustomsDeclaration.id).where(CustomsDeclaration.batch_id == batch_id)).all()
    result_recording.record_results(
        session,
        actor=actor,
        strict=True,
        results=[
            result_recording.Result(
                declaration_id=declaration_id,
                status=CustomsStatus.CLEARED,
                entry_id=f"0401{at:%Y}E{declaration_id:09d}",
                message=None,
                at=at + timedelta(hours=20),
                key=f"demo:{declaration_id}",
                source="api",
            )
            for declaration_id in declarations
        ],
    )


def _export_history(session: Session, operator: User, reporting_firm: Enterprise) -> None:
    """Six months of released 9610 parcels with their monthly summaries, customs' USD rate, the rebate rates
    of the catalogue's HS codes and one export a firm made through an outside agent: the dashboard's story."""
    if _get(session, SalesOrder, channel="direct", external_id="DEMO-HISTORY-1") is not None:
        return
    actor = _operator_actor(operator)
    now = utcnow()
    this_month = period_of(now)
    first_month = shift_period(this_month, -HISTORY_MONTHS)
    platforms.put_exchange_rates(
        session,
        actor=actor,
        rates=[
            ExchangeRateInput(
                currency="USD",
                valid_from=first_day(shift_period(first_month, months)),
                cny_per_unit=USD_RATE,
            )
            for months in range(HISTORY_MONTHS + 1)
        ],
    )
    codes = sorted(set(session.scalars(select(Product.hs_code).where(Product.hs_code.is_not(None)))))
    rebate_rates.put_rates(
        session,
        actor=SYSTEM,
        rates=[
            RebateRateInput(
                hs_code=code,
                rate=Decimal("0.09") if code.startswith("6117") else Decimal("0.13"),
                valid_from=date(2024, 1, 1),
                announcement="财税〔2020〕15号",
            )
            for code in codes
        ],
    )
    skus = _export_skus(session)
    number = 0
    for back in range(HISTORY_MONTHS, 0, -1):
        period = shift_period(this_month, -back)
        shipped = period_bounds(period)[0] + timedelta(days=8, hours=3)
        for _ in range(4 + back % 3):
            number += 1
            country = HISTORY_COUNTRIES[number % len(HISTORY_COUNTRIES)]
            order = _shipped_parcel(
                session, actor, f"DEMO-HISTORY-{number}", skus[number * 7 % len(skus)], 1 + number % 4, country, shipped
            )
            if back > 1:  # the last month's proceeds are still on their way
                rebate_facts.record_proceeds(
                    session,
                    actor=actor,
                    data=ProceedsInput(
                        order_id=order.id,
                        amount={"amount": f"{order.total_amount:.2f}", "currency": order.currency},
                        received_on=(shipped + timedelta(days=20)).date(),
                        reference=f"BOC-{number:06d}",
                    ),
                )
        lists = batches.form_batch(session, actor=actor, customs_mode="9610", now=shipped + timedelta(hours=2))
        _cleared(session, actor, lists, shipped + timedelta(hours=4))
        summary_day = period_bounds(shift_period(period, 1))[0] + timedelta(days=9)
        summary = batches.form_batch(
            session, actor=actor, customs_mode="9610", period=period, now=min(summary_day, now)
        )
        _cleared(session, actor, summary, min(summary_day, now) + timedelta(hours=1))
    outside_exports.report_outside_export(
        session,
        actor=SYSTEM,
        data=OutsideExportInput(
            enterprise_id=reporting_firm.id,
            period=shift_period(this_month, -1),
            fob={"amount": "3000.00", "currency": "USD"},
            agent_name="宁波某国际货运代理有限公司",
            destination_country="US",
            hs_code="6110120000",
        ),
    )
    # The dashboard opens on the last twelve months: build them all, this month included.
    for back in range(11, -1, -1):
        report_statistics.refresh_period(session, shift_period(this_month, -back))


def _product(
    session: Session, firm: Enterprise, firm_number: int, type_number: int, kind: tuple, trademark_id: int | None
) -> None:
    code, zh, en, hs_code, elements, unit, second_unit, price, weight, sizes = kind
    product_code = f"F{firm_number:02d}-{code}"
    if _get(session, Product, enterprise_id=firm.id, product_code=product_code) is not None:
        return
    brand_name = FIRMS[firm_number - 1][1]
    colours = COLOURS[: 2 + (firm_number + type_number) % 3]
    skus = []
    for _colour_zh, colour_en in colours:
        for size in sizes or (None,):
            attributes = {"color": colour_en, **({"size": size} if size else {})}
            sku_code = f"{product_code}-{colour_en[:3].upper()}" + (f"-{size}" if size else "")
            amount = Decimal(price) + Decimal(firm_number * 10)
            skus.append(
                {
                    "sku_code": sku_code,
                    "attributes": attributes,
                    "price": {"amount": f"{amount:.2f}", "currency": "CNY"},
                    "weight_kg": weight,
                    "on_hand": 40 + (firm_number * 7 + type_number * 13) % 160,
                }
            )
    product = catalog.create_product(
        session,
        actor=SYSTEM,
        data=ProductCreate(
            enterprise_id=firm.id,
            product_code=product_code,
            trademark_id=trademark_id,
            hs_code=hs_code,
            declaration_elements=elements,
            legal_unit=unit,
            second_legal_unit=second_unit,
            origin_region_code=REGION,
            translations={
                "zh-CN": {
                    "title": f"{zh}（{COLOURS[0][0]}等多色）",
                    "description": f"{FIRMS[firm_number - 1][0]}出品，{zh}。",
                },
                "en": {"title": f"{brand_name} {en}", "description": f"{en} made in Qinghe by {brand_name}."},
            },
            skus=skus,
        ),
    )
    stage = (firm_number * 3 + type_number) % 8
    if stage == 0:
        return
    catalog.submit_product(session, actor=SYSTEM, product_id=product.id)
    if stage == 1:
        return
    if stage == 2:
        catalog.reject_product(
            session,
            actor=SYSTEM,
            product_id=product.id,
            data=RejectInput(reason="吊牌成分标注不清 Fibre content label unclear"),
        )
        return
    if firm_number == 9 and trademark_id is not None:
        return
    catalog.approve_product(session, actor=SYSTEM, product_id=product.id)
