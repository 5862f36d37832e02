"""The conversation board: complete phrase sets in 16 languages, phrases that become
needs (exactly once), speech where the machine has a voice, and nothing else."""

import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.conversation import phrases as phrase_data
from disaster_support.conversation import speech
from disaster_support.needs import records as needs
from disaster_support.shelters import registry
from disaster_support.vocabulary import languages, need_categories

from conftest import KAMIMIZO, csrf_token, sign_in

ACTOR = Actor("test", "admin", "test")


def test_every_phrase_set_is_complete_in_all_16_languages():
    for tag in languages():
        assert phrase_data.check_language(tag) == [], tag
    catalog = phrase_data.catalog()
    assert len(catalog.phrases) >= 120
    assert {s.id for s in catalog.sets} >= {"greetings", "help", "health", "food", "religion",
                                             "family", "documents", "questions"}
    for tag in languages():
        for phrase_id in catalog.phrases:
            assert catalog.text(tag, phrase_id).strip(), (tag, phrase_id)
        # a translation, not a copy of the English (yes/no-like words aside)
        if tag != "en":
            same = [p for p in catalog.phrases
                    if catalog.text(tag, p) == catalog.text("en", p)]
            assert len(same) <= 3, (tag, same)


def test_every_need_phrase_maps_to_a_valid_category():
    catalog = phrase_data.catalog()
    with_needs = [p for p in catalog.phrases.values() if p.need]
    assert len(with_needs) >= 60
    assert {p.need for p in with_needs} <= set(need_categories())
    for required in ("need_doctor", "need_medicine", "need_interpreter", "no_pork",
                     "no_alcohol", "vegetarian", "allergy_egg", "allergy_milk",
                     "allergy_wheat", "allergy_buckwheat", "allergy_peanut", "allergy_shrimp",
                     "allergy_crab", "prayer_place", "looking_for_someone", "children_with_me",
                     "pregnant", "lost_residence_card", "lost_passport", "contact_embassy"):
        assert catalog.phrases[required].need, required
    assert catalog.phrases["no_pork"].need == "food"
    assert catalog.phrases["need_interpreter"].need == "interpretation"
    # questions the staff ask offer answers to tap
    for question in ("q_where_staying", "q_how_many", "q_chronic_illness"):
        assert catalog.phrases[question].answers


def test_a_bad_phrase_file_names_the_phrase(tmp_path):
    folder = tmp_path / "phrases"
    folder.mkdir()
    (folder / "sets.yaml").write_text(
        "sets:\n  - id: food\n    pictogram: pictograms/food.svg\n"
        "    phrases:\n      - {id: no_pork, need: sushi}\n", encoding="utf-8")
    with pytest.raises(phrase_data.PhraseError, match="no_pork: need 'sushi'"):
        phrase_data.check_language("en", folder)


@pytest.fixture
def staff(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "80",
                                           "languages": {"vi": "6", "ne": "2"}}, actor=ACTOR)
    return sign_in(app.test_client(), "staff")


def test_the_evacuee_picks_their_language_in_its_own_script(staff):
    page = staff.get(f"/shelters/{KAMIMIZO}/talk?lang=en").get_data(as_text=True)
    tags = re.findall(r'<li><a href="/shelters/\w+/talk/([\w-]+)" lang', page)
    assert tags[:2] == ["vi", "ne"]  # the shelter's own languages first
    assert len(tags) == 15 and "ja" not in tags
    assert 'lang="vi" hreflang="vi">Tiếng Việt</a>' in page
    assert staff.get(f"/shelters/{KAMIMIZO}/talk/vi").headers["Location"].endswith(
        f"/shelters/{KAMIMIZO}/talk/vi/greetings")


@pytest.mark.parametrize("tag", list(languages()))
def test_every_set_page_shows_both_languages(staff, tag):
    catalog = phrase_data.catalog()
    for phrase_set in catalog.sets:
        page = staff.get(f"/shelters/{KAMIMIZO}/talk/{tag}/{phrase_set.id}").get_data(
            as_text=True)
        for phrase_id in phrase_set.phrases:
            assert f'id="p-{phrase_id}"' in page
        first = phrase_set.phrases[0]
        them = catalog.text(tag, first).replace("'", "&#39;").replace('"', "&#34;")
        assert them in page and catalog.text("ja", first) in page
        assert len(page.encode()) < 90_000  # one small page per set, kept offline


def test_a_phrase_becomes_a_need_once(staff, db):
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/vi/food?lang=en").get_data(as_text=True)
    form = page.split('id="p-no_pork"')[1].split("</form>")[0]
    values = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert values["category"] == "food" and values["language"] == "vi"
    assert values["note"] == "豚肉は食べられません。"
    before = needs.count_needs(db, shelter_id=KAMIMIZO)[0]
    for _ in range(2):  # a double tap
        response = staff.post(f"/shelters/{KAMIMIZO}/needs",
                              data={**values, "people": "2"})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/shelters/{KAMIMIZO}/talk/vi/food")
    assert needs.count_needs(db, shelter_id=KAMIMIZO)[0] == before + 1
    listed = needs.list_needs(db, shelter_id=KAMIMIZO, language="vi", category="food")
    need = needs.get_need(db, max(n["id"] for n in listed))
    assert (need["people"], need["note"]) == (2, "豚肉は食べられません。")


def test_questions_offer_answers_to_tap(staff):
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/ne/questions?lang=en").get_data(as_text=True)
    assert 'href="#a-q_chronic_illness-ans_yes"' in page
    assert 'id="a-q_how_many-3"' in page
    assert 'id="a-q_where_staying-ans_in_car"' in page


def test_the_body_pictogram_points_to_the_pain(staff):
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/th/health").get_data(as_text=True)
    for part in ("head", "chest", "stomach", "arm", "leg", "back"):
        assert f'href="#p-pain_{part}"' in page


@pytest.mark.skipif(not speech.engine(), reason="espeak-ng is not installed")
def test_a_speaker_button_where_a_voice_exists(staff, app):
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/vi/food").get_data(as_text=True)
    assert 'data-audio="/talk/audio/vi/no_pork.wav"' in page
    sound = app.test_client().get("/talk/audio/vi/no_pork.wav")
    assert sound.status_code == 200 and sound.mimetype == "audio/wav"
    assert sound.data[:4] == b"RIFF" and len(sound.data) > 10_000
    assert speech.voice("tl") is None  # espeak-ng has no Filipino voice
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/tl/food").get_data(as_text=True)
    assert "data-audio" not in page
    assert app.test_client().get("/talk/audio/tl/no_pork.wav").status_code == 404


def test_no_speech_engine_means_no_button_and_no_error(staff, app, monkeypatch):
    monkeypatch.setattr(speech, "engine", lambda: None)
    speech.speak.cache_clear()
    page = staff.get(f"/shelters/{KAMIMIZO}/talk/vi/food").get_data(as_text=True)
    assert "data-audio" not in page
    assert app.test_client().get("/talk/audio/vi/no_pork.wav").status_code == 404
