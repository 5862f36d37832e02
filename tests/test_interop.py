"""Exchange with the systems around the tool: CAP 1.2 alerts (valid against the
OASIS schema, and back again with every language), the Atom feed, HXL tables that
libhxl reads and validates."""

import io
import re
import xml.etree.ElementTree as ET

import hxl
import pytest
import xmlschema

from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.drills.runs import active_drill
from disaster_support.needs import records as needs
from disaster_support.notices import cap, records
from disaster_support.notices.render import render
from disaster_support.shelters import registry
from disaster_support.vocabulary import languages
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, ROOT, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")
SCHEMA = ROOT.parent / "shared" / "data" / "standards" / "CAP-v1.2.xsd"
NS = {"cap": cap.NS}


@pytest.fixture(scope="module")
def cap_schema():
    return xmlschema.XMLSchema(str(SCHEMA))


def water_notice(db, **publish):
    notice_id = records.create_notice(
        db, template_id="water-supply", source_language="ja", actor=ACTOR,
        slots={"place": f"shelter:{KAMIMIZO}", "time_range": "09:00-12:00"})
    records.publish(db, notice_id, actor=ACTOR, **publish)
    return notice_id


def test_a_published_notice_is_a_valid_cap_alert_in_every_language(
        app, people, db, cap_schema):
    notice_id = water_notice(db, area_kind="wards", area=["chuo", "minami"])
    response = app.test_client().get(f"/notices/{notice_id}/cap.xml")
    assert response.mimetype == "application/cap+xml"
    cap_schema.validate(response.data)  # raises with the reason when invalid
    alert = ET.fromstring(response.data)
    assert alert.findtext("cap:status", namespaces=NS) == "Actual"
    assert alert.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00",
                        alert.findtext("cap:sent", namespaces=NS))
    infos = alert.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == list(languages())
    ja = infos[0]
    assert ja.findtext("cap:category", namespaces=NS) == "Infra"  # the template's
    assert ja.findtext("cap:severity", namespaces=NS) == "Minor"
    assert ja.findtext("cap:headline", namespaces=NS) == "給水のお知らせ"
    assert "上溝中学校" in ja.findtext("cap:description", namespaces=NS)
    areas = ja.findall("cap:area", NS)
    assert [a.findtext("cap:areaDesc", namespaces=NS) for a in areas] == ["中央区", "南区"]
    polygon = areas[0].findtext("cap:polygon", namespaces=NS).split()
    assert polygon[0] == polygon[-1] and len(polygon) >= 4
    lat, lon = map(float, polygon[0].split(","))
    assert 35.4 < lat < 35.7 and 139.1 < lon < 139.5
    assert infos[2].findtext("cap:headline", namespaces=NS) == "Drinking water distribution"


def test_shelter_notices_get_circles_and_withdrawn_ones_cancel(app, people, db, cap_schema):
    notice_id = water_notice(db, area_kind="shelters", area=[KAMIMIZO, YOKOYAMA])
    client = app.test_client()
    alert = ET.fromstring(client.get(f"/notices/{notice_id}/cap.xml").data)
    circles = alert.findall("cap:info[1]/cap:area/cap:circle", NS)
    assert len(circles) == 2 and circles[0].text.endswith(" 0.5")
    records.withdraw(db, notice_id, actor=ACTOR)
    assert client.get(f"/notices/{notice_id}/cap.xml").status_code == 404  # no longer public
    coordinator = sign_in(app.test_client(), "coordinator")  # who sends the Cancel on
    data = coordinator.get(f"/notices/{notice_id}/cap.xml").data
    cap_schema.validate(data)
    alert = ET.fromstring(data)
    assert alert.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert "notice." + str(notice_id) in alert.findtext("cap:references", namespaces=NS)


def test_a_draft_is_not_public_and_a_drill_says_exercise(app, people, db, cli, cap_schema):
    draft = records.create_notice(db, title="下書き", body="まだです。", category="information",
                                  source_language="ja", actor=ACTOR)
    assert app.test_client().get(f"/notices/{draft}/cap.xml").status_code == 404
    coordinator = sign_in(app.test_client(), "coordinator")
    assert coordinator.get(f"/notices/{draft}/cap.xml").status_code == 200
    assert cli("drill", "start", "m7-weekday-afternoon", "--speed", "manual").exit_code == 0
    drill_db = connect(active_drill(app)["database"])
    drill_notice = records.create_notice(drill_db, title="訓練の給水", body="訓練です。",
                                         category="water", source_language="ja", actor=ACTOR)
    records.publish(drill_db, drill_notice, actor=ACTOR)
    drill_db.close()
    data = app.test_client().get(f"/notices/{drill_notice}/cap.xml").data
    cap_schema.validate(data)
    assert ET.fromstring(data).findtext("cap:status", namespaces=NS) == "Exercise"
    assert cli("drill", "end").exit_code == 0


