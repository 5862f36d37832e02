"""A safe publish flow: the area proposed by the need or the template, a shelter
picker that works with and without JavaScript, a check page before anything goes on
the boards, one confirmation that publishes once, and a banner with the board."""

import dataclasses
import datetime
import html
import re
import sqlite3
from urllib.parse import urlparse

import pytest
from babel.dates import format_datetime, get_timezone
from playwright.sync_api import expect, sync_playwright

from disaster_support.audit.log import Actor
from disaster_support.formatting import public_datetime
from disaster_support.notices import publishing, records
from disaster_support.notices.templates import TemplateError, templates
from disaster_support.shelters.registry import ValidationError

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in
from notice_publishing import confirm_form, publish_checked
from browsers import Server, have_chromium, launch
from test_escaping import PAYLOAD, injected

ACTOR = Actor("test", "coordinator", "test")


@pytest.fixture
def coordinator(app, people):
    return sign_in(app.test_client(), "coordinator")


def water_draft(client, **extra):
    token = csrf_token(client, "/notices/new?template=water-supply")
    response = client.post("/notices/new", data={
        "csrf_token": token, "template_id": "water-supply", "source_language": "ja",
        "slot_place_shelter": KAMIMIZO, "slot_time_range_from": "15:00",
        "slot_time_range_to": "17:30", **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])


def publications(db, notice_id):
    return db.execute("SELECT count(*) FROM audit WHERE action = 'publish' AND entity = "
                      "'notice' AND entity_id = ?", [str(notice_id)]).fetchone()[0]


def in_japan_time(utc):
    """A stored time as English pages show it: Japan time, the locale's short form."""
    return format_datetime(datetime.datetime.fromisoformat(utc), "short",
                           tzinfo=get_timezone("Asia/Tokyo"), locale="en")


def on_board(client, shelter_id, notice_id, lang="en"):
    page = client.get(f"/board/{shelter_id}?lang={lang}").get_data(as_text=True)
    found = re.search(rf'<article id="n{notice_id}".*?</article>', page, re.S)
    return found.group(0) if found else None


# --- Draft → check → confirm → on the board -----------------------------------------

def test_a_draft_is_checked_then_published_once_and_the_board_shows_its_date(
        app, coordinator, db):
    notice_id = water_draft(coordinator)
    detail = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    # the publish form only asks for the check page
    assert f'<form method="get" action="/notices/{notice_id}/check"' in detail

    check = coordinator.get(f"/notices/{notice_id}/check", query_string={"lang": "en",
        "area_kind": "shelters", "shelters": [KAMIMIZO], "valid_until": "2099-01-01T12:00"})
    assert check.status_code == 200
    page = check.get_data(as_text=True)
    area = re.search(r'<dd class="check-area" data-area-kind="shelters">(.*?)</dd>', page,
                     re.S).group(1)
    assert f'data-shelter="{KAMIMIZO}"' in area and "上溝中学校" in area
    assert f'data-shelter="{YOKOYAMA}"' not in area
    # the end in Japan time: 12:00 there is 03:00 UTC
    until = re.search(r'<dd class="check-until">(.*?)</dd>', page, re.S).group(1)
    assert in_japan_time("2099-01-01T03:00:00+00:00").startswith("1/1/99, 12:00")
    assert ('<time datetime="2099-01-01T03:00:00+00:00">'
            f'{in_japan_time("2099-01-01T03:00:00+00:00")}</time>') in until
    assert "<time" not in re.search(r'<dd class="check-from">(.*?)</dd>', page,
                                    re.S).group(1)  # from now: no time to show
    # every language, each with its text and its state (a reviewed template: "template")
    rows = re.findall(r'<tr data-lang="([\w-]+)" data-status="(\w+)"', page)
    assert len(rows) == 16 and {status for _, status in rows} == {"template"}
    assert "上溝中学校で" in page  # the Japanese text with its place
    # nothing is published by looking
    assert records.get_notice(db, notice_id)["status"] == "draft"
    assert on_board(app.test_client(), KAMIMIZO, notice_id) is None
    assert publications(db, notice_id) == 0

    action, fields = confirm_form(page)
    published = coordinator.post(action + "?lang=en", data=fields)
    assert published.status_code == 303
    notice = records.get_notice(db, notice_id)
    assert notice["status"] == "published" and notice["area"] == [KAMIMIZO]
    assert notice["valid_until"] == "2099-01-01T03:00:00+00:00"
    # a retry of the same confirmation (a double tap, a resent form) changes nothing
    again = coordinator.post(action + "?lang=en", data=fields)
    assert again.status_code == 303
    assert records.get_notice(db, notice_id)["published_at"] == notice["published_at"]
    assert records.get_notice(db, notice_id)["version"] == notice["version"]
    assert publications(db, notice_id) == 1

    # the banner says so and links to the board it is on
    banner = coordinator.get(published.headers["Location"]).get_data(as_text=True)
    flash = re.search(r'<p class="flash success" role="status">(.*?)</p>', banner,
                      re.S).group(1)
    assert "Published: the boards of its area show it now." in flash
    assert f'<a href="/board/{KAMIMIZO}" lang="ja">上溝中学校</a>' in flash

    published_at = in_japan_time(notice["published_at"])
    article = on_board(app.test_client(), KAMIMIZO, notice_id)
    # the board's date reads one way in every language (tests/test_dates.py)
    assert f"Published {public_datetime(notice['published_at'], 'en')}" in article
    assert on_board(app.test_client(), YOKOYAMA, notice_id) is None  # not its area
    detail = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    assert f'<span class="published">Published {published_at}</span>' in detail


