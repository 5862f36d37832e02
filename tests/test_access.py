"""Every route × every role: allowed or forbidden, as declared.

A route that is not in ROUTES, or whose view declares no access rule, fails
``test_every_route_is_declared``: new routes are born protected.
"""

import io

import pytest

from disaster_support.accounts import users
from disaster_support.db import connect
from disaster_support.drills import runs

from conftest import KAMIMIZO, ROOT, YOKOYAMA, csrf_token

ROLES = ("anonymous", "admin", "coordinator", "staff", "other_staff", "volunteer",
         "device", "device_token")
COORDINATORS = {"admin", "coordinator"}
KAMIMIZO_STAFF = COORDINATORS | {"staff", "device", "device_token"}
STAFF = KAMIMIZO_STAFF | {"other_staff"}
SIGNED_IN = set(ROLES) - {"anonymous"}
USERS = SIGNED_IN - {"device", "device_token"}
EVERYONE = set(ROLES)
SUCCESS = (200, 201, 204, 302, 303)

# endpoint: (method, url, body, who is allowed). "{volunteer}" etc. come from the
# people fixture. Bodies are sent as forms (with a CSRF token) or as JSON for the API.
ROUTES = {
    "static": ("GET", "/static/css/app.css", None, EVERYONE),
    "home.index": ("GET", "/", None, SIGNED_IN),
    "home.about": ("GET", "/about", None, EVERYONE),
    "home.healthz": ("GET", "/healthz", None, EVERYONE),
    "accounts.sign_in": ("GET", "/sign-in", None, EVERYONE),
    "accounts.sign_out": ("POST", "/sign-out", {}, SIGNED_IN),
    "accounts.sign_out_confirm": ("GET", "/sign-out", None, SIGNED_IN),
    "accounts.account": ("GET", "/account", None, USERS),
    "accounts.password": ("GET", "/account/password", None, USERS),
    "accounts.user_list": ("GET", "/admin/users", None, {"admin"}),
    "accounts.user_create": ("POST", "/admin/users",
                             {"username": "newbie", "role": "coordinator"}, {"admin"}),
    "accounts.user_detail": ("GET", "/admin/users/{volunteer}", None, {"admin"}),
    "accounts.user_update": ("POST", "/admin/users/{volunteer}", {"role": "coordinator"},
                             {"admin"}),
    "accounts.user_revoke_sessions": ("POST", "/admin/users/{volunteer}/revoke-sessions", {},
                                      {"admin"}),
    "accounts.user_reset_password": ("POST", "/admin/users/{volunteer}/password", {},
                                     {"admin"}),
    "accounts.token_create": ("POST", "/admin/users/{volunteer}/tokens", {"label": "x"},
                              {"admin"}),
    "accounts.token_revoke": ("POST", "/admin/tokens/{token_id}/revoke", {}, {"admin"}),
    "accounts.device_list": ("GET", "/devices", None, COORDINATORS),
    "accounts.device_issue": ("POST", "/devices",
                              {"shelter_id": YOKOYAMA, "label": "Tablet 2", "days": "3"},
                              COORDINATORS),
    "accounts.device_revoke": ("POST", "/devices/{device}/revoke", {}, COORDINATORS),
    "accounts.join": ("GET", "/join/{device_token}", None, EVERYONE),
    "shelters.index": ("GET", "/shelters/", None, STAFF),
    "shelters.detail": ("GET", f"/shelters/{KAMIMIZO}", None, KAMIMIZO_STAFF),
    "shelters.update": ("POST", f"/shelters/{KAMIMIZO}", {"status": "open", "evacuees": "5"},
                        KAMIMIZO_STAFF),
    "shelters.new_place": ("GET", "/shelters/new", None, COORDINATORS),
    "shelters.create_place": ("POST", "/shelters/new", {"kind": "hotel", "name": "ホテル",
                                                        "ward": "chuo"}, COORDINATORS),
    "shelters.update_place": ("POST", "/shelters/{place}/place", {"name": "寮 A棟",
                                                                  "ward": "chuo"}, COORDINATORS),
    "shelters.merge_place": ("POST", "/shelters/{place}/merge", {"into": KAMIMIZO},
                             COORDINATORS),
    "patrols.index": ("GET", "/patrols", None, COORDINATORS),
    "patrols.plan": ("GET", "/patrols/plan", None, COORDINATORS),
    "patrols.start": ("POST", "/patrols", {"name": "x"}, COORDINATORS),
    "patrols.round_page": ("GET", "/patrols/{round}", None, COORDINATORS),
    "patrols.finish": ("POST", "/patrols/{round}/done", {}, COORDINATORS),
    "patrols.team_pack": ("GET", "/patrols/teams/{team}/pack", None, COORDINATORS),
    "patrols.team_link": ("POST", "/patrols/teams/{team}/link", {}, COORDINATORS),
    "patrols.team_page": ("GET", "/patrol/{team}", None, COORDINATORS | {"volunteer"}),
    "api.record_visit": ("POST", "/api/v1/visits", {
        "client_id": "access-visit-1", "place_id": KAMIMIZO, "team_id": "{team}"},
        COORDINATORS | {"volunteer"}),
    "patrols.record_visit_form": ("POST", "/patrol/{team}/visits", {
        "client_id": "access-visit-2", "place_id": KAMIMIZO}, COORDINATORS | {"volunteer"}),
    "patrols.found_place": ("GET", "/patrol/{team}/places/new", None,
                            COORDINATORS | {"volunteer"}),
    "patrols.add_found_place": ("POST", "/patrol/{team}/places/new", {
        "kind": "dormitory", "name": "寮", "ward": "chuo"}, COORDINATORS | {"volunteer"}),
    "patrols.follow_up_done": ("POST", "/patrols/follow-ups/{visit}/done", {}, COORDINATORS),
    "desk.index": ("GET", "/desk/", None, COORDINATORS),
    "desk.take": ("POST", "/desk/consultations", {
        "client_id": "access-consult-1", "channel": "phone", "language": "vi",
        "topic": "housing", "question": "Where can we sleep tonight?"}, COORDINATORS),
    "desk.consultation": ("GET", "/desk/consultations/{consultation}", None, COORDINATORS),
    "desk.update": ("POST", "/desk/consultations/{consultation}", {"answer": "At the gym."},
                    COORDINATORS),
    "desk.make_need": ("POST", "/desk/consultations/{consultation}/need", {
        "place_id": YOKOYAMA, "category": "housing"}, COORDINATORS),
    "desk.make_question": ("POST", "/desk/consultations/{consultation}/question", {
        "question_ja": "どこ？", "answer_ja": "体育館"}, COORDINATORS),
    "notices.questions_poster": ("GET", f"/shelters/{KAMIMIZO}/questions/poster", None,
                                 KAMIMIZO_STAFF),
    "desk.rumour_list": ("GET", "/desk/rumours", None, COORDINATORS),
    "desk.log_rumour": ("POST", "/desk/rumours", {"text": "x", "source": "sns"}, COORDINATORS),
    "desk.rumour_heard": ("POST", "/desk/rumours/{rumour}/heard", {"source": "sns"},
                          COORDINATORS),
    "desk.rumour_status": ("POST", "/desk/rumours/{rumour}/status", {"status": "true"},
                           COORDINATORS),
    "desk.rumour_answer": ("POST", "/desk/rumours/{rumour}/answer", {}, COORDINATORS),
    "desk.daily_page": ("GET", "/desk/daily", None, COORDINATORS),
    "desk.daily_csv": ("GET", "/desk/daily.csv", None, COORDINATORS),
    "desk.help_list": ("GET", "/desk/help", None, COORDINATORS),
    "desk.help_create": ("POST", "/desk/help", {
        "partner": "Kanagawa", "languages": "ne", "people": "1", "place": "city hall",
        "contact": "042", "starts_at": "2026-12-03T09:00", "ends_at": "2026-12-04T09:00"},
        COORDINATORS),
    "desk.help_import": ("POST", "/desk/help/import", {}, COORDINATORS),
    "desk.help_detail": ("GET", "/desk/help/{help_request}", None, COORDINATORS),
    "desk.help_file": ("GET", "/desk/help/{help_request}.xml", None, COORDINATORS),
    "desk.help_status": ("POST", "/desk/help/{help_request}/status", {"status": "sent"},
                         COORDINATORS),
    "desk.help_arrivals": ("POST", "/desk/help/{help_request}/arrivals", {"name-0": "A B"},
                           COORDINATORS),
    "desk.handover_page": ("GET", "/desk/handover", None, COORDINATORS),
    "desk.hand_over": ("POST", "/desk/handover", {"shift_label": "Day 1"}, COORDINATORS),
    "desk.sheet": ("GET", "/desk/handover/{handover}", None, COORDINATORS),
    "desk.acknowledge": ("POST", "/desk/handover/{handover}/acknowledge", {}, COORDINATORS),
    "intake.index": ("GET", "/intake/", None, COORDINATORS),
    "intake.issue": ("POST", "/intake/evacuations", {
        "client_id": "access-order-1", "level": "order", "hazard": "flood",
        "areas": "ward:chuo"}, COORDINATORS),
    "intake.lift": ("POST", "/intake/evacuations/900/lift", {}, COORDINATORS),
    "intake.jma_upload": ("POST", "/intake/jma", {}, COORDINATORS),
    "needs.tablet": ("GET", f"/shelters/{KAMIMIZO}/tablet", None, KAMIMIZO_STAFF),
    "needs.record": ("POST", f"/shelters/{KAMIMIZO}/needs",
                     {"client_id": "access-test-1", "category": "water", "language": "vi",
                      "people": "1"}, KAMIMIZO_STAFF),
    "needs.headcount": ("POST", f"/shelters/{KAMIMIZO}/headcount", {"evacuees": "5"},
                        KAMIMIZO_STAFF),
    "needs.detail": ("GET", "/needs/{need}", None, KAMIMIZO_STAFF),
    "needs.change_status": ("POST", "/needs/{need}/status", {"status": "in_progress"},
                            KAMIMIZO_STAFF),
    "needs.queue": ("GET", "/needs", None, COORDINATORS),
    "needs.bulk": ("POST", "/needs/bulk", {"ids": "{need}", "status": "in_progress"},
                   COORDINATORS),
    "needs.situation_view": ("GET", "/situation", None, COORDINATORS),
    "api.list_needs": ("GET", "/api/v1/needs", None, STAFF),
    "api.create_need": ("POST", "/api/v1/needs",
                        {"client_id": "access-test-2", "shelter_id": KAMIMIZO,
                         "category": "water", "language": "vi", "people": 1}, KAMIMIZO_STAFF),
    "api.get_need": ("GET", "/api/v1/needs/{need}", None, KAMIMIZO_STAFF),
    "api.update_need": ("PATCH", "/api/v1/needs/{need}", {"status": "in_progress"},
                        KAMIMIZO_STAFF),
    "api.get_situation": ("GET", "/api/v1/situation", None, COORDINATORS),
    "notices.index": ("GET", "/notices", None, COORDINATORS),
    "notices.new": ("GET", "/notices/new", None, COORDINATORS),
    "notices.create": ("POST", "/notices/new", {"template_id": "aftershock"}, COORDINATORS),
    "notices.detail": ("GET", "/notices/{notice}", None, COORDINATORS),
    "notices.edit": ("POST", "/notices/{notice}/edit", {}, COORDINATORS),
    "notices.publish": ("POST", "/notices/{notice}/publish", {"area_kind": "all"},
                        COORDINATORS),
    "notices.check": ("GET", "/notices/{notice}/check?area_kind=all", None, COORDINATORS),
    "notices.withdraw": ("POST", "/notices/{notice}/withdraw", {}, COORDINATORS),
    "notices.translate": ("POST", "/notices/{notice}/translations/en", {"note": "x"},
                          COORDINATORS),
    "notices.translations": ("GET", "/notices/translations", None, COORDINATORS),
    "notices.print_choice": ("GET", f"/notices/{{notice}}/print?shelter={KAMIMIZO}", None,
                             COORDINATORS),
    "notices.boards": ("GET", "/board", None, EVERYONE),
    "notices.board": ("GET", f"/board/{KAMIMIZO}", None, EVERYONE),
    "notices.public_notice": ("GET", "/n/{notice}/vi", None, EVERYONE),
    "outreach.pack": ("GET", "/notices/{notice}/broadcast", None, COORDINATORS),
    "outreach.subscribe": ("GET", f"/board/{KAMIMIZO}/subscribe", None, EVERYONE),
    "outreach.confirm": ("GET", "/mail/confirm/no-such-token", None, EVERYONE),
    "outreach.unsubscribe": ("GET", "/mail/unsubscribe/no-such-token", None, EVERYONE),
    "outreach.mail_notice": ("POST", "/notices/{notice}/mail", {}, COORDINATORS),
    "outreach.subscriber_list": ("GET", "/outreach/subscribers", None, COORDINATORS),
    "translating.review_notice": ("POST", "/notices/{notice}/translations/vi/review", {},
                                  COORDINATORS),
    "translating.review_template": ("POST", "/translations/templates/aftershock/ko/review",
                                    {}, COORDINATORS),
    "translating.export_pack": ("GET", "/translations/pack/vi.xlf", None, COORDINATORS),
    "translating.import_pack": ("POST", "/translations/pack", {}, COORDINATORS),
    "outreach.posted": ("POST", f"/shelters/{KAMIMIZO}/notices/{{notice}}/posted", {},
                        KAMIMIZO_STAFF),
    "reports.place_report": ("GET", f"/board/{KAMIMIZO}/report", None, EVERYONE),
    "reports.city_report": ("GET", "/board/report", None, EVERYONE),
    "reports.index": ("GET", "/reports/", None, COORDINATORS),
    "reports.confirm": ("POST", "/reports/{need}/confirm", {}, COORDINATORS),
    "reports.dismiss": ("POST", "/reports/{need}/dismiss", {}, COORDINATORS),
    "reports.merge": ("POST", "/reports/{need}/merge", {"into": "{need}"}, COORDINATORS),
    "notices.poster": ("GET", f"/shelters/{KAMIMIZO}/notices/{{notice}}/poster", None,
                       KAMIMIZO_STAFF),
    "notices.sheet": ("GET", f"/shelters/{KAMIMIZO}/sheet", None, KAMIMIZO_STAFF),
    "volunteers.index": ("GET", "/volunteers", None, COORDINATORS),
    "volunteers.create": ("POST", "/volunteers", {"name": "Tran", "consent_date": "2026-11-01",
                                                  "level-vi": "native"}, COORDINATORS),
    "volunteers.import_csv": ("POST", "/volunteers/import", {"file": lambda: (io.BytesIO(
        VOLUNTEERS_CSV), "volunteers.csv")}, COORDINATORS),
    "volunteers.detail": ("GET", "/volunteers/{volunteer_record}", None, COORDINATORS),
    "volunteers.update": ("POST", "/volunteers/{volunteer_record}", {
        "name": "Nguyen Thi Lan", "consent_date": "2026-11-01", "level-vi": "native"},
        COORDINATORS),
    "volunteers.presence": ("POST", "/volunteers/{volunteer_record}/presence",
                            {"place": "center"}, COORDINATORS),
    "volunteers.matching": ("GET", "/matching", None, COORDINATORS),
    "volunteers.propose": ("POST", "/matching/propose", {}, COORDINATORS),
    "volunteers.propose_translations": ("POST", "/matching/translations", {}, COORDINATORS),
    "volunteers.confirm_all": ("POST", "/matching/confirm-all", {}, COORDINATORS),
    "volunteers.decide": ("POST", "/assignments/{assignment}/decline", {}, COORDINATORS),
    "volunteers.me": ("GET", "/me", None, {"volunteer"}),
    "volunteers.respond": ("POST", "/me/assignments/{assignment}", {"answer": "accept"},
                           {"volunteer"}),
    "volunteers.answer": ("POST", "/needs/{need}/answer", {"notice_id": "{notice}"},
                          KAMIMIZO_STAFF),
    "maps.coordinator_map": ("GET", "/map", None, COORDINATORS),
    "maps.public_map": ("GET", "/board/map", None, EVERYONE),
    "maps.tile": ("GET", "/tiles/11/1817/806.png", None, EVERYONE),
    "maps.vendor": ("GET", "/vendor/leaflet/1.9.3/leaflet.css", None, EVERYONE),
    "offline.service_worker": ("GET", "/sw.js", None, EVERYONE),
    "offline.offline_page": ("GET", "/offline", None, EVERYONE),
    "offline.tablet_manifest": ("GET", f"/shelters/{KAMIMIZO}/manifest.webmanifest", None,
                                KAMIMIZO_STAFF),
    "offline.board_manifest": ("GET", f"/board/{KAMIMIZO}/manifest.webmanifest", None,
                               EVERYONE),
    "drills.index": ("GET", "/drills", None, {"admin"}),
    "drills.start": ("POST", "/drills/start", {"scenario": "m7-weekday-afternoon",
                                               "speed": "manual"}, {"admin"}),
    "drills.deliver_next": ("POST", "/drills/next", {}, {"admin"}),
    "drills.end": ("POST", "/drills/end", {}, {"admin"}),
    "drills.report": ("GET", "/drills/{drill}/report", None, COORDINATORS),
    "drills.report_as_csv": ("GET", "/drills/{drill}/report.csv", None, COORDINATORS),
    "notices.cap_alert": ("GET", "/notices/{notice}/cap.xml", None, EVERYONE),
    "notices.cap_feed": ("GET", "/cap/alerts.atom", None, EVERYONE),
    "notices.import_cap": ("POST", "/notices/import-cap", {}, COORDINATORS),
    "exports.index": ("GET", "/exports", None, COORDINATORS),
    "exports.table": ("GET", "/exports/needs.csv", None, COORDINATORS),
    "conversation.choose_language": ("GET", f"/shelters/{KAMIMIZO}/talk", None,
                                     KAMIMIZO_STAFF),
    "conversation.start": ("GET", f"/shelters/{KAMIMIZO}/talk/vi", None, KAMIMIZO_STAFF),
    "conversation.phrase_set": ("GET", f"/shelters/{KAMIMIZO}/talk/vi/food", None,
                                KAMIMIZO_STAFF),
    "conversation.audio": ("GET", "/talk/audio/vi/no_pork.wav", None, EVERYONE),
    "live.changes": ("GET", "/live/changes?after=0", None, COORDINATORS),
    "live.mark_seen": ("POST", "/live/seen", {"need": "{need}"}, COORDINATORS),
    "live.mark_all_seen": ("POST", "/live/seen-all", {}, COORDINATORS),
    "claims.take": ("POST", "/claims/need/{need}", {}, COORDINATORS),
    "claims.release": ("POST", "/claims/need/{need}/release", {}, COORDINATORS),
    "audit.index": ("GET", "/audit", None, COORDINATORS),
    "audit.export": ("GET", "/audit.csv", None, COORDINATORS),
    "api.list_shelters": ("GET", "/api/v1/shelters", None, STAFF),
    "api.get_shelter": ("GET", f"/api/v1/shelters/{KAMIMIZO}", None, KAMIMIZO_STAFF),
    "api.update_shelter": ("PATCH", f"/api/v1/shelters/{KAMIMIZO}", {"evacuees": 5},
                           KAMIMIZO_STAFF),
    "api.openapi": ("GET", "/api/v1/openapi.json", None, EVERYONE),
}


