"""Drills: a scenario run ten times faster through the real app and CLI, with an
accelerated clock; the report's figures follow from the injected timeline, and the
live database is byte for byte what it was."""

import datetime
import hashlib
import json
import re
import sqlite3

import pytest

from disaster_support import db as database
from disaster_support.drills import runs, scenarios

from conftest import KAMIMIZO, PASSWORD, SHIPPED, csrf_token, sign_in
from notice_publishing import publish_checked

SCENARIO = "m7-weekday-afternoon"


class Clock:
    """The app's clock (db.NOW), moved on by the test: no waiting, no wall clock."""

    def __init__(self):
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def __call__(self):
        return self.now

    def to_minute(self, drill_start, minute, speed=10):
        """Set the clock to a scenario minute of a drill started at ``drill_start``."""
        self.now = drill_start + datetime.timedelta(minutes=minute / speed)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(database, "NOW", clock)
    return clock


ACCOUNT_TABLES = ("user", "user_shelter", "api_token", "device", "user_session",
                  "login_throttle")


def live_bytes(app):
    """A digest of the live database's operational data: every table but the accounts'
    own, which are live during a drill too (sign-ins, a tablet revoked), and the audit
    entries about them."""
    conn = sqlite3.connect(app.config["DATABASE"])
    tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                               "'table' AND name NOT LIKE 'sqlite_%'")
                    if r[0] not in ACCOUNT_TABLES)
    digest = hashlib.sha256()
    for table in tables:
        where = " WHERE entity NOT IN ('user', 'device', 'api_token')" if table == "audit" else ""
        for row in conn.execute(f"SELECT * FROM {table}{where} ORDER BY rowid"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def post(client, url, data=None, page="/needs"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})})


def need_of_inject(app, minute):
    drill = runs.active_drill(app)
    conn = sqlite3.connect(drill["database"])
    result = conn.execute("SELECT result FROM drill_inject WHERE at_minute = ?",
                          [minute]).fetchone()[0]
    conn.close()
    return json.loads(result)["need"]


def test_scenarios_are_valid_and_name_real_shelters(app, sagamihara, db):
    shelters = {r[0] for r in db.execute("SELECT id FROM shelter")}
    found = scenarios.list_scenarios(SHIPPED)
    assert {s.id for s in found} == {"m7-weekday-afternoon", "typhoon-flood-midori"}
    for scenario in found:
        assert len(scenario.injects) >= 10
        named = {i["shelter"] for i in scenario.injects if "shelter" in i}
        named |= {s["id"] for s in scenario.opening.get("shelters", [])}
        assert named <= shelters, named - shelters
        assert all(i["message"].get("en") for i in scenario.injects)
    flood = next(s for s in found if s.id == "typhoon-flood-midori")
    wards = dict(db.execute("SELECT id, ward FROM shelter").fetchall())
    assert {wards[s["id"]] for s in flood.opening["shelters"]} == {"midori"}


def test_a_bad_scenario_is_refused_with_its_inject_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ntitle: {ja: 悪い}\nduration: 60\ninjects:\n"
                    "  - {at: 5, kind: need, shelter: X, category: sushi, language: vi, "
                    "people: 1, message: {ja: あ}}\n", encoding="utf-8")
    with pytest.raises(scenarios.ScenarioError, match=r"bad.yaml: inject 1: category"):
        scenarios.load(path)


