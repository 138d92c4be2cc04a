"""Turning products into their public shape: JSON rendered by the database, a page in one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import reduce
from typing import Any

from babel.numbers import list_currencies
from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session

from commerce.catalog.models import (
    CONTENT_LOCALES,
    CONTENT_PREFERENCES,
    Product,
    ProductTranslation,
    Sku,
)
from commerce.clusters.models import Membership
from commerce.clusters.service import usable_membership
from commerce.db import among, among_parameter, prebuilt, utcnow
from commerce.inventory.models import StockLevel
from commerce.media.models import ProductImage, media_url
from commerce.pagination import MAX_PAGE_SIZE, Page, page_of
from commerce.validation import currency_places


def timestamp_text(moment: datetime) -> str:
    """A UTC timestamp as the API writes it everywhere: ISO 8601 with a Z offset."""
    return moment.isoformat().replace("+00:00", "Z")


def pick_language(available: Sequence[str], preferred: Sequence[str]) -> str | None:
    """The best content language for a reader: their preferences, then zh-CN, en, then any."""
    for tag in [*preferred, *CONTENT_LOCALES]:
        if tag in available:
            return tag
        base = tag.split("-")[0]
        for candidate in available:
            if candidate.split("-")[0] == base:
                return candidate
    return available[0] if available else None


def product_documents(
    session: Session, product_ids: Sequence[int], *, languages: Sequence[str], today: date | None = None
) -> list[str]:
    """The public shape of products (``ProductPublic``) as JSON text, in id order, built by the database.

    Product lists are the hottest read of the platform. One statement renders each product with
    its translations, SKUs, stock and trademark use; the service only joins the texts, instead of
    reading some three hundred rows a page and shaping and encoding them in Python.
    """
    if not product_ids:
        return []
    parameters = {"ids": list(product_ids), **_reader_parameters(session, languages, today)}
    return list(session.connection().execute(prebuilt(session, document_statement), parameters).scalars(1))


def documents_page(
    session: Session,
    statement: Select,
    parameters: dict[str, Any],
    *,
    limit: int,
    languages: Sequence[str],
    today: date | None = None,
) -> Page[str]:
    """One page of product documents from a ``document_statement`` over a page of ids, in one round trip."""
    parameters = {**parameters, "page_rows": limit + 1, **_reader_parameters(session, languages, today)}
    rows = session.connection().execute(statement, parameters).all()
    return page_of(rows, limit, id_of=lambda row: row.id, item=lambda row: row.document)


def _reader_parameters(session: Session, languages: Sequence[str], today: date | None) -> dict[str, Any]:
    """What a document depends on besides the product: the day (trademark use) and the reader's languages."""
    return {
        "today": today or utcnow().date(),
        **_preference_parameters(session.get_bind().dialect.name, languages),
    }


# The reader's languages and the interface language, then the catalogue's own fallbacks.
PREFERENCE_SLOTS = CONTENT_PREFERENCES + 1 + len(CONTENT_LOCALES)


def _preference_parameters(dialect: str, languages: Sequence[str]) -> dict[str, Any]:
    """The reader's languages as the ranking of translations (``_preference_rank``) takes them."""
    tags = [*languages[: PREFERENCE_SLOTS - len(CONTENT_LOCALES)], *CONTENT_LOCALES]
    bases = [tag.split("-")[0] for tag in tags]
    if dialect == "postgresql":
        return {"tags": tags, "bases": bases}
    parameters = {}
    for slot in range(PREFERENCE_SLOTS):
        base = bases[slot] if slot < len(tags) else ""
        parameters[f"tag_{slot}"] = tags[slot] if slot < len(tags) else ""
        parameters[f"base_{slot}"] = base
        parameters[f"prefix_{slot}"] = f"{base}-%" if base else ""
    return parameters


