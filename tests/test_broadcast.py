"""The broadcast pack (issue 21, item 3): for a published notice, per language, texts
that fit each channel, with the short link to the notice in that language."""

import html
import re
import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from conftest import KAMIMIZO
from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.notices import records
from disaster_support.notices.render import render_all
from disaster_support.notices.templates import items, templates
from disaster_support.outreach import broadcast
from disaster_support.vocabulary import languages

ACTOR = Actor("test", "coordinator", "test")
SAMPLES = {"place": f"shelter:{KAMIMIZO}", "date": "2026-11-27", "time": "18:30",
           "time_range": "09:00-11:30", "phone": "042-754-1111",
           "areas": f"ward:midori;district:chuo/横山;shelter:{KAMIMIZO}", "hazard": "landslide",
           "places": f"shelter:{KAMIMIZO}", "intensities": "midori=6-;chuo=5+;minami=5-",
           "warnings": "03;04;05;14;15", "river": "相模川", "flood_stage": "40"}
URL = "https://sagamihara.example.jp/n/123/zh-Hant"


def x_weight(text):
    """X's rule, counted here on its own: code points in the ranges X counts single
    (Latin, Greek, Cyrillic, Devanagari… up to U+10FF, and some punctuation) weigh 1,
    the rest 2; a link weighs 23."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    for word in re.split(r"(https?://\S+)", text):
        if word.startswith(("http://", "https://")):
            weight += 23
            continue
        for c in word:
            code = ord(c)
            single = (code <= 0x10FF or 0x2000 <= code <= 0x200D or 0x2010 <= code <= 0x201F
                      or 0x2032 <= code <= 0x2037)
            weight += 1 if single else 2
    return weight


def sms_fits(text):
    """One segment, counted by the gsm0338 codec: 160 septets (an extension character
    takes two) if GSM 7-bit can say it, else 70 UCS-2 units."""
    try:
        return len(text.encode("gsm03.38")) <= 160
    except UnicodeError:
        return len(text.encode("utf-16-le")) // 2 <= 70


class City:
    def name(self, tag):
        return "相模原市"


def test_every_channel_fits_in_every_language_for_every_template(app, people):
    db = connect(app.config["DATABASE"])
    names = records.shelter_names(db, [KAMIMIZO]) | records.ward_names()
    long_item = max(items(), key=lambda i: len(items()[i]["en"]))
    checked = set()
    for template in templates().values():
        slots = {k: SAMPLES.get(k, long_item) for k in template.slots if k != "note"}
        notice = {"template_id": template.id, "slots": slots, "source_language": "ja",
                  "translations": {}}
        packs = broadcast.pack(render_all(notice, names), lambda tag: URL, City())
        assert set(packs) == set(languages()), template.id
        for tag, p in packs.items():
            assert x_weight(p["x"]) <= 280, (template.id, tag, p["x"])
            assert p["x"].endswith(URL) and p["sms"].endswith(URL)
            assert sms_fits(p["sms"]), (template.id, tag, p["sms"])
            assert len(p["post"]) <= 5000 and p["post"].endswith(URL)
            checked.add(tag)
        # the Easy Japanese and Japanese radio scripts read the notice twice
        for tag in ("ja", "ja-x-easy"):
            body = render_all(notice, names)[tag].body.replace("\n", "")
            assert packs[tag]["radio"].count(body) == 2
            assert "相模原市" in packs[tag]["radio"]
        assert "radio" not in packs["en"]
    assert checked == set(languages())


def test_a_long_text_is_cut_at_a_sentence_and_a_long_title_with_an_ellipsis():
    body = "。".join(["避難所で水と食べ物を配っています"] * 30) + "。"
    post = broadcast.x_post("お知らせ", body, URL)
    assert x_weight(post) <= 280 and post.count("配っています。") >= 5
    assert "\n".join(post.split("\n")[1:-1]).endswith("。")  # whole sentences only
    assert x_weight(broadcast.x_post("避" * 300, body, URL)) <= 280
    short = broadcast.sms("ហាមផឹកទឹកម៉ាស៊ីននៅតំបន់នេះជាបណ្ដោះអាសន្ន" * 3, URL)
    assert sms_fits(short) and "…" in short
    # Vietnamese letters are not in the GSM alphabet: 70, not 160
    assert broadcast.sms_units("Nước uống")[1] == 70
    assert broadcast.sms_units("Agua potable {}")[0] == len("Agua potable {}") + 2


def test_the_pack_page_and_the_short_link(app, coordinator, people):
    db = connect(app.config["DATABASE"])
    notice_id = records.create_notice(db, template_id="water-supply", actor=ACTOR, slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:30"})
    page = coordinator.get(f"/notices/{notice_id}/broadcast?lang=en").get_data(as_text=True)
    assert "is not on the boards" in page
    records.publish(db, notice_id, actor=ACTOR)
    page = coordinator.get(f"/notices/{notice_id}/broadcast?lang=en").get_data(as_text=True)
    for tag in languages():
        assert f'id="x-{tag}"' in page and f'id="sms-{tag}"' in page
    assert 'id="radio-ja"' in page and 'id="radio-ja-x-easy"' in page
    assert 'id="radio-vi"' not in page
    link = f"http://localhost/n/{notice_id}/vi"
    assert html.escape(link) in page and page.count("<svg") >= 16  # QR codes
    public = app.test_client()
    board = public.get(f"/n/{notice_id}/vi").get_data(as_text=True)
    assert 'lang="vi"' in board and "Kamimizo" in board
    switched = public.get(f"/n/{notice_id}/vi?lang=ko")
    assert switched.headers["Location"].endswith(f"/n/{notice_id}/ko")
    assert public.get(f"/n/{notice_id}/xx").status_code == 404
    records.withdraw(db, notice_id, actor=ACTOR)
    assert public.get(f"/n/{notice_id}/vi").status_code == 302  # to the boards
