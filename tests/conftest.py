import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from playwright.sync_api import sync_playwright

from browsers import Server, launch
from disaster_support import create_app
from disaster_support.cli import main
from disaster_support.db import connect

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "data" / "shelters"
SHIPPED = ROOT / "shelters"
GSI_SHELTERS = SHIPPED / "sagamihara_gsi_designated_shelters.csv"
GSI_SITES = SHIPPED / "sagamihara_gsi_emergency_sites.csv"
KANAZAWA = SAMPLES / "kanazawa_municipal_standard_emergency_sites.csv"


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def app(request, instance):
    if "people" in request.fixturenames:
        request.getfixturevalue("people")  # copies its database in first
    return create_app({"TESTING": True}, instance_path=instance)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def cli(instance):
    """Run the real ``disaster-support`` command on the test instance."""
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, [*args, "--instance", str(instance)], input=input,
                             catch_exceptions=False)

    return run


@pytest.fixture
def sagamihara(app, cli):
    """The app with Sagamihara's two GSI files imported."""
    result = cli("import-shelters", str(GSI_SHELTERS), str(GSI_SITES))
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo_app(app, cli):
    assert cli("demo").exit_code == 0
    return app


def csrf_token(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def kanazawa_city(tmp_path):
    """A city profile for Kanazawa (no wards), as another city would write it."""
    folder = tmp_path / "kanazawa"
    folder.mkdir()
    (folder / "city.json").write_text(
        '{"name": {"ja": "金沢市", "en": "Kanazawa"}, "prefecture": "石川県", '
        '"code": "172014", "center": [36.56, 136.65], "wards": [], '
        '"shelter_files": ["kanazawa.csv"]}', encoding="utf-8")
    shutil.copy(KANAZAWA, folder / "kanazawa.csv")
    return folder


# --- People ------------------------------------------------------------------

PASSWORD = "correct horse battery"
KAMIMIZO = "E1415000004111"      # 上溝中学校
YOKOYAMA = "E1415000006111"      # 横山小学校


def sign_in(client, username, password=PASSWORD):
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"csrf_token": token, "username": username,
                                             "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture(scope="session")
def people_template(tmp_path_factory):
    """Built once (password hashing is slow on purpose): Sagamihara's shelters, one
    user per role, shelter staff of Kamimizo and of Yokoyama, a tablet of Kamimizo."""
    from disaster_support.accounts import devices, users
    from disaster_support.audit.log import Actor

    folder = tmp_path_factory.mktemp("people")
    result = CliRunner().invoke(main, ["import-shelters", str(GSI_SHELTERS), str(GSI_SITES),
                                       "--instance", str(folder)])
    assert result.exit_code == 0, result.output
    create_app({"TESTING": True}, instance_path=folder)
    db = connect(folder / "disaster_support.db")
    actor = Actor("test", "admin", "test")
    ids = {}
    for name, role, shelters in (("admin", "admin", ()), ("coordinator", "coordinator", ()),
                                 ("staff", "shelter_staff", (KAMIMIZO,)),
                                 ("other_staff", "shelter_staff", (YOKOYAMA,)),
                                 ("volunteer", "volunteer", ())):
        ids[name] = users.create_user(db, name, role, PASSWORD, shelters=shelters, actor=actor)
    ids["device"], ids["device_token"] = devices.issue_device(db, KAMIMIZO, "Gym tablet",
                                                              actor=actor, days=30)
    # one need at Kamimizo (opened for it, then closed again as the tests expect)
    from disaster_support.needs import records
    from disaster_support.shelters import registry

    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=actor)
    need, _ = records.record_need(db, KAMIMIZO, {
        "client_id": "template-need-1", "category": "food", "language": "vi", "people": 2},
        actor=actor)
    registry.update_shelter(db, KAMIMIZO, {"status": "closed"}, actor=actor)
    ids["need"] = need["id"]
    from disaster_support.notices import records as notices

    ids["notice"] = notices.create_notice(db, template_id="aftershock", slots={},
                                          source_language="ja", actor=actor)
    notices.publish(db, ids["notice"], actor=actor)
    from disaster_support.volunteers import registry as volunteers

    ids["volunteer_record"] = volunteers.create_volunteer(db, {
        "name": "Nguyen Thi Lan", "phone": "090-0000-0000", "consent_date": "2026-11-01",
        "languages": {"vi": "native", "ja": "fluent"}, "skills": ["interpretation"],
        "lat": "35.57", "lon": "139.37"}, actor=actor, wards={"midori", "chuo", "minami"},
        user_id=ids["volunteer"])
    db.execute("INSERT INTO assignment (kind, need_id, language, volunteer_id, status, reasons, "
               "created_at, created_by, updated_at) VALUES ('need', ?, 'vi', ?, 'proposed', "
               "'{}', '2026-11-25T00:00:00+00:00', 'test', '2026-11-25T00:00:00+00:00')",
               [ids["need"], ids["volunteer_record"]])
    ids["assignment"] = db.execute("SELECT max(id) FROM assignment").fetchone()[0]
    ids["token"] = users.create_token(db, ids["volunteer"], actor=actor, label="test")
    ids["token_id"] = db.execute("SELECT max(id) FROM api_token").fetchone()[0]
    from disaster_support.city import load_city
    from disaster_support.shelters import places

    # a place the center added (no head counts: the shelters' figures stay as they were)
    ids["place"] = places.create_place(db, {"kind": "dormitory", "name": "技能実習生寮",
                                            "ward": "chuo"}, load_city(SHIPPED),
                                       actor=actor)["id"]
    # a patrol round on its way: team 1 (the volunteer) visits Kamimizo, then the dormitory
    now = "2026-11-25T00:00:00+00:00"
    ids["round"] = db.execute(
        "INSERT INTO patrol_round (name, status, start_lat, start_lon, created_at, created_by, "
        "updated_at) VALUES ('巡回', 'active', 35.5714, 139.3733, ?, 'test', ?)",
        [now, now]).lastrowid
    ids["team"] = db.execute("INSERT INTO patrol_team (round_id, name, distance_m) "
                             "VALUES (?, '1', 5000)", [ids["round"]]).lastrowid
    db.execute("INSERT INTO patrol_member VALUES (?, ?)", [ids["team"], ids["volunteer_record"]])
    db.execute("INSERT INTO patrol_stop (team_id, position, place_id) VALUES (?, 1, ?), "
               "(?, 2, ?)", [ids["team"], KAMIMIZO, ids["team"], ids["place"]])
    ids["visit"] = db.execute(
        "INSERT INTO visit (client_id, place_id, team_id, at, recorded_at, actor, people, "
        "follow_up, follow_up_status) VALUES ('template-visit-1', ?, ?, ?, ?, 'test', 3, "
        "'call back', 'open')", [ids["place"], ids["team"], now, now]).lastrowid
    # the desk: a consultation, a rumour being checked, a hand-over sheet
    ids["consultation"] = db.execute(
        "INSERT INTO consultation (client_id, at, channel, language, topic, question, "
        "created_by, updated_at, updated_by) VALUES ('template-consult-1', ?, 'phone', 'vi', "
        "'housing', 'Where can we stay?', 'test', ?, 'test')", [now, now]).lastrowid
    ids["rumour"] = db.execute(
        "INSERT INTO rumour (text, created_at, created_by, updated_at) VALUES "
        "('The water is poisoned', ?, 'test', ?)", [now, now]).lastrowid
    ids["handover"] = db.execute(
        "INSERT INTO handover (shift_label, created_at, created_by, items) VALUES "
        "('Night 0', ?, 'test', '{}')", [now]).lastrowid
    ids["help_request"] = db.execute(
        "INSERT INTO help_request (message_id, partner, languages, people, place, starts_at, "
        "ends_at, contact, created_at, created_by, updated_at) VALUES ('urn:uuid:test', "
        "'Kanagawa', '[\"ne\"]', 2, 'city hall', ?, '2026-12-30T00:00:00+00:00', '042', ?, "
        "'test', ?)", [now, now, now]).lastrowid
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return folder, ids


@pytest.fixture
def people(people_template, instance):
    """The people of ``people_template`` in this test's own database copy."""
    folder, ids = people_template
    instance.mkdir(parents=True, exist_ok=True)
    for name in ("disaster_support.db", "secret_key"):
        shutil.copy(folder / name, instance / name)
    return ids


@pytest.fixture
def coordinator(app, people):
    return sign_in(app.test_client(), "coordinator")


@pytest.fixture
def admin(app, people):
    return sign_in(app.test_client(), "admin")


# --- Browsers ------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for one test module (tests/browsers.py)."""
    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """``disaster-support serve --demo`` for one test module: its url, the demo
    passwords and tablet link it printed (a Server, which a test may restart)."""
    server = Server(tmp_path_factory.mktemp("demo"))
    server.start("--demo")
    yield server
    server.stop()
