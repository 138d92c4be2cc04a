"""Product documents on PostgreSQL: the public shape of products (``ProductPublic``) written as
JSON by the database, a page of a list in one statement.

Product lists are the hottest read of the platform. Reading a page of 50 products as some three
hundred rows and shaping and encoding them in Python took about three times the CPU of the whole
request as it is now; here one statement renders each product with its chosen translation, all
translations, SKUs with their stock, photos and whether its trademark may be used today, and the
service only joins the texts. ``presenter.products_public`` is the specification: every field is
written as it writes it, and tests compare the two documents for awkward values (currencies with
0, 3 or 4 minor places, amounts with more places than their currency, whole seconds, missing
translations and every rule of the language choice).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
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
    preference_order,
)
from commerce.clusters.models import Membership
from commerce.clusters.trademarks import usable_membership
from commerce.inventory.models import StockLevel
from commerce.media.models import ProductImage, media_url
from commerce.pagination import MAX_PAGE_SIZE, Page, page_of
from commerce.sql import among_parameter, prebuilt
from commerce.validation import currency_places


def render_documents(
    session: Session, product_ids: Sequence[int], *, languages: Sequence[str], today: date
) -> list[str]:
    """What ``presenter.product_documents`` gives, rendered by PostgreSQL in one statement."""
    parameters = {"ids": list(product_ids), "today": today, **_preferences(languages)}
    return list(session.connection().execute(prebuilt(session, _documents_of_ids), parameters).scalars(1))


def render_page(
    session: Session, page: Select, parameters: dict[str, Any], *, limit: int, languages: Sequence[str], today: date
) -> Page[str]:
    """What ``presenter.documents_page`` gives: the page of ids ``page`` selects (built once, in id
    order) and their documents, in one statement and one round trip."""
    parameters = {**parameters, "page_rows": limit + 1, "today": today, **_preferences(languages)}
    rows = session.connection().execute(prebuilt(session, _documents_of_page, page), parameters).all()
    return page_of(rows, limit, id_of=lambda row: row.id, item=lambda row: row.document)


def _preferences(languages: Sequence[str]) -> dict[str, list[str]]:
    """The reader's languages as the ranking of translations (``_preference_rank``) takes them."""
    tags = preference_order(languages)
    return {"tags": tags, "bases": [tag.split("-")[0] for tag in tags]}


# The most tags ``preference_order`` gives.
PREFERENCE_SLOTS = CONTENT_PREFERENCES + 1 + len(CONTENT_LOCALES)


def _preference_rank(locale: Any):
    """How well a translation's locale suits the reader, as ``pick_language`` judges it (lower is better).

    The n-th preferred tag (from 0) ranks its exact locale 2n and a locale of the same language
    (``zh-TW`` for ``zh-CN``) 2n + 1; ties go to the first locale in code point order.
    """
    tags = bindparam("tags", type_=postgresql.ARRAY(String))
    bases = bindparam("bases", type_=postgresql.ARRAY(String))
    language = func.split_part(locale, literal_column("'-'"), _number(1))
    exact = _number(2) * func.array_position(tags, locale) - _number(2)
    same_language = _number(2) * func.array_position(bases, language) - _number(1)
    return func.coalesce(func.least(exact, same_language), _number(2 * PREFERENCE_SLOTS))


def _number(value: int):
    """An integer written into the statement, not sent as a parameter."""
    return literal_column(str(int(value)), Integer)


def _object(**fields: Any):
    """A JSON object of these keys and SQL values, in this order."""
    return func.json_build_object(
        *(part for name, value in fields.items() for part in (literal_column(f"'{name}'"), value))
    )


def _array(rows: Select, *, order_by: tuple[str, ...], element: Callable[[Any], Any]):
    """``[element(row), ...]`` over ``rows`` (correlated to the enclosing query), in ``order_by`` order."""
    source = rows.subquery()
    aggregate = func.json_agg(aggregate_order_by(element(source.c), *[source.c[name] for name in order_by]))
    return func.coalesce(select(aggregate).scalar_subquery(), literal_column("'[]'::json"))


def _mapping(key: Any, value: Any, *, source: Select):
    """``{key: value, ...}`` over the rows of ``source`` (an empty object for none)."""
    aggregate = source.with_only_columns(func.json_object_agg(key, value)).scalar_subquery()
    return func.coalesce(aggregate, literal_column("'{}'::json"))


