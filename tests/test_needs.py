"""Needs: recorded in three taps, exactly once, walked through their lifecycle,
queued for the coordinator and summed up in the situation table."""

import concurrent.futures
import datetime
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.needs import records, situation
from disaster_support.shelters import registry

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")


@pytest.fixture
def opened(app, people, db):
    """Kamimizo and Yokoyama open, with Vietnamese and Nepali speakers."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "200",
                                           "languages": {"vi": "12", "ne": "5"}}, actor=ACTOR)
    registry.update_shelter(db, YOKOYAMA, {"status": "open", "evacuees": "80",
                                           "languages": {"vi": "3"}}, actor=ACTOR)
    return people


def minutes_ago(minutes):
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
            ).replace(microsecond=0).isoformat()


def tablet_form(client, shelter=KAMIMIZO):
    page = client.get(f"/shelters/{shelter}/tablet").get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "client_id": re.search(r'name="client_id" value="([^"]+)"', page).group(1)}


def test_three_taps_on_the_tablet_record_one_need(app, opened, db):
    tablet = app.test_client()
    tablet.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {opened['device_token']}"
    form = tablet_form(tablet)
    # tap 1: category, tap 2: language, tap 3: the number of people submits
    taps = {**form, "category": "interpretation", "language": "ne", "people": "3"}
    response = tablet.post(f"/shelters/{KAMIMIZO}/needs?lang=en", data=taps,
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Recorded: Interpreter · नेपाली · 3 people" in page
    need = db.execute("SELECT category, language, people, urgency, status, created_by FROM need "
                      "WHERE client_id = ?", [form["client_id"]]).fetchone()
    assert need == ("interpretation", "ne", 3, "normal", "open", "device:1:Gym tablet")
    # a double tap sends the same form again: nothing new
    again = tablet.post(f"/shelters/{KAMIMIZO}/needs?lang=en", data=taps, follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM need WHERE client_id = ?",
                      [form["client_id"]]).fetchone()[0] == 1
    # each page load brings a fresh id for the next need
    assert tablet_form(tablet)["client_id"] != form["client_id"]


def test_the_tablet_lists_the_shelters_languages_first(app, opened):
    staff = sign_in(app.test_client(), "staff")
    page = staff.get(f"/shelters/{KAMIMIZO}/tablet").get_data(as_text=True)
    order = re.findall(r'name="language" value="([^"]+)"', page)
    assert order[:2] == ["vi", "ne"] and "ja" not in order and len(order) == 15
    categories = re.findall(r'name="category" value="([^"]+)"', page)
    assert len(categories) == 20
    assert len(re.findall(r'name="people" value="\d+"', page)) == 10


def test_head_counts_on_the_tablet(app, opened, db):
    staff = sign_in(app.test_client(), "staff")
    form = tablet_form(staff)
    response = staff.post(f"/shelters/{KAMIMIZO}/headcount", data={
        "csrf_token": form["csrf_token"], "evacuees": "230", "lang-vi": "15", "lang-ne": "5",
        "lang-my": "2"})
    assert response.status_code == 302
    shelter = registry.get_shelter(db, KAMIMIZO)
    assert shelter["evacuees"] == 230 and shelter["languages"] == {"vi": 15, "ne": 5, "my": 2}
    bad = staff.post(f"/shelters/{KAMIMIZO}/headcount?lang=en", data={
        "csrf_token": form["csrf_token"], "evacuees": "10", "lang-vi": "15"})
    assert bad.status_code == 400 and "more than the 10 evacuees" in bad.get_data(as_text=True)


def test_api_records_exactly_once(app, opened, db):
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {opened['device_token']}"
    body = {"client_id": "tablet-7f3a9c21", "shelter_id": KAMIMIZO, "category": "medicine",
            "language": "vi", "people": 1, "urgency": "high", "note": "insulin"}
    first = api.post("/api/v1/needs", json=body)
    assert first.status_code == 201 and first.get_json()["created"] is True
    second = api.post("/api/v1/needs", json={**body, "people": 4})  # a retry, even altered
    assert second.status_code == 200 and second.get_json()["created"] is False
    assert second.get_json()["need"] == first.get_json()["need"]
    assert db.execute("SELECT count(*) FROM need WHERE client_id = 'tablet-7f3a9c21'"
                      ).fetchone()[0] == 1
    other = api.post("/api/v1/needs", json={**body, "shelter_id": YOKOYAMA})
    assert other.status_code == 403


def test_lifecycle_events_and_invalid_transitions(app, opened, db):
    need, _ = records.record_need(db, KAMIMIZO, {
        "client_id": "life-0001", "category": "medical", "language": "vi", "people": "2"},
        actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")
    url = f"/needs/{need['id']}/status?lang=en"

    def move(status, reason=None):
        data = {"csrf_token": csrf_token(coordinator, "/needs"), "status": status}
        if reason:
            data["reason"] = reason
        return coordinator.post(url, data=data, follow_redirects=True).get_data(as_text=True)

    for status in ("matched", "in_progress", "resolved"):
        assert "is now" in move(status)
    page = move("in_progress")
    assert "cannot become “In progress”. Possible: Open." in page
    assert "say why need" in move("open")
    assert "is now “Open”" in move("open", reason="the family came back: still no doctor")
    events = records.need_events(db, need["id"])
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "open"), ("open", "matched"), ("matched", "in_progress"),
        ("in_progress", "resolved"), ("resolved", "open")]
    assert events[-1]["reason"] == "the family came back: still no doctor"
    assert {e["actor"] for e in events[1:]} == {"coordinator"}
    detail = coordinator.get(f"/needs/{need['id']}?lang=en").get_data(as_text=True)
    assert "the family came back" in detail
    api = coordinator.get(f"/api/v1/needs/{need['id']}").get_json()
    assert [e["to_status"] for e in api["events"]] == ["open", "matched", "in_progress",
                                                       "resolved", "open"]


def test_queue_is_sorted_by_urgency_then_age(app, opened, db):
    made = {}
    for key, urgency, age in (("old-normal", "normal", 300), ("new-critical", "critical", 5),
                              ("old-critical", "critical", 90), ("new-high", "high", 1),
                              ("low", "low", 600)):
        need, _ = records.record_need(db, KAMIMIZO, {
            "client_id": f"queue-{key}", "category": "water", "language": "vi", "people": "1",
            "urgency": urgency}, actor=ACTOR, at=minutes_ago(age))
        made[need["id"]] = key
    coordinator = sign_in(app.test_client(), "coordinator")
    page = coordinator.get("/needs?lang=en&category=water").get_data(as_text=True)
    order = [made[int(i)] for i in re.findall(r'<tr data-need="(\d+)"', page)]
    assert order == ["old-critical", "new-critical", "new-high", "old-normal", "low"]
    in_ward = coordinator.get("/needs?lang=en&category=water&ward=chuo").get_data(as_text=True)
    assert [made[int(i)] for i in re.findall(r'<tr data-need="(\d+)"', in_ward)] == order
    assert re.search(r'class="age">1 hr 30 min<', page) and re.search(r'class="age">5 hr<', page)
    assert len(re.findall(r'class="urgency-\w+ stale"', page)) == 2  # older than 2 hours
    older = coordinator.get("/needs?category=water&older_than=120").get_data(as_text=True)
    assert sorted(made[int(i)] for i in re.findall(r'<tr data-need="(\d+)"', older)) == [
        "low", "old-normal"]
    # its count is kept for the minute it counts from, and follows every write
    assert records.count_needs(db, category="water", older_than="120") == (2, 2)
    records.record_need(db, KAMIMIZO, {"client_id": "queue-older", "category": "water",
                                       "language": "vi", "people": "3"}, actor=ACTOR,
                        at=minutes_ago(400))
    assert records.count_needs(db, category="water", older_than="120") == (3, 5)


def test_a_need_counts_as_waiting_from_the_minute():
    now = datetime.datetime(2026, 12, 3, 12, 0, 45, 500, tzinfo=datetime.timezone.utc)
    assert records.waiting_since(120, now) == "2026-12-03T10:00:00+00:00"


def test_queue_filters(app, opened, db):
    for number, (shelter, language, category) in enumerate((
            (KAMIMIZO, "vi", "food"), (KAMIMIZO, "ne", "food"), (YOKOYAMA, "vi", "water"))):
        records.record_need(db, shelter, {"client_id": f"filter-{number:04d}",
                                          "category": category, "language": language,
                                          "people": "2"}, actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")

    def ids(query):
        page = coordinator.get("/needs?" + query).get_data(as_text=True)
        return len(re.findall(r'<tr data-need="(\d+)"', page))

    assert ids("") == 4  # with the template's need
    assert ids("language=vi") == 3
    assert ids(f"shelter_id={YOKOYAMA}") == 1
    assert ids("ward=chuo&category=food") == 3
    assert ids("ward=minami") == 0
    assert ids("status=resolved") == 0
    response = coordinator.get("/needs?lang=en&category=unicorns")
    assert response.status_code == 400
    assert "What is needed: “unicorns” is not one of the choices." in response.get_data(
        as_text=True)


def test_bulk_changes_are_all_or_nothing(app, opened, db):
    a, _ = records.record_need(db, KAMIMIZO, {"client_id": "bulk-0001", "category": "water",
                                              "language": "vi", "people": "1"}, actor=ACTOR)
    b, _ = records.record_need(db, KAMIMIZO, {"client_id": "bulk-0002", "category": "food",
                                              "language": "vi", "people": "1"}, actor=ACTOR)
    records.transition(db, b["id"], "resolved", actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")
    token = csrf_token(coordinator, "/needs")
    page = coordinator.post("/needs/bulk?lang=en", data={
        "csrf_token": token, "ids": [a["id"], b["id"]], "status": "in_progress"},
        follow_redirects=True).get_data(as_text=True)
    assert "Nothing was changed" in page and "cannot become" in page
    assert records.get_need(db, a["id"])["status"] == "open"
    page = coordinator.post("/needs/bulk?lang=en", data={
        "csrf_token": token, "ids": [a["id"], opened["need"]], "status": "in_progress"},
        follow_redirects=True).get_data(as_text=True)
    assert "2 needs changed." in page
    assert records.get_need(db, a["id"])["status"] == "in_progress"


def test_situation_table_figures(app, opened, db):
    for number, (shelter, language, category, people, urgency, age) in enumerate((
            (KAMIMIZO, "vi", "food", 4, "normal", 10), (KAMIMIZO, "vi", "food", 2, "critical", 200),
            (YOKOYAMA, "vi", "water", 3, "normal", 10), (KAMIMIZO, "ne", "food", 1, "high", 10))):
        records.record_need(db, shelter, {
            "client_id": f"sit-{number:04d}", "category": category, "language": language,
            "people": str(people), "urgency": urgency}, actor=ACTOR, at=minutes_ago(age))
    resolved, _ = records.record_need(db, KAMIMIZO, {
        "client_id": "sit-done", "category": "water", "language": "ne", "people": "9"},
        actor=ACTOR)
    records.transition(db, resolved["id"], "resolved", actor=ACTOR)
    table = situation.need_table(db)
    # 2 people of the template's need are Vietnamese food too
    assert table["cells"][("vi", "food")] == {"needs": 3, "people": 8, "stale": 1,
                                              "critical": 1, "shade": 4}
    assert table["cells"][("vi", "water")]["people"] == 3
    assert ("ne", "water") not in table["cells"]  # resolved needs are not unmet
    assert table["rows"]["vi"] == {"needs": 4, "people": 11, "stale": 1, "critical": 1}
    assert table["columns"]["food"]["people"] == 9
    assert table["total"]["people"] == 12
    assert situation.need_table(db, ward="midori")["cells"] == {}

    coordinator = sign_in(app.test_client(), "coordinator")
    page = coordinator.get("/situation?lang=en").get_data(as_text=True)
    assert '<a href="/needs?language=vi&amp;category=food">8 <small>(3)</small></a>' in page
    assert "shade-4 stale" in page
    # in one ward, every cell and total opens the queue filtered the same way
    chuo = coordinator.get("/situation?ward=chuo&lang=en").get_data(as_text=True)
    for href, shown in (("language=vi&amp;category=water&amp;ward=chuo", "3 <small>(1)</small>"),
                        ("language=vi&amp;ward=chuo", "11 <small>(4)</small>"),
                        ("category=food&amp;ward=chuo", "9 <small>(4)</small>"),
                        ("ward=chuo", "12 <small>(5)</small>")):
        assert f'<a href="/needs?{href}">{shown}</a>' in chuo
    by_ward = re.search(r"Foreign evacuees by language and ward.*?</table>", page, re.S).group(0)
    assert "Tiếng Việt" in by_ward and ">15<" in by_ward  # 12 + 3, both in Chuo-ku
    api = coordinator.get("/api/v1/situation?ward=chuo").get_json()
    assert api["total"]["people"] == 12
    assert api["foreign_evacuees"]["vi"] == {"chuo": 15}
    assert coordinator.get("/situation?ward=atlantis").status_code == 404
    # the table is kept per version of the data: a new need and a closed one show at once
    records.record_need(db, YOKOYAMA, {"client_id": "sit-late", "category": "water",
                                       "language": "vi", "people": "5"}, actor=ACTOR)
    nepali_food = db.execute("SELECT id FROM need WHERE client_id = 'sit-0003'").fetchone()[0]
    records.transition(db, nepali_food, "resolved", actor=ACTOR)
    again = coordinator.get("/situation?ward=chuo&lang=en").get_data(as_text=True)
    assert '<a href="/needs?language=vi&amp;category=water&amp;ward=chuo">8 <small>(2)</small>' \
        in again
    assert '<a href="/needs?ward=chuo">16 <small>(5)</small>' in again  # 12 + 5 - 1
    registry.update_shelter(db, YOKOYAMA, {"languages": {"vi": "10"}}, actor=ACTOR)
    assert situation.foreign_by_ward(db)["vi"] == {"chuo": 22}  # 12 + 10


@pytest.mark.parametrize("values, field, message", [
    ({"category": "unicorns"}, "category", "What is needed: choose one of the pictograms."),
    ({"language": "klingon"}, "language", "Language: choose one of the listed languages."),
    ({"people": "0"}, "people", "Number of people: a whole number from 1 to 1,000."),
    ({"people": "5000"}, "people", "Number of people: a whole number from 1 to 1,000."),
    ({"people": "three"}, "people", "Number of people: a whole number from 1 to 1,000."),
    ({"urgency": "apocalyptic"}, "urgency", "Urgency: choose critical, high, normal or low."),
    ({"note": "x" * 281}, "note", "Note: at most 280 characters (now 281)."),
    ({"note": "call her at 090-1234-5678"}, "note", "this looks like a phone number"),
    ({"client_id": "short"}, "client_id", "Submission ID: 8 to 64 letters"),
])
def test_bad_input_names_the_field_and_writes_nothing(app, opened, db, values, field, message):
    staff = sign_in(app.test_client(), "staff")
    before = db.execute("SELECT count(*) FROM need").fetchone()[0]
    data = {**tablet_form(staff), "category": "water", "language": "vi", "people": "2",
            **values}
    response = staff.post(f"/shelters/{KAMIMIZO}/needs?lang=en", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert db.execute("SELECT count(*) FROM need").fetchone()[0] == before
    api = app.test_client().post("/api/v1/needs", json={
        "client_id": "api-bad-input", "shelter_id": KAMIMIZO, "category": "water",
        "language": "vi", "people": 2, **{k: (int(v) if k == "people" and v.isdigit() else v)
                                          for k, v in values.items()}},
        headers={"Authorization": f"Bearer {opened['device_token']}", "Accept-Language": "en"})
    assert api.status_code == 400 and field in api.get_json()["errors"]


def test_a_personal_looking_note_can_be_confirmed(app, opened, db):
    staff = sign_in(app.test_client(), "staff")
    data = {**tablet_form(staff), "category": "contact", "language": "vi", "people": "1",
            "note": "room 0901 2345 678"}
    assert staff.post(f"/shelters/{KAMIMIZO}/needs?lang=en", data=data).status_code == 400
    confirmed = staff.post(f"/shelters/{KAMIMIZO}/needs", data={**data, "confirm_personal": "1"})
    assert confirmed.status_code == 302
    assert db.execute("SELECT note FROM need WHERE client_id = ?",
                      [data["client_id"]]).fetchone()[0] == "room 0901 2345 678"


def test_unknown_or_closed_shelter_is_refused(app, people, db):
    with pytest.raises(registry.ValidationError) as closed:
        records.record_need(db, KAMIMIZO, {"client_id": "closed-0001", "category": "water",
                                           "language": "vi", "people": "1"}, actor=ACTOR)
    assert "shelter_id" in closed.value.errors
    with pytest.raises(registry.ValidationError):
        records.record_need(db, "NOPE", {"client_id": "nope-00001", "category": "water",
                                         "language": "vi", "people": "1"}, actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")
    response = coordinator.post(
        "/api/v1/needs", json={"client_id": "closed-0002", "shelter_id": KAMIMIZO,
                               "category": "water", "language": "vi", "people": 1},
        headers={"X-CSRFToken": csrf_token(coordinator, "/needs"), "Accept-Language": "en"})
    assert response.status_code == 400
    assert "is closed" in response.get_json()["errors"]["shelter_id"]


def test_api_updates_and_transitions(app, opened, db):
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {opened['device_token']}"
    need = api.post("/api/v1/needs", json={
        "client_id": "api-life-0001", "shelter_id": KAMIMIZO, "category": "hygiene",
        "language": "ne", "people": 2}).get_json()["need"]
    url = f"/api/v1/needs/{need['id']}"
    changed = api.patch(url, json={"people": 3, "urgency": "high", "status": "in_progress"})
    assert changed.status_code == 200
    assert {k: changed.get_json()["need"][k] for k in ("people", "urgency", "status")} == {
        "people": 3, "urgency": "high", "status": "in_progress"}
    bad = api.patch(url, json={"status": "matched", "people": 4}, headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "cannot become" in bad.get_json()["errors"]["status"]
    assert records.get_need(db, need["id"])["people"] == 3  # the whole PATCH was refused
    listing = api.get("/api/v1/needs?language=ne").get_json()
    assert [n["id"] for n in listing["needs"]] == [need["id"]] and listing["people"] == 3


def test_concurrent_duplicates_against_a_running_server_make_one_need(opened, instance):
    """The same submission from 16 threads at once, over real HTTP to two server processes:
    one need."""
    import requests

    from test_cli import SCRIPT, answering, free_port
    import subprocess

    port = free_port()
    server = subprocess.Popen([str(SCRIPT), "serve", "--port", str(port), "--instance",
                               str(instance), "--workers", "2", "--threads", "8"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        answering(base + "/healthz")
        headers = {"Authorization": f"Bearer {opened['device_token']}"}
        body = {"client_id": "race-0000-aaaa", "shelter_id": KAMIMIZO, "category": "water",
                "language": "vi", "people": 2}

        def send(_):
            response = requests.post(base + "/api/v1/needs", json=body, headers=headers,
                                     timeout=30)
            return response.status_code, response.json()["need"]["id"]

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(send, range(32)))
        # and sequentially, once more
        results.append(send(None))
    finally:
        server.terminate()
        server.wait(timeout=20)
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1 and codes.count(200) == 32
    assert len({need_id for _, need_id in results}) == 1
    from disaster_support.db import connect

    db = connect(instance / "disaster_support.db")
    assert db.execute("SELECT count(*) FROM need WHERE client_id = 'race-0000-aaaa'"
                      ).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM need_event WHERE need_id = ?",
                      [results[0][1]]).fetchone()[0] == 1


def test_categories_are_complete_in_every_language():
    from disaster_support.vocabulary import languages, need_categories, skills

    tags = set(languages())
    for category in need_categories().values():
        assert set(category["labels"]) == tags, category["id"]
        assert all(label.strip() for label in category["labels"].values())
        assert set(category["skills"]) <= set(skills())
        assert category["sector"] in {"PRO", "HEA", "FSC", "WSH", "SHL", "CCCM", "ERY", "LOG",
                                      "EDU", "NUT", "ETC"}
    assert len(need_categories()) == 20


def test_every_category_has_a_clean_pictogram():
    from pathlib import Path
    from xml.etree import ElementTree

    from disaster_support.paths import STATIC_DIR
    from disaster_support.vocabulary import need_categories

    for category in need_categories().values():
        path = Path(STATIC_DIR) / category["pictogram"]
        text = path.read_text(encoding="utf-8")
        ElementTree.fromstring(text)
        assert len(text) < 2000
        assert "<script" not in text and "style=" not in text and "http" not in text.replace(
            "http://www.w3.org/2000/svg", "")