def test_cap_round_trip_keeps_every_language(app, people, db, cap_schema):
    notice_id = water_notice(db)
    exported = app.test_client().get(f"/notices/{notice_id}/cap.xml").data
    coordinator = sign_in(app.test_client(), "coordinator")
    response = coordinator.post("/notices/import-cap?lang=en", data={
        "csrf_token": csrf_token(coordinator, "/notices"),
        "alert": (io.BytesIO(exported), "alert.xml")})
    assert response.status_code == 303
    imported = int(response.headers["Location"].rsplit("/", 1)[1])
    original, copy = records.get_notice(db, notice_id), records.get_notice(db, imported)
    assert copy["status"] == "draft" and copy["source_language"] == "ja"
    names = records.names_for(db, [original])
    for tag in languages():
        before, after = render(original, tag, names), render(copy, tag)
        assert after.complete, tag
        assert (after.title, after.body) == (before.title, before.body), tag
    # and the copy exports again as a valid alert with the same 16 languages
    again = ET.fromstring(coordinator.get(f"/notices/{imported}/cap.xml").data)
    assert len(again.findall("cap:info", NS)) == 16


def test_a_prefecture_alert_keeps_its_languages_and_says_what_it_left_out(app, people, db):
    alert = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{cap.NS}"><identifier>KN-2026-0001</identifier><sender>bousai@pref.kanagawa.jp</sender>