def _timestamp(column: Any):
    """A UTC timestamp as ``timestamp_text`` writes it: ISO 8601, microseconds only when there are some."""
    utc = func.timezone(literal_column("'UTC'"), column)
    whole = func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'"))
    fraction = case(
        (func.date_trunc(literal_column("'second'"), column) == column, literal_column("''")),
        else_=func.to_char(utc, literal_column("'.US'")),
    )
    return whole.concat(fraction).concat(literal_column("'Z'"))


def _money_amount(column: Any, places: Any):
    """An exact amount as ``Money.of`` shows it: ``places`` decimals, or more where it has them."""
    shown = func.round(column, places)
    return case((column == shown, cast(shown, Text)), else_=cast(func.trim_scale(column), Text))


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


def _documents_of_ids(_dialect: str) -> Select:
    return _documents()


def _documents_of_page(_dialect: str, page: Select) -> Select:
    return _documents(page)


def _documents(page: Select | None = None) -> Select:
    """Each product's id and public document (JSON text), in id order.

    Over the products whose ids are given as ``ids``, or over ``page``: a select of product ids
    in id order, of which the first ``page_rows`` (a parameter) are shown, so a list reads its
    page of ids and renders their documents in one statement.
    """
    product = Product.__table__
    translation = ProductTranslation.__table__
    sku = Sku.__table__
    stock = StockLevel.__table__
    membership = Membership.__table__

    candidate = translation.alias("candidate")
    chosen_locale = (
        select(candidate.c.locale)
        .where(candidate.c.product_id == product.c.id)
        .order_by(_preference_rank(candidate.c.locale), candidate.c.locale.collate("C"))
        .limit(1)
        .scalar_subquery()
    )
    chosen = translation.alias("chosen")

    texts = translation.alias("texts")
    translations = _mapping(
        texts.c.locale,
        _object(title=texts.c.title, description=texts.c.description),
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
    skus = _array(
        sku_rows,
        order_by=("id",),
        element=lambda row: _object(
            id=row.id,
            sku_code=row.sku_code,
            attributes=row.attributes,
            price=_object(amount=_money_amount(row.price_amount, row.places), currency=row.currency),
            # Numeric keeps every place of its scale, as ``decimal_text`` writes the column's value.
            weight_kg=cast(row.weight_kg, Text),
            barcode=row.barcode,
            stock=_object(on_hand=row.on_hand, reserved=row.reserved, allocated=row.allocated, available=row.available),
        ),
    )
    image = ProductImage.__table__
    images = _array(
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
        element=lambda row: _object(
            id=row.id,
            sku_id=row.sku_id,
            position=row.position,
            url=literal_column(f"'{media_url('')}'").concat(row.storage_key),
            thumbnail_url=literal_column(f"'{media_url('')}'").concat(row.thumbnail_key),
            content_type=row.content_type,
            width=row.width,
            height=row.height,
            alt=row.alt,
        ),
    )
    trademark_usable = exists().where(
        membership.c.enterprise_id == product.c.enterprise_id,
        membership.c.trademark_id == product.c.trademark_id,
        usable_membership(bindparam("today", type_=Date)),
    )
    document = _object(
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
        created_at=_timestamp(product.c.created_at),
        updated_at=_timestamp(product.c.updated_at),
    )
    products = product
    if page is not None:
        # The ids are walked up to the largest page: a constant LIMIT lets PostgreSQL plan the
        # statement once for every page size (with a parameter there it guesses a tenth of the
        # table and picks joins that take 150 ms). The documents are rendered only for the rows
        # the outer LIMIT lets through.
        listed = page.limit(_number(MAX_PAGE_SIZE + 1)).subquery("listed")
        products = listed.join(product, product.c.id == listed.c.id)
    statement = (
        select(product.c.id, cast(document, Text).label("document"))
        .select_from(
            products.outerjoin(chosen, and_(chosen.c.product_id == product.c.id, chosen.c.locale == chosen_locale))
        )
        .order_by(product.c.id)
    )
    if page is not None:
        return statement.limit(bindparam("page_rows", type_=Integer))
    return statement.where(among_parameter("postgresql", product.c.id, "ids"))
