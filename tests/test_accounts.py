"""Accounts, sign-in, shelter tablets, CSRF, headers, the audit log, personal data."""

import csv
import io
import re

import pytest

from disaster_support.accounts import throttle
from disaster_support.personal_data import looks_personal
from disaster_support.shelters import registry

from conftest import KAMIMIZO, PASSWORD, YOKOYAMA, csrf_token, sign_in


def post_form(client, url, data, page="/sign-in"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


# --- CLI ---------------------------------------------------------------------

def test_init_creates_the_first_admin_with_a_one_time_password(cli, app):
    result = cli("init")
    password = re.search(r"one-time password (\S+)", result.output).group(1)
    client = app.test_client()
    sign_in(client, "admin", password)
    # the one-time password must be replaced before anything else
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    response = post_form(client, "/account/password", {
        "current": password, "password": "a new long password", "confirm": "a new long password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert "Admin created" not in cli("init").output  # only once


def test_create_user_reads_the_password_from_stdin(cli, app, sagamihara):
    result = cli("create-user", "mika", "--role", "shelter_staff", "--shelter", KAMIMIZO,
                 "--password-stdin", input="a long enough password\n")
    assert result.exit_code == 0, result.output
    client = sign_in(app.test_client(), "mika", "a long enough password")
    assert client.get("/").headers["Location"] == f"/shelters/{KAMIMIZO}/tablet"


@pytest.mark.parametrize("args, stdin, message", [
    (["--role", "chief"], "long enough pw\n", "Invalid value for '--role'"),
    (["--role", "shelter_staff"], "long enough pw\n", "shelter staff need at least one"),
    (["--role", "shelter_staff", "--shelter", "NOPE"], "long enough pw\n",
     "no shelter with the ID NOPE"),
    (["--role", "coordinator"], "short\n", "Password: use at least 10 characters."),
    (["--role", "coordinator"], None, "use --password-stdin"),
])
def test_create_user_refuses_bad_input_by_name(cli, db, sagamihara, args, stdin, message):
    flags = ["--password-stdin"] if stdin else []
    result = cli("create-user", "kenji", *args, *flags, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db["user"].count == 0


def test_create_token_prints_a_working_bearer_token(cli, app, people, db):
    result = cli("create-token", "coordinator", "--label", "prefecture link")
    token = result.output.strip()
    assert token.startswith("ds_") and len(token) > 40
    client = app.test_client()
    response = client.get("/api/v1/shelters", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    official = [s for s in response.get_json()["shelters"] if s["official"]]
    assert len(official) == 168  # and the dormitory the center added
    assert db.execute("SELECT count(*) FROM api_token WHERE token_hash = ?",
                      [token]).fetchone()[0] == 0  # only the hash is stored
    assert cli("create-token", "nobody").exit_code == 1


# --- Signing in --------------------------------------------------------------

def test_session_cookie_is_httponly_lax_and_secure_over_https(app, people):
    client = app.test_client()
    response = post_form(client, "/sign-in", {"username": "coordinator", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    token = csrf_token(secure, "https://localhost/sign-in")
    response = secure.post("https://localhost/sign-in", data={
        "csrf_token": token, "username": "coordinator", "password": PASSWORD},
        headers={"Referer": "https://localhost/sign-in"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_is_refused_without_saying_which_part(app, people):
    client = app.test_client()
    for username in ("coordinator", "nobody"):
        response = post_form(client, "/sign-in?lang=en", {"username": username,
                                                          "password": "wrong password"})
        assert response.status_code == 401
        assert "User name or password is wrong." in response.get_data(as_text=True)


def test_failed_sign_ins_are_throttled_per_account(app, people, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    client = app.test_client()
    for _ in range(4):
        post_form(client, "/sign-in", {"username": "coordinator", "password": "guess"})
    # now even the right password waits: the delay grows with each failure
    response = post_form(client, "/sign-in?lang=en", {"username": "coordinator",
                                                      "password": PASSWORD})
    assert response.status_code == 429
    assert "Try again in 1 second." in response.get_data(as_text=True)
    now[0] += 1
    post_form(client, "/sign-in", {"username": "coordinator", "password": "guess"})
    response = post_form(client, "/sign-in?lang=en", {"username": "coordinator",
                                                      "password": PASSWORD})
    assert "Try again in 2 seconds." in response.get_data(as_text=True)
    now[0] += 2
    assert post_form(client, "/sign-in", {"username": "coordinator",
                                          "password": PASSWORD}).status_code == 302
    # success resets the account's count: a new failure is not blocked at once
    other = app.test_client()
    assert post_form(other, "/sign-in", {"username": "coordinator",
                                         "password": "guess"}).status_code == 401


def test_failed_sign_ins_under_unknown_names_are_throttled_per_address(app, people,
                                                                       monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: 5_000_000.0)
    client = app.test_client()
    for n in range(11):
        post_form(client, "/sign-in", {"username": f"guess{n}", "password": "x"})
    response = post_form(client, "/sign-in", {"username": "guess99", "password": "x"})
    assert response.status_code == 429


def test_nobody_can_lock_out_a_coordinator_who_knows_the_password(app, people, monkeypatch):
    """Behind the center's HTTPS proxy everyone shares one address: random names, or
    guesses at the admin's password, from it do not stop the coordinator signing in."""
    monkeypatch.setattr(throttle, "clock", lambda: 5_000_000.0)
    attacker = app.test_client()
    for n in range(30):
        post_form(attacker, "/sign-in", {"username": f"guess{n}", "password": "x"})
        post_form(attacker, "/sign-in", {"username": "admin", "password": f"guess{n}"})
    assert post_form(attacker, "/sign-in", {"username": "admin",
                                            "password": PASSWORD}).status_code == 429
    coordinator = app.test_client()
    assert post_form(coordinator, "/sign-in", {"username": "coordinator",
                                               "password": PASSWORD}).status_code == 302


def test_the_client_address_comes_from_the_proxy_only_when_configured(people, instance,
                                                                      monkeypatch):
    """Without TRUSTED_PROXIES a forged X-Forwarded-For changes nothing; with it, the
    address the proxy saw is the one throttled (and https gives Secure cookies)."""
    from disaster_support import create_app

    monkeypatch.setattr(throttle, "clock", lambda: 5_000_000.0)
    for trusted, expected in ((0, 429), (1, 302)):
        app = create_app({"TESTING": True, "TRUSTED_PROXIES": trusted}, instance_path=instance)
        client = app.test_client()
        for n in range(11):
            client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n}"
            post_form(client, "/sign-in", {"username": f"guess{trusted}-{n}", "password": "x"})
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        answer = post_form(client, "/sign-in", {"username": "nobody", "password": "x"})
        assert answer.status_code == (429 if expected == 429 else 401)
    client.environ_base.update(HTTP_X_FORWARDED_PROTO="https",
                               HTTP_REFERER="https://localhost/sign-in")  # CSRF over https
    signed_in = post_form(client, "/sign-in", {"username": "coordinator", "password": PASSWORD})
    assert signed_in.status_code == 302 and "Secure" in signed_in.headers["Set-Cookie"]


def test_sessions_expire(app, people, db):
    client = sign_in(app.test_client(), "coordinator")
    db.execute("UPDATE user_session SET expires_at = '2020-01-01T00:00:00+00:00'")
    response = client.get("/shelters/")
    assert response.status_code == 302 and "why=session" in response.headers["Location"]


def test_signing_out_ends_the_session_on_the_server(app, people):
    """A copy of the cookie taken before signing out is worth nothing after it."""
    client = sign_in(app.test_client(), "coordinator")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/shelters/").status_code == 200
    post_form(client, "/sign-out", {}, page="/")
    assert client.get("/shelters/").status_code == 302
    stolen = copy.get("/shelters/")
    assert stolen.status_code == 302 and "why=session" in stolen.headers["Location"]


def test_admin_revokes_all_sessions_of_a_user(app, people):
    coordinator = sign_in(app.test_client(), "coordinator")
    also = sign_in(app.test_client(), "coordinator")
    admin = sign_in(app.test_client(), "admin")
    post_form(admin, f"/admin/users/{people['coordinator']}/revoke-sessions", {})
    for client in (coordinator, also):
        assert client.get("/shelters/").status_code == 302
    assert admin.get("/shelters/").status_code == 200


def test_disabled_users_cannot_sign_in(app, people):
    admin = sign_in(app.test_client(), "admin")
    staff = sign_in(app.test_client(), "staff")
    post_form(admin, f"/admin/users/{people['staff']}", {
        "role": "shelter_staff", "shelters": KAMIMIZO, "disabled": "1"})
    assert staff.get(f"/shelters/{KAMIMIZO}").status_code == 302
    response = post_form(app.test_client(), "/sign-in", {"username": "staff",
                                                         "password": PASSWORD})
    assert response.status_code == 401


def test_admin_creates_a_user_with_a_one_time_password(app, people, db):
    admin = sign_in(app.test_client(), "admin")
    response = post_form(admin, "/admin/users?lang=en", {
        "username": "aiko", "role": "shelter_staff", "shelters": YOKOYAMA})
    password = re.search(r"One-time password</dt><dd><code>([^<]+)<",
                         response.get_data(as_text=True)).group(1)
    client = sign_in(app.test_client(), "aiko", password)
    assert client.get("/").headers["Location"] == "/account/password"
    bad = post_form(admin, "/admin/users?lang=en", {"username": "aiko", "role": "coordinator"})
    assert bad.status_code == 400
    assert "User name: “aiko” is taken." in bad.get_data(as_text=True)


def test_next_never_leaves_the_site(app, people):
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in?next=//evil.example/x", data={
        "csrf_token": token, "username": "coordinator", "password": PASSWORD})
    assert response.headers["Location"] == "/"


# --- Shelter tablets ---------------------------------------------------------

def test_a_tablet_joins_one_shelter_by_link_and_is_revoked_at_once(app, people, db):
    coordinator = sign_in(app.test_client(), "coordinator")
    page = post_form(coordinator, "/devices", {
        "shelter_id": YOKOYAMA, "label": "Yokoyama gym", "days": "7"}).get_data(as_text=True)
    link = re.search(r'<code id="link">([^<]+)</code>', page).group(1)
    assert "<svg" in page and link.startswith("http://localhost/join/ds_")
    path = link[len("http://localhost"):]

    tablet = app.test_client()
    assert "横山小学校" in tablet.get(path).get_data(as_text=True)
    response = post_form(tablet, path, {})
    assert response.headers["Location"] == f"/shelters/{YOKOYAMA}/tablet"
    assert tablet.get("/").headers["Location"] == f"/shelters/{YOKOYAMA}/tablet"
    url = f"/shelters/{YOKOYAMA}"
    response = tablet.post(url, data={"csrf_token": csrf_token(tablet, url), "status": "open",
                                      "evacuees": "30"})
    assert response.status_code == 302
    assert registry.shelter_history(db, YOKOYAMA)[0]["actor"].endswith("Yokoyama gym")
    assert tablet.get(f"/shelters/{KAMIMIZO}").status_code == 403
    assert KAMIMIZO not in tablet.get("/api/v1/shelters").get_data(as_text=True)

    listing = coordinator.get("/devices?lang=en").get_data(as_text=True)
    device_id = re.search(r'<tr data-device="(\d+)"><td>Yokoyama gym', listing).group(1)
    assert "Yokoyama gym" in listing
    post_form(coordinator, f"/devices/{device_id}/revoke", {})
    response = tablet.get(url)
    assert response.status_code == 302 and "why=device" in response.headers["Location"]
    token = path.rsplit("/", 1)[1]
    bearer = app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 302  # a page: off to sign-in
    api = app.test_client().get(f"/api/v1/shelters/{YOKOYAMA}",
                                headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert app.test_client().get(path).status_code == 401


def test_an_expired_device_link_does_not_work(app, people, db):
    import datetime

    from disaster_support.accounts import devices
    from disaster_support.audit.log import Actor

    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    _, token = devices.issue_device(db, KAMIMIZO, "old", actor=Actor("t"), days=1, now=past)
    assert app.test_client().get(f"/join/{token}").status_code == 401
    response = app.test_client().get("/api/v1/shelters",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_bad_device_form_names_the_field(app, people, db):
    coordinator = sign_in(app.test_client(), "coordinator")
    response = post_form(coordinator, "/devices?lang=en", {"shelter_id": KAMIMIZO, "label": "",
                                                           "days": "365"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Name of the tablet: 1 to 60 characters" in page
    assert "Valid for: choose 1, 3, 7, 14, 30 days." in page
    assert db["device"].count == 1


# --- CSRF --------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong"])
def test_forms_without_a_valid_csrf_token_change_nothing(app, people, db, token):
    client = sign_in(app.test_client(), "coordinator")
    data = {"status": "open"} | ({"csrf_token": token} if token else {})
    before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    assert client.post(f"/shelters/{KAMIMIZO}", data=data).status_code == 400
    assert client.post("/devices", data={"shelter_id": KAMIMIZO, "label": "x", "days": "1",
                                         **({"csrf_token": token} if token else {})}
                       ).status_code == 400
    assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == before
    assert registry.get_shelter(db, KAMIMIZO)["status"] == "closed"


def test_api_writes_by_cookie_need_the_csrf_header(app, people, db):
    client = sign_in(app.test_client(), "staff")
    url = f"/api/v1/shelters/{KAMIMIZO}"
    assert client.patch(url, json={"evacuees": 9}).status_code == 400
    assert client.patch(url, json={"evacuees": 9},
                        headers={"X-CSRFToken": "forged"}).status_code == 400
    assert registry.get_shelter(db, KAMIMIZO)["evacuees"] == 0
    good = client.patch(url, json={"evacuees": 9},
                        headers={"X-CSRFToken": csrf_token(client, "/sign-in")})
    assert good.status_code == 200
    bearer = app.test_client().patch(url, json={"evacuees": 10}, headers={
        "Authorization": f"Bearer {people['device_token']}"})
    assert bearer.status_code == 200
    assert registry.get_shelter(db, KAMIMIZO)["evacuees"] == 10


# --- Headers -----------------------------------------------------------------

def test_security_headers_on_every_answer(app, people):
    client = sign_in(app.test_client(), "coordinator")
    for url in ("/", "/about", "/api/v1/openapi.json", "/nope"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in client.get("/").headers["Cache-Control"]


# --- Audit log ---------------------------------------------------------------

def test_every_write_is_in_the_audit_log(app, people, db):
    staff = sign_in(app.test_client(), "staff")
    url = f"/shelters/{KAMIMIZO}"
    staff.post(url, data={"csrf_token": csrf_token(staff, url), "status": "open",
                          "evacuees": "12", "lang-vi": "3"})
    coordinator = sign_in(app.test_client(), "coordinator")
    page = coordinator.get(f"/audit?actor=staff&lang=en").get_data(as_text=True)
    assert "update" in page and KAMIMIZO in page
    entry = db.execute("SELECT actor, role, via, action, entity, entity_id, before, after "
                       "FROM audit WHERE actor = 'staff' AND action = 'update'").fetchone()
    assert entry[:6] == ("staff", "shelter_staff", "form", "update", "shelter", KAMIMIZO)
    assert '"status": "closed"' in entry[6] and '"status": "open"' in entry[7]

    export = coordinator.get("/audit.csv?entity=shelter").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows and all(r["entity"] == "shelter" for r in rows)
    assert rows[0]["at"].endswith("+09:00")
    assert "address" not in rows[0]
    assert coordinator.get("/audit.csv?addresses=1").status_code == 403
    admin = sign_in(app.test_client(), "admin")
    full = admin.get("/audit.csv?addresses=1").get_data(as_text=True)
    assert "address" in full.splitlines()[0] and "127.0.0.1" in full


# --- Personal data -----------------------------------------------------------

@pytest.mark.parametrize("text, kinds", [
    ("12 people need halal food", []),
    ("2 children, room 3", []),
    ("call 090-1234-5678", ["phone"]),
    ("電話 ０９０１２３４５６７８", ["phone"]),
    ("residence card AB12345678CD lost", ["residence_card"]),
    ("passport TK1234567", ["passport"]),
    ("write to nguyen@example.com", ["email"]),
])
def test_notes_that_look_personal_are_spotted(text, kinds):
    assert [kind for kind, _ in looks_personal(text)] == kinds


def test_purge_removes_personal_data_and_keeps_the_statistics(app, cli, people, db,
                                                              monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: 1.0)
    client = sign_in(app.test_client(), "coordinator")
    post_form(app.test_client(), "/sign-in", {"username": "staff", "password": "nope"})
    entries = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    assert db.execute("SELECT count(*) FROM audit WHERE address IS NOT NULL").fetchone()[0]
    result = cli("purge", "--yes")
    assert result.exit_code == 0
    assert "network addresses in the audit log" in result.output
    assert db.execute("SELECT count(*) FROM audit WHERE address IS NOT NULL").fetchone()[0] == 0
    assert db["login_throttle"].count == 0
    assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == entries + 1
    assert client.get("/").status_code == 200


def test_nobody_sees_another_shelters_data(app, people, db):
    staff = sign_in(app.test_client(), "staff")
    page = staff.get("/shelters/").get_data(as_text=True)
    assert re.findall(r'<tr data-id="([^"]+)"', page) == [KAMIMIZO]
    listing = staff.get("/api/v1/shelters").get_json()
    assert [s["id"] for s in listing["shelters"]] == [KAMIMIZO]
    assert staff.get(f"/api/v1/shelters/{YOKOYAMA}").status_code == 403
    assert staff.get("/").headers["Location"] == f"/shelters/{KAMIMIZO}/tablet"
    for url in ("/", "/audit", "/devices", "/admin/users"):
        assert staff.get(url).status_code in (302, 403)


def test_volunteers_land_on_their_own_page(app, people):
    volunteer = sign_in(app.test_client(), "volunteer")
    assert volunteer.get("/").headers["Location"] == "/me"
    assert volunteer.get("/me").status_code == 200
    page = volunteer.get("/account?lang=en").get_data(as_text=True)
    assert "volunteer" in page.lower() and "Change password" in page


def test_a_tablet_is_asked_before_it_signs_out(app, people):
    """A password-less tablet signs out only after being told it must join again."""
    tablet = app.test_client()
    joined = tablet.get(f"/join/{people['device_token']}")
    tablet.post(f"/join/{people['device_token']}", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                joined.get_data(as_text=True)).group(1)})
    page = tablet.get(f"/shelters/{KAMIMIZO}/tablet?lang=en").get_data(as_text=True)
    header = page.split('<div class="who">', 1)[1].split("</div>", 1)[0]
    assert 'href="/sign-out"' in header and "<form" not in header  # a link, not the action
    asked = tablet.get("/sign-out?lang=en").get_data(as_text=True)
    assert "Sign this tablet out?" in asked and "上溝中学校" in asked
    assert "joins again with a new tablet link" in asked
    assert tablet.get(f"/shelters/{KAMIMIZO}/tablet").status_code == 200  # still in
    post_form(tablet, "/sign-out", {}, page="/sign-out")
    assert tablet.get(f"/shelters/{KAMIMIZO}/tablet").status_code == 302  # out


def test_a_person_signs_out_at_once(app, people):
    coordinator = sign_in(app.test_client(), "coordinator")
    assert coordinator.get("/sign-out").headers["Location"] == "/"
    page = coordinator.get("/?lang=en").get_data(as_text=True)
    assert 'action="/sign-out"' in page.split('<div class="who">', 1)[1].split("</div>", 1)[0]


def test_the_audit_log_filters_by_days_in_japan(coordinator, people, db):
    """A change at 01:00 in Japan on 1 December is 16:00 UTC on 30 November: the log finds
    it on the Japanese day, both ends included."""
    db.execute("INSERT INTO audit (at, actor, via, action, entity, entity_id) VALUES "
               "('2026-11-30T16:00:00+00:00', 'sato', 'form', 'update', 'shelter', 'X1')")

    def found(query):
        page = coordinator.get(f"/audit?actor=sato&{query}&lang=en").get_data(as_text=True)
        return "X1" in page

    assert found("since=2026-12-01") and found("until=2026-12-01")
    assert found("since=2026-12-01&until=2026-12-01")
    assert not found("until=2026-11-30") and not found("since=2026-12-02")
    page = coordinator.get("/audit?lang=en").get_data(as_text=True)
    assert "From (date, Japan time)" in page
    bad = coordinator.get("/audit?since=yesterday&lang=en")
    assert bad.status_code == 400 and "From (date, Japan time)" in bad.get_data(as_text=True)
    csv_text = coordinator.get("/audit.csv?actor=sato&since=2026-12-01").get_data(as_text=True)
    assert "X1" in csv_text
