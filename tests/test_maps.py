"""Maps: nothing from the internet, the right layers for each reader, optional
tiles from an MBTiles file, and pages that stay small at large-disaster scale."""

import io
import json
import math
import re

import folium
import pytest
from PIL import Image

from disaster_support import create_app
from disaster_support.audit.log import Actor
from disaster_support.maps import assets, layers, tiles
from disaster_support.needs import records as needs
from disaster_support.shelters import registry
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, YOKOYAMA, sign_in

ACTOR = Actor("test", "admin", "test")
OUTSIDE = re.compile(r"https?://(?!localhost[:/])[^\s\"'<>)]*")
WARDS = {"midori", "chuo", "minami"}


def tile_xy(lat, lon, z):
    n = 1 << z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def png(colour):
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


def tiny_mbtiles(path):
    """Three tiles over central Sagamihara at zoom 11, red, green and blue."""
    x, y = tile_xy(35.571, 139.373, 11)
    data = {(11, x, y): png("red"), (11, x + 1, y): png("green"), (11, x, y + 1): png("blue")}
    tiles.write_mbtiles(path, data, name="Sagamihara test tiles",
                        attribution='<a href="https://example.org/copyright">© Example</a> '
                                    'contributors', bounds=(139.1, 35.4, 139.5, 35.7))
    return data


def map_data(html):
    return json.loads(re.search(r'<script type="application/json" id="map-data"[^>]*>(.*?)</script>',
                                html, re.S).group(1))


def open_shelter(db, shelter_id, **values):
    registry.update_shelter(db, shelter_id, {"status": "open", **values}, actor=ACTOR)


def need(db, shelter_id, category, language, urgency="normal", people=1, n=[0]):
    n[0] += 1
    created, _ = needs.record_need(db, shelter_id, {
        "client_id": f"map-test-{n[0]:04d}", "category": category, "language": language,
        "people": people, "urgency": urgency}, actor=ACTOR)
    return created


# --- Offline: every variant, every library local -------------------------------------

@pytest.fixture
def with_needs(app, people, db):
    open_shelter(db, KAMIMIZO, evacuees=120, languages={"vi": 8, "ne": 3})
    open_shelter(db, YOKOYAMA, evacuees=40)
    need(db, KAMIMIZO, "food", "vi", people=3)
    need(db, KAMIMIZO, "interpretation", "ne", urgency="critical")
    need(db, YOKOYAMA, "medicine", "vi")
    return app


@pytest.mark.parametrize("url", ["/map", "/map?language=vi", "/map?lang=ne", "/map?lang=ja-x-easy",
                                 "/board/map", "/board/map?lang=my", "/board/map?lang=en"])
