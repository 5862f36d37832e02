"""Names people can read (issue 18, item 1): every place of the city carries its kana
reading, its name in Latin letters (Hepburn as on road signs) and in English, kept as
data in shelters/; the importer applies them (the open data's own 名称_カナ / 名称_英字
first); coordinators correct them; boards, posters, QR sheets, the public map and the
volunteer's page show them to the readers who need them."""

import csv
import html
import json
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.notices import records
from disaster_support.notices.render import render
from disaster_support.shelters import registry
from disaster_support.shelters.importer import import_shelters
from disaster_support.volunteers import assignments

from conftest import GSI_SHELTERS, GSI_SITES, KAMIMIZO, KANAZAWA, SHIPPED, csrf_token, sign_in
from test_maps import map_data

ACTOR = Actor("test", "coordinator", "test")
NAMES = SHIPPED / "sagamihara_place_names.csv"
KANA = re.compile(r"[ァ-ヺー・ぁ-ゖ]+")
ROMAJI = re.compile(r"[A-Za-z]+(?:[ -]+[A-Za-z]+)*")
YOKOYAMA_PARK = "E1415000002201"  # 横山公園: an emergency site only


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def names():
    return {row["id"]: row for row in read(NAMES)}


# --- The data file ---------------------------------------------------------------

def test_the_file_names_every_place_of_both_gsi_files(names):
    places = {row["共通ID"]: row["施設・場所名"] for path in (GSI_SHELTERS, GSI_SITES)
              for row in read(path)}
    assert len(places) > 250
    assert set(places) <= set(names), sorted(set(places) - set(names))[:5]
    for place, name in places.items():
        row = names[place]
        assert row["name"] == name, place
        assert KANA.fullmatch(row["name_kana"]), (name, row["name_kana"])
        assert ROMAJI.fullmatch(row["name_romaji"]), (name, row["name_romaji"])
        assert row["name_en"].strip() and row["name_en"].isascii(), (name, row["name_en"])
        assert row["source"].strip(), name
        assert row["review_status"] in ("draft", "checked"), name


def test_the_file_says_whether_a_person_checked_it(names):
    assert {row["review_status"] for row in names.values()} == {"draft"}


@pytest.mark.parametrize("name, kana, romaji, english", [
    ("上溝中学校", "カミミゾチュウガッコウ", "Kamimizo Chugakko", "Kamimizo Junior High School"),
    ("古淵鵜野森公園", "コブチウノモリコウエン", "Kobuchi Unomori Koen", "Kobuchi Unomori Park"),
    ("東林中学校", "トウリンチュウガッコウ", "Torin Chugakko", "Torin Junior High School"),
    ("鳥屋学園", "トヤガクエン", "Toya Gakuen", None),
    ("相武台公民館", "ソウブダイコウミンカン", "Sobudai Kominkan", "Sobudai Community Center"),
    ("相模原市立三井地域センター", "サガミハラシリツミイチイキセンター", None, None),
    ("麻溝公民館", "アサミゾコウミンカン", None, None),
    ("淵野辺小学校", "フチノベショウガッコウ", None, "Fuchinobe Elementary School"),
    ("根小屋小学校", "ネゴヤショウガッコウ", None, None),
    ("大沼小学校", "オオヌマショウガッコウ", "Onuma Shogakko", None),  # long vowels unmarked
    ("鵜野森中学校", "ウノモリチュウガッコウ", None, None),
    ("青野原グラウンド", "アオノハラグラウンド", None, "Aonohara Sports Ground"),
])
def test_known_readings(names, name, kana, romaji, english):
    rows = [row for row in names.values() if row["name"] == name]
    assert rows, name
    for row in rows:
        assert row["name_kana"] == kana
        if romaji:
            assert row["name_romaji"] == romaji
        if english:
            assert row["name_en"] == english


def test_no_long_vowel_marks_and_no_dictionary_guesses(names):
    for row in names.values():
        assert not re.search("[āēīōūâêîôû]", row["name_romaji"], re.I)
        assert "ウワミゾ" not in row["name_kana"]  # 上溝 is かみみぞ, as pykakasi does not know


# --- Import --------------------------------------------------------------------------