def test_the_check_page_shows_the_state_of_each_language_of_free_text(coordinator, db):
    token = csrf_token(coordinator, "/notices/new")
    response = coordinator.post("/notices/new", data={
        "csrf_token": token, "source_language": "ja", "category": "information",
        "title": "説明会", "body": "明日 体育館で 説明会を 行います。"})
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    coordinator.post(f"/notices/{notice_id}/translations/vi", data={
        "csrf_token": token, "title": "Họp thông tin", "body": "Ngày mai có họp ở nhà thể thao."})
    page = coordinator.get(f"/notices/{notice_id}/check?area_kind=all&lang=en").get_data(
        as_text=True)
    states = dict(re.findall(r'<tr data-lang="([\w-]+)" data-status="(\w+)"', page))
    assert states.pop("ja") == "original" and states.pop("vi") == "translated"
    assert set(states.values()) == {"missing"} and len(states) == 14
    assert "14 languages are not yet translated" in page
    assert "Whole city" in re.search(r'<dd class="check-area"[^>]*>(.*?)</dd>', page,
                                     re.S).group(1)
    assert "Until withdrawn" in page
    # the whole city: the banner links the boards index
    response = publish_checked(coordinator, notice_id, {"csrf_token": token,
                                                        "area_kind": "all"})
    banner = coordinator.get(response.headers["Location"] + "?lang=en").get_data(
        as_text=True)
    assert '<a href="/board">See it on the public boards</a>' in banner


def test_a_notice_changed_after_the_check_is_not_published_until_checked_again(
        coordinator, db):
    notice_id = water_draft(coordinator, slot_note="ペットボトルは 1人 2本まで")
    page = coordinator.get(f"/notices/{notice_id}/check?area_kind=all").get_data(
        as_text=True)
    action, fields = confirm_form(page)
    # meanwhile someone translates the note into English
    records.add_translation(db, notice_id, "en", note="Up to 2 bottles each.", actor=ACTOR)
    stale = coordinator.post(action + "?lang=en", data=fields)
    assert stale.status_code == 409
    assert "The notice changed since you checked it" in stale.get_data(as_text=True)
    assert records.get_notice(db, notice_id)["status"] == "draft"
    assert publications(db, notice_id) == 0
    # the page shown again has the new text, and its own confirmation
    assert "Up to 2 bottles each." in stale.get_data(as_text=True)
    action, fields = confirm_form(stale.get_data(as_text=True))
    assert coordinator.post(action, data=fields).status_code == 303
    assert records.get_notice(db, notice_id)["status"] == "published"


