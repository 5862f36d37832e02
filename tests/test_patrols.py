"""Patrol rounds in the app: a plan from the registry, a round started and followed
live, a printable pack per team, the team's phone (a link scoped to its route) that
records visits exactly once, follow-ups for the center."""

import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.patrols import rounds, visits
from disaster_support.shelters import places, registry
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("sato", "coordinator", "test")


@pytest.fixture
def city_with_people(app, db, people):
    """A mosque with Indonesian speakers and a critical need, a dormitory of
    Vietnamese interns, Kamimizo open with Nepali evacuees; three volunteers in."""
    city = app.extensions["city"]
    with app.app_context():
        mosque = places.create_place(db, {"kind": "religious_facility", "name": "相模原モスク",
                                          "lat": "35.5712", "lon": "139.3725",
                                          "languages": {"id": 60}}, city, actor=ACTOR)
        registry.update_shelter(db, people["place"], {"evacuees": 12, "languages": {"vi": 12}},
                                actor=ACTOR)
        dorm = registry.get_shelter(db, people["place"])  # 技能実習生寮
        registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": 80,
                                               "languages": {"ne": 9}}, actor=ACTOR)
    needs.record_need(db, mosque["id"], {"client_id": "mosque-food-1", "category": "food",
                                         "language": "id", "people": 20,
                                         "urgency": "critical"}, actor=ACTOR)
    helpers = []
    for name, spoken in (("Siti", {"id": "native", "ja": "fluent"}),
                         ("Tran", {"vi": "native"}), ("Gurung", {"ne": "native"})):
        helper = volunteers.create_volunteer(db, {
            "name": name, "consent_date": "2026-11-01", "languages": spoken,
            "lat": "35.57", "lon": "139.37"}, actor=ACTOR, wards={"midori", "chuo", "minami"})
        volunteers.check_in(db, helper, "center", actor=ACTOR)
        helpers.append(helper)
    return {"mosque": mosque["id"], "dorm": dorm["id"], "helpers": helpers}


def start_round(client, **settings):
    token = csrf_token(client, "/patrols")
    response = client.post("/patrols", data={"csrf_token": token, "name": "朝の巡回",
                                             "team_size": "1", **settings})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_plan_sends_speakers_of_each_places_language(app, db, city_with_people):
    client = sign_in(app.test_client(), "coordinator")
    page = client.get("/patrols/plan?team_size=1&lang=en").get_data(as_text=True)
    assert "相模原モスク" in page and "Start this round" in page
    round_id = start_round(client)
    the_round = rounds.get_round(db, round_id)
    visited = {}
    for team in the_round["teams"]:
        for stop in team["stops"]:
            visited[stop["place_id"]] = set(team["languages"])
            assert set(stop["reasons"]["covered"]) <= set(team["languages"])
            assert stop["reasons"]["covered"]  # the team speaks a language of the place
    assert "id" in visited[city_with_people["mosque"]]
    assert "vi" in visited[city_with_people["dorm"]]
    assert "ne" in visited[KAMIMIZO]
    assert the_round["status"] == "active"
    page = client.get(f"/patrols/{round_id}?lang=en").get_data(as_text=True)
    assert "never visited" in page and "km" in page
    # the same volunteers are not proposed again while the round is on
    assert rounds.available_volunteers(db) == []


def test_the_pack_prints_route_languages_needs_notices_and_qr_codes(app, db,
                                                                    city_with_people):
    client = sign_in(app.test_client(), "coordinator")
    round_id = start_round(client)
    team = next(t for t in rounds.get_round(db, round_id)["teams"]
                if any(s["place_id"] == city_with_people["mosque"] for s in t["stops"]))
    page = client.get(f"/patrols/teams/{team['id']}/pack?lang=en").get_data(as_text=True)
    svg = page.split('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 420"', 1)[1]
    assert svg.count("<circle") == len(team["stops"])  # one numbered mark per stop
    assert "相模原モスク" in page
    assert "Food" in page  # the mosque's open need
    # the aftershock notice of the fixture is valid everywhere: in Easy Japanese and in
    # the language of the people there
    assert 'lang="id"' in page and 'lang="ja-x-easy"' in page
    assert page.count("/board/" + city_with_people["mosque"]) >= 2  # a QR code per language
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing loaded from outside


