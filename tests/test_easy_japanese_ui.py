"""Easy Japanese pages carry furigana on their own words, as notices do; attributes,
scripts, options and names marked as Japanese are left as they were."""

import json
import re
from html.parser import HTMLParser

from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.shelters import registry

from conftest import KAMIMIZO, sign_in

ACTOR = Actor("test", "coordinator", "test")
KANJI = re.compile(r"[\u4e00-\u9fff]")
LEFT_ALONE = {"script", "style", "title", "option", "textarea", "ruby", "code", "pre", "svg",
              "template"}
VOID = {"br", "img", "input", "link", "meta", "hr", "source", "wbr"}


class BareKanji(HTMLParser):
    """Text of the page's own language with kanji and no reading."""

    def __init__(self, page):
        super().__init__()
        self.stack, self.found = [], []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        lang = dict(attrs).get("lang")
        plain = (not self.stack or self.stack[-1]) and tag not in LEFT_ALONE and lang in (
            None, "ja-x-easy")
        self.stack.append(plain)

    def handle_endtag(self, tag):
        if self.stack and tag not in VOID:
            self.stack.pop()

    def handle_data(self, data):
        if (not self.stack or self.stack[-1]) and KANJI.search(data):
            self.found.append(data.strip())


def test_interface_words_get_readings(client):
    page = client.get("/about?lang=ja-x-easy").get_data(as_text=True)
    assert "<ruby>国土地理院<rt>こくどちりいん</rt></ruby>" in page
    assert BareKanji(page).found == []
    # Japanese pages are left as they are
    assert "<ruby>" not in client.get("/about?lang=ja").get_data(as_text=True)


def test_the_tablet_in_easy_japanese_keeps_attributes_names_and_escaping(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    need, _ = needs.record_need(db, KAMIMIZO, {"client_id": "easy-ui-1", "category": "water",
                                               "language": "vi", "people": 2,
                                               "note": "<b>避難</b> & 水"}, actor=ACTOR)
    staff = sign_in(app.test_client(), "staff")
    # what a person typed stays escaped, readings or not
    detail = staff.get(f"/needs/{need['id']}?lang=ja-x-easy").get_data(as_text=True)
    assert "&lt;b&gt;<ruby>避難<rt>ひなん</rt></ruby>&lt;/b&gt; &amp; " in detail
    assert "<b>" not in detail
    page = staff.get(f"/shelters/{KAMIMIZO}/tablet?lang=ja-x-easy").get_data(as_text=True)
    assert "<ruby>" in page and BareKanji(page).found == []
    # attributes are never given markup
    for value in re.findall(r'(?:placeholder|aria-label|title|value)="([^"]*)"', page):
        assert "<ruby>" not in value and "&lt;ruby" not in value
    # the shelter's name is marked Japanese: its reading comes from the registry
    assert re.search(r'lang="ja"[^>]*>上溝中学校', page)


def test_data_in_scripts_is_left_alone(client, sagamihara):
    page = client.get("/board/map?lang=ja-x-easy").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="map-data"[^>]*>(.*?)</script>',
                     page, re.S).group(1)
    assert "<ruby>" not in data and json.loads(data)["shelters"]