def test_the_import_applies_the_names(sagamihara, db, names):
    kamimizo = registry.get_shelter(db, KAMIMIZO)
    assert (kamimizo["name_kana"], kamimizo["name_romaji"], kamimizo["name_en"]) == (
        "カミミゾチュウガッコウ", "Kamimizo Chugakko", "Kamimizo Junior High School")
    park = registry.get_shelter(db, YOKOYAMA_PARK)
    assert park["name_en"] == "Yokoyama Park" and park["name_kana"] == "ヨコヤマコウエン"
    missing = db.execute("SELECT count(*) FROM shelter WHERE name_kana IS NULL OR "
                         "name_romaji IS NULL OR name_en IS NULL").fetchone()[0]
    assert missing == 0
    assert db.execute("SELECT count(*) FROM shelter").fetchone()[0] == 168


def test_a_re_import_keeps_a_coordinators_correction(sagamihara, db, cli):
    registry.update_shelter(db, KAMIMIZO, {"name_en": "Kamimizo JHS"}, actor=ACTOR, names=True)
    assert cli("import-shelters", str(GSI_SHELTERS), str(GSI_SITES)).exit_code == 0
    assert registry.get_shelter(db, KAMIMIZO)["name_en"] == "Kamimizo JHS"


def test_the_municipal_columns_take_precedence(tmp_path, kanazawa_city):
    from disaster_support import create_app

    first, second = (row for row, _ in zip(read(KANAZAWA), range(2)))
    assert first["名称_カナ"] and not first["名称_英字"]
    with open(kanazawa_city / "kanazawa_names.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "name_kana", "name_romaji", "name_en", "source",
                         "review_status"])
        writer.writerow([first["ID"], first["名称"], "ウソノヨミ", "Mitani Kominkan",
                         "Mitani Community Center", "test", "draft"])
    profile = json.loads((kanazawa_city / "city.json").read_text(encoding="utf-8"))
    profile["place_names"] = "kanazawa_names.csv"
    (kanazawa_city / "city.json").write_text(json.dumps(profile, ensure_ascii=False),
                                             encoding="utf-8")
    app = create_app({"TESTING": True, "CITY_DIR": str(kanazawa_city)},
                     instance_path=tmp_path / "kanazawa-instance")
    db = connect(app.config["DATABASE"])
    with app.app_context():
        import_shelters(db, [("kanazawa.csv", KANAZAWA.read_bytes())], app.extensions["city"])
    place = registry.get_shelter(db, first["ID"])
    assert place["name_kana"] == first["名称_カナ"]  # the city's own reading wins
    assert place["name_en"] == "Mitani Community Center"  # the file fills what it lacks
    assert place["name_romaji"] == "Mitani Kominkan"
    other = registry.get_shelter(db, second["ID"])
    assert other["name_kana"] == second["名称_カナ"] and other["name_en"] is None


# --- What readers see ------------------------------------------------------------------

def board(app, tag, shelter=KAMIMIZO):
    return app.test_client().get(f"/board/{shelter}?lang={tag}").get_data(as_text=True)


def header(page):
    return page.split("<header>", 1)[1].split("</header>", 1)[0]


def test_the_board_shows_the_latin_names_to_readers_of_other_languages(people, app):
    head = header(board(app, "vi"))
    assert '<h1 lang="ja">上溝中学校</h1>' in head
    assert '<p class="sub" lang="en">Kamimizo Junior High School</p>' in head
    assert '<p class="sub romaji" lang="ja-Latn">Kamimizo Chugakko</p>' in head
    assert "Chuo-ku, Sagamihara" in head


def test_japanese_readers_get_the_japanese_name_only(people, app):
    head = header(board(app, "ja"))
    assert '<h1 lang="ja">上溝中学校</h1>' in head
    assert "Kamimizo" not in head and "<ruby>" not in head
    assert "相模原市 中央区" in head


def test_easy_japanese_gets_furigana_from_the_registry(people, app):
    head = header(board(app, "ja-x-easy"))
    assert "<ruby>上溝中学校<rt>かみみぞちゅうがっこう</rt></ruby>" in head
    assert "<ruby>相模原市<rt>さがみはらし</rt></ruby>" in head
    assert "<ruby>中央区<rt>ちゅうおうく</rt></ruby>" in head
    assert "Kamimizo" not in head and "Sagamihara" not in head


