"""Letters of authorisation for marketplaces, from a membership record, as HTML text or PDF."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from commerce.errors import N_
from commerce.web.i18n import translate

CJK_FONT = "STSong-Light"


def letter_text(facts: dict[str, Any], locale: str) -> dict[str, Any]:
    """The letter's title and paragraphs in one language."""
    trademark, owner, licensee = facts["trademark"], facts["owner"], facts["licensee"]
    membership = facts["membership"]

    def day(value) -> str:
        return format_date(value, format="long", locale=locale)

    def t(message: str, **params) -> str:
        return translate(message, locale, **params)

    paragraphs = [
        t(N_("To whom it may concern, and to the e-commerce platforms on which the licensee sells:")),
        t(
            N_(
                "{owner} (unified social credit code {owner_uscc}), owner of the collective trademark "
                "\u201c{mark}\u201d (registration no. {registration_no}, Nice classes {classes}), hereby authorises "
                "its member {licensee} (unified social credit code {licensee_uscc}) to use this collective trademark "
                "on its goods approved under the mark's usage rules, and to sell such goods under the mark in its "
                "own online shops."
            ),
            owner=owner.name,
            owner_uscc=owner.uscc,
            mark=trademark.name,
            registration_no=trademark.registration_no,
            classes=", ".join(str(number) for number in trademark.nice_classes),
            licensee=licensee.name,
            licensee_uscc=licensee.uscc,
        ),
        t(
            N_(
                "Licence no. {licence_no}, valid from {valid_from} to {valid_to}. The authorisation ends at once "
                "if the membership is suspended, revoked or expires; the current status can be confirmed with the "
                "association."
            ),
            licence_no=membership.licence_no,
            valid_from=day(membership.valid_from),
            valid_to=day(membership.valid_to),
        ),
        t(N_("The licensee may not sub-license the mark or use it on goods that the association has not approved.")),
    ]
    if not facts["valid"]:
        paragraphs.append(
            t(
                N_("Note: on the date of issue this membership is not in force (status: {status})."),
                status=membership.status,
            )
        )
    return {
        "title": t(N_("Letter of authorisation to use a collective trademark")),
        "paragraphs": paragraphs,
        "signature": owner.name,
        "issued_on": t(N_("Issued on {date}"), date=day(facts["issued_on"])),
    }


# Han characters, CJK punctuation and full-width forms: drawn with the CJK font in any language.
CJK_RUN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def pdf_font(locale: str) -> str:
    """The font a PDF in this language is written in: a CID font every PDF reader has for Chinese."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT if locale.startswith("zh") else "Helvetica"


def pdf_markup(text: str, font: str) -> str:
    """A paragraph's markup: its text escaped, every run of Chinese in the CJK font (names stay readable in English)."""
    if font == CJK_FONT:
        return escape(text)
    parts, last = [], 0
    for run in CJK_RUN.finditer(text):
        parts += [escape(text[last : run.start()]), f'<font name="{CJK_FONT}">{escape(run.group())}</font>']
        last = run.end()
    return "".join(parts) + escape(text[last:])


def render_pdf(facts: dict[str, Any], locale: str) -> bytes:
    """The letter as an A4 PDF; Chinese text, in every language, uses a CID font every PDF reader has."""
    text = letter_text(facts, locale)
    font = pdf_font(locale)
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=8 * mm)
    body_style = ParagraphStyle(
        "body", fontName=font, fontSize=11, leading=17, spaceAfter=4 * mm, wordWrap="CJK" if font == CJK_FONT else None
    )
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=text["title"],
        author=text["signature"],
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
    )
    story = [Paragraph(pdf_markup(text["title"], font), title_style)]
    story += [Paragraph(pdf_markup(paragraph, font), body_style) for paragraph in text["paragraphs"]]
    story += [
        Spacer(1, 12 * mm),
        Paragraph(pdf_markup(text["signature"], font), body_style),
        Paragraph(pdf_markup(text["issued_on"], font), body_style),
    ]
    document.build(story)
    return buffer.getvalue()