def test_a_publish_without_the_check_step_only_shows_the_check_page(coordinator, db):
    """An old form or a script posting the choice straight away publishes nothing."""
    notice_id = water_draft(coordinator)
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    response = coordinator.post(f"/notices/{notice_id}/publish", data={
        "csrf_token": token, "area_kind": "wards", "wards": ["chuo"]})
    assert response.status_code == 303
    assert urlparse(response.headers["Location"]).path == f"/notices/{notice_id}/check"
    assert records.get_notice(db, notice_id)["status"] == "draft"
    forged = coordinator.post(f"/notices/{notice_id}/publish", data={
        "csrf_token": token, "area_kind": "wards", "wards": ["chuo"], "checked": "0" * 64})
    assert forged.status_code == 409 and records.get_notice(db, notice_id)["status"] == "draft"
    # the confirmation needs its CSRF token like every form
    page = coordinator.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert '<li data-ward="chuo">Chuo-ku</li>' in page
    action, fields = confirm_form(page)
    assert fields.getlist("wards") == ["chuo"]
    fields.pop("csrf_token")
    assert coordinator.post(action, data=fields).status_code == 400
    assert records.get_notice(db, notice_id)["status"] == "draft"


def test_a_notice_for_later_says_when_it_will_show(coordinator, db):
    notice_id = water_draft(coordinator)
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    response = publish_checked(coordinator, notice_id, {
        "csrf_token": token, "area_kind": "all", "valid_from": "2099-01-01T09:00"},
        query="?lang=en")
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Scheduled: the boards of its area show it from 1/1/99, 9:00" in page
    assert records.get_notice(db, notice_id)["state"] == "scheduled"


def test_a_shelter_name_with_markup_is_text_in_the_picker_check_and_banner(coordinator, db):
    db.execute("UPDATE shelter SET name = ? WHERE id = ?", ["上溝" + PAYLOAD, KAMIMIZO])
    notice_id = water_draft(coordinator)
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    detail = coordinator.get(f"/notices/{notice_id}").get_data(as_text=True)
    check = coordinator.get(f"/notices/{notice_id}/check", query_string={
        "area_kind": "shelters", "shelters": [KAMIMIZO]}).get_data(as_text=True)
    response = publish_checked(coordinator, notice_id, {
        "csrf_token": token, "area_kind": "shelters", "shelters": [KAMIMIZO]})
    banner = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    for page in (detail, check, banner):
        assert injected(page) == 0 and "上溝&lt;b id=" in page


# --- Bad input: named, nothing changed ---------------------------------------------

@pytest.mark.parametrize("query, message", [
    ({"area_kind": "shelters", "shelters": ["E9999999999999"]},
     "Area: unknown: E9999999999999."),
    ({"area_kind": "shelters"}, "Area: choose at least one."),
    ({"area_kind": "wards", "wards": ["atlantis"]}, "Area: unknown: atlantis."),
    ({"shelters": [KAMIMIZO]}, "Area: all, wards or shelters."),  # no kind: never "all"
    ({"area_kind": "all", "valid_until": "tomorrow"}, "Valid from / until: a date and time"),
    ({"area_kind": "all", "valid_until": "2020-01-01T00:00"}, "Valid until: must be later"),
])
def test_a_bad_choice_is_named_and_changes_nothing(coordinator, db, query, message):
    notice_id = water_draft(coordinator)
    before = records.get_notice(db, notice_id)
    check = coordinator.get(f"/notices/{notice_id}/check",
                            query_string={"lang": "en", **query})
    assert check.status_code == 400 and message in check.get_data(as_text=True)
    # the same values sent as a confirmation: refused the same way
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    confirm = coordinator.post(f"/notices/{notice_id}/publish?lang=en", data={
        "csrf_token": token, "checked": "x", **query})
    assert confirm.status_code == 400 and message in confirm.get_data(as_text=True)
    after = records.get_notice(db, notice_id)
    assert after == before and publications(db, notice_id) == 0


