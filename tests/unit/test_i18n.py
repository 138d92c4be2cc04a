from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from commerce.web.i18n import content_tag, locale_for_tag, translate, translations_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("zh_TW", "zh_CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("*", None),
    ],
)
def test_language_tags_map_to_supported_locales(tag, locale):
    assert locale_for_tag(tag) == locale


def test_content_tags_for_catalogue_translations():
    assert content_tag("zh-Hans-CN") == "zh-CN"
    assert content_tag("en-US") == "en"
    assert content_tag("ja") == "ja"


def test_translate_fills_parameters_in_chinese():
    assert (
        translate("At most {places} decimal places are allowed here.", "zh_CN", places=2) == "此处最多允许 2 位小数。"
    )
    assert translate("At most {places} decimal places are allowed here.", "en", places=2) == (
        "At most 2 decimal places are allowed here."
    )


def test_every_message_in_the_code_has_a_chinese_translation():
    method_map = [("commerce/**.py", "python"), ("commerce/templates/**.html", "jinja2")]
    extracted = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords={"N_": None, "translate": None}
        )
        if isinstance(message, str) and message
    }
    with (ROOT / "commerce/translations/zh_CN/LC_MESSAGES/messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    translated = {message.id for message in catalogue if message.id and message.string}
    assert sorted(extracted - translated) == []
    assert len(extracted) > 90


def test_compiled_catalogue_matches_the_source():
    translations = translations_for("zh_CN")
    assert translations.gettext("This field is required.") == "此字段为必填项。"
