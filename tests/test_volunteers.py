"""Volunteers: the registry, proposals through the real pages, the volunteer's
answers, translation tasks and needs answered by notices."""

import io
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.notices import records as notices
from disaster_support.shelters import registry
from disaster_support.volunteers import assignments
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, PASSWORD, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")
WARDS = {"midori", "chuo", "minami"}


def post(client, url, data, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/sign-in")},
                       **kwargs)


@pytest.fixture
def opened(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "100",
                                           "languages": {"vi": "10", "ne": "4", "my": "2"}},
                            actor=ACTOR)
    return people


def test_registering_a_volunteer_names_bad_fields_and_keeps_contacts_private(app, people, db):
    coordinator = sign_in(app.test_client(), "coordinator")
    before = db["volunteer"].count
    response = post(coordinator, "/volunteers?lang=en", {
        "name": "Ramesh Gurung", "phone": "abc", "level-ne": "native", "consent_date": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phone: digits, spaces, + ( ) and - only." in page
    assert "Consent date: the date the volunteer agreed" in page
    assert db["volunteer"].count == before
    response = post(coordinator, "/volunteers", {
        "name": "Ramesh Gurung", "phone": "080-1111-2222", "level-ne": "native",
        "level-ja": "simple_japanese", "skills": ["interpretation", "driving"],
        "consent_date": "2026-11-20", "ward": "minami",
        "availability": "2026-11-26T09:00/2026-11-26T17:00"})
    assert response.status_code == 302
    volunteer = volunteers.get_volunteer(db, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert volunteer["languages"] == {"ja": "simple_japanese", "ne": "native"}
    assert volunteer["availability"] == [("2026-11-26T00:00:00+00:00",
                                          "2026-11-26T08:00:00+00:00")]
    assert "080-1111-2222" in coordinator.get("/volunteers").get_data(as_text=True)
    staff = sign_in(app.test_client(), "staff")
    assert staff.get("/volunteers").status_code == 403
    audit = db.execute("SELECT after FROM audit WHERE entity = 'volunteer' ORDER BY id DESC"
                       ).fetchone()[0]
    assert "080" not in audit  # the audit log keeps no contact details


def test_csv_import_uses_the_template_and_is_all_or_nothing(app, people, db):
    from disaster_support.paths import STATIC_DIR

    coordinator = sign_in(app.test_client(), "coordinator")
    template = (STATIC_DIR / "templates" / "volunteers.csv").read_bytes()
    before = db["volunteer"].count
    bad = template.decode().replace("ne:native", "ne:wizard").encode()
    response = post(coordinator, "/volunteers/import?lang=en",
                    {"file": (io.BytesIO(bad), "volunteers.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert "volunteers.csv, line 3, column languages" in response.get_data(as_text=True)
    assert db["volunteer"].count == before
    response = post(coordinator, "/volunteers/import",
                    {"file": (io.BytesIO(template), "volunteers.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    assert db["volunteer"].count == before + 2


def make_volunteer(db, name, languages, **extra):
    volunteer_id = volunteers.create_volunteer(db, {
        "name": name, "consent_date": "2026-11-01", "languages": languages,
        "lat": "35.5600", "lon": "139.3640", **extra}, actor=ACTOR, wards=WARDS)
    volunteers.check_in(db, volunteer_id, KAMIMIZO, actor=ACTOR)
    return volunteer_id


def test_propose_confirm_accept_complete_through_the_pages(app, opened, db):
    need, _ = needs.record_need(db, KAMIMIZO, {
        "client_id": "flow-need-1", "category": "medical", "language": "vi", "people": "3",
        "urgency": "high"}, actor=ACTOR)
    medic = make_volunteer(db, "Tran Van Minh", {"vi": "native"},
                           skills=["medical_interpretation"])
    coordinator = sign_in(app.test_client(), "coordinator")
    post(coordinator, "/matching/propose", {})
    page = coordinator.get("/matching?lang=en").get_data(as_text=True)
    proposal = next(a for a in assignments.list_assignments(db, status="proposed")
                    if a["need_id"] == need["id"])
    assert proposal["volunteer_id"] == medic
    assert ("speaks Vietnamese (native) · 0.0 km · medical interpretation · "
            "0 active assignments") in page
    post(coordinator, f"/assignments/{proposal['id']}/confirm", {})
    assert needs.get_need(db, need["id"])["status"] == "matched"

    # the volunteer answers from their own page
    user_id = db.execute("SELECT user_id FROM volunteer WHERE id = ?", [medic]).fetchone()[0]
    assert user_id is None
    from disaster_support.accounts import users

    uid = users.create_user(db, "minh", "volunteer", PASSWORD, actor=ACTOR)
    db.execute("UPDATE volunteer SET user_id = ? WHERE id = ?", [uid, medic])
    minh = sign_in(app.test_client(), "minh")
    assert minh.get("/").headers["Location"] == "/me"
    my_page = minh.get("/me?lang=en").get_data(as_text=True)
    assert f'data-assignment="{proposal["id"]}"' in my_page and "Medical care" in my_page
    post(minh, f"/me/assignments/{proposal['id']}", {"answer": "accept"})
    assert needs.get_need(db, need["id"])["status"] == "in_progress"
    post(minh, f"/me/assignments/{proposal['id']}", {"answer": "done"})
    assert needs.get_need(db, need["id"])["status"] == "resolved"
    # another volunteer's assignment is not theirs to answer
    other = post(sign_in(app.test_client(), "volunteer"), f"/me/assignments/{proposal['id']}",
                 {"answer": "decline"})
    assert other.status_code == 404


def test_a_decline_re_proposes_to_someone_else(app, opened, db):
    need, _ = needs.record_need(db, KAMIMIZO, {
        "client_id": "decline-need-1", "category": "water", "language": "ne", "people": "2"},
        actor=ACTOR)
    first = make_volunteer(db, "Sita Thapa", {"ne": "native"})
    second = make_volunteer(db, "Ramesh Gurung", {"ne": "fluent"}, lat="35.60", lon="139.40")
    assignments.propose(db, actor=ACTOR)
    proposal = next(a for a in assignments.list_assignments(db, status="proposed")
                    if a["need_id"] == need["id"])
    assert proposal["volunteer_id"] == first  # nearer, native
    assignments.confirm(db, proposal["id"], actor=ACTOR)
    assignments.respond(db, proposal["id"], "decline", actor=ACTOR, volunteer_id=first)
    again = [a for a in assignments.list_assignments(db, status="proposed")
             if a["need_id"] == need["id"]]
    assert [a["volunteer_id"] for a in again] == [second]
    assert needs.get_need(db, need["id"])["status"] == "open"


def test_the_unservable_list_names_the_missing_languages(app, opened, db):
    needs.record_need(db, KAMIMIZO, {"client_id": "burmese-001", "category": "water",
                                     "language": "my", "people": "2"}, actor=ACTOR)
    needs.record_need(db, KAMIMIZO, {"client_id": "burmese-002", "category": "food",
                                     "language": "my", "people": "1"}, actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")
    page = coordinator.get("/matching?lang=en").get_data(as_text=True)
    assert "No Burmese speaker available: 2 needs, 3 people" in page
    japanese = coordinator.get("/matching?lang=ja").get_data(as_text=True)
    assert "ミャンマー語" in japanese  # the language named in the reader's language


def test_missing_translations_become_tasks_and_reach_the_boards(app, opened, db):
    notice_id = notices.create_notice(db, category="information", source_language="ja",
                                      title="説明会", body="明日 説明会を 行います。", actor=ACTOR)
    notices.publish(db, notice_id, area_kind="shelters", area=[KAMIMIZO], actor=ACTOR)
    translator = make_volunteer(db, "Le Thi Hoa", {"vi": "native", "ja": "fluent"},
                                skills=["translation"])
    assert assignments.propose_translations(db, actor=ACTOR) >= 1
    task = next(a for a in assignments.list_assignments(db, kind="translation")
                if a["notice_id"] == notice_id and a["language"] == "vi")
    assert task["volunteer_id"] == translator
    assignments.confirm(db, task["id"], actor=ACTOR)
    from disaster_support.accounts import users

    uid = users.create_user(db, "hoa", "volunteer", PASSWORD, actor=ACTOR)
    db.execute("UPDATE volunteer SET user_id = ? WHERE id = ?", [uid, translator])
    hoa = sign_in(app.test_client(), "hoa")
    assert "明日 説明会を 行います。" in hoa.get("/me").get_data(as_text=True)
    post(hoa, f"/me/assignments/{task['id']}", {
        "answer": "done", "kind": "translation", "title": "Buổi giải thích",
        "body": "Ngày mai có buổi giải thích."})
    board = app.test_client().get(f"/board/{KAMIMIZO}?lang=vi").get_data(as_text=True)
    assert "Ngày mai có buổi giải thích." in board
    assert assignments.get_assignment(db, task["id"])["status"] == "done"


def test_a_need_answered_with_a_notice(app, opened, db):
    need, _ = needs.record_need(db, KAMIMIZO, {"client_id": "answer-0001", "category": "water",
                                               "language": "vi", "people": "5"}, actor=ACTOR)
    notice_id = notices.create_notice(db, template_id="water-supply", slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "15:00-17:00"}, source_language="ja",
        actor=ACTOR)
    notices.publish(db, notice_id, area_kind="wards", area=["chuo"], actor=ACTOR)
    elsewhere = notices.create_notice(db, template_id="pets", slots={"place": "体育館裏"},
                                      source_language="ja", actor=ACTOR)
    notices.publish(db, elsewhere, actor=ACTOR)
    coordinator = sign_in(app.test_client(), "coordinator")
    page = coordinator.get(f"/needs/{need['id']}?lang=en").get_data(as_text=True)
    listed = re.findall(r'<li data-notice="(\d+)">', page)
    assert str(notice_id) in listed and str(elsewhere) not in listed  # pets ≠ water
    post(coordinator, f"/needs/{need['id']}/answer", {"notice_id": str(notice_id)})
    assert needs.get_need(db, need["id"])["status"] == "resolved"
    assert db.execute("SELECT count(*) FROM need_answer WHERE need_id = ?",
                      [need["id"]]).fetchone()[0] == 1


def test_purge_removes_volunteer_contacts(cli, app, people, db):
    assert db.execute("SELECT count(*) FROM volunteer WHERE phone IS NOT NULL").fetchone()[0]
    result = cli("purge", "--yes")
    assert "volunteer contact details: 1" in result.output
    assert db.execute("SELECT count(*) FROM volunteer WHERE phone IS NOT NULL "
                      "OR email IS NOT NULL").fetchone()[0] == 0
    assert db["volunteer"].count == 1
