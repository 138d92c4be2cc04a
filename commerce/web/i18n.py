"""Languages at the edge: negotiating the caller's locale and translating messages."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import g, has_request_context, request

from commerce.catalog.models import CONTENT_PREFERENCES
from commerce.web.database import current_settings

TRANSLATIONS_PATH = Path(__file__).resolve().parent.parent / "translations"
# The language a person chose on a page, remembered by their browser.
LANGUAGE_COOKIE = "lang"


def locale_for_tag(tag: str) -> str | None:
    """The supported locale of a language tag (zh, zh-CN, zh-Hans-CN, en-GB, ...), if any."""
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


def content_tag(tag: str) -> str:
    """The catalogue language tag for an Accept-Language entry: Chinese is zh-CN, English en."""
    locale = locale_for_tag(tag)
    if locale == "zh_CN":
        return "zh-CN"
    if locale == "en":
        return "en"
    return tag


def negotiate_locale() -> str:
    """The caller's locale: the language chosen on a page, else Accept-Language, else the configured default."""
    if not has_request_context():
        return current_settings().default_locale
    if "locale" not in g:
        chosen = locale_for_tag(request.cookies.get(LANGUAGE_COOKIE, ""))
        for tag, _quality in request.accept_languages:
            if chosen:
                break
            chosen = locale_for_tag(tag)
        g.locale = chosen or current_settings().default_locale
    return g.locale


def content_languages() -> list[str]:
    """The caller's preferred content languages, best first, as catalogue tags: the first ten, then the interface's."""
    tags = [content_tag(tag) for tag, _quality in request.accept_languages] if has_request_context() else []
    tags = list(dict.fromkeys(tags))[:CONTENT_PREFERENCES]
    locale = negotiate_locale()
    tags.append("zh-CN" if locale == "zh_CN" else "en")
    return list(dict.fromkeys(tags))


@cache
def translations_for(locale: str) -> NullTranslations:
    """The message catalogue of a locale, compiled from its .po file if no .mo was built."""
    po_path = TRANSLATIONS_PATH / locale / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    if not po_path.exists():
        return NullTranslations()
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as mo_file:
            return Translations(mo_file)
    with po_path.open("rb") as po_file:
        catalogue = read_po(po_file)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


def translate(message: str, locale: str | None = None, **params) -> str:
    """A message in the caller's (or the given) locale, with its parameters filled in."""
    text = translations_for(locale or negotiate_locale()).gettext(message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
