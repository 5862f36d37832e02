"""What a tablet's outbox relies on at the server: delayed writes carry what the
tablet saw, so a change made meanwhile is a conflict, and a retry of a write that
went through changes nothing. And what makes pages open offline: the service
worker, the manifests, the page that says a page was never kept."""

import json
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.needs import records
from disaster_support.shelters import registry

from conftest import KAMIMIZO, csrf_token, sign_in

from test_needs import opened  # noqa: F401  (fixture)

ACTOR = Actor("test", "coordinator", "test")


def tablet(app, people):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people['device_token']}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_head_counts_changed_meanwhile_are_a_conflict(app, opened, db):  # noqa: F811
    seen = {"evacuees": "200", "languages": {"vi": "12", "ne": "5"}}
    registry.update_shelter(db, KAMIMIZO, {"evacuees": "230"}, actor=ACTOR)  # the center
    with pytest.raises(registry.Conflict) as conflict:
        registry.update_shelter(db, KAMIMIZO, {"evacuees": "210", "languages": {"vi": "14"}},
                                actor=ACTOR, expected=seen)
    assert set(conflict.value.errors) == {"evacuees"}
    assert conflict.value.current["evacuees"] == 230
    assert registry.get_shelter(db, KAMIMIZO)["languages"] == {"vi": 12, "ne": 5}  # nothing
    # what the tablet saw still holds for the languages: that part alone goes through
    registry.update_shelter(db, KAMIMIZO, {"languages": {"vi": "14", "ne": "5"}},
                            actor=ACTOR, expected={"languages": seen["languages"]})
    # a retry of the same write (its answer was lost) is no conflict and changes nothing
    assert registry.update_shelter(db, KAMIMIZO, {"languages": {"vi": "14", "ne": "5"}},
                                   actor=ACTOR, expected={"languages": seen["languages"]}) == []


def test_a_status_changed_meanwhile_is_a_conflict_and_a_retry_is_harmless(
        app, opened, db):  # noqa: F811
    need, _ = records.record_need(db, KAMIMIZO, {"client_id": "sync-0001", "category": "food",
                                                 "language": "vi", "people": 2}, actor=ACTOR)
    moved = records.transition(db, need["id"], "in_progress", actor=ACTOR, expected="open")
    assert moved["status"] == "in_progress"
    again = records.transition(db, need["id"], "in_progress", actor=ACTOR, expected="open")
    assert again["status"] == "in_progress"
    assert len(records.need_events(db, need["id"])) == 2  # recorded, in progress: once
    records.transition(db, need["id"], "resolved", actor=ACTOR)  # the center
    with pytest.raises(registry.Conflict) as conflict:
        records.transition(db, need["id"], "cancelled", actor=ACTOR, expected="in_progress")
    assert "resolved" in str(conflict.value).lower() or "Resolved" in str(conflict.value)
    assert records.get_need(db, need["id"])["status"] == "resolved"