def test_the_check_page_of_a_withdrawn_or_unknown_notice(coordinator, db):
    notice_id = water_draft(coordinator)
    records.publish(db, notice_id, actor=ACTOR)
    records.withdraw(db, notice_id, actor=ACTOR)
    page = coordinator.get(f"/notices/{notice_id}/check?area_kind=all&lang=en")
    assert page.status_code == 400
    assert "A withdrawn notice cannot be published." in page.get_data(as_text=True)
    assert coordinator.get("/notices/999999/check?area_kind=all").status_code == 404


# --- The area a draft proposes ----------------------------------------------------------

def test_answering_a_need_proposes_its_shelter_never_the_whole_city(app, coordinator, db,
                                                                     people):
    need = people["need"]  # food, in Vietnamese, at Kamimizo
    need_page = coordinator.get(f"/needs/{need}").get_data(as_text=True)
    assert f'class="answer-with-notice" href="/notices/new?need={need}"' in need_page
    page = coordinator.get(f"/notices/new?need={need}&lang=en").get_data(as_text=True)
    assert f'data-need="{need}"' in page and "上溝中学校" in page
    first = re.search(r'<ul class="template-list">\s*<li><a href="([^"]+)"', page).group(1)
    assert f"need={need}" in first and templates()[
        re.search(r"template=([\w-]+)", first).group(1)].category == "food"
    form = coordinator.get(f"/notices/new?need={need}&template=food-distribution").get_data(
        as_text=True)
    assert f'name="need_id" value="{need}"' in form
    assert f'<option value="{KAMIMIZO}" selected>' in form  # the place: the need's shelter

    token = csrf_token(coordinator, "/notices/new")
    response = coordinator.post("/notices/new", data={
        "csrf_token": token, "source_language": "ja", "category": "food",
        "title": "ハラール食", "body": "ハラールの 食事が あります。", "need_id": str(need)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/notices/{db['notice'].count}?need={need}"
    notice_id = int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    notice = records.get_notice(db, notice_id)
    assert (notice["area_kind"], notice["area"]) == ("shelters", [KAMIMIZO])
    detail = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'value="shelters" checked', detail)
    assert not re.search(r'value="all" checked', detail)
    assert re.search(rf'name="shelters" value="{KAMIMIZO}" checked', detail)
    assert len(re.findall(r'name="shelters" value="[^"]+" checked', detail)) == 1
    assert f'name="need" value="{need}"' in detail  # carried to the check page
    # through the check page; the banner leads back to the need
    published = publish_checked(coordinator, notice_id, {
        "csrf_token": token, "area_kind": "shelters", "shelters": [KAMIMIZO],
        "need": str(need)})
    banner = coordinator.get(published.headers["Location"] + "?lang=en").get_data(
        as_text=True)
    assert f'href="/needs/{need}"' in banner
    assert on_board(app.test_client(), KAMIMIZO, notice_id)


@pytest.mark.parametrize("need_id", ["999999", "abc", "-3"])
def test_a_notice_for_a_need_that_does_not_exist_is_refused(coordinator, db, need_id):
    token = csrf_token(coordinator, "/notices/new")
    before = db["notice"].count
    response = coordinator.post("/notices/new?lang=en", data={
        "csrf_token": token, "source_language": "ja", "category": "food",
        "title": "t", "body": "b", "need_id": need_id})
    assert response.status_code == 400
    assert "Need: no need with this number." in response.get_data(as_text=True)
    assert db["notice"].count == before
    assert coordinator.get(f"/notices/new?need={need_id}").status_code == 404


def test_a_template_may_suggest_its_area(app, people, db):
    water = templates()["water-supply"]
    place = {"place": f"shelter:{KAMIMIZO}", "time_range": "09:00-10:00"}
    assert records.suggested_area(db, template=water, slots=place) == ("all", [])  # today's
    city_wide = dataclasses.replace(water, area="all")
    assert records.suggested_area(db, template=city_wide, slots=place) == ("all", [])
    at_place = dataclasses.replace(water, area="shelters")
    assert records.suggested_area(db, template=at_place, slots=place) == (
        "shelters", [KAMIMIZO])
    assert records.suggested_area(db, template=at_place, slots={"place": "校庭"}) == (
        "shelters", [])
    ward = dataclasses.replace(water, area="wards")
    assert records.suggested_area(db, template=ward, slots=place) == ("wards", ["chuo"])
    # a need's shelter comes first, whatever the template says
    assert records.suggested_area(db, template=city_wide, need_id=people["need"]) == (
        "shelters", [KAMIMIZO])
    with pytest.raises(ValidationError) as error:
        records.suggested_area(db, need_id=999999)
    assert "need_id" in error.value.errors


def test_a_template_with_an_unknown_area_is_refused_at_load(tmp_path):
    (tmp_path / "odd.yaml").write_text(
        "id: odd\ncategory: water\narea: planet\ncap: {category: Infra, urgency: Expected, "
        "severity: Minor}\ntexts:\n  ja:\n    title: t\n    body: b\n"
        "    review: {status: draft}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"odd.yaml: area must be one of"):
        templates(tmp_path)


def test_confirm_publishes_in_one_transaction(app, people, db, monkeypatch):
    """A failure while publishing leaves the draft as it was (no half-written notice)."""
    notice_id = records.create_notice(db, template_id="aftershock", slots={},
                                      source_language="ja", actor=ACTOR)
    shown = publishing.check(db, notice_id, area_kind="all")

    def broken(*args, **kwargs):
        db.execute("UPDATE notice SET status = 'published' WHERE id = ?", [notice_id])
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "record", broken)
    with pytest.raises(RuntimeError):
        publishing.confirm(db, notice_id, checked=shown["checked"], actor=ACTOR,
                           area_kind="all")
    assert records.get_notice(db, notice_id)["status"] == "draft"


# --- The picker without JavaScript -----------------------------------------------------

def test_the_picker_is_a_plain_checkbox_list_of_every_place(coordinator, db):
    db.execute("UPDATE shelter SET name_kana = 'カミミゾチュウガッコウ' WHERE id = ?", [KAMIMIZO])
    notice_id = water_draft(coordinator)
    page = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="shelters" value="([^"]+)"', page)
    assert len(boxes) == db["shelter"].count == 169  # the city's 168 and a dormitory
    option = re.search(rf'<label class="picker-option" data-search="([^"]*{KAMIMIZO})">',
                       page).group(1)
    for word in ("上溝中学校", "カミミゾチュウガッコウ", "中央区", "Chuo-ku", KAMIMIZO):
        assert word in html.unescape(option)
    # the search belongs to the script: hidden until it runs; the script is a file
    assert re.search(r'<div class="picker-search" hidden>', page)
    assert re.search(r'<script src="/static/js/shelter-picker\.js\?v=\w+" defer></script>',
                     page)
    assert 'aria-live="polite"' in page and '<label for="shelter-search">' in page
    # a notice to shelters comes back with its shelters ticked
    records.publish(db, notice_id, area_kind="shelters", area=[YOKOYAMA], actor=ACTOR)
    page = coordinator.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert re.findall(r'name="shelters" value="([^"]+)" checked', page) == [YOKOYAMA]


