"""The customs merge rules against hand-worked examples: every key merges and splits, the line limit, 1039 loads."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from commerce.customs.consolidation import (
    Goods,
    HeaderKey,
    LineKey,
    consolidate,
    pack_containers,
    procurement_lines,
)

PLATFORM = "91130534MA0000001X"
MAKER_A = "91350200776049653A"
MAKER_B = "91440101MA5CJQ4N59"
HEADER = HeaderKey(consignor_code=PLATFORM, traf_mode="5", owner_code=MAKER_A, arrival_country="US", exit_port="0401")
LINE = LineKey(destination_country="US", hs_code="6110120000", currency="USD")


def goods(quantity: int, total: str, *, header: HeaderKey = HEADER, line: LineKey = LINE, source: int = 1, usd=None):
    return Goods(
        header=header,
        line=line,
        goods_name="山羊绒衫",
        goods_model="针织|女式",
        unit="件",
        legal_unit="件",
        second_legal_unit="千克",
        quantity=Decimal(quantity),
        legal_quantity=Decimal(quantity),
        second_legal_quantity=Decimal("0.35") * quantity,
        total_price=Decimal(total),
        value_usd=Decimal(usd if usd is not None else total),
        sources=[(source, quantity)],
    )


def test_same_header_and_line_keys_merge_into_one_line_with_exact_sums():
    planned = consolidate([goods(2, "120.50", source=1), goods(3, "180.25", source=2)], line_limit=50)

    assert len(planned) == 1
    (line,) = planned[0].lines
    assert (line.quantity, line.legal_quantity, line.second_legal_quantity) == (
        Decimal(5),
        Decimal(5),
        Decimal("1.75"),
    )
    assert line.total_price == Decimal("300.75")
    assert line.sources == [(1, 2), (2, 3)]


@pytest.mark.parametrize(
    "field, other",
    [
        ("consignor_code", "91130534MA0000002Y"),
        ("traf_mode", "2"),
        ("owner_code", MAKER_B),
        ("arrival_country", "DE"),
        ("exit_port", "0202"),
    ],
)
def test_a_different_header_key_makes_another_declaration(field, other):
    second = goods(1, "10", header=HEADER._replace(**{field: other}), source=2)

    planned = consolidate([goods(1, "10"), second], line_limit=50)

    assert len(planned) == 2
    assert sorted(getattr(declaration.header, field) for declaration in planned) == sorted(
        [getattr(HEADER, field), other]
    )
    assert [len(declaration.lines) for declaration in planned] == [1, 1]


@pytest.mark.parametrize(
    "field, other", [("destination_country", "CA"), ("hs_code", "6110110000"), ("currency", "EUR")]
)
def test_a_different_line_key_makes_another_line_of_the_same_declaration(field, other):
    second = goods(4, "40", line=LINE._replace(**{field: other}), source=2)

    planned = consolidate([goods(1, "10"), second], line_limit=50)

    assert len(planned) == 1
    assert [(getattr(line.line, field), line.quantity) for line in planned[0].lines] == sorted(
        [(getattr(LINE, field), Decimal(1)), (other, Decimal(4))]
    )


def test_a_declaration_is_split_at_the_line_limit():
    items = [goods(1, "1", line=LINE._replace(hs_code=f"61101200{number:02d}"), source=number) for number in range(7)]

    planned = consolidate(items, line_limit=3)

    assert [len(declaration.lines) for declaration in planned] == [3, 3, 1]
    assert {declaration.header for declaration in planned} == {HEADER}
    assert [line.line.hs_code for declaration in planned for line in declaration.lines] == [
        f"61101200{number:02d}" for number in range(7)
    ]


def test_exactly_the_line_limit_stays_one_declaration():
    items = [goods(1, "1", line=LINE._replace(hs_code=f"61101200{number:02d}")) for number in range(50)]

    assert [len(declaration.lines) for declaration in consolidate(items, line_limit=50)] == [50]


def test_container_loads_stay_under_the_cap_and_keep_every_piece():
    # 60k + 50k + 45k + 30k = 185k USD: first fit, largest first -> [60k, 50k, 30k] and [45k].
    items = [
        goods(6, "60000", source=1, line=LINE._replace(hs_code="6110120000")),
        goods(5, "50000", source=2, line=LINE._replace(hs_code="6110110000")),
        goods(9, "45000", source=3, line=LINE._replace(hs_code="6214100000")),
        goods(3, "30000", source=4, line=LINE._replace(hs_code="6116930000")),
    ]

    loads = pack_containers(items, cap_usd=Decimal("150000"))

    assert [[item.sources[0][0] for item in load] for load in loads] == [[1, 2, 4], [3]]
    assert [sum(item.value_usd for item in load) for load in loads] == [Decimal("140000"), Decimal("45000")]


def test_a_line_worth_more_than_the_cap_is_cut_into_whole_pieces():
    # 7 pieces at USD 50,000 each: 3 + 3 + 1 pieces, totals exact.
    loads = pack_containers([goods(7, "350000", source=9)], cap_usd=Decimal("150000"))

    assert [[(item.quantity, item.total_price, item.sources) for item in load] for load in loads] == [
        [(Decimal(3), Decimal("150000"), [(9, 3)])],
        [(Decimal(3), Decimal("150000"), [(9, 3)])],
        [(Decimal(1), Decimal("50000"), [(9, 1)])],
    ]


def test_a_load_lists_the_top_five_goods_and_groups_the_rest_by_chapter():
    values = {
        "6110120000": "900",
        "6110110000": "800",
        "6214100000": "700",
        "6116930000": "600",
        "6117100000": "500",
        "6110200000": "40",
        "6110300000": "30",
        "6216000000": "20",
        "5109100000": "10",
    }
    items = [
        goods(1, value, line=LINE._replace(hs_code=code), source=number)
        for number, (code, value) in enumerate(values.items())
    ]

    lines = procurement_lines(items)

    assert [(line.line.hs_code, line.total_price, line.chapter_group) for line in lines] == [
        ("6110120000", Decimal("900"), None),
        ("6110110000", Decimal("800"), None),
        ("6214100000", Decimal("700"), None),
        ("6116930000", Decimal("600"), None),
        ("6117100000", Decimal("500"), None),
        ("5109100000", Decimal("10"), "51"),
        ("6110200000", Decimal("70"), "61"),
        ("6216000000", Decimal("20"), "62"),
    ]
    assert lines[6].quantity == Decimal(2)
    assert sorted(lines[6].sources) == [(5, 1), (6, 1)]


def test_merging_does_not_change_the_goods_given():
    first = goods(1, "10")
    kept = replace(first, sources=list(first.sources))

    consolidate([first, goods(2, "20", source=2)], line_limit=50)

    assert first == kept
