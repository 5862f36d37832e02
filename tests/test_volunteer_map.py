"""The volunteer's own page shows where to go on a small map: the shelter as a marker,
the wards and the base map the other maps use, all served by the app itself."""

import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from disaster_support.audit.log import Actor
from disaster_support.maps import layers
from disaster_support.shelters import registry
from disaster_support.volunteers import assignments

from browsers import have_chromium, launch
from conftest import KAMIMIZO, PASSWORD, sign_in
from test_maps import OUTSIDE, map_data, tiles_app

ACTOR = Actor("test", "coordinator", "test")


@pytest.fixture
def assigned(app, people, db):
    """The volunteer's proposed need at Kamimizo, confirmed: it is theirs to do now."""
    assignments.confirm(db, people["assignment"], actor=ACTOR)
    return people


def my_page(app):
    return sign_in(app.test_client(), "volunteer").get("/me?lang=en").get_data(as_text=True)


def test_the_page_maps_the_shelter_from_the_apps_own_files(app, assigned, db):
    shelter = registry.get_shelter(db, KAMIMIZO)
    client = sign_in(app.test_client(), "volunteer")
    html = client.get("/me?lang=en").get_data(as_text=True)
    assert '<div class="map-frame place-map">' in html and 'class="folium-map"' in html
    data = map_data(html)
    assert data["fields"] == list(layers.PUBLIC_FIELDS)
    assert data["shelters"] == [[KAMIMIZO, shelter["lat"], shelter["lon"], shelter["status"],
                                 shelter["name"],
                                 "Kamimizo Junior High School (Kamimizo Chugakko)"]]
    assert data["focus"] == [[shelter["lat"], shelter["lon"]]]  # the view, not the city
    assert data["urls"]["board"] == "/board/__ID__?lang=en"
    assert 'DisasterMap.start("public"' in html
    assert html.count('"type": "Feature"') == 3  # the ward layer
    # the address stays, next to the map
    assert f"Address: {shelter['address']}" in html
    # nothing from outside; every script the app's own, or nonced for the CSP
    assert OUTSIDE.findall(html) == []
    sources = re.findall(r'<script[^>]* src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert any("/vendor/leaflet/" in s for s in sources)
    assert any(s.startswith("/static/js/map.js") for s in sources)
    for url in sources + styles:
        assert url.split("/")[1] in ("static", "vendor") and client.get(url).status_code == 200
    assert "<style" not in html
    for tag in re.findall(r"<script(?![^>]* src=)(?![^>]*application/json)[^>]*>", html):
        assert "nonce=" in tag
    # map.js fits the view to the page's places when the data says where
    script = client.get(next(s for s in sources if "map.js" in s)).get_data(as_text=True)
    assert "data.focus" in script and "fitBounds(data.focus" in script


def test_the_base_map_comes_with_it_when_the_app_has_tiles(people, instance, tmp_path, db):
    app, _ = tiles_app(instance, tmp_path)
    assignments.confirm(db, people["assignment"], actor=ACTOR)
    html = my_page(app)
    assert '"/tiles/{z}/{x}/{y}.png"' in html and OUTSIDE.findall(html) == []


def test_a_shelter_name_stays_text_in_the_map_data(app, assigned, db):
    db.execute("UPDATE shelter SET name = ? WHERE id = ?", ["</script><b>x</b>", KAMIMIZO])
    html = my_page(app)
    assert "</script><b>" not in html
    assert map_data(html)["shelters"][0][4] == "</script><b>x</b>"


def test_without_coordinates_no_map_and_the_address_stays(app, assigned, db):
    db.execute("UPDATE shelter SET lat = NULL, lon = NULL WHERE id = ?", [KAMIMIZO])
    html = my_page(app)
    assert "place-map" not in html and "map-data" not in html and "leaflet" not in html
    assert "Address: " in html


def test_without_an_assignment_no_map(app, people):
    html = my_page(app)
    assert "place-map" not in html and "leaflet" not in html


# --- In a real browser ---------------------------------------------------------------

@pytest.fixture
def served(app, assigned):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.skipif(not have_chromium(), reason="Debian's chromium is not installed")
def test_the_map_shows_the_shelter_in_the_middle_on_a_phone(served):
    outside, problems = [], []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844})

        def route(r):
            if not r.request.url.startswith(served):
                outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(served + "/sign-in?lang=en")
        page.fill("input[name=username]", "volunteer")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        expect(page).to_have_url(re.compile(r"/me$"))
        expect(page.locator("html")).to_have_attribute("data-map-ready", re.compile(r"\d+"))
        marker = page.locator(".place-map path.shelter")
        expect(marker).to_have_count(1)
        frame = page.locator(".place-map").bounding_box()
        assert 236 <= frame["height"] <= 244  # about 240 px, borders included
        dot = marker.bounding_box()
        # fitted to the shelter: its marker in the middle of the map, not somewhere in the city
        assert abs(dot["x"] + dot["width"] / 2 - (frame["x"] + frame["width"] / 2)) < 4
        assert abs(dot["y"] + dot["height"] / 2 - (frame["y"] + frame["height"] / 2)) < 4
        expect(page.locator(".place-map .leaflet-overlay-pane path.ward")).not_to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        browser.close()
    assert outside == [] and problems == []
