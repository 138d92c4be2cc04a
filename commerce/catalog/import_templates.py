"""The product import templates a firm downloads: CSV, and XLSX with a second sheet explaining
every column in Chinese and English.
"""

from __future__ import annotations

import csv
import io

from commerce.catalog.import_files import COLUMNS, REQUIRED_COLUMNS

TEMPLATE_EXAMPLE = (
    "QH-SW-001",
    "QH-SW-001-RED-M",
    "山羊绒圆领套头衫",
    "Cashmere crew-neck sweater",
    "100%山羊绒，12针",
    "100% cashmere, 12 gauge",
    "6110120000",
    "",
    "针织|女式|100%山羊绒|套头衫|无品牌",
    "件",
    "千克",
    "13059",
    "",
    "color=red;size=M",
    "399.00",
    "CNY",
    "0.350",
    "6901234567892",
    "120",
    "",
)


def template_csv() -> bytes:
    """The import template: the header and one example row, UTF-8 with a BOM for spreadsheet programs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# What each column of the template holds, in both languages: the workbook's second sheet.
COLUMN_HELP = {
    "product_code": ("产品编码：同一产品的各规格填相同编码", "Product code: the same on every SKU row of one product"),
    "sku_code": ("规格编码：本企业内唯一", "SKU code: unique within the firm"),
    "title_zh": ("中文标题（中英文标题至少填一个）", "Chinese title (a Chinese or an English title is needed)"),
    "title_en": ("英文标题", "English title"),
    "description_zh": ("中文描述", "Chinese description"),
    "description_en": ("英文描述", "English description"),
    "hs_code": ("10 位海关商品编码，决定退税率", "10-digit customs commodity code; it decides the rebate rate"),
    "hs_suffix": ("3 位检验检疫附加码，仅在海关要求时填写", "3-digit inspection suffix, only where customs asks"),
    "declaration_elements": ("申报要素，用 | 分隔", "Declaration elements, separated by |"),
    "legal_unit": ("法定计量单位，如 件、千克", "Legal unit, e.g. 件 (pieces), 千克 (kg)"),
    "second_legal_unit": ("第二法定计量单位（如有）", "Second legal unit, where the HS code has one"),
    "origin_region_code": ("5 位境内货源地代码", "5-digit customs domestic source region"),
    "trademark_registration_no": (
        "集体商标注册号（使用集体商标时填写）",
        "Registration no. of the collective mark, to sell under it",
    ),
    "attributes": ("规格属性，如 color=red; size=M", "SKU attributes, e.g. color=red; size=M"),
    "price": ("价格，最多两位小数", "Price, at most two decimals"),
    "currency": ("币种，如 CNY", "Currency, e.g. CNY"),
    "weight_kg": ("毛重（千克）", "Gross weight in kg"),
    "barcode": ("条码（8 至 32 位数字）", "Barcode (8 to 32 digits)"),
    "stock": ("期初库存（件）", "Opening stock in units"),
    "images": ("照片文件名，用 | 分隔，随 ZIP 上传", "Photo file names separated by |, uploaded in the ZIP"),
}


def template_xlsx() -> bytes:
    """The import template as a workbook: the products sheet (read on import), then its instructions in
    Chinese and English."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(list(COLUMNS))
    sheet.append(list(TEMPLATE_EXAMPLE))
    instructions = workbook.create_sheet("说明 Instructions")
    instructions.append(["列 Column", "必填 Required", "说明", "Instructions"])
    for column in COLUMNS:
        chinese, english = COLUMN_HELP[column]
        instructions.append([column, "是 Yes" if column in REQUIRED_COLUMNS else "", chinese, english])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
