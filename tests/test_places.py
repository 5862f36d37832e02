"""Places beyond the official list: a mosque, a dormitory, a hotel or station with
stranded travellers, a car park, people at home. Each is created, shown, matched and
exported like a shelter, kept apart from the city's list, and can be merged into
another record of the same place without losing anything."""

import csv
import io
import json

import pytest

from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.needs import situation
from disaster_support.personal_data import purge
from disaster_support.shelters import places, registry
from disaster_support.shelters.importer import ShelterFileError, import_shelters
from disaster_support.volunteers import assignments
from disaster_support.volunteers import registry as volunteers

from conftest import GSI_SHELTERS, KAMIMIZO, csrf_token, sign_in
from test_maps import map_data

ACTOR = Actor("sato", "coordinator", "test")
KINDS = ("temporary_shelter", "religious_facility", "dormitory", "hotel", "station",
         "car_sleeping", "at_home")


def add(app, db, **values):
    with app.app_context():
        return places.create_place(db, values, app.extensions["city"], actor=ACTOR)


def need_at(db, place_id, client_id, language="vi", category="food", people=3):
    need, created = needs.record_need(db, place_id, {
        "client_id": client_id, "category": category, "language": language,
        "people": people}, actor=ACTOR)
    assert created
    return need


@pytest.fixture
def coordinator_client(app, people):
    return sign_in(app.test_client(), "coordinator")


