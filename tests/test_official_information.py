"""Official information in (issue 21, items 1 and 2): the city's evacuation orders as
notices on exactly the boards of their areas, in every language; JMA's disaster XML
as drafts that later reports of the same event update."""

import http.server
import re
import threading
from pathlib import Path

import pytest

from conftest import KAMIMIZO, csrf_token
from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.intake import evacuation, jma
from disaster_support.notices import records
from disaster_support.notices.render import render
from disaster_support.notices.templates import templates
from disaster_support.vocabulary import languages

JMA = Path(__file__).parent / "data" / "jma"
ACTOR = Actor("test", "coordinator", "test")
# 横山 and 上溝 in Chuo-ku: every registry row whose address names the district
DISTRICT = re.compile(r"中央区(横山|上溝)[0-9０-９]")


def board_titles(client, shelter_id, tag="en"):
    page = client.get(f"/board/{shelter_id}?lang={tag}").get_data(as_text=True)
    return page


def announce(client, **values):
    token = csrf_token(client, "/intake/")
    data = {"csrf_token": token, "client_id": "order-0001-abcdef", "level": "order",
            "hazard": "flood", "note": ""} | values
    return client.post("/intake/evacuations?lang=en", data=data)


def test_an_order_for_two_districts_reaches_exactly_their_boards_and_lifting_withdraws_it(
        app, coordinator):
    db = connect(app.config["DATABASE"])
    rows = db.execute("SELECT id, address FROM shelter").fetchall()
    inside = {i for i, address in rows if DISTRICT.search(address or "")}
    assert KAMIMIZO in inside and len(inside) >= 3
    outside = {i for i, _ in rows} - inside

    response = announce(coordinator, areas=["district:chuo/横山", "district:chuo/上溝"],
                        places=[f"shelter:{KAMIMIZO}"])
    assert response.status_code == 303
    order = evacuation.current_orders(db)[0]
    notice = records.get_notice(db, order["notice_id"])
    assert notice["state"] == "published" and notice["area_kind"] == "shelters"
    assert set(notice["area"]) == inside
    # every one of the 16 languages reads the reviewed template, none is "missing"
    names = records.names_for(db, [notice])
    for tag in languages():
        text = render(notice, tag, names)
        assert text.status == "template", tag
        assert text.title and "{" not in text.body, tag
    english = render(notice, "en", names).body
    assert "横山 (Chuo-ku)" in english and "上溝 (Chuo-ku)" in english
    assert "Everyone in these areas: leave dangerous places and go to a shelter now" in english
    assert "Kamimizo Junior High School" in english  # the shelter opened is named
    assert db.execute("SELECT status FROM shelter WHERE id = ?", [KAMIMIZO]).fetchone()[0] \
        == "open"
    assert "Level 4: Evacuation order" in board_titles(coordinator, KAMIMIZO)
    for shelter_id in sorted(outside)[:15]:
        assert "Level 4: Evacuation order" not in board_titles(coordinator, shelter_id)
    # first on the board, before older notices
    assert records.is_pinned(notice)
    # its CAP alert says the same, for those places
    cap = coordinator.get(f"/notices/{notice['id']}/cap.xml").get_data(as_text=True)
    assert "<msgType>Alert</msgType>" in cap and "<urgency>Immediate</urgency>" in cap

    token = csrf_token(coordinator, "/intake/")
    response = coordinator.post(f"/intake/evacuations/{order['id']}/lift",
                                data={"csrf_token": token, "note": ""})
    assert response.status_code == 303
    assert records.get_notice(db, notice["id"])["state"] == "withdrawn"
    ended = evacuation.get_order(db, order["id"])
    lifted = records.get_notice(db, ended["lifted_notice_id"])
    assert ended["ended_how"] == "lifted" and lifted["state"] == "published"
    assert set(lifted["area"]) == inside and lifted["valid_until"]
    page = board_titles(coordinator, KAMIMIZO)
    assert "Level 4: Evacuation order" not in page and "Evacuation information lifted" in page
    cap = coordinator.get(f"/notices/{notice['id']}/cap.xml").get_data(as_text=True)
    assert "<msgType>Cancel</msgType>" in cap
    # a second click on 解除 changes nothing
    coordinator.post(f"/intake/evacuations/{order['id']}/lift", data={"csrf_token": token})
    assert db.execute("SELECT count(*) FROM notice WHERE template_id = 'evacuation-lifted'"
                      ).fetchone()[0] == 1


