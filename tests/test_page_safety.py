"""What a coordinator or translator writes in a notice is text on the public board,
the poster and the notice's page, never markup; and each page's scripts run only
with the Content-Security-Policy nonce of that very response."""

import html
import re
from html.parser import HTMLParser

import pytest

from conftest import KAMIMIZO, csrf_token
from notice_publishing import publish_checked
from test_escaping import PAYLOAD, injected

TITLE = "説明会 " + PAYLOAD
BODY = "明日 体育館で 説明会を 行います。\n" + PAYLOAD
TRANSLATED_TITLE = "Information meeting " + PAYLOAD
TRANSLATED_BODY = "Tomorrow in the gym.\n" + PAYLOAD
NOTE = "ペットボトルは 1人 2本まで " + PAYLOAD


def shown_text(page, notice_id):
    """The text a reader sees in the notice's article (tags gone, entities read)."""
    article = re.search(rf'<article id="n{notice_id}"[^>]*>(.*?)</article>', page, re.S)
    assert article, f"notice {notice_id} is not on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", article.group(1)))


def free_text_notice(client, source_language, title, body, translations=()):
    """A free-text notice written, translated and published to Kamimizo's board by
    the coordinator, through the forms."""
    token = csrf_token(client, "/notices/new")
    response = client.post("/notices/new", data={
        "csrf_token": token, "source_language": source_language, "category": "information",
        "title": title, "body": body})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for tag, (translated_title, translated_body) in translations:
        response = client.post(f"/notices/{notice_id}/translations/{tag}", data={
            "csrf_token": token, "title": translated_title, "body": translated_body})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    response = publish_checked(client, notice_id, {
        "csrf_token": token, "area_kind": "shelters", "shelters": [KAMIMIZO]})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return notice_id


# --- Notices are text ----------------------------------------------------------------

@pytest.mark.parametrize("tag, status, title, body", [
    ("ja", "original", TITLE, BODY),                  # the language it was written in
    ("vi", "translated", TRANSLATED_TITLE, TRANSLATED_BODY),  # a translator's text
    ("en", "missing", TITLE, BODY),                   # not yet translated: the original
], ids=["original", "translated", "missing"])
def test_a_notices_title_and_text_are_shown_as_text_on_the_board(
        app, coordinator, tag, status, title, body):
    notice_id = free_text_notice(coordinator, "ja", TITLE, BODY,
                                 translations=[("vi", (TRANSLATED_TITLE, TRANSLATED_BODY))])
    page = app.test_client().get(f"/board/{KAMIMIZO}?lang={tag}").get_data(as_text=True)
    assert f'<article id="n{notice_id}" class="{status}">' in page
    assert injected(page) == 0
    shown = shown_text(page, notice_id)
    assert title in shown and body.split("\n")[1] in shown
    assert body.split("\n")[0] in shown  # the line break kept as <br>, the lines as text


def test_an_easy_japanese_notice_with_furigana_is_shown_as_text(app, coordinator):
    """Easy Japanese goes another way: <ruby> readings over the kanji, the rest text."""
    notice_id = free_text_notice(coordinator, "ja-x-easy", TITLE, BODY)
    page = app.test_client().get(f"/board/{KAMIMIZO}?lang=ja-x-easy").get_data(as_text=True)
    assert f'<article id="n{notice_id}" class="original">' in page
    assert "<ruby>" in page  # the furigana way indeed
    assert injected(page) == 0
    shown = shown_text(page, notice_id)
    assert PAYLOAD in shown


def test_a_template_notices_note_and_place_are_shown_as_text(app, coordinator):
    token = csrf_token(coordinator, "/notices/new?template=water-supply")
    response = coordinator.post("/notices/new", data={
        "csrf_token": token, "template_id": "water-supply", "source_language": "ja",
        "slot_place": "校庭 " + PAYLOAD, "slot_time_range_from": "15:00",
        "slot_time_range_to": "17:30", "slot_note": NOTE})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    publish_checked(coordinator, notice_id, {
        "csrf_token": token, "area_kind": "shelters", "shelters": [KAMIMIZO]})
    page = app.test_client().get(f"/board/{KAMIMIZO}?lang=ja").get_data(as_text=True)
    assert injected(page) == 0
    shown = shown_text(page, notice_id)
    assert NOTE in shown and "校庭 " + PAYLOAD in shown


def test_the_poster_and_the_notices_page_show_the_notice_as_text(coordinator):
    notice_id = free_text_notice(coordinator, "ja", TITLE, BODY,
                                 translations=[("vi", (TRANSLATED_TITLE, TRANSLATED_BODY))])
    poster = coordinator.get(f"/shelters/{KAMIMIZO}/notices/{notice_id}/poster"
                             f"?langs=ja,vi,en,ja-x-easy").get_data(as_text=True)
    detail = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    for page in (poster, detail):
        assert injected(page) == 0
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert TITLE in text and TRANSLATED_TITLE in text and PAYLOAD in text


# --- The Content-Security-Policy nonce ------------------------------------------------

PAGES = ["/", "/map", "/map?language=vi", "/board/map", f"/board/{KAMIMIZO}", "/needs",
         "/shelters/", f"/shelters/{KAMIMIZO}", "/notices", "/about", "/nope"]
NOT_RUN = {"application/json", "application/ld+json", "importmap", "speculationrules"}


class Scripts(HTMLParser):
    """The page's inline scripts that a browser runs: their nonce attributes."""

    def __init__(self, page):
        super().__init__()
        self.nonces = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") not in NOT_RUN:
            self.nonces.append(attrs.get("nonce"))


def nonce_of(response):
    csp = response.headers["Content-Security-Policy"]
    found = re.search(r"script-src [^;]*'nonce-([^']+)'", csp)
    assert found, csp
    return found.group(1)


def test_the_nonce_is_new_on_every_response(coordinator):
    nonces = [nonce_of(coordinator.get(url)) for url in PAGES for _ in range(2)]
    assert len(set(nonces)) == len(nonces)  # the same page twice: two nonces
    assert all(len(nonce) >= 22 for nonce in nonces)  # 128 bits or more, url-safe base64


def test_every_inline_script_carries_the_nonce_of_its_own_response(coordinator):
    ran = 0
    for url in PAGES:
        for _ in range(2):  # the map's script is built once: its page is not
            response = coordinator.get(url)
            scripts = Scripts(response.get_data(as_text=True)).nonces
            assert scripts == [nonce_of(response)] * len(scripts), url
            ran += len(scripts)
    assert ran >= 6  # the maps have an inline script each: the check checks something