VOLUNTEERS_CSV = (ROOT / "static" / "templates" / "volunteers.csv").read_bytes()
OPEN_KAMIMIZO = f"UPDATE shelter SET status = 'open' WHERE id = '{KAMIMIZO}'"
# What must be in place for an allowed request to succeed (the fixture's shelters are
# closed, its notice has no note, no drill runs or was held).
SETUP = {
    "needs.record": OPEN_KAMIMIZO,
    "api.create_need": OPEN_KAMIMIZO,
    "notices.translate": "UPDATE notice SET slots = json_object('note', '体育館で') "
                         "WHERE id = {notice}",
    "intake.lift": "INSERT INTO evacuation_order (id, client_id, level, hazard, areas, "
                   "notice_id, issued_at, issued_by) VALUES (900, 'access-order-0', 'order', "
                   "'flood', '[\"ward:chuo\"]', {notice}, '2026-12-01T00:00:00+00:00', 'x')",
    "drills.deliver_next": "a drill running",
    "drills.report": "a drill held",
    "drills.report_as_csv": "a drill held",
}
# Answers that are right for an allowed role though not a success: signing out leads to
# the sign-in page; this app has no tile file (tiles are tested with one in test_maps).
ANSWERS = {"accounts.sign_out": 302, "maps.tile": 404,
           "patrols.start": 400,  # nobody is checked in: refused, naming why
           "desk.make_need": 400,  # the place is closed: refused, naming why
           "desk.make_question": 400,  # not answered yet: refused, naming why
           "desk.help_import": 400,  # no file: refused, naming the field
           "intake.jma_upload": 400,  # no file: refused, naming the field
           # a link's token that does not exist: nothing to confirm or stop
           "outreach.confirm": 404, "outreach.unsubscribe": 404,
           "desk.rumour_answer": 400}  # a rumour being checked is not answered yet