def test_a_form_sent_twice_announces_once_and_bad_input_names_the_field(app, coordinator):
    db = connect(app.config["DATABASE"])
    before = db.execute("SELECT count(*) FROM notice").fetchone()[0]
    assert announce(coordinator, areas=["ward:midori"]).status_code == 303
    assert announce(coordinator, areas=["ward:midori"]).status_code == 303
    assert db.execute("SELECT count(*) FROM evacuation_order").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM notice").fetchone()[0] == before + 1
    notice = records.get_notice(db, evacuation.current_orders(db)[0]["notice_id"])
    assert (notice["area_kind"], notice["area"]) == ("wards", ["midori"])

    response = announce(coordinator, client_id="order-0002-abcdef", level="order",
                        hazard="tsunami-of-rumours")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hazard: choose one of the list." in page
    assert "Areas: choose at least one ward, district or place." in page
    response = announce(coordinator, client_id="order-0003-abcdef",
                        areas=["district:chuo/<script>x</script>"], level="emergency")
    assert response.status_code == 400 and "<script>x" not in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM evacuation_order").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM notice").fetchone()[0] == before + 1


def test_a_higher_level_for_the_same_places_replaces_the_lower(app, people):
    db = connect(app.config["DATABASE"])
    with app.app_context():
        city = app.extensions["city"]
        first, _ = evacuation.issue(db, {"client_id": "first-order-1", "level": "elderly",
                                         "hazard": "landslide", "areas": ["ward:midori"]},
                                    city, actor=ACTOR)
        other, _ = evacuation.issue(db, {"client_id": "other-order-1", "level": "elderly",
                                         "hazard": "flood", "areas": ["ward:midori"]},
                                    city, actor=ACTOR)
        second, _ = evacuation.issue(db, {"client_id": "second-order-1", "level": "emergency",
                                          "hazard": "landslide", "areas": ["ward:midori"]},
                                     city, actor=ACTOR)
    assert evacuation.get_order(db, first["id"])["ended_how"] == "superseded"
    assert records.get_notice(db, first["notice_id"])["state"] == "withdrawn"
    assert [o["id"] for o in evacuation.current_orders(db)] == [second["id"], other["id"]]


def read(app, name, data=None, **options):
    db = connect(app.config["DATABASE"])
    with app.app_context():
        return jma.import_report(db, data or (JMA / name).read_bytes(),
                                 app.extensions["city"], actor=ACTOR, **options)


def test_intensity_reports_of_one_earthquake_keep_one_draft_up_to_date(app, people):
    db = connect(app.config["DATABASE"])
    before = db.execute("SELECT count(*) FROM notice").fetchone()[0]
    outcome, first = read(app, "vxse51_sagamihara.xml")
    assert outcome == "created"
    notice = records.get_notice(db, first["notice_id"])
    assert notice["status"] == "draft" and notice["template_id"] == "earthquake-intensity"
    # 震度速報 knows regions only: 神奈川県西部 (Midori) 5-, 神奈川県東部 4
    assert notice["slots"]["intensities"] == "midori=5-;chuo=4;minami=4"
    assert notice["slots"]["time"] == "10:00" and notice["slots"]["date"] == "2026-12-02"

    assert read(app, "vxse53_sagamihara_serial2.xml")[0] == "updated"
    assert read(app, "vxse53_sagamihara.xml")[0] == "older"  # serial 1 came late
    assert read(app, "vxse53_sagamihara_serial2.xml")[0] == "unchanged"
    notice = records.get_notice(db, first["notice_id"])
    assert notice["slots"]["intensities"] == "midori=5-;chuo=5-;minami=4"
    assert db.execute("SELECT count(*) FROM notice").fetchone()[0] == before + 1
    assert db.execute("SELECT reports FROM official_report").fetchone()[0] == 2
    names = records.names_for(db, [notice])
    assert "Midori-ku: 5 Lower, Chuo-ku: 5 Lower, and Minami-ku: 4" in render(
        notice, "en", names).body
    assert "緑区 震度5弱、中央区 震度5弱、南区 震度4" in render(notice, "ja", names).body
    # the agency cancels it: nobody may publish the draft
    cancelled = (JMA / "vxse53_sagamihara_serial2.xml").read_bytes().replace(
        "<InfoType>発表</InfoType>".encode(), "<InfoType>取消</InfoType>".encode()).replace(
        b"T10:20:00+09:00", b"T10:40:00+09:00")
    assert read(app, "", cancelled)[0] == "cancelled"
    assert records.get_notice(db, first["notice_id"])["status"] == "withdrawn"


def test_reports_for_other_places_and_exercises_are_not_read(app, people):
    db = connect(app.config["DATABASE"])
    before = db.execute("SELECT count(*) FROM notice").fetchone()[0]
    assert read(app, "vxse51_hokkaido.xml")[0] == "ignored"
    assert read(app, "vpww53_tokyo.xml")[0] == "ignored"
    exercise = (JMA / "vpww53_kanagawa.xml").read_bytes().replace(
        "<Status>通常</Status>".encode(), "<Status>訓練</Status>".encode())
    assert read(app, "", exercise)[0] == "exercise"
    assert db.execute("SELECT count(*) FROM notice").fetchone()[0] == before
    assert read(app, "", exercise, exercise=True)[0] == "created"  # during a drill
    with pytest.raises(jma.JmaError):
        read(app, "", b"<alert>not JMA</alert>")