def test_the_api_answers_409_with_the_record_as_it_is_now(app, opened, db):  # noqa: F811
    api = tablet(app, opened)
    created = api.post("/api/v1/needs", json={
        "client_id": "sync-0002", "shelter_id": KAMIMIZO, "category": "water",
        "language": "ne", "people": 1}).get_json()["need"]
    records.transition(db, created["id"], "resolved", actor=ACTOR)
    response = api.patch(f"/api/v1/needs/{created['id']}",
                         json={"status": "in_progress", "expected_status": "open"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["need"]["status"] == "resolved"
    assert "changed meanwhile" in body["errors"]["status"]
    assert records.get_need(db, created["id"])["status"] == "resolved"

    response = api.patch(f"/api/v1/shelters/{KAMIMIZO}", json={
        "evacuees": 5, "expected": {"evacuees": 199}})
    assert response.status_code == 409
    assert response.get_json()["shelter"]["evacuees"] == 200
    assert "Evacuees in total" in response.get_json()["errors"]["evacuees"]
    response = api.patch(f"/api/v1/shelters/{KAMIMIZO}", json={
        "evacuees": 205, "expected": {"evacuees": 200}})
    assert response.status_code == 200 and response.get_json()["shelter"]["evacuees"] == 205
    assert api.patch(f"/api/v1/shelters/{KAMIMIZO}", json={
        "evacuees": 1, "expected": [200]}).status_code == 400


def test_a_stale_tablet_page_cannot_overwrite_a_status_either(app, opened, db):  # noqa: F811
    need, _ = records.record_need(db, KAMIMIZO, {"client_id": "sync-0003", "category": "food",
                                                 "language": "vi", "people": 2}, actor=ACTOR)
    staff = sign_in(app.test_client(), "staff")
    token = csrf_token(staff, f"/shelters/{KAMIMIZO}/tablet")
    records.transition(db, need["id"], "cancelled", actor=ACTOR)  # the center, meanwhile
    response = staff.post(f"/needs/{need['id']}/status?lang=en", data={
        "csrf_token": token, "status": "in_progress", "expected_status": "open",
        "back": f"/shelters/{KAMIMIZO}/tablet"}, follow_redirects=True)
    assert "was changed meanwhile" in response.get_data(as_text=True)
    assert records.get_need(db, need["id"])["status"] == "cancelled"


def test_a_stale_form_token_says_so_by_field(app, opened):  # noqa: F811
    client = sign_in(app.test_client(), "staff")
    response = client.post("/api/v1/needs", json={"client_id": "sync-0004"},
                           headers={"X-CSRFToken": "stale", "Accept-Language": "en"})
    assert response.status_code == 400
    assert "csrf_token" in response.get_json()["errors"]


def test_the_tablet_page_carries_what_its_outbox_needs(app, opened):  # noqa: F811
    client = sign_in(app.test_client(), "staff")
    page = client.get(f"/shelters/{KAMIMIZO}/tablet?lang=en").get_data(as_text=True)
    assert f'data-shelter="{KAMIMIZO}" data-api="/api/v1"' in page
    assert 'id="outbox"' in page and 'id="connection"' in page
    assert re.search(r'data-rendered-at="\d{4}-\d\d-\d\dT[\d:]+\+00:00"', page)
    texts = json.loads(re.search(r'id="offline-text">(.*?)</script>', page).group(1))
    assert texts["recorded_one"] == "Recorded: %(what)s · %(language)s · %(num)s person"
    assert texts["person_other"] == "%(num)s people"
    assert f'href="/shelters/{KAMIMIZO}/manifest.webmanifest"' in page
    for script in ("js/offline.js", "js/tablet.js"):
        assert re.search(rf'<script src="/static/{script}\?v=\w+" defer>', page)


def test_the_service_worker_keeps_the_shell_and_is_never_cached(app, people):
    client = app.test_client()
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    assert "/offline" in precache
    assert sum("/static/pictograms/" in url for url in precache) == 20
    for url in precache:
        assert client.get(url).status_code == 200, url
    # a new version of any file gives a new worker, so tablets update at their next visit
    assert re.search(r'const SHELL = "ds-shell-\w{12}"', body)


def test_manifests_put_a_shelter_on_the_home_screen(app, people):
    client = sign_in(app.test_client(), "staff")
    manifest = json.loads(client.get(f"/shelters/{KAMIMIZO}/manifest.webmanifest").data)
    assert manifest["start_url"] == f"/shelters/{KAMIMIZO}/tablet"
    assert manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    board = json.loads(app.test_client().get(
        f"/board/{KAMIMIZO}/manifest.webmanifest?lang=vi").data)
    assert board["start_url"] == f"/board/{KAMIMIZO}" and board["lang"] == "vi"
    assert app.test_client().get("/board/NOPE/manifest.webmanifest").status_code == 404


def test_the_page_for_a_page_never_kept_says_so(app, people):
    page = app.test_client().get("/offline?lang=en").get_data(as_text=True)
    assert "this page was not opened on this device before" in page
