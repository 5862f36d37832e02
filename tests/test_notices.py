"""Notices: reviewed templates in 16 languages, publishing to an area for a
time, free text that says when it is not yet translated, boards and posters."""

import datetime
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.notices import records
from disaster_support.notices.render import render
from disaster_support.notices.templates import SLOT_TYPES, items, templates
from disaster_support.shelters import registry
from disaster_support.vocabulary import languages

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in
from notice_publishing import publish_checked

ACTOR = Actor("test", "coordinator", "test")
MIDORI_SHELTER = "E1415000164111"  # in Midori-ku (Kamimizo and Yokoyama are in Chuo-ku)


def test_there_are_at_least_20_templates_complete_in_16_languages():
    found = templates()
    assert len(found) >= 20
    for template in found.values():
        assert set(template.texts) == set(languages()), template.id
        # written by the project: the city reviews them (draft until then)
        assert template.review("ja")["status"] in ("draft", "reviewed")
    assert {"water-supply", "food-distribution", "aftershock", "disaster-certificate",
            "temporary-housing", "consultation-desk", "embassy", "lost-documents",
            "mental-health", "interpreters", "baths", "first-aid", "medicines",
            "utilities", "transport", "shelter-rules", "garbage", "pets",
            "toilets-hygiene", "hot-meals"} <= set(found)


def test_items_are_named_in_every_language():
    for item, names in items().items():
        assert set(names) == set(languages()), item