def test_a_coordinator_adds_a_mosque_on_the_form(coordinator_client, db):
    token = csrf_token(coordinator_client, "/shelters/new")
    response = coordinator_client.post("/shelters/new", data={
        "csrf_token": token, "kind": "religious_facility", "name": "相模原モスク",
        "lat": "35.5712", "lon": "139.3725", "contact": "Imam Yusuf 042-000-0000",
        "status": "open", "evacuees": "150", "lang-id": "90", "lang-ne": "20",
        "food_halal": "1", "prayer_space": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    place_id = response.headers["Location"].rsplit("/", 1)[1]
    place = registry.get_shelter(db, place_id)
    assert place_id.startswith("P-") and place["official"] == 0
    assert (place["kind"], place["ward"], place["evacuees"], place["languages"]) == (
        "religious_facility", "chuo", 150, {"ne": 20, "id": 90})
    assert place["food_halal"] == 1 and place["location_approximate"] == 0
    page = coordinator_client.get(f"/shelters/{place_id}?lang=en").get_data(as_text=True)
    assert "Religious facility (mosque, church, temple)" in page
    assert "Imam Yusuf" in page  # the coordinator sees the contact
    assert "added by the center" in page


def test_every_kind_of_place_is_created_shown_and_counted(app, db, people,
                                                         coordinator_client):
    made = {}
    for number, kind in enumerate(KINDS):
        place = add(app, db, kind=kind, name=f"Place {kind}", ward="midori",
                    languages={"vi": 4 + number})
        made[kind] = place
        assert place["kind"] == kind and place["status"] == "open"
        need_at(db, place["id"], f"kind-need-{number:03d}")
    listed = coordinator_client.get("/shelters/?group=other&lang=en").get_data(as_text=True)
    for kind in KINDS[:-1]:
        assert f'data-id="{made[kind]["id"]}"' in listed
    assert made["at_home"]["id"] not in listed and KAMIMIZO not in listed
    home = coordinator_client.get("/shelters/?group=home").get_data(as_text=True)
    assert made["at_home"]["id"] in home
    # the situation counts each group apart, and everything together
    assert situation.need_table(db, group="other")["total"]["needs"] == 6
    assert situation.need_table(db, group="home")["total"]["needs"] == 1
    assert situation.need_table(db, group="shelters")["total"]["needs"] == 1  # Kamimizo's
    assert situation.need_table(db)["total"]["needs"] == 8
    page = coordinator_client.get("/situation?group=home&lang=en").get_data(as_text=True)
    assert 'aria-current="page">At home</a>' in page
    # the queue filters the same way
    queue = coordinator_client.get("/needs?group=other&lang=en").get_data(as_text=True)
    assert "Place dormitory" in queue and "Place at_home" not in queue
    assert coordinator_client.get("/situation?group=nowhere").status_code == 404


def test_a_place_known_only_by_its_district_is_drawn_approximately(app, db, people):
    place = add(app, db, kind="at_home", name="橋本3丁目 在宅", ward="midori",
                district="緑区橋本3丁目", languages={"ne": 8})
    assert place["location_approximate"] == 1 and place["district"] == "緑区橋本3丁目"
    centre = app.extensions["city"].ward("midori").centre()
    assert (place["lat"], place["lon"]) == centre
    assert app.extensions["city"].ward("midori").contains(centre[1], centre[0])
    client = sign_in(app.test_client(), "coordinator")
    data = map_data(client.get("/map?lang=en").get_data(as_text=True))
    rows = {r[0]: dict(zip(data["fields"], r)) for r in data["shelters"]}
    assert rows[place["id"]]["kind"] == "at_home" and rows[place["id"]]["approx"] == 1
    assert rows[place["id"]]["foreign"] == 8
    # the public map shows the places people can go to, never a district's people
    public = map_data(app.test_client().get("/board/map").get_data(as_text=True))
    assert place["id"] not in {r[0] for r in public["shelters"]}


def test_a_dormitory_is_matched_like_a_shelter(app, db, people):
    dorm = add(app, db, kind="dormitory", name="ABC工業 寮", lat="35.6", lon="139.33",
               languages={"vi": 30})
    need = need_at(db, dorm["id"], "dorm-need-0001", category="interpretation")
    volunteers.check_in(db, people["volunteer_record"], dorm["id"], actor=ACTOR)
    proposed = assignments.propose(db, actor=ACTOR)
    assert any(a["need_id"] == need["id"] for a in assignments.list_assignments(
        db, need_id=need["id"])), proposed


def test_exports_keep_the_citys_list_apart(app, db, people, coordinator_client):
    car_park = add(app, db, kind="car_sleeping", name="スーパー駐車場", ward="minami",
                   contact="店長 090-1234-5678", languages={"pt": 12})

    def rows(name):
        text = coordinator_client.get(f"/exports/{name}.csv").get_data(as_text=True)
        return list(csv.reader(io.StringIO(text)))

    official, added = rows("shelters"), rows("places")
    assert car_park["id"] not in {r[0] for r in official[2:]}
    assert KAMIMIZO in {r[0] for r in official[2:]}
    assert [r[0] for r in added[2:]] == [people["place"], car_park["id"]]  # + the dormitory
    header = dict(zip(added[0], added[3]))
    assert header["Type"] == "car_sleeping" and header["District"] == ""
    assert header["Latitude"] == ""  # known by ward only: no invented coordinates
    assert header["Foreign evacuees: pt"] == "12"
    assert "090-1234-5678" not in "".join(",".join(r) for r in added)


def test_the_citys_import_never_touches_an_added_place(app, db, people, tmp_path):
    place = add(app, db, kind="hotel", name="ホテル", ward="chuo")
    text = GSI_SHELTERS.read_text(encoding="utf-8-sig").splitlines()
    header, first = text[0], text[1]
    forged = first.replace(first.split(",")[1], place["id"], 1)
    with app.app_context(), pytest.raises(ShelterFileError) as error:
        import_shelters(db, [("forged.csv", f"{header}\n{forged}\n".encode())],
                        app.extensions["city"])
    assert "belongs to a place the center added" in str(error.value)
    assert registry.get_shelter(db, place["id"])["name"] == "ホテル"


def test_merging_two_records_of_one_place_moves_everything(app, db, people,
                                                           coordinator_client):
    first = add(app, db, kind="religious_facility", name="モスク A班", ward="chuo",
                languages={"id": 40, "ne": 5}, food_halal="1")
    second = add(app, db, kind="religious_facility", name="モスク B班", lat="35.57",
                 lon="139.37", languages={"id": 35, "my": 6},
                 contact="Mr. Rahman", prayer_space="1")
    need_a = need_at(db, first["id"], "merge-need-a")
    need_b = need_at(db, second["id"], "merge-need-b", language="my")
    history_before = len(registry.shelter_history(db, first["id"]))
    token = csrf_token(coordinator_client, f"/shelters/{first['id']}")
    response = coordinator_client.post(f"/shelters/{first['id']}/merge",
                                       data={"csrf_token": token, "into": second["id"]})
    assert response.status_code == 302
    kept = registry.get_shelter(db, second["id"])
    assert kept["languages"] == {"ne": 5, "my": 6, "id": 40}  # the larger count of each
    assert kept["evacuees"] == 51
    assert (kept["food_halal"], kept["prayer_space"], kept["contact"]) == (1, 1, "Mr. Rahman")
    assert needs.get_need(db, need_a["id"])["shelter_id"] == second["id"]
    assert needs.get_need(db, need_b["id"])["shelter_id"] == second["id"]
    fields = [h["field"] for h in registry.shelter_history(db, second["id"])]
    assert "merged" in fields and fields.count("added") == 2  # both histories, together
    assert len(registry.shelter_history(db, second["id"])) >= history_before + 2
    with pytest.raises(registry.ShelterNotFound):
        registry.get_shelter(db, first["id"])
    # the old ID still leads there: links, QR codes, a tablet's queued need
    old_page = coordinator_client.get(f"/shelters/{first['id']}")
    assert old_page.status_code == 302
    assert old_page.headers["Location"].endswith(f"/shelters/{second['id']}")
    board = app.test_client().get(f"/board/{first['id']}?lang=vi")
    assert board.status_code == 302 and second["id"] in board.headers["Location"]
    late = need_at(db, first["id"], "merge-need-late")
    assert late["shelter_id"] == second["id"]
    audit = db.execute("SELECT before FROM audit WHERE action = 'merge'").fetchone()[0]
    assert json.loads(audit)["name"] == "モスク A班"  # the merged record, kept whole


def test_an_official_shelter_is_never_merged_away(app, db, people, coordinator_client):
    place = add(app, db, kind="temporary_shelter", name="臨時避難所", ward="chuo")
    with pytest.raises(registry.ValidationError) as error:
        places.merge_places(db, KAMIMIZO, place["id"], actor=ACTOR)
    assert "official list" in str(error.value.errors["place"])
    merged = places.merge_places(db, place["id"], KAMIMIZO, actor=ACTOR)  # the other way
    assert merged["id"] == KAMIMIZO
    with pytest.raises(registry.ValidationError) as error:
        places.merge_places(db, KAMIMIZO, KAMIMIZO, actor=ACTOR)
    assert "into" in error.value.errors


def test_bad_input_names_the_field_and_changes_nothing(app, db, people, coordinator_client):
    before = db.execute("SELECT count(*) FROM shelter").fetchone()[0]
    token = csrf_token(coordinator_client, "/shelters/new")
    response = coordinator_client.post("/shelters/new?lang=en", data={
        "csrf_token": token, "kind": "palace", "name": "", "lat": "135", "lon": "",
        "lang-vi": "-3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kind of place: choose one of the listed kinds." in page
    assert "Name: required." in page
    assert "Latitude: a number from 20.0 to 46.0." in page
    assert db.execute("SELECT count(*) FROM shelter").fetchone()[0] == before
    # a bad head count after a good place rolls the whole place back
    response = coordinator_client.post("/shelters/new?lang=ja", data={
        "csrf_token": token, "kind": "hotel", "name": "ホテル", "ward": "chuo",
        "lang-vi": "-3"})
    assert response.status_code == 400
    assert db.execute("SELECT count(*) FROM shelter").fetchone()[0] == before


def test_a_hostile_name_and_contact_are_text(app, db, people, coordinator_client):
    place = add(app, db, kind="dormitory", name="<script>alert(1)</script>", ward="chuo",
                contact="<img src=x onerror=alert(2)>")
    page = coordinator_client.get(f"/shelters/{place['id']}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page
    queue_page = coordinator_client.get("/shelters/?group=other").get_data(as_text=True)
    assert "<script>alert(1)" not in queue_page


def test_only_coordinators_see_and_add_places(app, db, people):
    place = add(app, db, kind="dormitory", name="寮", ward="chuo", contact="寮長 山田")
    staff = sign_in(app.test_client(), "staff")
    assert staff.get("/shelters/new").status_code == 403
    assert staff.get(f"/shelters/{place['id']}").status_code == 403
    public = app.test_client().get(f"/board/{place['id']}?lang=vi").get_data(as_text=True)
    assert "寮長" not in public


def test_purge_removes_the_contacts(app, db, people):
    place = add(app, db, kind="station", name="橋本駅", ward="midori", contact="駅長 042-111")
    removed = purge(db, actor=ACTOR)
    assert removed["contacts of places the center added"] == 1
    assert registry.get_shelter(db, place["id"])["contact"] is None


def test_a_coordinator_corrects_a_place(app, db, people, coordinator_client):
    place = add(app, db, kind="car_sleeping", name="駐車場", ward="minami")
    token = csrf_token(coordinator_client, f"/shelters/{place['id']}")
    response = coordinator_client.post(f"/shelters/{place['id']}/place", data={
        "csrf_token": token, "name": "イオン相模原 駐車場", "ward": "minami", "district": "",
        "address": "", "contact": "", "lat": "35.5301", "lon": "139.4102"})
    assert response.status_code == 302
    fixed = registry.get_shelter(db, place["id"])
    assert (fixed["name"], fixed["lat"], fixed["location_approximate"]) == (
        "イオン相模原 駐車場", 35.5301, 0)
    assert {"name", "lat", "lon"} <= {h["field"] for h in registry.shelter_history(
        db, place["id"])}
    with pytest.raises(registry.ValidationError):
        places.update_place(db, KAMIMIZO, {"name": "x"}, app.extensions["city"], actor=ACTOR)


def test_the_public_board_list_shows_only_places_people_can_go_to(app, db, people):
    dorm = add(app, db, kind="dormitory", name="技能実習生寮", ward="chuo")
    shelter = add(app, db, kind="temporary_shelter", name="臨時避難所 公民館", ward="chuo")
    listing = app.test_client().get("/board?lang=vi").get_data(as_text=True)
    assert shelter["id"] in listing and dorm["id"] not in listing
    # the dormitory's own board (from the QR code on its wall) works
    assert app.test_client().get(f"/board/{dorm['id']}?lang=vi").status_code == 200