def test_the_teams_phone_records_a_visit_exactly_once(app, db, city_with_people):
    client = sign_in(app.test_client(), "coordinator")
    round_id = start_round(client)
    team = next(t for t in rounds.get_round(db, round_id)["teams"]
                if any(s["place_id"] == city_with_people["dorm"] for s in t["stops"]))
    token = csrf_token(client, f"/patrols/{round_id}")
    link = client.post(f"/patrols/teams/{team['id']}/link", data={"csrf_token": token})
    join = re.search(r"/join/([A-Za-z0-9_-]+)", link.get_data(as_text=True)).group(0)
    phone = app.test_client()
    phone_token = csrf_token(phone, join)
    assert phone.post(join, data={"csrf_token": phone_token}).headers["Location"].endswith(
        f"/patrol/{team['id']}")
    route = phone.get(f"/patrol/{team['id']}?lang=en")
    assert route.status_code == 200 and "技能実習生寮" in route.get_data(as_text=True)
    assert "no-store" not in route.headers["Cache-Control"]  # kept for offline use
    dorm = city_with_people["dorm"]
    tablet = phone.get(f"/shelters/{dorm}/tablet?lang=en").get_data(as_text=True)
    assert 'class="update visit-form"' in tablet
    assert phone.get(f"/shelters/{YOKOYAMA}/tablet").status_code == 403  # not on its route
    api_token = csrf_token(phone, f"/shelters/{dorm}/tablet")
    visit = {"client_id": "visit-dorm-0001", "place_id": dorm, "team_id": team["id"],
             "languages": {"vi": 15, "ne": 8}, "notices": [], "note": "寮の食堂が使えない",
             "follow_up": "ネパール語の通訳を手配"}
    headers = {"X-CSRFToken": api_token, "Accept": "application/json"}
    first = phone.post("/api/v1/visits", json=visit, headers=headers)
    again = phone.post("/api/v1/visits", json=visit, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["created"] is False
    assert db.execute("SELECT count(*) FROM visit WHERE client_id = 'visit-dorm-0001'"
                      ).fetchone()[0] == 1
    # the dormitory's head counts are what the team counted (nobody else counts there)
    assert registry.get_shelter(db, dorm)["languages"] == {"vi": 15, "ne": 8}
    # a need recorded on the phone is a patrol's need
    need = phone.post("/api/v1/needs", json={"client_id": "patrol-need-0001",
                                             "shelter_id": dorm, "category": "water",
                                             "language": "ne", "people": 8}, headers=headers)
    assert need.status_code == 201
    assert needs.get_need(db, need.get_json()["need"]["id"])["origin"] == "patrol"
    # the coordinator sees the visit, the follow-up, and the time since
    round_page = client.get(f"/patrols/{round_id}?lang=en").get_data(as_text=True)
    assert "1 of" in round_page and "ネパール語の通訳を手配" in round_page
    overview = client.get("/patrols?lang=en").get_data(as_text=True)
    assert "ネパール語の通訳を手配" in overview
    detail = client.get(f"/shelters/{dorm}?lang=en").get_data(as_text=True)
    assert "not visited for 0 hours" in detail and "寮の食堂が使えない" in detail
    follow_up = first.get_json()["visit"]["id"]
    done = client.post(f"/patrols/follow-ups/{follow_up}/done",
                       data={"csrf_token": csrf_token(client, "/patrols")})
    assert done.status_code == 302
    assert follow_up not in [v["id"] for v in visits.open_follow_ups(db)]


def test_a_visit_is_refused_with_the_field_named(app, db, city_with_people):
    client = sign_in(app.test_client(), "coordinator")
    round_id = start_round(client)
    team = rounds.get_round(db, round_id)["teams"][0]
    token = csrf_token(client, "/patrols")
    bad = client.post("/api/v1/visits?lang=en", json={
        "client_id": "x", "place_id": "nowhere", "team_id": team["id"],
        "languages": {"vi": -2}, "note": "Call Tran at 090-1234-5678"},
        headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert bad.status_code == 400
    errors = bad.get_json()["errors"]
    assert "Submission ID" in errors["client_id"] and "Place" in errors["place_id"]
    assert "People met by language" in errors["languages"]
    assert "phone number" in errors["note"]
    assert db.execute("SELECT count(*) FROM visit WHERE client_id = 'x'").fetchone()[0] == 0


def test_other_people_cannot_record_a_teams_visits(app, db, city_with_people):
    coordinator = sign_in(app.test_client(), "coordinator")
    round_id = start_round(coordinator)
    team = rounds.get_round(db, round_id)["teams"][0]
    staff = sign_in(app.test_client(), "staff")
    token = csrf_token(staff, f"/shelters/{KAMIMIZO}")
    refused = staff.post("/api/v1/visits", json={
        "client_id": "visit-staff-0001", "place_id": KAMIMIZO, "team_id": team["id"]},
        headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert refused.status_code == 403
    assert staff.get(f"/patrol/{team['id']}").status_code == 403


def test_without_volunteers_no_round_starts(app, db, people):
    client = sign_in(app.test_client(), "coordinator")
    token = csrf_token(client, "/patrols")
    response = client.post("/patrols?lang=en", data={"csrf_token": token, "name": "x"})
    assert response.status_code == 400
    assert "no volunteer is checked in" in response.get_data(as_text=True)
    bad = client.get("/patrols/plan?teams=0&stops_per_team=99&lang=en")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Teams: a whole number from 1 to 50." in text
    assert "Places per team: a whole number from 1 to 20." in text


def test_a_team_adds_the_place_where_it_found_people(app, db, people):
    """A volunteer of the fixture's team finds 8 Nepali speakers in a dormitory: the
    place is added beyond the official list and becomes the team's next stop."""
    member = sign_in(app.test_client(), "volunteer")
    team_id = people["team"]
    token = csrf_token(member, f"/patrol/{team_id}/places/new")
    response = member.post(f"/patrol/{team_id}/places/new?lang=en", data={
        "csrf_token": token, "kind": "dormitory", "name": "田名 工場寮", "ward": "chuo",
        "district": "中央区田名", "lang-ne": "8"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    stops = rounds.team(db, team_id)["stops"]
    found = stops[-1]
    assert (found["name"], found["kind"], found["position"]) == ("田名 工場寮", "dormitory", 3)
    assert found["languages"] == {"ne": 8}
    assert registry.get_shelter(db, found["place_id"])["official"] == 0
    bad = member.post(f"/patrol/{team_id}/places/new?lang=en", data={
        "csrf_token": token, "kind": "", "name": "", "lang-ne": "x"})
    assert bad.status_code == 400 and "Kind of place" in bad.get_data(as_text=True)
    assert len(rounds.team(db, team_id)["stops"]) == 3  # nothing added
    other = sign_in(app.test_client(), "staff")
    assert other.get(f"/patrol/{team_id}/places/new").status_code == 403