def test_an_accelerated_drill_end_to_end(app, people, cli, clock, db):
    coordinator = sign_in(app.test_client(), "coordinator")
    admin = sign_in(app.test_client(), "admin")
    live_needs = db.execute("SELECT count(*) FROM need").fetchone()[0]
    before = live_bytes(app)

    assert cli("drill", "start", SCENARIO, "--speed", "fast").exit_code == 0
    drill = runs.active_drill(app)
    started = datetime.datetime.fromisoformat(
        dict(sqlite3.connect(drill["database"]).execute(
            "SELECT key, value FROM drill_info").fetchall())["started_at"])

    # The opening state, and nothing of the live needs and notices
    page = coordinator.get("/needs?lang=en").get_data(as_text=True)
    assert "DRILL" in page and "訓練" in page and "This is a drill" in page
    assert coordinator.get("/api/v1/needs").get_json()["count"] == 0
    assert coordinator.get("/").status_code == 200
    banner_vi = coordinator.get("/needs?lang=vi").get_data(as_text=True)
    assert "訓練" in banner_vi and "This is a drill" not in banner_vi  # in Vietnamese

    # T+5 and T+8: two shelters report needs (delivered by the next request)
    clock.to_minute(started, 9)
    queue = coordinator.get("/api/v1/needs").get_json()
    assert sorted((n["language"], n["category"]) for n in queue["needs"]) == [
        ("ne", "interpretation"), ("vi", "food")]
    food, interpreter = need_of_inject(app, 5), need_of_inject(app, 8)
    created = coordinator.get(f"/api/v1/needs/{food}").get_json()["created_at"]
    assert created == runs.moment_of({"started_at": started.isoformat(), "speed": 10}, 5)

    # T+10: someone takes on the halal food; T+30 it is resolved
    clock.to_minute(started, 10)
    post(coordinator, f"/needs/{food}/status", {"status": "in_progress"})
    clock.to_minute(started, 30)
    post(coordinator, f"/needs/{food}/status", {"status": "resolved"})

    # T+40: two Nepali medical interpreters check in; T+42 matching proposes one for
    # the Nepali need, T+45 the coordinator confirms
    clock.to_minute(started, 42)
    post(coordinator, "/matching/propose", page="/matching")
    clock.to_minute(started, 45)
    post(coordinator, "/matching/confirm-all", page="/matching")
    assert coordinator.get(f"/api/v1/needs/{interpreter}").get_json()["status"] == "matched"

    # T+50: a notice in Japanese only: every language of the evacuees lacks it
    clock.to_minute(started, 50)
    post(coordinator, "/notices/new", {"source_language": "ja", "category": "information",
                                       "title": "給水", "body": "体育館で水を配ります。"},
         page="/notices/new")
    notice = max(int(n) for n in re.findall(r"/notices/(\d+)", coordinator.get(
        "/notices").get_data(as_text=True)))
    publish_checked(coordinator, notice, {
        "area_kind": "all", "csrf_token": csrf_token(coordinator, f"/notices/{notice}")})

    # Exports and printouts during the drill say so
    clock.to_minute(started, 55)
    audit = coordinator.get("/audit.csv")
    assert audit.get_data(as_text=True).lstrip("\ufeff").startswith("DRILL / 訓練")
    assert audit.headers["X-Drill"] == drill["id"]
    assert "訓練" in app.test_client().get(f"/board/{KAMIMIZO}?lang=ne").get_data(as_text=True)
    assert "訓練" in coordinator.get(f"/shelters/{KAMIMIZO}/sheet").get_data(as_text=True)

    # T+58: the drill ends
    clock.to_minute(started, 58)
    response = post(admin, "/drills/end", page="/drills")
    assert response.status_code == 303
    assert runs.active_drill(app) is None
    # Live data: byte for byte as before
    assert live_bytes(app) == before
    assert db.execute("SELECT count(*) FROM need").fetchone()[0] == live_needs

    report = runs.archived_report(app, drill["id"])
    rows = {r["need"]: r for r in report["needs"]}
    # needs of the injects at T+5, 8, 12, 15, 25 and 35
    assert sorted(r["inject_minute"] for r in report["needs"]) == [5, 8, 12, 15, 25, 35]
    assert rows[food]["first_action_after"] == 5.0
    assert rows[food]["matched_after"] == 5.0
    assert rows[food]["resolved_after"] == 25.0
    assert rows[interpreter]["first_action_after"] == 34.0   # proposed at T+42
    assert rows[interpreter]["matched_after"] == 37.0        # confirmed at T+45
    assert rows[interpreter]["resolved_after"] is None
    summary = report["summary"]
    assert summary["needs"] == 6 and summary["resolved"] == 1 and summary["unmet_at_end"] == 5
    assert summary["median_first_action"] == 19.5 and summary["median_resolve"] == 25.0
    assert summary["volunteers_checked_in"] == 2 + 4 + 2       # opening, T+20, T+40
    assert summary["volunteers_used"] == 1
    assert summary["notices_published"] == 1
    assert set(report["languages_present"]) == {"vi", "zh-Hans", "tl", "ne", "ko", "en", "id",
                                                "pt", "th", "es", "my"}
    assert summary["translation_gaps"] == 11
    assert report["injects_delivered"] == 12  # every inject up to T+55
    groups = {(g["language"], g["category"]): g for g in report["by_language_category"]}
    assert groups[("vi", "food")]["unmet"] == 0 and groups[("ne", "interpretation")]["unmet"] == 1

    # The report page, its timeline and its CSV
    page = coordinator.get(f"/drills/{drill['id']}/report?lang=en").get_data(as_text=True)
    assert "<svg" in page and page.count('class="phase waiting"') >= 6
    assert "Vietnamese" in page and "25" in page
    csv_text = coordinator.get(f"/drills/{drill['id']}/report.csv").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("DRILL / 訓練") and lines[1].startswith("need,inject_minute")
    assert len(lines) == 2 + 6

    assert "訓練" not in coordinator.get("/needs").get_data(as_text=True)  # live again

    # A second run of the same scenario is compared with the first
    before = live_bytes(app)
    clock.now += datetime.timedelta(hours=1)
    assert cli("drill", "start", SCENARIO, "--speed", "manual").exit_code == 0
    second = runs.active_drill(app)["id"]
    post(admin, "/drills/next", page="/drills")  # the facilitator's button: T+5 now
    assert coordinator.get("/api/v1/needs").get_json()["count"] == 1
    assert cli("drill", "end").exit_code == 0
    assert live_bytes(app) == before
    page = coordinator.get(f"/drills/{second}/report?lang=en").get_data(as_text=True)
    assert "Compared with the drill of" in page
    listed = cli("drill", "list").output
    assert drill["id"] in listed and second in listed


