"""Every phone gets its own language: what Android and iOS send in Accept-Language maps
to the app's tags (issue 18 item 6), and each CJK language is drawn with its own fonts."""

import pytest
from playwright.sync_api import expect

from browsers import have_chromium
from disaster_support.i18n import terminal_language

# What current Android (Chrome, WebView) and iOS (Safari) send for each of the 16
# languages, older and odd forms included (underscores, case, extensions).
PHONE_TAGS = {
    "ja": ["ja", "ja-JP", "JA-jp", "ja_JP", "ja-Jpan-JP"],
    "en": ["en", "en-US", "en-GB", "en-JP", "en-AU", "en-PH", "en-IN"],
    "zh-Hans": ["zh", "zh-CN", "zh-SG", "zh-MY", "zh-Hans", "zh-Hans-CN", "zh-Hans-SG",
                "zh-Hans-JP", "zh-Hans-HK", "zh_CN", "cmn-Hans-CN"],
    "zh-Hant": ["zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-TW", "zh-Hant-HK",
                "zh-Hant-MO", "zh-Hant-JP", "zh_TW", "ZH-tw", "zh-Hant-TW-u-nu-hanidec",
                "yue", "yue-Hant-HK", "zh-yue-HK"],
    "ko": ["ko", "ko-KR", "ko-Kore-KR"],
    "vi": ["vi", "vi-VN"],
    "pt": ["pt", "pt-BR", "pt-PT", "pt-JP"],
    "es": ["es", "es-419", "es-MX", "es-ES", "es-US", "es-PE"],
    "tl": ["fil", "fil-PH", "tl", "tl-PH", "FIL-ph"],
    "ne": ["ne", "ne-NP", "ne-IN"],
    "id": ["id", "id-ID", "in-ID", "in"],  # "in": Indonesian's old code (old Java locales)
    "th": ["th", "th-TH", "th-TH-u-nu-thai"],
    "my": ["my", "my-MM", "my-Mymr-MM"],
    "km": ["km", "km-KH"],
    "mn": ["mn", "mn-MN", "mn-Cyrl-MN"],
}
PHONE_CASES = [(header, tag) for tag, headers in PHONE_TAGS.items() for header in headers]

# Whole headers as phones send them: the first language with its fallbacks.
FULL_HEADERS = [
    ("fil-PH,fil;q=0.9,en-US;q=0.8,en;q=0.7", "tl"),  # Chrome on Android
    ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-Hant"),  # "zh" after must not win
    ("zh-HK,zh-Hant;q=0.9,en;q=0.8", "zh-Hant"),
    ("zh-CN,zh;q=0.9", "zh-Hans"),
    ("my-MM,my;q=0.9,en-US;q=0.8", "my"),
    ("en-JP,en;q=0.9", "en"),  # iOS: English on a phone bought in Japan
    ("ja-JP,ja;q=0.9", "ja"),
    ("pt-BR,pt;q=0.9", "pt"),
    ("es-419,es;q=0.9", "es"),
]

# q-values: the highest q that maps to a UI language wins; equal q keep header order.
QUALITY_CASES = [
    ("en;q=0.5, zh-TW;q=0.8", "zh-Hant"),
    ("fr-FR,fr;q=0.9,ko;q=0.8,en;q=0.7", "ko"),  # unknown ones skipped, not the end
    ("ko;q=0.5, en;q=0.5", "ko"),
    ("en;q=0.5, ko;q=0.5", "en"),
    ("de;q=1, vi;q=0.2, th;q=0.3", "th"),
    ("zh-TW;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
    ("*;q=0.1, km-KH;q=0.4", "km"),
    ("fil-PH;q=0.6, ja;q=0.6", "tl"),
]

# Nothing we have: Japanese, as before.
UNKNOWN = ["fr", "de-DE,de;q=0.9", "ar-EG", "x-klingon", "i-klingon", "*", "", ";;;",
           "q=0.5", "zh-TW;q=0", "en;q=0"]

PAGES = ["/about", "/board"]


def html_lang(client, path, header=None, **kwargs):
    headers = {"Accept-Language": header} if header is not None else {}
    page = client.get(path, headers=headers, **kwargs).get_data(as_text=True)
    assert page.startswith("<!doctype html>\n<html lang=\""), page[:80]
    return page.split('"', 2)[1]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("header, tag", PHONE_CASES + FULL_HEADERS)
def test_a_phones_accept_language_gives_its_language(client, path, header, tag):
    assert html_lang(client, path, header) == tag


@pytest.mark.parametrize("header, tag", QUALITY_CASES)
def test_language_by_quality_then_header_order(client, header, tag):
    assert html_lang(client, "/board", header) == tag
    assert html_lang(client, "/about", header) == tag


@pytest.mark.parametrize("header", UNKNOWN)
def test_unknown_language_gives_japanese(client, header):
    assert html_lang(client, "/about", header) == "ja"
    assert html_lang(client, "/board", header) == "ja"


def test_no_accept_language_gives_japanese(client):
    assert html_lang(client, "/about") == "ja"


def test_easy_japanese_only_when_chosen_not_from_a_japanese_phone(app):
    for header in ("ja", "ja-JP", "ja-JP,ja;q=0.9", "ja-Hira-JP"):
        assert html_lang(app.test_client(), "/about", header) == "ja"
    chooser = app.test_client()
    assert html_lang(chooser, "/about?lang=ja-x-easy", "en") == "ja-x-easy"
    assert html_lang(chooser, "/about", "en") == "ja-x-easy"  # the cookie remembers it


def test_lang_query_and_cookie_beat_accept_language(app):
    client = app.test_client()
    assert html_lang(client, "/about?lang=tl", "zh-TW") == "tl"
    assert html_lang(client, "/about", "zh-TW") == "tl"  # cookie
    client.set_cookie("lang", "zh-Hant")
    assert html_lang(client, "/board", "ko-KR") == "zh-Hant"
    # a value that is not one of the app's tags is ignored, Accept-Language decides
    assert html_lang(app.test_client(), "/about?lang=klingon", "ko-KR") == "ko"


@pytest.mark.parametrize("value, tag", [("zh_TW.UTF-8", "zh-Hant"), ("fil_PH.UTF-8", "tl"),
                                        ("zh_CN.UTF-8", "zh-Hans"), ("pt_BR.UTF-8", "pt"),
                                        ("ja_JP.UTF-8", "ja"), ("C.UTF-8", "en"),
                                        ("sr_RS@latin", "en")])
def test_terminal_language_uses_the_same_mapping(app, monkeypatch, value, tag):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", value)
    with app.app_context():
        assert terminal_language() == tag


# --- Fonts, in a real browser -----------------------------------------------------

JAPANESE_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "Hiragino", "Yu Gothic", "Meiryo")
OWN_FONT = {"zh-Hant": '"Noto Sans CJK TC"', "ko": '"Noto Sans CJK KR"',
            "zh-Hans": '"Noto Sans CJK SC"', "ja": '"Noto Sans CJK JP"'}