def test_furigana_leave_the_kana_of_a_name_outside():
    assert registry.ruby_html("星が丘公民館", "ホシガオカコウミンカン") == (
        "<ruby>星<rt>ほし</rt></ruby>が<ruby>丘公民館<rt>おかこうみんかん</rt></ruby>")
    assert registry.ruby_html("篠原の里センター", "シノハラノサトセンター") == (
        "<ruby>篠原<rt>しのはら</rt></ruby>の<ruby>里<rt>さと</rt></ruby>センター")
    assert registry.ruby_html("上溝中学校", None) == "上溝中学校"


def test_a_notice_names_the_place_for_each_reader(people, app, db):
    notice_id = records.create_notice(db, template_id="water-supply", slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:00"}, source_language="ja",
        actor=ACTOR)
    records.publish(db, notice_id, actor=ACTOR, area_kind="all")
    notice = records.get_notice(db, notice_id)
    names = records.names_for(db, [notice])
    assert "Kamimizo Junior High School (上溝中学校)" in render(notice, "en", names).body
    assert render(notice, "ja", names).body.startswith("上溝中学校で")
    easy = str(render(notice, "ja-x-easy", names).html("body"))
    assert "<ruby>上溝中学校<rt>かみみぞちゅうがっこう</rt></ruby>" in easy
    article = board(app, "vi").split(f'id="n{notice_id}"', 1)[1]
    assert "Kamimizo Junior High School (上溝中学校)" in article.split("</article>")[0]


def test_the_public_map_names_each_place_in_the_readers_script(people, app, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)

    def alt(tag):
        data = map_data(app.test_client().get(f"/board/map?lang={tag}").get_data(as_text=True))
        fields = data["fields"]
        row = next(r for r in data["shelters"] if r[0] == KAMIMIZO)
        return row[fields.index("name")], row[fields.index("alt")]

    assert alt("vi") == ("上溝中学校", "Kamimizo Junior High School (Kamimizo Chugakko)")
    assert alt("ja-x-easy") == ("上溝中学校", "かみみぞちゅうがっこう")
    assert alt("ja") == ("上溝中学校", None)


def test_posters_and_qr_sheets_carry_the_latin_names(people, app, db):
    client = sign_in(app.test_client(), "coordinator")
    sheet = client.get(f"/shelters/{KAMIMIZO}/sheet").get_data(as_text=True)
    head = sheet.split('<header class="poster-head">', 1)[1].split("</header>", 1)[0]
    assert "<ruby>上溝中学校<rt>かみみぞちゅうがっこう</rt></ruby>" in head
    assert "Kamimizo Junior High School" in head and "Kamimizo Chugakko" in head
    notice_id = records.create_notice(db, template_id="water-supply", slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:00"}, source_language="ja",
        actor=ACTOR)
    records.publish(db, notice_id, actor=ACTOR, area_kind="all")
    poster = client.get(f"/shelters/{KAMIMIZO}/notices/{notice_id}/poster?langs=vi,en")
    head = poster.get_data(as_text=True).split('<header class="poster-head">', 1)[1]
    head = head.split("</header>", 1)[0]
    assert '<p lang="ja">上溝中学校</p>' in head and "Kamimizo Junior High School" in head


def test_the_volunteers_page_names_the_place_in_latin_letters(people, app, db):
    assignments.confirm(db, people["assignment"], actor=ACTOR)
    page = sign_in(app.test_client(), "volunteer").get("/me?lang=vi").get_data(as_text=True)
    assert '<span lang="ja">上溝中学校</span> <span lang="en">Kamimizo Junior High School' in page
    assert "(Kamimizo Chugakko)" in page


# --- Coordinators correct them ------------------------------------------------------------

def post_names(client, db, **names):
    token = csrf_token(client, f"/shelters/{KAMIMIZO}")
    shelter = registry.get_shelter(db, KAMIMIZO)
    data = {"csrf_token": token, "status": shelter["status"], "capacity": "",
            "evacuees": str(shelter["evacuees"]), **names}
    return client.post(f"/shelters/{KAMIMIZO}?lang=en", data=data)