def prepare(app, db, people, endpoint):
    step = SETUP.get(endpoint)
    if step in ("a drill running", "a drill held"):
        people["drill"] = runs.start(app, "m7-weekday-afternoon", "manual")
        if step == "a drill held":
            runs.end(app)
    elif step:
        db.execute(step.format(**people))


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES)
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert getattr(view, "access_rule", None), f"{endpoint} declares no access rule"


def client_as(app, role, people):
    """A client acting as ``role`` (sessions set directly: sign-in has its own tests)."""
    client = app.test_client()
    if role == "device_token":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people['device_token']}"
    elif role == "device":
        with client.session_transaction() as session:
            session["device"] = people["device"]
    elif role != "anonymous":
        accounts = connect(app.config["DATABASE"])
        token = users.start_session(accounts, people[role])
        accounts.close()
        with client.session_transaction() as session:
            session.update(uid=people[role], epoch=0, sid=token)
    return client


def denied(response, role):
    if role == "anonymous":
        return response.status_code == 401 or (
            response.status_code == 302 and "/sign-in" in response.headers["Location"])
    return response.status_code in (401, 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_by_role(app, people, db, endpoint, role):
    method, url, body, allowed = ROUTES[endpoint]
    prepare(app, db, people, endpoint)
    url = url.format(**people)
    if body:
        body = {k: v.format(**people) if isinstance(v, str) else v() if callable(v) else v
                for k, v in body.items()}
    client = client_as(app, role, people)
    before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    if method == "GET":
        response = client.get(url)
    elif url.startswith("/api/"):
        headers = {}
        if role in ("device", *USERS) and role != "anonymous":
            headers["X-CSRFToken"] = csrf_token(client, "/sign-in")
        response = client.open(url, method=method, json=body, headers=headers)
    else:
        response = client.open(url, method=method,
                               data={**body, "csrf_token": csrf_token(client, "/sign-in")})
    assert response.status_code < 500
    if role in allowed:
        assert not denied(response, role), (endpoint, role, response.status_code)
        if endpoint in ANSWERS:
            assert response.status_code == ANSWERS[endpoint], (endpoint, role)
        else:
            assert response.status_code in SUCCESS, (endpoint, role, response.status_code)
            if response.status_code in (302, 303):
                assert "/sign-in" not in response.headers["Location"], (endpoint, role)
    else:
        assert denied(response, role), (endpoint, role, response.status_code)
        if method != "GET":
            assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == before