def test_one_drill_at_a_time_and_commands_say_why(app, people, cli, clock):
    assert cli("drill", "end").exit_code != 0
    assert cli("drill", "start", "nope").exit_code != 0
    assert cli("drill", "start", SCENARIO).exit_code == 0
    again = cli("drill", "start", SCENARIO)
    assert again.exit_code != 0 and "already running" in again.output
    assert cli("drill", "end").exit_code == 0


def test_an_inject_is_delivered_once_even_if_asked_twice(app, people, cli, clock):
    assert cli("drill", "start", SCENARIO, "--speed", "manual").exit_code == 0
    conn = database.connect(runs.active_drill(app)["database"])
    first = runs.pending(conn)[0]
    assert runs.deliver(conn, first["id"], database.utcnow()) is True
    assert runs.deliver(conn, first["id"], database.utcnow()) is False
    assert conn.execute("SELECT count(*) FROM need").fetchone()[0] == 1
    assert runs.deliver_due(conn) == 0  # manual: only the button delivers
    conn.close()
    assert cli("drill", "end").exit_code == 0


def test_the_demo_includes_a_drill_already_held(app, cli):
    assert cli("demo").exit_code == 0
    [report] = runs.archived(app)
    assert report["drill"]["scenario"] == SCENARIO and report["drill"]["ended_at"]
    summary = report["summary"]
    assert summary["needs"] >= 8 and 0 < summary["resolved"] < summary["needs"]
    assert summary["volunteers_used"] >= 1 and summary["notices_published"] == 1
    assert runs.active_drill(app) is None
    assert cli("demo").exit_code == 0 and len(runs.archived(app)) == 1  # once


