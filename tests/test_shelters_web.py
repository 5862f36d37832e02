"""The shelter registry through the real HTTP stack: pages, forms and the API."""

import re

import pytest

from disaster_support.shelters import registry

from conftest import KAMIMIZO, csrf_token


def row_ids(page):
    return re.findall(r'<tr data-id="([^"]+)"', page)


def every_row_id(client, url):
    """The rows of every page of a list, following its "next" links."""
    ids, page = [], 1
    while True:
        text = client.get(f"{url}&page={page}&lang=en").get_data(as_text=True)
        ids += row_ids(text)
        if ">Next</a>" not in text:
            return ids
        page += 1


def test_the_list_shows_the_105_designated_shelters_by_ward_50_a_page(coordinator):
    first = coordinator.get("/shelters/?kind=designated_shelter&lang=en").get_data(as_text=True)
    assert len(row_ids(first)) == 50 and "more on the next page" in first
    every = every_row_id(coordinator, "/shelters/?kind=designated_shelter")
    assert len(every) == len(set(every)) == 105
    last = coordinator.get("/shelters/?kind=designated_shelter&page=3&lang=en").get_data(
        as_text=True)
    assert "5 places" in last and "more on the next page" not in last
    for ward, count in (("midori", 37), ("chuo", 32), ("minami", 36)):
        page = coordinator.get(f"/shelters/?kind=designated_shelter&ward={ward}").get_data(
            as_text=True)
        assert len(row_ids(page)) == count


def test_filters_by_status_language_facility_and_search(demo_app, coordinator, db):
    open_ids = {r["id"] for r in registry.list_shelters(db, status="open")}
    assert set(row_ids(coordinator.get("/shelters/?status=open").get_data(as_text=True))) == open_ids
    vi = {r["id"] for r in db.query(
        "SELECT shelter_id AS id FROM shelter_language WHERE language = 'vi'")}
    assert vi and set(row_ids(coordinator.get("/shelters/?language=vi").get_data(as_text=True))) == vi
    halal = {r["id"] for r in db.query("SELECT id FROM shelter WHERE food_halal = 1")}
    assert set(row_ids(coordinator.get("/shelters/?fact=food_halal").get_data(as_text=True))) == halal
    assert row_ids(coordinator.get("/shelters/?q=上溝中学校").get_data(as_text=True)) == [KAMIMIZO]


def test_sort_by_occupancy_puts_the_fullest_first(demo_app, coordinator, db):
    ids = row_ids(coordinator.get("/shelters/?status=open&sort=occupancy").get_data(as_text=True))
    rates = [registry.get_shelter(db, i)["occupancy"] for i in ids]
    known = [r for r in rates if r is not None]
    assert rates[:len(known)] == sorted(known, reverse=True)
    assert rates[len(known):] == [None] * (len(rates) - len(known))  # the mosque, car park…


def test_a_bad_filter_is_named_and_ignored(coordinator):
    response = coordinator.get("/shelters/?ward=atlantis&lang=en")
    assert response.status_code == 400
    assert "Ward: “atlantis” is not one of the choices." in response.get_data(as_text=True)


def test_detail_page_shows_the_place_and_its_history(coordinator):
    page = coordinator.get(f"/shelters/{KAMIMIZO}?lang=en").get_data(as_text=True)
    assert "上溝中学校" in page and "神奈川県相模原市中央区横山5-19-54" in page
    assert "Chuo-ku" in page and "Earthquake" in page
    assert "Added from open data" in page
    assert coordinator.get("/shelters/NOPE").status_code == 404


