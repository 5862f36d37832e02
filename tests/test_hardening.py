"""Holes a security review found, each closed with a test that fails on the old code,
and tests for bugs that planted-bug reviews showed no test would catch."""

import datetime
import os
import sqlite3
import stat

import pytest

from disaster_support.accounts import users
from disaster_support.audit.log import Actor
from disaster_support.drills import runs
from disaster_support.needs import records as needs
from disaster_support.notices import records as notices
from disaster_support.shelters import registry
from disaster_support.shelters.registry import ValidationError
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, PASSWORD, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("test", "admin", "test")


def post(client, url, data, page="/needs"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def draft(db):
    return notices.create_notice(db, title="Water", body="At the gym", category="water",
                                 source_language="en", actor=ACTOR)


# --- Out-of-range dates are refused, naming the field ----------------------------------

@pytest.mark.parametrize("field, value", [
    ("valid_until", "9999-12-31T23:59+00:00"), ("valid_from", "0001-01-01T00:00"),
    ("valid_until", "2100-01-01T00:00")])
def test_a_notice_valid_for_ever_or_since_year_one_is_refused(coordinator, db, field, value):
    notice_id = draft(db)
    answer = post(coordinator, f"/notices/{notice_id}/publish?lang=en",
                  {"area_kind": "all", field: value}, page=f"/notices/{notice_id}")
    assert answer.status_code == 400
    assert "Valid from / until: a date and time from 2000 to 2099" in answer.get_data(
        as_text=True)
    assert notices.get_notice(db, notice_id)["status"] == "draft"
    assert coordinator.get(f"/board/{KAMIMIZO}").status_code == 200


def test_a_volunteer_available_in_year_one_is_refused(coordinator, db):
    count = db["volunteer"].count
    answer = post(coordinator, "/volunteers?lang=en", {
        "name": "Tran", "consent_date": "2026-11-01", "level-vi": "native",
        "availability": "0001-01-01T00:00/0001-01-02T00:00"}, page="/volunteers")
    assert answer.status_code == 400 and "Availability:" in answer.get_data(as_text=True)
    assert db["volunteer"].count == count


# --- Redirects stay on this site --------------------------------------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example/",
                                    "/\\evil.example/", "//evil.example/",
                                    "/\r\nSet-Cookie:x=y", "https://evil.example/"])
def test_sign_in_never_sends_the_browser_to_another_site(app, people, target):
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    answer = client.post("/sign-in", query_string={"next": target}, data={
        "csrf_token": token, "username": "coordinator", "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_a_local_next_page_is_kept(app, people):
    client = app.test_client()
    answer = client.post("/sign-in?next=/needs%3Fstatus%3Dopen", data={
        "csrf_token": csrf_token(client, "/sign-in"), "username": "coordinator",
        "password": PASSWORD})
    assert answer.headers["Location"] == "/needs?status=open"


def test_the_back_field_of_a_status_change_stays_on_this_site(coordinator, people):
    answer = post(coordinator, f"/needs/{people['need']}/status",
                  {"status": "in_progress", "back": "/\t/evil.example/"})
    assert answer.headers["Location"] == f"/needs/{people['need']}"


# --- CAP files: public only while a notice is or was on the boards ----------------------

def test_cap_files_of_withdrawn_and_scheduled_notices_are_not_public(app, coordinator, db):
    scheduled, withdrawn = draft(db), draft(db)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2))
    notices.publish(db, scheduled, valid_from=later.isoformat(timespec="minutes"),
                    actor=ACTOR)
    notices.publish(db, withdrawn, actor=ACTOR)
    notices.withdraw(db, withdrawn, actor=ACTOR)
    published = draft(db)
    notices.publish(db, published, actor=ACTOR)
    anyone = app.test_client()
    assert anyone.get(f"/notices/{published}/cap.xml").status_code == 200
    for notice_id in (scheduled, withdrawn):
        assert anyone.get(f"/notices/{notice_id}/cap.xml").status_code == 404
        assert coordinator.get(f"/notices/{notice_id}/cap.xml").status_code == 200


# --- Passwords people would guess ---------------------------------------------------------

@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "0987654321", "qwertyuiop",
                                  "password123", "Password1234!", "abcabcabca"])
def test_trivially_weak_passwords_are_refused(db, people, weak):
    with pytest.raises(ValidationError) as refused:
        users.create_user(db, "newadmin", "admin", weak, actor=ACTOR)
    assert "password" in refused.value.errors
    assert not users.exists(db, "newadmin")


def test_a_passphrase_is_accepted(db, people):
    users.create_user(db, "newadmin", "admin", "seven ducks on a tram", actor=ACTOR)
    assert users.exists(db, "newadmin")


# --- Files only this account can read ------------------------------------------------------

