"""The live workspace on the server side: the change feed and its cursor, needs new to
each coordinator, and claims ("being handled by sato since 10:42")."""

import datetime
import re

from disaster_support import db as database
from disaster_support.accounts import users
from disaster_support.audit.log import Actor
from disaster_support.claims import records as claims
from disaster_support.live import feed
from disaster_support.needs import records as needs
from disaster_support.notices import records as notices
from disaster_support.shelters import registry

from conftest import KAMIMIZO, PASSWORD, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")


def record(db, client_id, urgency="normal", language="vi"):
    if registry.get_shelter(db, KAMIMIZO)["status"] == "closed":
        registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    need, _ = needs.record_need(db, KAMIMIZO, {
        "client_id": client_id, "category": "water", "language": language, "people": 2,
        "urgency": urgency}, actor=ACTOR)
    return need


def tablet(app, people):
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people['device_token']}"
    return api


def new_rows(page):
    return set(re.findall(r'<tr data-need="(\d+)" data-new', page))


def second_coordinator(app, db):
    users.create_user(db, "sato", "coordinator", PASSWORD, actor=ACTOR)
    return sign_in(app.test_client(), "sato")


def test_the_feed_gives_each_change_once_in_commit_order(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    start = feed.latest(db)
    need = record(db, "live-feed-1", urgency="critical")
    registry.update_shelter(db, KAMIMIZO, {"evacuees": "40", "languages": {"vi": "9"}},
                            actor=ACTOR)
    needs.transition(db, need["id"], "in_progress", actor=ACTOR)

    first = feed.changes_after(db, start)
    kinds = [(c["kind"], c["ref"], c["action"]) for c in first["changes"]]
    assert kinds[0] == ("need", str(need["id"]), "created")
    assert first["changes"][0]["detail"] == "critical"   # the page can alert on it
    assert ("shelter", KAMIMIZO, "changed") in kinds
    assert kinds[-1] == ("need", str(need["id"]), "changed")
    ids = [c["id"] for c in first["changes"]]
    assert ids == sorted(ids) and first["cursor"] == ids[-1] == feed.latest(db)
    # from the new cursor: nothing again; a retry from the old one: the same changes
    assert feed.changes_after(db, first["cursor"])["changes"] == []
    assert feed.changes_after(db, start) == first
    # a page from another database (a restored backup) is told to redraw
    gone = feed.changes_after(db, first["cursor"] + 1000)
    assert gone["reset"] is True and gone["cursor"] == first["cursor"]


def test_a_long_gap_comes_in_pages_without_a_hole(app, people, db):
    start = feed.latest(db)
    for i in range(7):
        record(db, f"live-page-{i}")
    seen, cursor = [], start
    while True:
        page = feed.changes_after(db, cursor, limit=3)
        seen += [c["id"] for c in page["changes"]]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert seen == list(range(start + 1, feed.latest(db) + 1))


def test_the_feed_over_http_and_a_bad_cursor(coordinator, people, db, app):
    cursor = feed.latest(db)
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    created = tablet(app, people).post("/api/v1/needs", json={
        "client_id": "live-http-1", "shelter_id": KAMIMIZO, "category": "food",
        "language": "ne", "people": 3})
    assert created.status_code == 201
    answer = coordinator.get(f"/live/changes?after={cursor}&lang=en")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert {"kind": "need", "ref": str(created.get_json()["need"]["id"]),
            "action": "created"}.items() <= body["changes"][-1].items()
    bad = coordinator.get("/live/changes?after=soon&lang=en",
                          headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "after" in bad.get_json()["errors"]
    assert app.test_client().get("/live/changes").status_code in (302, 401, 403)


def test_needs_new_to_a_coordinator_are_marked_counted_and_then_seen(coordinator, people, db,
                                                                     app):
    page = coordinator.get("/needs?lang=en").get_data(as_text=True)
    assert 'id="live-new"' in page and new_rows(page) == set()
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    fresh = record(db, "live-new-1", urgency="critical")
    other = record(db, "live-new-2")

    page = coordinator.get("/needs?lang=en").get_data(as_text=True)
    assert "2 new needs · 1 critical" in page
    rows = dict(re.findall(r'<tr data-need="(\d+)" (data-new)?', page))
    assert rows[str(fresh["id"])] == "data-new" and rows[str(people["need"])] == ""
    # the header's count links to exactly those
    only = coordinator.get("/needs?new=1&lang=en").get_data(as_text=True)
    assert set(re.findall(r'<tr data-need="(\d+)"', only)) == {str(fresh["id"]),
                                                               str(other["id"])}
    token = csrf_token(coordinator, "/needs")
    answer = coordinator.post("/live/seen", data={"csrf_token": token,
                                                  "need": [str(fresh["id"])]})
    assert answer.get_json()["new_needs"] == {"count": 1, "critical": 0,
                                             "label": "1 new need"}
    # opening a need is seeing it
    coordinator.get(f"/needs/{other['id']}")
    feed_answer = coordinator.get("/live/changes?after=0&lang=en").get_json()
    assert feed_answer["new_needs"]["count"] == 0
    # new for somebody else still
    sato = second_coordinator(app, db)
    sato.get("/needs")  # the first look sets what counts as already seen
    third = record(db, "live-new-3")
    assert re.search(rf'<tr data-need="{third["id"]}" data-new',
                     sato.get("/needs").get_data(as_text=True))
    sato.post("/live/seen-all", data={"csrf_token": csrf_token(sato, "/needs")})
    assert new_rows(sato.get("/needs").get_data(as_text=True)) == set()


def test_a_resolved_need_is_not_new_to_anyone(coordinator, people, db):
    coordinator.get("/needs")
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    need = record(db, "live-resolved")
    needs.transition(db, need["id"], "resolved", actor=ACTOR)
    assert coordinator.get("/live/changes?after=0").get_json()["new_needs"]["count"] == 0


def test_two_coordinators_one_need(coordinator, people, db, app):
    need_id = people["need"]
    sato = second_coordinator(app, db)
    token = csrf_token(coordinator, f"/needs/{need_id}")
    taken = coordinator.post(f"/claims/need/{need_id}?lang=en", data={"csrf_token": token})
    assert taken.status_code == 303
    mine = coordinator.get(f"/needs/{need_id}?lang=en").get_data(as_text=True)
    assert "You are handling this since" in mine
    theirs = sato.get(f"/needs/{need_id}?lang=en").get_data(as_text=True)
    assert re.search(r"Being handled by coordinator since \d{1,2}:\d\d", theirs)
    assert "Being handled by coordinator" in sato.get("/needs?lang=en").get_data(as_text=True)

    # sato acts on it: warned, nothing changed, offered to send it anyway
    token = csrf_token(sato, f"/needs/{need_id}")
    warned = sato.post(f"/needs/{need_id}/status?lang=en", data={
        "csrf_token": token, "status": "in_progress", "expected_status": "open"})
    assert warned.status_code == 409
    page = warned.get_data(as_text=True)
    assert "Need %s is being handled by coordinator since" % need_id in page
    assert 'name="despite_claim" value="1"' in page and 'name="status" value="in_progress"' in page
    assert needs.get_need(db, need_id)["status"] == "open"
    sent = sato.post(f"/needs/{need_id}/status?lang=en", data={
        "csrf_token": token, "status": "in_progress", "expected_status": "open",
        "despite_claim": "1"})
    assert sent.status_code == 303 and needs.get_need(db, need_id)["status"] == "in_progress"
    # taking it without "take over" is refused; with it, it passes to sato
    refused = sato.post(f"/claims/need/{need_id}", data={"csrf_token": token})
    assert claims.claim_of(db, "need", need_id)["username"] == "coordinator"
    assert refused.status_code == 303
    sato.post(f"/claims/need/{need_id}", data={"csrf_token": token, "take_over": "1"})
    assert claims.claim_of(db, "need", need_id)["username"] == "sato"
    # resolving lets go
    needs.transition(db, need_id, "resolved", actor=ACTOR)
    assert claims.claim_of(db, "need", need_id) is None


def test_a_stale_status_change_is_a_conflict_not_an_overwrite(coordinator, people, db):
    need_id = people["need"]
    token = csrf_token(coordinator, f"/needs/{need_id}")
    page = coordinator.get(f"/needs/{need_id}").get_data(as_text=True)
    assert 'name="expected_status" value="open"' in page
    needs.transition(db, need_id, "cancelled", actor=ACTOR, reason="duplicate")
    stale = coordinator.post(f"/needs/{need_id}/status?lang=en", data={
        "csrf_token": token, "status": "in_progress", "expected_status": "open"},
        follow_redirects=True)
    assert "was changed meanwhile" in stale.get_data(as_text=True)
    assert needs.get_need(db, need_id)["status"] == "cancelled"


def test_claims_lapse_when_no_page_is_open_and_go_on_sign_out(coordinator, people, db, app):
    need_id = people["need"]
    user_id = db.execute("SELECT id FROM user WHERE username = 'coordinator'").fetchone()[0]
    start = database.NOW().replace(microsecond=0)
    claims.take(db, "need", need_id, account_id=user_id, username="coordinator", at=start)
    later = start + claims.TIMEOUT - datetime.timedelta(minutes=1)
    assert claims.renew(db, user_id, at=later) == 1          # a page still open
    assert claims.claim_of(db, "need", need_id, at=later + claims.TIMEOUT / 2)
    gone = later + claims.TIMEOUT + datetime.timedelta(seconds=1)
    assert claims.claim_of(db, "need", need_id, at=gone) is None
    cursor = feed.latest(db)
    assert claims.expire(db, at=gone) == 1
    assert [c["action"] for c in feed.changes_after(db, cursor)["changes"]] == ["released"]

    claims.take(db, "need", need_id, account_id=user_id, username="coordinator")
    coordinator.post("/sign-out", data={"csrf_token": csrf_token(coordinator, "/")})
    assert claims.claim_of(db, "need", need_id) is None


def test_the_feed_renews_the_claims_of_whoever_polls(coordinator, people, db):
    need_id = people["need"]
    user_id = db.execute("SELECT id FROM user WHERE username = 'coordinator'").fetchone()[0]
    old = database.NOW().replace(microsecond=0) - datetime.timedelta(minutes=10)
    claims.take(db, "need", need_id, account_id=user_id, username="coordinator", at=old)
    coordinator.get("/live/changes?after=0")
    renewed = db.execute("SELECT renewed_at FROM claim").fetchone()[0]
    assert renewed > old.isoformat()


def test_a_notice_draft_being_written_is_claimed_too(coordinator, people, db, app):
    draft = notices.create_notice(db, template_id="aftershock", slots={},
                                  source_language="ja", actor=ACTOR)
    token = csrf_token(coordinator, f"/notices/{draft}")
    assert f'action="/claims/notice/{draft}"' in coordinator.get(
        f"/notices/{draft}?lang=en").get_data(as_text=True)
    coordinator.post(f"/claims/notice/{draft}", data={"csrf_token": token})
    sato = second_coordinator(app, db)
    page = sato.get(f"/notices/{draft}?lang=en").get_data(as_text=True)
    assert "Being handled by coordinator since" in page
    version = notices.get_notice(db, draft)["version"]
    warned = sato.post(f"/notices/{draft}/translations/en?lang=en", data={
        "csrf_token": csrf_token(sato, "/notices"), "note": "Take care."})
    assert warned.status_code == 409 and "Notice %s is being handled" % draft in \
        warned.get_data(as_text=True)
    assert notices.get_notice(db, draft)["version"] == version
    assert db.execute("SELECT count(*) FROM notice_translation WHERE notice_id = ?",
                      [draft]).fetchone()[0] == 0
    # publishing lets go
    notices.publish(db, draft, actor=ACTOR)
    assert claims.claim_of(db, "notice", draft) is None


def test_an_edit_from_an_old_version_of_a_notice_is_refused(coordinator, people, db):
    draft = notices.create_notice(db, template_id="aftershock", slots={},
                                  source_language="ja", actor=ACTOR)
    page = coordinator.get(f"/notices/{draft}?lang=en").get_data(as_text=True)
    assert 'name="expected_version" value="1"' in page
    form = dict(re.findall(r'<input[^>]*name="(slot_[^"]+)"[^>]*value="([^"]*)"', page))
    notices.update_notice(db, draft, actor=ACTOR, slots={"note": "体育館の前で"})
    stale = coordinator.post(f"/notices/{draft}/edit?lang=en", data={
        **form, "csrf_token": csrf_token(coordinator, "/notices"), "expected_version": "1",
        "slot_note": "校庭で"})
    assert stale.status_code == 409
    assert "it is version 2 now, you saw version 1. Nothing was saved" in stale.get_data(
        as_text=True)
    assert notices.get_notice(db, draft)["slots"]["note"] == "体育館の前で"


def test_confirming_a_volunteer_for_a_need_someone_handles_asks_first(coordinator, people,
                                                                     db, app):
    need_id = people["need"]
    user_id = db.execute("SELECT id FROM user WHERE username = 'coordinator'").fetchone()[0]
    claims.take(db, "need", need_id, account_id=user_id, username="coordinator")
    sato = second_coordinator(app, db)
    token = csrf_token(sato, "/matching")
    warned = sato.post(f"/assignments/{people['assignment']}/confirm?lang=en",
                       data={"csrf_token": token})
    assert warned.status_code == 409
    status = "SELECT status FROM assignment WHERE id = ?"
    assert db.execute(status, [people["assignment"]]).fetchone()[0] == "proposed"
    sent = sato.post(f"/assignments/{people['assignment']}/confirm",
                     data={"csrf_token": token, "despite_claim": "1"})
    assert sent.status_code == 302
    assert db.execute(status, [people["assignment"]]).fetchone()[0] == "confirmed"