<sent>2026-11-26T10:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><language>ja-JP</language><category>Health</category><event>感染症</event><urgency>Expected</urgency>
<severity>Moderate</severity><certainty>Likely</certainty><headline>避難所での感染症予防</headline>
<description>手洗いとマスクをお願いします。</description></info>
<info><language>en-US</language><category>Health</category><event>Infection</event><urgency>Expected</urgency>
<severity>Moderate</severity><certainty>Likely</certainty><headline>Preventing infections in shelters</headline>
<description>Please wash your hands and wear a mask.</description></info>
<info><language>zh-CN</language><category>Health</category><event>感染</event><urgency>Expected</urgency>
<severity>Moderate</severity><certainty>Likely</certainty><headline>预防避难所感染</headline>
<description>请洗手并戴口罩。</description></info>
<info><language>fr-FR</language><category>Health</category><event>Infection</event><urgency>Expected</urgency>
<severity>Moderate</severity><certainty>Likely</certainty><headline>Prévenir les infections</headline>
<description>Lavez-vous les mains.</description></info></alert>"""
    notice_id, skipped = cap.import_cap(db, alert.encode(), actor=ACTOR)
    notice = records.get_notice(db, notice_id)
    assert notice["category"] == "medical"
    assert render(notice, "ja").title == "避難所での感染症予防"
    assert render(notice, "en").title == "Preventing infections in shelters"
    assert render(notice, "zh-Hans").body == "请洗手并戴口罩。"
    assert render(notice, "vi").status == "missing"
    assert skipped == ["fr-FR"]
    with pytest.raises(cap.CapError, match="CAP 1.2"):
        cap.import_cap(db, b"<rss/>", actor=ACTOR)
    with pytest.raises(cap.CapError, match="XML"):
        cap.import_cap(db, b"not xml", actor=ACTOR)


def test_language_tags_of_other_systems(app):
    with app.app_context():
        assert [cap.language_tag(t) for t in ("ja-JP", "en-US", "zh-TW", "zh-CN", "pt-BR",
                                              "fil", "ne-NP", "ja-x-easy", "de")] == [
            "ja", "en", "zh-Hant", "zh-Hans", "pt", "tl", "ne", "ja-x-easy", None]


def test_the_atom_feed_lists_current_alerts(app, people, db):
    notice_id = water_notice(db)
    feed = ET.fromstring(app.test_client().get("/cap/alerts.atom").data)
    atom = {"a": cap.ATOM}
    links = [e.find("a:link", atom).get("href") for e in feed.findall("a:entry", atom)]
    assert f"http://localhost/notices/{notice_id}/cap.xml" in links
    assert feed.find("a:entry/a:link", atom).get("type") == "application/cap+xml"


# --- HXL ------------------------------------------------------------------------------

# An HXL schema is itself an HXL table: a hashtag row, then one rule per row.
SCHEMA_RULES = [
    ["#valid_tag", "#valid_datatype", "#valid_value+min", "#valid_value+max",
     "#valid_required", "#valid_value+list", "#valid_severity"],
    ["#geo+lat", "number", "24", "46", "", "", "error"],
    ["#geo+lon", "number", "122", "154", "", "", "error"],
    ["#affected+num", "number", "0", "", "", "", "error"],
    ["#inneed+num", "number", "0", "", "", "", "error"],
    ["#x_language", "", "", "", "", "|".join(languages()), "error"],
]


@pytest.fixture
def busy(app, people, db):
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "200",
                                           "languages": {"vi": "12", "zh-Hans": "5"}},
                            actor=ACTOR)
    for n, (category, tag, people_, urgency) in enumerate([
            ("food", "vi", 3, "normal"), ("food", "vi", 2, "critical"),
            ("interpretation", "zh-Hans", 1, "high")]):
        needs.record_need(db, KAMIMIZO, {"client_id": f"hxl-test-{n}", "category": category,
                                         "language": tag, "people": people_,
                                         "urgency": urgency, "note": "電話 090-1234-5678",
                                         "confirm_personal": True}, actor=ACTOR)
    volunteers.check_in(db, people["volunteer_record"], KAMIMIZO, actor=ACTOR)
    return sign_in(app.test_client(), "coordinator")


def parse(data):
    return hxl.data(hxl.input.make_input(io.BytesIO(data)))


@pytest.mark.parametrize("name", ["shelters", "needs", "volunteer-coverage"])
@pytest.mark.parametrize("excel", [False, True])
def test_hxl_tables_parse_and_validate(busy, name, excel):
    response = busy.get(f"/exports/{name}.csv" + ("?excel=1" if excel else ""))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf") == excel
    data = parse(response.data)
    tags = [c.display_tag for c in data.columns]
    assert all(t.startswith("#") for t in tags)
    rows = list(data)
    assert rows
    errors = []
    assert data.validate(schema=hxl.schema(SCHEMA_RULES),
                         callback=lambda e: errors.append(e)) is True, [
        (str(e.rule), e.value, e.message) for e in errors]


def test_the_schema_catches_a_broken_table():
    broken = b"Lat,Lon,Language\n#geo+lat,#geo+lon,#x_language\n99,139.3,vi\n35.5,x,klingon\n"
    errors = []
    assert parse(broken).validate(schema=hxl.schema(SCHEMA_RULES),
                                  callback=lambda e: errors.append(e.message)) is False
    assert len(errors) == 4  # latitude 99; "x" is no number, nor below 154; klingon


def test_the_needs_table_holds_counts_only(busy):
    data = parse(busy.get("/exports/needs.csv").data)
    rows = {(r.get("#x_language"), r.get("#x_need+code")): r for r in data}
    food = rows[("vi", "food")]
    # with the need of the test template: vi food, 2 people
    assert food.get("#indicator+needs+num") == "3" and food.get("#inneed+num") == "7"
    assert food.get("#indicator+critical+num") == "1" and food.get("#sector+code") == "FSC"
    assert food.get("#loc+code") == KAMIMIZO
    text = busy.get("/exports/needs.csv").get_data(as_text=True)
    assert "090" not in text and "電話" not in text  # the notes never leave


def test_coverage_and_shelters_tables(busy):
    coverage = {r.get("#x_language"): r for r in parse(
        busy.get("/exports/volunteer-coverage.csv").data)}
    assert coverage["vi"].get("#affected+num+foreign") == "12"
    assert coverage["vi"].get("#capacity+num+volunteers+checked_in") == "1"
    assert coverage["zh-Hans"].get("#capacity+num+volunteers") == "0"
    text = busy.get("/exports/volunteer-coverage.csv").get_data(as_text=True)
    assert "Nguyen" not in text and "090" not in text
    shelters = {r.get("#loc+code"): r for r in parse(busy.get("/exports/shelters.csv").data)}
    kamimizo = shelters[KAMIMIZO]
    assert kamimizo.get("#affected+num") == "200"
    assert kamimizo.get("#affected+num+foreign+lang_zh_hans") == "5"
    assert kamimizo.get("#adm2+name") == "Chuo-ku"