def test_a_coordinator_corrects_the_reading_and_it_is_kept_in_the_history(people, app, db):
    client = sign_in(app.test_client(), "coordinator")
    page = client.get(f"/shelters/{KAMIMIZO}").get_data(as_text=True)
    assert 'name="name_kana"' in page and 'value="カミミゾチュウガッコウ"' in page
    response = post_names(client, db, name_kana="かみみぞ ちゅうがっこう",
                          name_romaji="Kamimizo Chugakko", name_en="Kamimizo Junior High School")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert registry.get_shelter(db, KAMIMIZO)["name_kana"] == "カミミゾ チュウガッコウ"
    change = db.execute("SELECT actor, via, old, new FROM shelter_change WHERE shelter_id = ? "
                        "AND field = 'name_kana'", [KAMIMIZO]).fetchall()
    assert [tuple(c) for c in change] == [
        ("coordinator", "form", "カミミゾチュウガッコウ", "カミミゾ チュウガッコウ")]
    audit = db.execute("SELECT before, after FROM audit WHERE action = 'update' AND "
                       "entity = 'shelter' AND entity_id = ?", [KAMIMIZO]).fetchall()
    assert any("name_kana" in (a[1] or "") for a in audit)


def test_bad_names_are_refused_with_the_field_named(people, app, db):
    client = sign_in(app.test_client(), "coordinator")
    response = post_names(client, db, name_kana="Kamimizo", name_romaji="Kamimizo Chūgakkō 1")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Reading of the name (kana): write the reading in hiragana or katakana" in page
    assert "Name in Latin letters (romaji): Latin letters A to Z" in page
    assert registry.get_shelter(db, KAMIMIZO)["name_kana"] == "カミミゾチュウガッコウ"


def test_shelter_staff_cannot_change_the_names(people, app, db):
    client = sign_in(app.test_client(), "staff")
    assert 'name="name_kana"' not in client.get(f"/shelters/{KAMIMIZO}").get_data(as_text=True)
    response = post_names(client, db, name_en="Somewhere else")
    assert response.status_code == 403
    assert registry.get_shelter(db, KAMIMIZO)["name_en"] == "Kamimizo Junior High School"
    with pytest.raises(registry.ValidationError) as error:  # the API and tablets too
        registry.update_shelter(db, KAMIMIZO, {"name_en": "x"}, actor=ACTOR)
    assert "name_en" in error.value.errors


# --- Escaping ---------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_hostile_name_is_text_everywhere(people, app, db):
    db.execute("UPDATE shelter SET status = 'open', name = ?, name_kana = ?, name_en = ?, "
               "name_romaji = ? WHERE id = ?",
               ["上溝" + HOSTILE, "カミ" + HOSTILE, "Kamimizo" + HOSTILE, HOSTILE, KAMIMIZO])
    db.conn.commit()
    escaped = html.escape(HOSTILE, quote=False)
    for tag in ("vi", "ja", "ja-x-easy"):
        page = board(app, tag)
        assert "<script>alert" not in page and "<img src=x" not in page, tag
        assert escaped.replace('"', "&#34;") in page or escaped in page, tag
    for url in ("/board/map?lang=vi", "/board/map?lang=ja-x-easy"):
        page = app.test_client().get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
    coordinator = sign_in(app.test_client(), "coordinator")
    for url in (f"/shelters/{KAMIMIZO}/sheet", f"/shelters/{KAMIMIZO}"):
        page = coordinator.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
    ruby = str(registry.ruby_html("上溝" + HOSTILE, "かみ" + HOSTILE))
    assert "<script>" not in ruby and "&lt;script&gt;" in ruby


def test_the_api_gives_the_latin_name(people, app):
    client = sign_in(app.test_client(), "coordinator")
    shelter = client.get(f"/api/v1/shelters/{KAMIMIZO}").get_json()
    assert shelter["name_romaji"] == "Kamimizo Chugakko"
    assert shelter["name_en"] == "Kamimizo Junior High School"
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Shelter"]
    assert "name_romaji" in schema["required"]