def test_warnings_a_landslide_alert_and_a_river_forecast_become_drafts(app, people):
    db = connect(app.config["DATABASE"])
    outcome, warnings = read(app, "vpww53_kanagawa.xml")
    notice = records.get_notice(db, warnings["notice_id"])
    # Yokohama's advisory in the same report is not the city's
    assert notice["slots"]["warnings"] == "03;04;14"
    body = render(notice, "en", records.names_for(db, [notice])).body
    assert "Heavy Rain Warning, Flood Warning, and Thunderstorm Advisory" in body
    assert read(app, "vpww53_kanagawa_lifted.xml")[0] == "updated"
    notice = records.get_notice(db, warnings["notice_id"])
    assert notice["template_id"] == "weather-warnings-lifted"

    _, landslide = read(app, "vxww50_kanagawa.xml")
    assert records.get_notice(db, landslide["notice_id"])["template_id"] == "landslide-alert"
    _, river = read(app, "vxko50_sagami.xml")
    flood = records.get_notice(db, river["notice_id"])
    assert flood["slots"] == {"river": "相模川", "flood_stage": "40"}
    assert (flood["area_kind"], flood["area"]) == ("wards", ["minami"])
    assert "Sagami River: Flood danger (level 4)" in render(flood, "en", {}).body
    for notice_id in (warnings["notice_id"], landslide["notice_id"], river["notice_id"]):
        notice = records.get_notice(db, notice_id)
        assert all(render(notice, t, records.names_for(db, [notice])).status == "template"
                   for t in languages())


def test_the_page_reads_uploads_and_the_notice_form_does_not_offer_official_templates(
        app, coordinator):
    token = csrf_token(coordinator, "/intake/")
    response = coordinator.post("/intake/jma?lang=en", data={
        "csrf_token": token, "report": [(open(JMA / "vpww53_kanagawa.xml", "rb"), "a.xml"),
                                        (open(JMA / "vpww53_tokyo.xml", "rb"), "b.xml")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    page = coordinator.get("/intake/?lang=en").get_data(as_text=True)
    assert "a.xml: New draft" in page and "b.xml: Not for this city" in page
    assert "Weather warnings and advisories" in page
    assert coordinator.post("/intake/jma", data={"csrf_token": token}).status_code == 400
    chooser = coordinator.get("/notices/new").get_data(as_text=True)
    assert "template=evacuation-order" not in chooser and "template=aftershock" in chooser
    response = coordinator.post("/notices/new", data={
        "csrf_token": token, "template_id": "evacuation-order", "slot_areas": "ward:midori",
        "slot_hazard": "flood"})
    assert response.status_code == 400
    assert all(t.official == (t.id in OFFICIAL) for t in templates().values())


OFFICIAL = {"evacuation-elderly", "evacuation-order", "emergency-safety", "evacuation-lifted",
            "earthquake-intensity", "weather-warnings", "weather-warnings-lifted",
            "landslide-alert", "landslide-alert-lifted", "river-flood", "river-flood-lifted"}


def test_the_watcher_reads_a_folder_and_a_feed_once_each(app, people, cli, tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    for name in ("vxse51_sagamihara.xml", "vxse51_hokkaido.xml"):
        (folder / name).write_bytes((JMA / name).read_bytes())
    (folder / "broken.xml").write_text("<not xml")
    result = cli("jma", "watch", "--folder", str(folder), "--once")
    assert result.exit_code == 0, result.output
    assert "vxse51_sagamihara.xml: New draft" in result.output
    assert "vxse51_hokkaido.xml: Not for this city" in result.output
    assert "broken.xml: Not an XML file" in result.output
    again = cli("jma", "watch", "--folder", str(folder), "--once")
    assert "vxse51_sagamihara.xml: Already read" in again.output

    served = tmp_path / "feed"
    served.mkdir()
    (served / "warnings.xml").write_bytes((JMA / "vpww53_kanagawa.xml").read_bytes())
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(served), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (served / "extra.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<id>x</id><title>高頻度（随時）</title><entry><id>1</id><title>気象警報・注意報（Ｈ２７）'
        f'</title><link type="application/xml" href="{base}/warnings.xml"/></entry></feed>',
        encoding="utf-8")
    try:
        first = cli("jma", "watch", "--feed", f"{base}/extra.xml", "--once")
        second = cli("jma", "watch", "--feed", f"{base}/extra.xml", "--once")
    finally:
        server.shutdown()
        server.server_close()
    assert f"{base}/warnings.xml: New draft" in first.output
    assert "warnings.xml" not in second.output  # a known entry is not fetched again
    down = cli("jma", "watch", "--feed", f"{base}/extra.xml", "--once")
    assert down.exit_code == 0 and "not reached" in down.output
    db = connect(app.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM official_report").fetchone()[0] == 2