browser_only = pytest.mark.skipif(not have_chromium(), reason="Debian's chromium is missing")


@pytest.fixture(scope="module")
def font_server(demo_server):
    """The demo's boards show shelter names marked lang=ja."""
    return demo_server.url


@pytest.fixture(scope="module")
def chromium(browser):
    return browser


def font_of(locator):
    return locator.evaluate("e => getComputedStyle(e).fontFamily")


@browser_only
@pytest.mark.parametrize("locale, tag", [("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"),
                                         ("ko-KR", "ko"), ("zh-CN", "zh-Hans"),
                                         ("ja-JP", "ja")])
@pytest.mark.parametrize("path", ["/about", "/board", "/board/E1415000004111"])
def test_the_phones_language_is_drawn_with_its_own_font(chromium, font_server, locale, tag,
                                                        path):
    """The phone's locale alone (Accept-Language) picks the language, and the body's
    fonts start with that language's own, not a Japanese one for Chinese or Korean."""
    context = chromium.new_context(locale=locale)
    page = context.new_page()
    page.goto(font_server + path)
    expect(page.locator("html")).to_have_attribute("lang", tag)
    family = font_of(page.locator("body"))
    assert family.startswith(OWN_FONT[tag]), family
    if tag != "ja":
        assert not any(family.startswith(f'"{font}') for font in JAPANESE_FONTS), family
    context.close()


@browser_only
@pytest.mark.parametrize("tag", ["zh-Hant", "ko"])
def test_a_japanese_name_in_another_language_keeps_a_japanese_font(chromium, font_server, tag):
    """The shelter's name (lang=ja) on a Chinese or Korean board is Japanese text."""
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{font_server}/board/E1415000004111?lang={tag}")
    expect(page.locator("html")).to_have_attribute("lang", tag)
    name = page.locator("header h1[lang=ja]")
    expect(name).to_be_visible()
    assert font_of(name).startswith('"Noto Sans CJK JP"'), font_of(name)
    assert font_of(page.locator("body")).startswith(OWN_FONT[tag])
    context.close()


FIRST_FONT = {**OWN_FONT, "ja-x-easy": '"Noto Sans CJK JP"', "th": '"Noto Sans Thai"',
              "km": '"Noto Sans Khmer"', "my": '"Noto Sans Myanmar"',
              "ne": '"Noto Sans Devanagari"'}


@browser_only
def test_each_language_name_on_the_board_has_its_own_font(chromium, font_server):
    """The board's language bar names each language in its script, on a Korean board: every
    name starts with its language's font; Latin and Cyrillic ones leave the Korean font
    for the system's (CJK fonts lack some Vietnamese marks)."""
    context = chromium.new_context(locale="ko-KR")
    page = context.new_page()
    page.goto(font_server + "/board/E1415000004111")
    links = page.locator(".langs a[lang]")
    expect(links).to_have_count(16)
    for i in range(16):
        link = links.nth(i)
        tag, family = link.get_attribute("lang"), font_of(link)
        assert family.startswith(FIRST_FONT.get(tag, "system-ui")), (tag, family)
    context.close()
