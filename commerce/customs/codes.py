"""Customs code tables and number formats: ISO codes in our data, customs codes in the messages.

The tables hold what the platform's exports use; a code missing from them is refused when a
batch is formed (``unmapped_code``), never sent through unconverted.
"""

from __future__ import annotations

from decimal import Decimal

from commerce.errors import N_

# Customs currency codes (GB/T 12406 numbering as customs uses it).
CURRENCIES = {
    "CNY": "142",
    "USD": "502",
    "EUR": "300",
    "GBP": "303",
    "JPY": "116",
    "SGD": "132",
    "AUD": "601",
    "CAD": "501",
    "MYR": "122",
    "HKD": "110",
}

# Customs country (region) codes for ISO 3166 two-letter codes.
COUNTRIES = {
    "AE": "138",
    "AT": "315",
    "AU": "601",
    "BD": "103",
    "BE": "301",
    "BR": "410",
    "CA": "501",
    "CH": "331",
    "CN": "142",
    "CZ": "352",
    "DE": "304",
    "DK": "302",
    "ES": "312",
    "FI": "318",
    "FR": "305",
    "GB": "303",
    "GR": "310",
    "HK": "110",
    "ID": "112",
    "IE": "306",
    "IL": "115",
    "IN": "111",
    "IT": "307",
    "JP": "116",
    "KR": "133",
    "KW": "118",
    "KZ": "145",
    "MO": "121",
    "MX": "429",
    "MY": "122",
    "NL": "309",
    "NO": "326",
    "NZ": "609",
    "PH": "129",
    "PK": "127",
    "PL": "327",
    "PT": "311",
    "QA": "130",
    "RU": "344",
    "SA": "131",
    "SE": "330",
    "SG": "132",
    "TH": "136",
    "TR": "137",
    "TW": "143",
    "UA": "347",
    "US": "502",
    "VN": "141",
    "ZA": "244",
}

# Customs units of measure (计量单位代码) for the unit names products are declared in.
UNITS = {
    "台": "001",
    "座": "002",
    "辆": "003",
    "套": "006",
    "个": "007",
    "只": "008",
    "张": "010",
    "件": "011",
    "支": "012",
    "根": "014",
    "条": "015",
    "把": "016",
    "块": "017",
    "卷": "018",
    "副": "019",
    "片": "020",
    "组": "021",
    "双": "025",
    "对": "026",
    "米": "030",
    "平方米": "032",
    "立方米": "033",
    "千克": "035",
    "克": "036",
    "吨": "070",
    "升": "095",
    "箱": "120",
    "盒": "140",
    "千米": "147",
}

# Units whose quantity is a weight: the legal quantity of goods counted in pieces comes from the SKU weight.
WEIGHT_UNITS = {"千克": Decimal("1"), "克": Decimal("1000"), "吨": Decimal("0.001")}
# Units that measure rather than count. Goods are sold by the piece (a SKU), so where the legal unit
# measures, the trade unit of a line is the piece: a line never states its piece count in kilograms.
MEASURE_UNITS = frozenset({*WEIGHT_UNITS, "米", "平方米", "立方米", "升", "千米"})
PIECE = "件"


def trade_unit(legal_unit: str) -> str:
    """The unit an order line's quantity is declared in (``qty``/``unit``): the legal unit where that
    counts pieces (件, 双, 条...), the piece where it measures (千克, 米...)."""
    return PIECE if legal_unit in MEASURE_UNITS else legal_unit


# Customs transport modes (运输方式), named in English; the Chinese names are the catalogue's.
TRANSPORT_MODES = {
    "0": N_("Non-bonded area"),
    "1": N_("Supervised warehouse"),
    "2": N_("Waterway"),
    "3": N_("Railway"),
    "4": N_("Road"),
    "5": N_("Air"),
    "6": N_("Post"),
    "7": N_("Bonded area"),
    "8": N_("Bonded warehouse"),
    "9": N_("Other transport"),
    "H": N_("Border special customs zone"),
    "W": N_("Logistics centre"),
    "X": N_("Logistics park"),
    "Y": N_("Bonded port area"),
    "Z": N_("Export processing zone"),
}

# Customs offices (关区代码) the cluster's exports are declared at or leave through, named for people.
CUSTOMS_OFFICES = {
    "0201": N_("Tianjin Customs"),
    "0202": N_("Xingang Customs"),
    "0400": N_("Shijiazhuang Customs District"),
    "0401": N_("Shijiazhuang Customs"),
    "2200": N_("Shanghai Customs"),
    "2201": N_("Shanghai Pujiang Customs"),
    "2300": N_("Nanjing Customs"),
}

_MAXIMUM_N19_5 = Decimal(10) ** 14


class UnmappedCode(ValueError):
    """A code of ours with no customs code in the tables."""

    def __init__(self, table: str, value: str):
        super().__init__(f"no customs {table} code for {value!r}")
        self.table = table
        self.value = value


def customs_code(table: str, value: str) -> str:
    """The customs code of an ISO currency, an ISO country or a unit name."""
    codes = {"currency": CURRENCIES, "country": COUNTRIES, "unit": UNITS}[table]
    try:
        return codes[value]
    except KeyError:
        raise UnmappedCode(table, value) from None


def n19_5(value: Decimal) -> str:
    """A number in the ``N19,5`` format: at most 19 digits, at most 5 of them decimals, no exponent."""
    exact = value.quantize(Decimal("0.00001"))
    if exact != value:
        raise ValueError(f"{value} has more than 5 decimals")
    if abs(exact) >= _MAXIMUM_N19_5:
        raise ValueError(f"{value} has more than 14 integer digits")
    text = f"{exact:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def legal_quantity(unit: str, pieces: int, weight_kg: Decimal) -> Decimal:
    """Quantity in a legal unit: weight units from the goods' weight, counted units from the pieces."""
    factor = WEIGHT_UNITS.get(unit)
    if factor is None:
        return Decimal(pieces)
    return (weight_kg * pieces * factor).quantize(Decimal("0.00001"))


def unit_price(total: Decimal, quantity: Decimal) -> Decimal:
    """The declared unit price of a line: its total over its quantity, to the 5 decimals of N19,5."""
    return (total / quantity).quantize(Decimal("0.00001")) if quantity else Decimal("0")