def _preference_rank(dialect: str, locale: Any):
    """How well a translation's locale suits the reader, as ``pick_language`` judges it (lower is better).

    The n-th preferred tag (from 0) ranks its exact locale 2n and a locale of the same language
    (``zh-TW`` for ``zh-CN``) 2n + 1; ties go to the first locale in code point order.
    """
    worst = _number(2 * PREFERENCE_SLOTS)
    if dialect == "postgresql":
        tags = bindparam("tags", type_=postgresql.ARRAY(String))
        bases = bindparam("bases", type_=postgresql.ARRAY(String))
        language = func.split_part(locale, literal_column("'-'"), _number(1))
        exact = _number(2) * func.array_position(tags, locale) - _number(2)
        same_language = _number(2) * func.array_position(bases, language) - _number(1)
        return func.coalesce(func.least(exact, same_language), worst)
    return case(
        *[
            rule
            for slot in range(PREFERENCE_SLOTS)
            for rule in (
                (locale == bindparam(f"tag_{slot}"), _number(2 * slot)),
                (
                    (locale == bindparam(f"base_{slot}")) | locale.like(bindparam(f"prefix_{slot}")),
                    _number(2 * slot + 1),
                ),
            )
        ],
        else_=worst,
    )


def _number(value: int):
    """An integer written into the statement, not sent as a parameter."""
    return literal_column(str(int(value)), Integer)


class _Json:
    """JSON built by the database: PostgreSQL's json functions or SQLite's JSON1, the same shapes."""

    def __init__(self, dialect: str):
        self.postgresql = dialect == "postgresql"

    def object(self, **fields: Any):
        arguments = []
        for name, value in fields.items():
            arguments += [literal_column(f"'{name}'"), value]
        return (func.json_build_object if self.postgresql else func.json_object)(*arguments)

    def stored(self, column: Any):
        """A JSON column embedded as JSON."""
        return column if self.postgresql else func.json(column)

    def boolean(self, condition: Any):
        if self.postgresql:
            return condition
        return func.json(case((condition, literal_column("'true'")), else_=literal_column("'false'")))

    def array(self, rows: Select, *, order_by: str | tuple[str, ...], element: Callable[[Any], Any]):
        """``[element(row), ...]`` over ``rows`` (correlated to the enclosing query), in ``order_by`` order.

        SQLite before 3.44 has no ORDER BY inside an aggregate; it aggregates an ordered subquery
        in that subquery's order.
        """
        names = (order_by,) if isinstance(order_by, str) else order_by
        if self.postgresql:
            source = rows.subquery()
            aggregate = func.json_agg(aggregate_order_by(element(source.c), *[source.c[name] for name in names]))
            return func.coalesce(select(aggregate).scalar_subquery(), literal_column("'[]'::json"))
        source = rows.order_by(*[rows.selected_columns[name] for name in names]).subquery()
        return func.json(select(func.json_group_array(element(source.c))).scalar_subquery())

    def mapping(self, key: Any, value: Any, *, source: Select):
        """``{key: value, ...}`` over the rows of ``source`` (an empty object for none)."""
        if self.postgresql:
            aggregate = source.with_only_columns(func.json_object_agg(key, value)).scalar_subquery()
            return func.coalesce(aggregate, literal_column("'{}'::json"))
        aggregate = source.with_only_columns(func.json_group_object(key, value)).scalar_subquery()
        return func.json(func.coalesce(aggregate, literal_column("'{}'")))

    def timestamp(self, column: Any):
        """A UTC timestamp as ``timestamp_text`` writes it: ISO 8601, microseconds only when there are some."""
        if self.postgresql:
            utc = func.timezone(literal_column("'UTC'"), column)
            whole = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"))
            fraction = case(
                (func.date_trunc(literal_column("'second'"), column) == column, literal_column("''")),
                else_=func.to_char(utc, literal_column("'.US'")),
            )
            return _text(whole, fraction, literal_column("'Z'"))
        # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff".
        fraction = func.substr(column, 20, 7)
        return _text(
            func.substr(column, 1, 10),
            literal_column("'T'"),
            func.substr(column, 12, 8),
            case((fraction.in_(["", ".000000"]), literal_column("''")), else_=fraction),
            literal_column("'Z'"),
        )

    def decimal(self, column: Any, scale: int):
        """An ``ExactDecimal`` column as ``decimal_text`` writes it, every place of its scale shown."""
        if self.postgresql:
            return cast(column, Text)
        units = func.abs(column)
        return _text(
            _sign(column),
            func.printf(
                literal_column(f"'%d.%0{scale}d'"), _divided(units, _number(10**scale)), units % _number(10**scale)
            ),
        )

    def money_amount(self, column: Any, places: Any, scale: int):
        """An ``ExactDecimal`` amount as ``money_json`` writes it: ``places`` decimals, or more where it has them."""
        if self.postgresql:
            shown = func.round(column, places)
            return case((column == shown, cast(shown, Text)), else_=cast(func.trim_scale(column), Text))
        # SQLite keeps integer units of 10**-scale.
        units = func.abs(column)
        unit = _number(10**scale)
        step = case(
            *[(places == _number(number), _number(10 ** (scale - number))) for number in range(scale)], else_=_number(1)
        )
        exact = case(
            (places == _number(0), func.printf(literal_column("'%d'"), _divided(units, unit))),
            else_=func.printf(literal_column("'%d.%0*d'"), _divided(units, unit), places, _divided(units % unit, step)),
        )
        return case(
            (units % step == _number(0), _text(_sign(column), exact)),
            else_=func.rtrim(self.decimal(column, scale), "0"),
        )