def test_change_on_the_check_page_goes_back_with_the_choice(coordinator, db):
    notice_id = water_draft(coordinator)
    page = coordinator.get(f"/notices/{notice_id}/check", query_string={
        "area_kind": "shelters", "shelters": [YOKOYAMA, KAMIMIZO],
        "valid_until": "2099-01-01T12:00"}).get_data(as_text=True)
    change = html.unescape(re.search(r'<a class="button" href="([^"]+)">', page).group(1))
    detail = coordinator.get(change).get_data(as_text=True)
    assert sorted(re.findall(r'name="shelters" value="([^"]+)" checked', detail)) == sorted(
        [YOKOYAMA, KAMIMIZO])
    assert 'name="valid_until" value="2099-01-01T12:00"' in detail


# --- In a browser: the picker by keyboard, the check page, the board ---------------------

@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``disaster-support serve --demo``, as in test_browser."""
    server = Server(tmp_path_factory.mktemp("publish-flow"))
    server.start("--demo")
    yield {"url": server.url, "instance": server.instance, "passwords": server.passwords}
    server.stop()


@pytest.mark.skipif(not have_chromium(), reason="Debian's chromium is not installed")
def test_publishing_to_one_shelter_with_the_keyboard_in_a_browser(live_server):
    base = live_server["url"]
    # the registry's reading, in katakana; the coordinator types hiragana
    conn = sqlite3.connect(live_server["instance"] / "disaster_support.db")
    with conn:
        conn.execute("UPDATE shelter SET name_kana = 'カミミゾチュウガッコウ' WHERE id = ?",
                     [KAMIMIZO])
    conn.close()
    outside, problems = [], []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport={"width": 1024, "height": 768},
                                   has_touch=True).new_page()
        page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).netloc ==
                   urlparse(base).netloc else (outside.append(r.request.url), r.abort()))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.goto(base + "/sign-in?lang=en")
        page.fill("input[name=username]", "coordinator")
        page.fill("input[name=password]", live_server["passwords"]["coordinator"])
        page.click("button.primary")
        page.wait_for_load_state()

        page.goto(base + "/notices/new?lang=en")
        form = page.locator("form.notice-form")
        form.locator("input[name=title]").fill("Picker test: water at the gym")
        form.locator("textarea[name=body]").fill("Water is handed out at the gym.")
        form.locator("select[name=source_language]").select_option("en")
        form.locator("button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text("Picker test: water at the gym")
        notice_id = int(urlparse(page.url).path.rsplit("/", 1)[1])

        search = page.get_by_label("Find a shelter: name, reading, ward or ID")
        expect(search).to_be_visible()
        expect(page.locator(".picker-count")).to_have_text("Matching places: 172 of 172")
        search.press_sequentially("かみみぞちゅう")
        expect(page.locator(".picker-count")).to_have_text("Matching places: 1 of 172")
        expect(page.locator(".picker-option:visible")).to_have_count(1)
        search.press("ArrowDown")
        box = page.locator(f"input[name=shelters][value={KAMIMIZO}]")
        expect(box).to_be_focused()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
        chip = page.locator(".picker-chips button.chip")
        expect(chip).to_have_count(1)
        expect(chip).to_have_attribute("aria-label", "Remove 上溝中学校")
        # choosing a shelter chose "these shelters" as the area
        expect(page.locator("input[name=area_kind][value=shelters]")).to_be_checked()
        # by the name too: another place, chosen and removed again by its chip
        search.fill("")
        search.press_sequentially("横山小")
        search.press("Enter")  # the only match: chosen
        expect(chip).to_have_count(2)
        page.get_by_role("button", name="Remove 横山小学校").click()
        expect(chip).to_have_count(1)
        expect(page.locator(f"input[name=shelters][value={YOKOYAMA}]")).not_to_be_checked()

        page.get_by_role("button", name="Check before publishing").click()
        expect(page.locator("h1")).to_have_text("Check before publishing")
        area = page.locator("dd.check-area li")
        expect(area).to_have_count(1)
        expect(area).to_contain_text("上溝中学校")
        expect(page.locator("tr[data-lang]")).to_have_count(16)
        expect(page.locator("tr[data-lang=en]")).to_contain_text("original")
        expect(page.locator("tr[data-lang=vi]")).to_contain_text("not yet translated")
        page.get_by_role("button", name="Publish", exact=True).click()

        banner = page.locator("p.flash.success")
        expect(banner).to_contain_text("Published")
        banner.get_by_role("link", name="上溝中学校").click()
        expect(page).to_have_url(re.compile(rf"/board/{KAMIMIZO}"))
        article = page.locator(f"article#n{notice_id}")
        expect(article).to_contain_text("Picker test: water at the gym")
        expect(article.locator("p.published")).to_contain_text(
            re.compile(r"\d{1,2}:\d{2}"))
        page.goto(base + f"/board/{YOKOYAMA}")
        expect(page.locator("main")).to_be_visible()
        expect(page.locator(f"article#n{notice_id}")).to_have_count(0)
        browser.close()
    assert outside == [] and [p for p in problems if "404" not in p] == []