def test_security_actions_taken_during_a_drill_hold_after_it(app, people, cli, clock, db):
    """Accounts, tablets, tokens and sessions have one truth, the live database: a tablet
    revoked, a user disabled, a password reset or sessions ended during a drill stay so
    when the drill ends."""
    admin = sign_in(app.test_client(), "admin")
    coordinator = sign_in(app.test_client(), "coordinator")
    tablet_token = {"Authorization": f"Bearer {people['device_token']}"}
    volunteer_token = {"Authorization": f"Bearer {people['token']}"}
    assert app.test_client().get("/api/v1/needs", headers=tablet_token).status_code == 200

    assert cli("drill", "start", SCENARIO, "--speed", "manual").exit_code == 0
    drill = runs.active_drill(app)
    post(admin, f"/devices/{people['device']}/revoke", page="/devices")
    post(admin, f"/admin/users/{people['staff']}", {"role": "shelter_staff",
         "shelters": KAMIMIZO, "disabled": "1"}, page="/admin/users")
    post(admin, f"/admin/users/{people['other_staff']}/password", page="/admin/users")
    post(admin, f"/admin/users/{people['coordinator']}/revoke-sessions", page="/admin/users")
    post(admin, f"/admin/tokens/{people['token_id']}/revoke", page="/admin/users")
    during = app.test_client()
    assert during.get("/api/v1/needs", headers=tablet_token).status_code == 401
    assert cli("drill", "end").exit_code == 0

    after = app.test_client()
    assert after.get("/api/v1/needs", headers=tablet_token).status_code == 401
    assert after.get("/api/v1/needs", headers=volunteer_token).status_code == 401
    assert coordinator.get("/needs").status_code == 302  # its session was ended
    for username in ("staff", "other_staff"):
        refused = after.post("/sign-in", data={
            "csrf_token": csrf_token(after, "/sign-in"), "username": username,
            "password": PASSWORD})
        assert refused.status_code == 401, username
    # and the drill's own copy holds no way in: no tablets, tokens or passwords
    drill_db = sqlite3.connect(drill["database"])
    assert drill_db.execute("SELECT count(*) FROM device").fetchone()[0] == 0
    assert drill_db.execute("SELECT count(*) FROM api_token").fetchone()[0] == 0
    assert {r[0] for r in drill_db.execute("SELECT password_hash FROM user")} == {"!"}


def test_a_patrol_inject_adds_the_place_it_found_with_its_needs(app, people, cli, clock):
    """The flood scenario: at T+75 a patrol team finds 8 Nepali speakers in a factory
    dormitory. The place is added (beyond the official list) with its needs, once; the
    live database never sees it."""
    before = live_bytes(app)
    assert cli("drill", "start", "typhoon-flood-midori", "--speed", "manual").exit_code == 0
    conn = database.connect(runs.active_drill(app)["database"])
    inject = next(i for i in runs.pending(conn) if i["kind"] == "place")
    with app.app_context():
        assert runs.deliver(conn, inject["id"], database.utcnow()) is True
        assert runs.deliver(conn, inject["id"], database.utcnow()) is False
    result = json.loads(conn.execute("SELECT result FROM drill_inject WHERE id = ?",
                                     [inject["id"]]).fetchone()[0])
    place = conn.execute("SELECT kind, name, ward, official, location_approximate FROM shelter "
                         "WHERE id = ?", [result["place"]]).fetchone()
    assert tuple(place) == ("dormitory", "津久井 工場寮", "midori", 0, 1)
    assert conn.execute("SELECT people FROM shelter_language WHERE shelter_id = ? AND "
                        "language = 'ne'", [result["place"]]).fetchone()[0] == 8
    assert [tuple(r) for r in conn.execute(
        "SELECT category, origin, status FROM need WHERE shelter_id = ? ORDER BY id",
        [result["place"]])] == [("information", "patrol", "open"), ("food", "patrol", "open")]
    conn.close()
    assert cli("drill", "end").exit_code == 0
    assert live_bytes(app) == before