def _text(*parts: Any):
    """The parts joined as text (``||``)."""
    return reduce(lambda joined, part: joined.concat(part), parts)


def _sign(column: Any):
    return case((column < _number(0), literal_column("'-'")), else_=literal_column("''"))


def _divided(units: Any, divisor: Any):
    """Integer division in SQLite."""
    return units.op("/")(divisor)


def _unusual_currency_places() -> list[tuple[int, str]]:
    """The currencies whose minor unit is not two places, by places, as ``currency_places`` has them.

    For instance ``(0, "('JPY', 'KRW', ...)")``: SQL lists of Babel's upper-case ISO 4217 codes.
    """
    codes: dict[int, list[str]] = defaultdict(list)
    for code in sorted(list_currencies()):
        if currency_places(code) != 2 and code.isalpha():
            codes[currency_places(code)].append(code)
    return [(places, "(" + ", ".join(f"'{code}'" for code in listed) + ")") for places, listed in sorted(codes.items())]


_UNUSUAL_CURRENCY_PLACES = _unusual_currency_places()


def document_statement(dialect: str, page: Select | None = None) -> Select:
    """Each product's id and public document (JSON text), in id order.

    Over the products whose ids are given as ``ids``, or over ``page``: a select of product ids
    in id order, of which the first ``page_rows`` (a parameter) are shown, so a list reads its
    page of ids and renders their documents in one statement.
    """
    json = _Json(dialect)
    product = Product.__table__
    translation = ProductTranslation.__table__
    sku = Sku.__table__
    stock = StockLevel.__table__
    membership = Membership.__table__

    candidate = translation.alias("candidate")
    rank = _preference_rank(dialect, candidate.c.locale)
    in_code_order = candidate.c.locale.collate("C") if dialect == "postgresql" else candidate.c.locale
    chosen_locale = (
        select(candidate.c.locale)
        .where(candidate.c.product_id == product.c.id)
        .order_by(rank, in_code_order)
        .limit(1)
        .scalar_subquery()
    )
    chosen = translation.alias("chosen")

    texts = translation.alias("texts")
    translations = json.mapping(
        texts.c.locale,
        json.object(title=texts.c.title, description=texts.c.description),
        source=select(texts.c.locale).where(texts.c.product_id == product.c.id),
    )
    places = case(
        *[
            (sku.c.currency.op("IN")(literal_column(codes)), _number(places))
            for places, codes in _UNUSUAL_CURRENCY_PLACES
        ],
        else_=_number(2),
    )
    sku_rows = (
        select(
            sku.c.id,
            sku.c.sku_code,
            sku.c.attributes,
            sku.c.price_amount,
            sku.c.currency,
            places.label("places"),
            sku.c.weight_kg,
            sku.c.barcode,
            func.coalesce(stock.c.on_hand, _number(0)).label("on_hand"),
            func.coalesce(stock.c.reserved, _number(0)).label("reserved"),
            func.coalesce(stock.c.allocated, _number(0)).label("allocated"),
            func.coalesce(stock.c.available, _number(0)).label("available"),
        )
        .select_from(sku.outerjoin(stock, stock.c.sku_id == sku.c.id))
        .where(sku.c.product_id == product.c.id)
        .correlate(product)
    )
    price_scale = sku.c.price_amount.type.scale
    skus = json.array(
        sku_rows,
        order_by="id",
        element=lambda row: json.object(
            id=row.id,
            sku_code=row.sku_code,
            attributes=json.stored(row.attributes),
            price=json.object(
                amount=json.money_amount(row.price_amount, row.places, price_scale),
                currency=row.currency,
            ),
            weight_kg=json.decimal(row.weight_kg, sku.c.weight_kg.type.scale),
            barcode=row.barcode,
            stock=json.object(
                on_hand=row.on_hand, reserved=row.reserved, allocated=row.allocated, available=row.available
            ),
        ),
    )
    image = ProductImage.__table__
    images = json.array(
        select(
            image.c.id,
            image.c.sku_id,
            image.c.position,
            image.c.storage_key,
            image.c.thumbnail_key,
            image.c.content_type,
            image.c.width,
            image.c.height,
            image.c.alt,
        )
        .where(image.c.product_id == product.c.id)
        .correlate(product),
        order_by=("position", "id"),
        element=lambda row: json.object(
            id=row.id,
            sku_id=row.sku_id,
            position=row.position,
            url=_text(literal_column(f"'{media_url('')}'"), row.storage_key),
            thumbnail_url=_text(literal_column(f"'{media_url('')}'"), row.thumbnail_key),
            content_type=row.content_type,
            width=row.width,
            height=row.height,
            alt=json.stored(row.alt),
        ),
    )
    trademark_usable = json.boolean(
        exists().where(
            membership.c.enterprise_id == product.c.enterprise_id,
            membership.c.trademark_id == product.c.trademark_id,
            usable_membership(bindparam("today", type_=Date)),
        )
    )
    document = json.object(
        id=product.c.id,
        enterprise_id=product.c.enterprise_id,
        product_code=product.c.product_code,
        trademark_id=product.c.trademark_id,
        trademark_usable=trademark_usable,
        status=product.c.status,
        hs_code=product.c.hs_code,
        hs_suffix=product.c.hs_suffix,
        declaration_elements=product.c.declaration_elements,
        legal_unit=product.c.legal_unit,
        second_legal_unit=product.c.second_legal_unit,
        origin_region_code=product.c.origin_region_code,
        title=func.coalesce(chosen.c.title, literal_column("''")),
        description=func.coalesce(chosen.c.description, literal_column("''")),
        language=func.coalesce(chosen.c.locale, literal_column("''")),
        translations=translations,
        skus=skus,
        images=images,
        rejection_reason=product.c.rejection_reason,
        created_at=json.timestamp(product.c.created_at),
        updated_at=json.timestamp(product.c.updated_at),
    )
    if dialect == "postgresql":
        document = cast(document, Text)
    products = product
    if page is not None:
        # The ids are walked up to the largest page: a constant LIMIT lets PostgreSQL plan the
        # statement once for every page size (with a parameter there it guesses a tenth of the
        # table and picks joins that take 150 ms). The documents are rendered only for the rows
        # the outer LIMIT lets through.
        listed = page.limit(_number(MAX_PAGE_SIZE + 1)).subquery("listed")
        products = listed.join(product, product.c.id == listed.c.id)
    statement = (
        select(product.c.id, document.label("document"))
        .select_from(
            products.outerjoin(chosen, and_(chosen.c.product_id == product.c.id, chosen.c.locale == chosen_locale))
        )
        .order_by(product.c.id)
    )
    if page is not None:
        return statement.limit(bindparam("page_rows", type_=Integer))
    return statement.where(among_parameter(dialect, product.c.id, "ids"))


def product_titles(session: Session, product_ids: Sequence[int], languages: Sequence[str]) -> dict[int, str]:
    """Each product's title in the reader's best language (empty when it has none)."""
    texts: dict[int, dict[str, str]] = defaultdict(dict)
    if product_ids:
        for product_id, locale, title in session.execute(
            select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.title).where(
                among(session, ProductTranslation.product_id, list(product_ids))
            )
        ):
            texts[product_id][locale] = title
    titles = {}
    for product_id in product_ids:
        own = texts.get(product_id, {})
        language = pick_language(sorted(own), languages)
        titles[product_id] = own[language] if language else ""
    return titles