def test_every_map_variant_loads_only_the_apps_own_files(with_needs, url):
    client = sign_in(with_needs.test_client(), "coordinator")
    html = client.get(url).get_data(as_text=True)
    assert OUTSIDE.findall(html) == []
    sources = re.findall(r'<script[^>]* src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert {s.split("/")[1] for s in sources + styles} <= {"static", "vendor"}
    assert any("/vendor/leaflet/1.9.3/leaflet.js" in s for s in sources)
    assert any("/vendor/leaflet.markercluster/1.4.1/leaflet.markercluster.js" in s
               for s in sources)
    for url_ in sources + styles:
        assert client.get(url_).status_code == 200, url_
    # folium's inline styles and un-nonced scripts would break the page's CSP
    assert "<style" not in html
    nonce = re.search(r"'nonce-([^']+)'", client.get(url).headers["Content-Security-Policy"])
    assert nonce
    for tag in re.findall(r"<script(?![^>]* src=)(?![^>]*application/json)[^>]*>", html):
        assert "nonce=" in tag


def test_folium_defaults_are_left_alone_for_other_maps(with_needs):
    client = sign_in(with_needs.test_client(), "coordinator")
    client.get("/map")
    # The CDN lists are class attributes: the app sets its own per map, never these.
    assert any("cdn" in url for _, url in folium.Map.default_js)
    assert any("cdn" in url for _, url in folium.plugins.MarkerCluster.default_js)


def test_libraries_are_served_at_pinned_versions_with_their_licences(client):
    response = client.get("/vendor/leaflet/1.9.3/leaflet.js")
    assert response.status_code == 200
    assert response.data.startswith(b"/* @preserve\n * Leaflet 1.9.3")
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert client.get("/vendor/leaflet/1.9.3/images/layers.png").status_code == 200
    assert client.get("/vendor/leaflet/1.0.0/leaflet.js").status_code == 404
    assert client.get("/vendor/jquery/3.7.1/jquery.js").status_code == 404
    assert client.get("/vendor/leaflet/1.9.3/../__init__.py").status_code == 404

    about = client.get("/about").get_data(as_text=True)
    for library in assets.LIBRARIES.values():
        assert f"{library.name} {library.version}" in about
        licence = client.get(f"/static/licences/{library.licence}")
        assert licence.status_code == 200
        assert library.version.encode() in licence.data
    assert b"BSD 2-Clause" in client.get("/static/licences/leaflet.txt").data
    assert b"MIT License" in client.get("/static/licences/leaflet.markercluster.txt").data


# --- What each layer holds ---------------------------------------------------------

def test_shelters_are_coloured_by_their_unmet_needs(with_needs, db):
    resolved = need(db, YOKOYAMA, "water", "en")
    needs.transition(db, resolved["id"], "resolved", actor=ACTOR)
    data = layers.coordinator_layers(db, "en")
    rows = {row[0]: dict(zip(data["fields"], row)) for row in data["shelters"]}
    kamimizo, yokoyama = rows[KAMIMIZO], rows[YOKOYAMA]
    assert (kamimizo["status"], kamimizo["evacuees"], kamimizo["foreign"]) == ("open", 120, 11)
    assert kamimizo["level"] == layers.LEVEL_CRITICAL   # the Nepali interpreter is critical
    assert yokoyama["level"] == layers.LEVEL_SOME       # the resolved need does not count
    # flat numbers: languages and categories by index, five numbers per cell
    tags, categories = data["languages"], data["categories"]
    flat = data["needs"][KAMIMIZO]
    cells = sorted((tags[flat[i]], categories[flat[i + 1]], *flat[i + 2:i + 5])
                   for i in range(0, len(flat), 5))
    assert cells == [("ne", "interpretation", 1, 1, 1),
                     ("vi", "food", 2, 5, 0)]  # with the template's need
    assert data["foreign"][KAMIMIZO] == [tags.index("vi"), 8, tags.index("ne"), 3]
    closed = [r for r in rows.values() if r["status"] == "closed"]
    assert closed and all(r["level"] == layers.LEVEL_NONE for r in closed)
    # every designated shelter is there, and the place the center added; closed
    # emergency-only sites are not
    kinds = dict(db.execute("SELECT id, kind FROM shelter").fetchall())
    assert {kinds[i] for i in rows} == {"designated_shelter", "dormitory"}
    assert len(rows) == db.execute("SELECT count(*) FROM shelter WHERE (kind = "
                                   "'designated_shelter' OR official = 0) AND lat IS NOT NULL"
                                   ).fetchone()[0]


def test_languages_with_unmet_needs_come_most_needed_first(with_needs, db):
    assert layers.need_languages(db) == [("vi", 3, 2), ("ne", 1, 1)]


def test_the_name_in_the_readers_script_where_the_registry_knows_it():
    shelter = {"name_kana": "かみみぞちゅうがっこう", "name_en": "Kamimizo Junior High School"}
    assert layers.alternative_name(shelter, "ja") is None
    assert layers.alternative_name(shelter, "ja-x-easy") == "かみみぞちゅうがっこう"
    assert layers.alternative_name(shelter, "vi") == "Kamimizo Junior High School"
    assert layers.alternative_name({"name_kana": None, "name_en": None}, "en") is None


def test_volunteers_are_grouped_where_they_checked_in(with_needs, db, people):
    other = volunteers.create_volunteer(db, {
        "name": "Rai Bikash", "consent_date": "2026-11-01", "languages": {"ne": "native"}},
        actor=ACTOR, wards=WARDS)
    away = volunteers.create_volunteer(db, {
        "name": "Not here", "consent_date": "2026-11-01", "languages": {"en": "fluent"}},
        actor=ACTOR, wards=WARDS)
    volunteers.check_in(db, people["volunteer_record"], KAMIMIZO, actor=ACTOR)
    volunteers.check_in(db, other, "center", actor=ACTOR)
    places = layers.volunteer_layer(db, (35.5714, 139.3733))
    assert len(places) == 2
    at_kamimizo = next(p for p in places if p[2] == "上溝中学校")
    assert at_kamimizo[3] == [[people["volunteer_record"], "Nguyen Thi Lan", ["ja", "vi"]]]
    at_center = next(p for p in places if p[2] is None)
    assert at_center[:2] == [35.5714, 139.3733] and at_center[3] == [[other, "Rai Bikash", ["ne"]]]
    assert away not in [v[0] for p in places for v in p[3]]
    assert layers.volunteer_layer(db, None) == [at_kamimizo]  # a city without a known center


def test_the_coordinator_map_holds_needs_and_volunteers(with_needs, db, people):
    volunteers.check_in(db, people["volunteer_record"], KAMIMIZO, actor=ACTOR)
    client = sign_in(with_needs.test_client(), "coordinator")
    html = client.get("/map?language=vi&lang=en").get_data(as_text=True)
    data = map_data(html)
    assert data["needs"][KAMIMIZO] and data["volunteers"]
    assert data["labels"]["categories"]["food"] == "Food (halal, vegetarian, allergy)"
    assert data["urls"]["shelter"] == "/shelters/__ID__"
    assert '<option value="vi" selected>' in html
    assert "Legend" in html and "Critical needs" in html
    assert "DisasterMap.start(\"coordinator\"" in html
    # the city is fitted on load: the bounds of the three wards
    assert re.search(r"fitBounds\(\s*\[\[35\.\d+, 139\.\d+\], \[35\.\d+, 139\.\d+\]\]", html)
    assert html.count('"type": "Feature"') == 3


def test_the_coordinator_maps_volunteers_follow_every_change(with_needs, db, people):
    """The volunteer layer is kept per version of the data: a new language, a check-in
    and a check-out each show on the next load."""
    client = sign_in(with_needs.test_client(), "coordinator")
    volunteer = people["volunteer_record"]

    def shown():
        return {v[0]: v[2] for place in map_data(client.get("/map").get_data(as_text=True))[
            "volunteers"] for v in place[3]}

    assert shown() == {}
    volunteers.check_in(db, volunteer, KAMIMIZO, actor=ACTOR)
    assert shown() == {volunteer: ["ja", "vi"]}
    volunteers.update_volunteer(db, volunteer, {
        "name": "Nguyen Thi Lan", "consent_date": "2026-11-01",
        "languages": "vi:native; ja:fluent; en:conversational"}, actor=ACTOR, wards=WARDS)
    assert shown() == {volunteer: ["en", "ja", "vi"]}
    volunteers.check_out(db, volunteer, actor=ACTOR)
    assert shown() == {}


def test_the_public_map_shows_where_shelters_are_and_nothing_more(with_needs, db, people):
    volunteers.check_in(db, people["volunteer_record"], KAMIMIZO, actor=ACTOR)
    html = with_needs.test_client().get("/board/map?lang=vi").get_data(as_text=True)
    data = map_data(html)
    assert set(data) == {"fields", "shelters", "labels", "attribution", "urls"}
    assert data["fields"] == list(layers.PUBLIC_MAP_FIELDS)
    assert "Nguyen" not in html and "interpretation" not in html
    assert "DisasterMap.start(\"public\"" in html
    assert "volunteers:" not in html and "needs:" not in html
    assert data["urls"]["board"] == "/board/__ID__?lang=vi"
    row = next(r for r in data["shelters"] if r[0] == KAMIMIZO)
    assert row[3] == "open" and 120 not in row


def test_the_boards_link_to_the_public_map(client, people):
    html = client.get("/board?lang=ne").get_data(as_text=True)
    assert 'href="/board/map?lang=ne"' in html


# --- Base map tiles from MBTiles ------------------------------------------------------

def tiles_app(instance, tmp_path, setting=None):
    path = tmp_path / "sagamihara.mbtiles"
    written = tiny_mbtiles(path)
    app = create_app({"TESTING": True, "TILES": setting or str(path)}, instance_path=instance)
    return app, written


def test_tiles_are_served_from_an_mbtiles_file(people, instance, tmp_path):
    app, written = tiles_app(instance, tmp_path)
    client = app.test_client()
    for (z, x, y), data in written.items():
        response = client.get(f"/tiles/{z}/{x}/{y}.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data == data  # XYZ in the URL, TMS rows in the file
    missing = client.get("/tiles/11/0/0.png")
    assert missing.status_code == 200 and missing.data == tiles.EMPTY_PNG
    assert client.get("/tiles/3/8/0.png").status_code == 404  # not a tile of zoom 3
    html = sign_in(client, "coordinator").get("/map").get_data(as_text=True)
    assert '"/tiles/{z}/{x}/{y}.png"' in html
    assert '"maxNativeZoom": 11' in html and '"minZoom": 11' in html
    assert '"attribution": "\\u00a9 Example contributors"' in html
    assert "example.org" not in html
    assert re.search(r'"bounds": \[\s*\[\s*35\.4,\s*139\.1,\s*\],\s*\[\s*35\.7,\s*139\.5,', html)
    assert "Sagamihara test tiles" in client.get("/about").get_data(as_text=True)


def test_without_tiles_the_maps_have_the_wards_only(client, people):
    assert client.get("/tiles/11/1816/807.png").status_code == 404
    html = client.get("/board/map").get_data(as_text=True)
    assert "L.tileLayer" not in html and "geo_json" in html


def test_a_broken_tiles_setting_is_explained_and_the_app_goes_on(people, instance, tmp_path):
    app = create_app({"TESTING": True, "TILES": str(tmp_path / "none.mbtiles")},
                     instance_path=instance)
    html = sign_in(app.test_client(), "coordinator").get("/map?lang=en").get_data(as_text=True)
    assert "The base map could not be opened" in html and "none.mbtiles" in html
    not_tiles = tmp_path / "notes.mbtiles"
    not_tiles.write_text("not a database")
    with pytest.raises(tiles.TilesError, match="not an MBTiles file"):
        tiles.open_tileset(str(not_tiles))


def test_the_world_basemap_needs_its_optional_extra(monkeypatch):
    monkeypatch.setattr(tiles.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(tiles.TilesError, match=r"disaster-support\[basemap\]"):
        tiles.open_tileset("basemap")


def test_serve_refuses_a_tiles_file_it_cannot_read(cli, tmp_path):
    result = cli("serve", "--tiles", str(tmp_path / "missing.mbtiles"), "--port", "9")
    assert result.exit_code != 0
    assert "missing.mbtiles" in result.output


# --- Scale -----------------------------------------------------------------------------

def test_2500_shelters_make_a_page_under_400_kb(app, people, db):
    """Markers are a row of data each, not a block of script: the page grows by
    about a hundred bytes per shelter."""
    rows = [(f"T{n:06d}", "designated_shelter", f"テスト避難所{n}", 35.5 + n % 50 / 250,
             139.2 + n // 50 / 250, "open" if n % 3 else "closed", n % 200,
             "2026-11-25T00:00:00+00:00", "2026-11-25T00:00:00+00:00")
            for n in range(2500)]
    with db.conn:
        db.conn.executemany(
            "INSERT INTO shelter (id, kind, name, lat, lon, status, evacuees, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?)", rows)
        db.conn.executemany(
            "INSERT INTO need (client_id, shelter_id, category, language, people, urgency, "
            "status, created_at, created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(f"scale-{n}", row[0], "food", ("vi", "ne", "en")[n % 3], 2, "normal", "open",
              row[7], "test", row[7]) for n, row in enumerate(rows[::2])])
    client = sign_in(app.test_client(), "coordinator")
    html = client.get("/map").get_data(as_text=True)
    assert len(map_data(html)["shelters"]) >= 2500
    assert len(html.encode()) < 400_000
    assert len(client.get("/board/map").data) < 400_000


def test_ward_names_follow_the_readers_script(app):
    midori = app.extensions["city"].ward("midori")
    assert [midori.name(t) for t in ("ja", "ja-x-easy", "en", "vi")] == [
        "緑区", "みどりく", "Midori-ku", "Midori-ku"]
    html = app.test_client().get("/board/map?lang=ja-x-easy").get_data(as_text=True)
    assert '"label": "\\u307f\\u3069\\u308a\\u304f"' in html  # みどりく, on the ward layer