def test_a_broken_template_is_refused_with_its_file_and_reason(tmp_path):
    from disaster_support.notices.templates import TemplateError

    (tmp_path / "broken.yaml").write_text(
        "id: broken\ncategory: water\ncap: {category: Infra, urgency: Expected, "
        "severity: Minor}\nslots: {place: required}\ntexts:\n  ja:\n    title: t\n"
        "    body: '{time} に'\n    review: {status: draft}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"broken.yaml: ja: undeclared slot\(s\) \['time'\]"):
        templates(tmp_path)


@pytest.fixture
def coordinator_client(app, people):
    return sign_in(app.test_client(), "coordinator")


def publish_water(client, db, area_kind="wards", area=("chuo",), until=None):
    token = csrf_token(client, "/notices/new?template=water-supply")
    response = client.post("/notices/new", data={
        "csrf_token": token, "template_id": "water-supply", "source_language": "ja",
        "slot_place_shelter": KAMIMIZO, "slot_time_range_from": "15:00",
        "slot_time_range_to": "17:30"})
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    data = {"csrf_token": token, "area_kind": area_kind}
    data["wards" if area_kind == "wards" else "shelters"] = list(area)
    if until:
        data["valid_until"] = until
    response = publish_checked(client, notice_id, data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return notice_id


def test_published_to_one_ward_every_board_there_shows_it_in_16_languages(
        app, coordinator_client, db, monkeypatch):
    notice_id = publish_water(coordinator_client, db, until="2099-01-01T12:00")
    board = app.test_client()  # the public: no sign-in
    for tag in languages():
        page = board.get(f"/board/{YOKOYAMA}?lang={tag}").get_data(as_text=True)
        assert f'id="n{notice_id}"' in page, tag
        assert "missing" not in re.search(rf'<article id="n{notice_id}" class="(\w+)"',
                                          page).group(1)
    vi = board.get(f"/board/{KAMIMIZO}?lang=vi").get_data(as_text=True)
    assert "15:00" in vi and "17:30" in vi
    easy = board.get(f"/board/{KAMIMIZO}?lang=ja-x-easy").get_data(as_text=True)
    # the public clock of Easy Japanese: ごご / ごぜん in kana (noon is ひるの 12時)
    assert "ごご <ruby>3時<rt>さんじ</rt></ruby>から" in easy
    assert "ごご <ruby>5時<rt>ごじ</rt></ruby><ruby>30分<rt>さんじゅっぷん</rt></ruby>まで" in easy
    # boards elsewhere do not show it
    assert f'id="n{notice_id}"' not in board.get(f"/board/{MIDORI_SHELTER}").get_data(
        as_text=True)
    # after its validity it is gone by itself
    later = (datetime.datetime(2099, 1, 2, tzinfo=datetime.timezone.utc)).isoformat()
    monkeypatch.setattr(records, "_now", lambda: later)
    assert f'id="n{notice_id}"' not in board.get(f"/board/{YOKOYAMA}").get_data(as_text=True)
    assert records.get_notice(db, notice_id)["state"] == "expired"


def test_the_board_is_small_and_works_without_javascript(app, coordinator_client, db):
    """Its one script only keeps the page for offline use and says how old it is."""
    publish_water(coordinator_client, db, area_kind="all")
    response = app.test_client().get(f"/board/{KAMIMIZO}?lang=ne")
    page = response.get_data(as_text=True)
    css = app.test_client().get(re.search(r'href="(/static/css/board\.css\?v=\w+)"',
                                          page).group(1))
    icons = sum(len(app.test_client().get(src).data)
                for src in set(re.findall(r'src="([^"]+)"', page)))
    assert len(response.data) + len(css.data) + icons < 30_000
    scripts = re.findall(r"<script[^>]*>", page)
    assert [s for s in scripts if "src=" in s] == [
        s for s in scripts if re.search(r'src="/static/js/offline\.js\?v=\w+"', s)]
    assert len(scripts) == 2  # offline.js, and its texts as JSON
    assert '<html lang="ne">' in page
    assert "<form" not in page and "Data of" not in page  # texts in Nepali


def test_free_text_says_not_yet_translated_until_someone_translates(
        app, coordinator_client, db):
    token = csrf_token(coordinator_client, "/notices/new")
    response = coordinator_client.post("/notices/new", data={
        "csrf_token": token, "source_language": "ja", "category": "information",
        "title": "説明会", "body": "明日 午前10時に 体育館で 説明会を 行います。"})
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    publish_checked(coordinator_client, notice_id, {
        "csrf_token": token, "area_kind": "shelters", "shelters": [KAMIMIZO]})
    board = app.test_client()
    page = board.get(f"/board/{KAMIMIZO}?lang=en").get_data(as_text=True)
    assert "Not yet translated into English. Original in 日本語:" in page
    assert '<article id="n%d" class="missing">' % notice_id in page
    missing = records.missing_translations(db)
    assert {tag for notice, tag in missing if notice["id"] == notice_id} == \
        set(languages()) - {"ja"}
    listing = coordinator_client.get("/notices/translations?lang=en").get_data(as_text=True)
    assert f'data-item="translate-{notice_id}-vi"' in listing
    coordinator_client.post(f"/notices/{notice_id}/translations/en", data={
        "csrf_token": token, "title": "Information meeting",
        "body": "Tomorrow at 10 a.m. there is an information meeting in the gym."})
    page = board.get(f"/board/{KAMIMIZO}?lang=en").get_data(as_text=True)
    assert "Information meeting" in page and "Not yet translated" not in page
    vi = board.get(f"/board/{KAMIMIZO}?lang=vi").get_data(as_text=True)
    assert '<article id="n%d" class="missing">' % notice_id in vi
    assert "Tiếng Việt" in re.search(r'<p class="missing" lang="vi">([^<]*)</p>', vi).group(1)


def test_a_template_note_is_shown_only_where_translated(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    notice_id = records.create_notice(db, template_id="water-supply", slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:00",
        "note": "ペットボトルは 1人 2本まで"}, source_language="ja", actor=ACTOR)
    notice = records.get_notice(db, notice_id)
    names = records.names_for(db, [notice])
    assert render(notice, "ja", names).body.startswith("上溝中学校で")
    assert render(notice, "ja", names).body.endswith("ペットボトルは 1人 2本まで")
    english = render(notice, "en", names)
    # only the note waits: the reviewed English text is complete, the note apart
    assert english.status == "template" and english.complete and english.needs_translation
    assert english.pending_note == "ペットボトルは 1人 2本まで"
    assert "ペットボトル" not in english.body
    records.add_translation(db, notice_id, "en", note="Up to 2 bottles per person.",
                            actor=ACTOR)
    english = render(records.get_notice(db, notice_id), "en")
    assert english.status == "translated" and "Up to 2 bottles per person." in english.body


def test_edits_keep_earlier_versions(app, coordinator_client, db):
    notice_id = publish_water(coordinator_client, db)
    token = csrf_token(coordinator_client, "/notices")
    coordinator_client.post(f"/notices/{notice_id}/edit", data={
        "csrf_token": token, "slot_place_shelter": YOKOYAMA, "slot_time_range_from": "16:00",
        "slot_time_range_to": "18:00"})
    notice = records.get_notice(db, notice_id)
    assert notice["version"] == 2 and notice["slots"]["time_range"] == "16:00-18:00"
    earlier = records.versions(db, notice_id)
    assert earlier[0]["version"] == 1
    assert earlier[0]["snapshot"]["slots"]["time_range"] == "15:00-17:30"
    page = coordinator_client.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    assert "Earlier versions" in page and "15:00-17:30" in page


@pytest.mark.parametrize("data, field, message", [
    ({"slot_time_range_from": "17:00", "slot_time_range_to": "15:00"}, "slot_time_range",
     "From – until: two times, the first earlier"),
    ({"slot_place_shelter": "", "slot_place": ""}, "slot_place",
     "Place: required for this notice."),
    ({"slot_note": "x" * 401}, "slot_note", "Note: at most 400 characters."),
])
def test_bad_slot_values_are_named_and_nothing_is_saved(app, coordinator_client, db, data,
                                                         field, message):
    token = csrf_token(coordinator_client, "/notices/new")
    before = db["notice"].count
    form = {"csrf_token": token, "template_id": "water-supply", "source_language": "ja",
            "slot_place_shelter": KAMIMIZO, "slot_time_range_from": "15:00",
            "slot_time_range_to": "17:00", **data}
    response = coordinator_client.post("/notices/new?lang=en", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db["notice"].count == before


def test_publishing_checks_area_and_validity(app, people, db):
    notice_id = records.create_notice(db, template_id="aftershock", slots={},
                                      source_language="ja", actor=ACTOR)
    with pytest.raises(registry.ValidationError) as error:
        records.publish(db, notice_id, area_kind="wards", area=["atlantis"], actor=ACTOR)
    assert "area" in error.value.errors
    with pytest.raises(registry.ValidationError) as error:
        records.publish(db, notice_id, valid_until="2020-01-01T00:00", actor=ACTOR)
    assert "valid_until" in error.value.errors
    assert records.get_notice(db, notice_id)["status"] == "draft"


def test_every_template_renders_in_every_language_with_sample_values(app, people, db):
    samples = {"place": f"shelter:{KAMIMIZO}", "date": "2026-11-27", "time": "18:30",
               "time_range": "09:00-11:30", "item": next(iter(items())),
               "phone": "042-754-1111", "note": "テスト",
               # official information (intake/)
               "areas": f"ward:midori;district:chuo/横山;shelter:{KAMIMIZO}", "hazard": "flood",
               "places": f"shelter:{KAMIMIZO}", "intensities": "midori=5-;chuo=4",
               "warnings": "03;04;name:大雨危険警報", "river": "相模川", "flood_stage": "40"}
    names = {KAMIMIZO: {"ja": "上溝中学校", "en": None}} | records.ward_names()
    for template in templates().values():
        notice = {"template_id": template.id, "slots": {k: samples[k] for k in template.slots},
                  "source_language": "ja", "translations": {}}
        for tag in languages():
            text = render(notice, tag, names)
            assert text.title and text.body and "{" not in text.body, (template.id, tag)
            assert "ward:" not in text.body and "name:" not in text.body, (template.id, tag)
            if tag == "ja-x-easy":
                text.html("body")  # furigana for every template
    assert set(SLOT_TYPES) == set(samples)


def test_place_names_get_the_registrys_reading_or_none_never_a_guess(app, people, db):
    notice = {"template_id": "water-supply", "source_language": "ja", "translations": {},
              "slots": {"place": f"shelter:{KAMIMIZO}", "time_range": "09:00-10:00"}}
    names = records.shelter_names(db, [KAMIMIZO])
    html = str(render(notice, "ja-x-easy", names).html("body"))
    assert "上溝中学校" in html and "うわみぞ" not in html  # 上溝 is かみみぞ
    names[KAMIMIZO]["kana"] = "カミミゾチュウガッコウ"
    html = str(render(notice, "ja-x-easy", names).html("body"))
    assert "<ruby>上溝中学校<rt>かみみぞちゅうがっこう</rt></ruby>" in html
    assert render(notice, "ja-x-easy", names).body.startswith("上溝中学校で")


def test_boards_and_posters_say_when_a_notice_was_published(app, coordinator_client, db):
    notice_id = publish_water(coordinator_client, db)
    published = records.get_notice(db, notice_id)["published_at"]
    local = datetime.datetime.fromisoformat(published).astimezone(
        datetime.timezone(datetime.timedelta(hours=9)))
    board = app.test_client().get(f"/board/{KAMIMIZO}?lang=en").get_data(as_text=True)
    article = board.split(f'id="n{notice_id}"', 1)[1].split("</article>", 1)[0]
    assert re.search(r'class="published"[^>]*>Published [^<]*\d{1,2}:\d{2}', article)
    board_ja = app.test_client().get(f"/board/{KAMIMIZO}?lang=ja").get_data(as_text=True)
    assert f"掲示日時：{local:%Y/%m/%d %H:%M}" in board_ja
    poster = coordinator_client.get(f"/shelters/{KAMIMIZO}/notices/{notice_id}/poster")
    assert f'<time datetime="{published}">{local:%Y-%m-%d %H:%M}</time>' in poster.get_data(
        as_text=True)


def test_one_untranslated_note_keeps_furigana_and_languages(app, people, db, client):
    """The note alone carries "not yet translated": Easy Japanese keeps its furigana and
    every translated text keeps its own language on the board."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    notice_id = records.create_notice(db, template_id="water-supply", slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:00",
        "note": "ペットボトルは 1人 2本まで"}, source_language="ja", actor=ACTOR)
    records.publish(db, notice_id, actor=ACTOR)
    easy = client.get(f"/board/{KAMIMIZO}?lang=ja-x-easy").get_data(as_text=True)
    article = re.search(rf'<article id="n{notice_id}".*?</article>', easy, re.S).group(0)
    assert "<ruby>" in article.split('class="missing"')[0]   # the text, before the note
    vi = client.get(f"/board/{KAMIMIZO}?lang=vi").get_data(as_text=True)
    article = re.search(rf'<article id="n{notice_id}".*?</article>', vi, re.S).group(0)
    assert re.search(r'<h2 lang="vi">', article) and '<p lang="vi">' in article
    assert '<p lang="ja">ペットボトルは 1人 2本まで</p>' in article   # the note, marked
    assert "Not yet translated into" not in article