def test_update_through_the_form_is_kept_as_history(coordinator, db):
    url = f"/shelters/{KAMIMIZO}"
    response = coordinator.post(url + "?lang=en", data={
        "csrf_token": csrf_token(coordinator, url), "status": "open", "capacity": "450",
        "evacuees": "120", "lang-vi": "12", "lang-ne": "3", "staff_languages": ["ja", "en"],
        "food_halal": "1", "wifi": "0"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Saved: 8 change(s)." in page
    shelter = registry.get_shelter(db, KAMIMIZO)
    assert (shelter["status"], shelter["capacity"], shelter["evacuees"]) == ("open", 450, 120)
    assert shelter["languages"] == {"vi": 12, "ne": 3}
    assert shelter["staff_languages"] == ["ja", "en"]
    assert (shelter["food_halal"], shelter["wifi"], shelter["pets"]) == (1, 0, None)
    history = {h["field"]: (h["old"], h["new"]) for h in registry.shelter_history(db, KAMIMIZO)}
    assert history["status"] == ("closed", "open")
    assert history["languages.vi"] == ("0", "12")
    assert history["evacuees"] == ("0", "120")
    # the history table shows who, when and old → new in words
    assert re.search(r"Status</td><td>Closed</td><td>Open</td>", page)
    assert "Foreign evacuees by language: Tiếng Việt" in page


@pytest.mark.parametrize("form, field, message", [
    ({"evacuees": "-5"}, "evacuees",
     "Evacuees in total: give a whole number of people from 0 to 100,000."),
    ({"evacuees": "many"}, "evacuees",
     "Evacuees in total: give a whole number of people from 0 to 100,000."),
    ({"capacity": "1e9"}, "capacity", "Capacity: give a whole number of people"),
    ({"status": "exploded"}, "status", "Status: choose one of: preparing, open, full, closed."),
    ({"evacuees": "5", "lang-vi": "9"}, "languages", "the counts add up to 9, more than the 5"),
    ({"wifi": "perhaps"}, "wifi", "Wi-Fi: choose yes, no or not known."),
    ({"staff_languages": ["xx"]}, "staff_languages", "Languages staff can use: choose from"),
])
def test_bad_input_names_the_field_and_changes_nothing(coordinator, db, form, field,
                                                       message):
    url = f"/shelters/{KAMIMIZO}"
    before = (list(db.query("SELECT * FROM shelter")), db["shelter_change"].count)
    data = {"csrf_token": csrf_token(coordinator, url), "status": "open", "evacuees": "10",
            "capacity": "", **form}
    response = coordinator.post(url + "?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved." in page
    assert message in page
    assert f'id="error-{field}"' in page
    assert (list(db.query("SELECT * FROM shelter")), db["shelter_change"].count) == before


def test_bad_input_message_is_in_the_users_language(coordinator):
    url = f"/shelters/{KAMIMIZO}"
    page = coordinator.post(url, data={"csrf_token": csrf_token(coordinator, url), "status": "open",
                                  "evacuees": "-1"},
                       headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "避難者数" in page or "避難者" in page
    assert "Evacuees in total" not in page


def test_a_form_without_csrf_token_is_refused_and_changes_nothing(coordinator, db):
    response = coordinator.post(f"/shelters/{KAMIMIZO}?lang=en", data={"status": "open"})
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert registry.get_shelter(db, KAMIMIZO)["status"] == "closed"


@pytest.fixture
def api(app, people, db):
    """A client sending the coordinator's API token."""
    from disaster_support.accounts import users
    from disaster_support.audit.log import Actor

    token = users.create_token(db, people["coordinator"], actor=Actor("test"))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_api_lists_reads_and_updates_shelters(api, db):
    listing = api.get("/api/v1/shelters?kind=designated_shelter&ward=minami").get_json()
    assert listing["count"] == 36 and all(s["ward"] == "minami" for s in listing["shelters"])
    one = api.get(f"/api/v1/shelters/{KAMIMIZO}").get_json()
    assert one["name"] == "上溝中学校" and one["emergency_site"] is True
    response = api.patch(f"/api/v1/shelters/{KAMIMIZO}", json={
        "status": "open", "evacuees": 40, "languages": {"zh-Hans": 7}, "prayer_space": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["shelter"]["languages"] == {"zh-Hans": 7}
    assert body["shelter"]["prayer_space"] is True
    assert {c["field"] for c in body["changes"]} == {"status", "evacuees", "languages.zh-Hans",
                                                     "prayer_space"}
    history = registry.shelter_history(db, KAMIMIZO)[0]
    assert (history["via"], history["actor"]) == ("api", "coordinator")


def test_api_bad_input_gets_a_message_per_field_and_nothing_written(api, db):
    changes = db["shelter_change"].count
    response = api.patch(f"/api/v1/shelters/{KAMIMIZO}", json={
        "status": "exploded", "evacuees": -3, "colour": "red"},
        headers={"Accept-Language": "en"})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert set(errors) == {"status", "evacuees", "colour"}
    assert errors["evacuees"].startswith("Evacuees in total:")
    assert api.patch(f"/api/v1/shelters/{KAMIMIZO}", data="status=open").status_code == 415
    assert api.patch(f"/api/v1/shelters/{KAMIMIZO}", data="[1]",
                     content_type="application/json").status_code == 400
    assert api.patch("/api/v1/shelters/NOPE", json={}).status_code == 404
    assert registry.get_shelter(db, KAMIMIZO)["status"] == "closed"
    assert db["shelter_change"].count == changes


def test_openapi_describes_every_api_route(app, coordinator):
    document = coordinator.get("/api/v1/openapi.json").get_json()
    described = {(path, method) for path, item in document["paths"].items()
                 for method in item if method != "parameters"}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == described


def test_no_stack_trace_reaches_a_user(coordinator, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(registry, "list_shelters", broken)
    for url in ("/shelters/", "/api/v1/shelters"):
        response = coordinator.get(url)  # a signed-in page may GET the API by cookie
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Traceback" not in body and "secret internals" not in body
    assert "error" in coordinator.get("/api/v1/shelters").get_json()


def test_overview_counts(demo_app, coordinator, db):
    page = coordinator.get("/?lang=en").get_data(as_text=True)
    totals = registry.count_shelters(db)
    assert totals["open"] == 30 and totals["full"] == 3
    assert re.search(r'<span class="figure">30</span> shelters open', page)
    foreign = f"{totals['foreign_evacuees']:,}"
    assert f'<span class="figure">{foreign}</span> foreign evacuees' in page


def test_static_files_are_versioned_and_cacheable(app, coordinator):
    page = coordinator.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    response = coordinator.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers.get("ETag") or response.headers.get("Last-Modified")