def private(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_database_its_wal_backups_and_drills_are_private(app, cli, people, db, tmp_path):
    db.execute("UPDATE shelter SET evacuees = 1 WHERE id = ?", [KAMIMIZO])  # WAL in use
    database = app.config["DATABASE"]
    assert private(database) == 0o600 and private(database + "-wal") == 0o600
    assert cli("backup", str(tmp_path / "copy.db")).exit_code == 0
    assert private(tmp_path / "copy.db") == 0o600
    assert cli("drill", "start", "m7-weekday-afternoon", "--speed", "manual").exit_code == 0
    drill = runs.active_drill(app)["database"]
    assert private(drill) == 0o600 and private(os.path.dirname(drill)) == 0o700
    assert cli("drill", "end").exit_code == 0


def test_a_fresh_instance_is_created_private(instance, cli):
    assert cli("init").exit_code == 0
    assert private(instance) == 0o700
    assert private(instance / "disaster_support.db") == 0o600


# --- The volunteer lists at city-wide scale ---------------------------------------------

def test_more_volunteers_than_sqlite_has_variables(db):
    """Many SQLite builds allow 32,766 variables in one statement (older ones 999): the
    volunteer lists never need one per volunteer. Shown here with the limit at 999."""
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    now = "2026-11-01T00:00:00+00:00"
    with db.conn:
        db.conn.executemany(
            "INSERT INTO volunteer (name, max_assignments, consent_at, created_at, updated_at) "
            "VALUES (?, 2, '2026-11-01', ?, ?)", [(f"V{n}", now, now) for n in range(1_200)])
    assert len(volunteers.list_volunteers(db)) == 1_200


# --- The service worker keeps no person's pages ------------------------------------------

def test_a_persons_pages_are_never_stored_a_tablets_may_be(app, coordinator, people):
    tablet = app.test_client()
    tablet.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people['device_token']}"
    assert coordinator.get(f"/shelters/{KAMIMIZO}/tablet").headers["Cache-Control"] == \
        "private, no-store"
    assert "no-store" not in tablet.get(f"/shelters/{KAMIMIZO}/tablet").headers[
        "Cache-Control"]
    worker = app.test_client().get("/sw.js").get_data(as_text=True)
    assert "no-store" in worker  # and the worker keeps nothing marked so


def test_signing_out_clears_what_the_browser_cached(coordinator):
    answer = post(coordinator, "/sign-out", {}, page="/")
    assert answer.status_code == 302 and answer.headers["Clear-Site-Data"] == '"cache"'


# --- Planted bugs no test caught ----------------------------------------------------------

def test_the_api_lists_only_the_needs_of_the_callers_shelters(app, people, db):
    registry.update_shelter(db, YOKOYAMA, {"status": "open"}, actor=ACTOR)
    needs.record_need(db, YOKOYAMA, {"client_id": "yokoyama-1", "category": "water", "language": "vi",
                                     "people": 1}, actor=ACTOR)
    tablet = app.test_client()  # Kamimizo's tablet
    listed = tablet.get("/api/v1/needs?status=all",
                        headers={"Authorization": f"Bearer {people['device_token']}"}).get_json()
    assert listed["count"] >= 1
    assert {n["shelter_id"] for n in listed["needs"]} == {KAMIMIZO}
    staff = sign_in(app.test_client(), "other_staff")  # Yokoyama's staff
    assert {n["shelter_id"] for n in staff.get("/api/v1/needs?status=all").get_json()[
        "needs"]} == {YOKOYAMA}


def test_a_revoked_token_and_a_disabled_users_token_are_refused(app, people, db):
    token = users.create_token(db, people["coordinator"], actor=ACTOR, label="test")
    token_id = db.execute("SELECT max(id) FROM api_token").fetchone()[0]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/shelters", headers=headers).status_code == 200
    users.update_user(db, people["coordinator"], disabled=True, actor=ACTOR)
    assert client.get("/api/v1/shelters", headers=headers).status_code == 401
    users.update_user(db, people["coordinator"], disabled=False, actor=ACTOR)
    assert client.get("/api/v1/shelters", headers=headers).status_code == 200
    users.revoke_token(db, token_id, actor=ACTOR)
    assert client.get("/api/v1/shelters", headers=headers).status_code == 401


def test_recording_a_need_and_changing_its_status_are_audited(coordinator, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    need, _ = needs.record_need(db, KAMIMIZO, {"client_id": "audited-1", "category": "water",
                                               "language": "vi", "people": 3}, actor=ACTOR)
    needs.transition(db, need["id"], "in_progress", actor=ACTOR)
    actions = [r[0] for r in db.execute(
        "SELECT action FROM audit WHERE entity = 'need' AND entity_id = ? ORDER BY id",
        [str(need["id"])])]
    assert len(actions) == 2 and actions[0] != actions[1]


def test_a_drill_copy_keeps_no_contact_of_any_volunteer(app, cli, people, db):
    assert db.execute("SELECT count(*) FROM volunteer WHERE phone IS NOT NULL").fetchone()[0]
    assert cli("drill", "start", "m7-weekday-afternoon", "--speed", "manual").exit_code == 0
    copy = sqlite3.connect(runs.active_drill(app)["database"])
    assert copy.execute("SELECT count(*) FROM volunteer WHERE phone IS NOT NULL OR email IS "
                        "NOT NULL").fetchone()[0] == 0
    copy.close()
    assert cli("drill", "end").exit_code == 0


HUGE = "99999999999999999999"


@pytest.mark.parametrize("method, url", [
    ("GET", f"/notices/{HUGE}"), ("GET", f"/notices/{HUGE}/cap.xml"),
    ("POST", f"/notices/{HUGE}/publish"), ("POST", f"/devices/{HUGE}/revoke"),
    ("GET", f"/admin/users/{HUGE}"), ("POST", f"/admin/users/{HUGE}/password"),
    ("POST", f"/admin/tokens/{HUGE}/revoke"), ("GET", f"/needs/{HUGE}"),
    ("GET", f"/shelters/{KAMIMIZO}/notices/{HUGE}/poster"), ("GET", f"/notices/{'9' * 5000}")])
def test_ids_beyond_what_sqlite_holds_are_no_such_page(admin, method, url, caplog):
    answer = admin.open(url, method=method,
                        data={"csrf_token": csrf_token(admin, "/")} if method == "POST" else None)
    assert answer.status_code == 404
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_huge_id_is_no_such_page_before_sign_in_too(app, people):
    assert app.test_client().get(f"/notices/{HUGE}/cap.xml").status_code == 404
    assert app.test_client().get(f"/needs/{HUGE}").status_code == 404
