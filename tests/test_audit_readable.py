"""The audit log page reads as words: actions as short phrases, details as
"field: old → new" in the reader's language, never JSON; what people typed stays text.
The CSV keeps the JSON, for machines."""

import csv
import io
import json
import re

import pytest

from disaster_support.audit import describe
from disaster_support.audit.describe import Change
from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.shelters import registry

from conftest import KAMIMIZO, csrf_token

ACTOR = Actor("test", "coordinator", "test")
TYPED = '<script>alert("x")</script>'


@pytest.fixture
def english(app):
    with app.test_request_context("/?lang=en"):
        yield


def table(html):
    """The log's rows as the reader sees them: text, one line per row."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def record_need(db, note=None, client_id="audit-need-0001"):
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    need, _ = needs.record_need(db, KAMIMIZO, {
        "client_id": client_id, "category": "water", "language": "vi", "people": 3,
        **({"note": note} if note else {})}, actor=ACTOR)
    return need


# --- The domain function: plain values in, words out -----------------------------

def test_a_status_change_reads_old_to_new_with_the_reason(english):
    entry = describe.describe("need", "status", {"status": "open"},
                              {"status": "matched", "reason": "volunteer found"})
    assert entry.action == "Need status changed"
    assert entry.changes == (Change("Status", "Open", "Matched"),
                             Change("Reason", None, "volunteer found"))


def test_codes_read_by_the_apps_own_labels(english):
    created = describe.describe("need", "create", after={
        "shelter_id": KAMIMIZO, "category": "water", "language": "vi", "people": 3,
        "urgency": "critical", "note": None})
    assert created.action == "Need recorded"
    assert [(c.label, c.new) for c in created.changes] == [
        ("What is needed", str(describe.label_of_category("water"))),
        ("Language", "Vietnamese"), ("Number of people", "3"), ("Urgency", "Critical"),
        ("Shelter", KAMIMIZO)]  # in the form's order; no "Note: —" for a note not given
    shelter = describe.describe("shelter", "update",
                                {"status": "closed", "food_halal": "0", "languages.vi": "0"},
                                {"status": "open", "food_halal": "1", "languages.vi": "3"})
    assert shelter.action == "Shelter updated"
    assert shelter.changes == (
        Change("Status", "Closed", "Open"),
        Change("Foreign evacuees by language: Tiếng Việt", "0", "3"),
        Change("Halal food", "no", "yes"))
    user = describe.describe("user", "update",
                             {"role": "shelter_staff", "shelters": ["A"], "disabled": 0},
                             {"role": "coordinator", "shelters": [], "disabled": 1})
    assert user.changes == (Change("Role", "Shelter staff", "Coordinator"),
                            Change("Shelters", "A", "—"),
                            Change("Account", "active", "disabled"))


def test_only_what_changed_is_listed(english):
    before = {"name": "Lan", "ward": "midori", "max_assignments": 2,
              "languages": {"vi": "native"}, "skills": ["interpretation"]}
    after = {**before, "ward": "minami", "languages": {"vi": "native", "ja": "fluent"}}
    entry = describe.describe("volunteer", "update", before, after,
                              wards={"midori": "Midori-ku", "minami": "Minami-ku"})
    assert entry.changes == (
        Change("Home ward", "Midori-ku", "Minami-ku"),
        Change("Languages", "Vietnamese (native)", "Vietnamese (native), Japanese (fluent)"))


def test_a_notice_reads_by_its_slots_and_where_it_is_shown(english):
    changed = describe.describe("notice", "update", {"slots": {"place": "Gym", "time": "15:00"}},
                                {"slots": {"place": "Hall", "time": "15:00"}})
    assert changed.changes == (Change("Place", "Gym", "Hall"),)
    published = describe.describe("notice", "publish", {"status": "draft"}, {
        "area_kind": "wards", "area": ["midori", "chuo"], "valid_from": None,
        "valid_until": None}, wards={"midori": "Midori-ku", "chuo": "Chuo-ku"})
    assert published.action == "Notice published"
    assert published.changes == (Change("Status", "Draft", "Published"),
                                 Change("Where", None, "Midori-ku, Chuo-ku"))
    everywhere = describe.describe("notice", "publish", None, {"area_kind": "all", "area": []})
    assert everywhere.changes == (Change("Where", None, "Whole city"),)


def test_unknown_actions_and_nested_values_read_as_plain_text(english):
    entry = describe.describe("gadget", "frobnicate", None, {
        "deep_value": {"a": [1, {"b": "c"}], "ok": True}, "files": [["x.csv", 3]]})
    assert entry.action == "frobnicate"
    assert entry.changes == (Change("Deep value", None, "a: 1, (b: c); ok: yes"),
                             Change("Files", None, "(x.csv, 3)"))
    # an entry not written as JSON, or of a shape the words do not expect, is still shown
    row = {"entity": "need", "action": "status", "before": "not json",
           "after": '{"status": ["open", {"x": 1}], "valid_until": "soon"}'}
    described = describe.describe_row(row)
    assert described.changes == (Change("Status", None, "open, (x: 1)"),
                                 Change("Valid until", None, "soon"),
                                 Change("Details", "not json", "—"))
    assert describe.describe("user", "sign_in").changes == ()


def test_a_long_value_is_cut_on_the_page(english):
    entry = describe.describe("notice", "translate", None, {"body": "あ" * 2000})
    assert entry.changes[0].new == "あ" * 199 + "…"


def test_the_readers_language(app):
    with app.test_request_context("/?lang=ja"):
        entry = describe.describe("need", "status", {"status": "open"}, {"status": "matched"})
        label, old, new = entry.changes[0].label, entry.changes[0].old, entry.changes[0].new
        assert (label, old, new) == (str(needs.FIELD_LABELS["status"]),
                                     str(needs.STATUSES["open"]), str(needs.STATUSES["matched"]))
        assert label != "Status" and old != "Open"


# --- The page ------------------------------------------------------------------

def test_the_page_shows_a_need_status_change_in_words(coordinator, db):
    need = record_need(db)
    url = f"/needs/{need['id']}"
    response = coordinator.post(f"{url}/status", data={
        "csrf_token": csrf_token(coordinator, url), "status": "matched"})
    assert response.status_code in (302, 303)
    html = coordinator.get("/audit?entity=need&lang=en").get_data(as_text=True)
    rows = table(html)
    changed = next(r for r in rows if "Need status changed" in r)
    assert "Status: Open → Matched" in changed and f"need {need['id']}" in changed
    recorded = next(r for r in rows if "Need recorded" in r)
    assert "Language: Vietnamese" in recorded and "Number of people: 3" in recorded
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert '{"' not in body and "&#34;" not in body and "}" not in body
    # the CSV keeps the JSON for machines
    export = coordinator.get("/audit.csv?entity=need&action=status").get_data(as_text=True)
    entry = next(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert json.loads(entry["before"]) == {"status": "open"}
    assert json.loads(entry["after"]) == {"status": "matched"}


def test_what_people_typed_stays_text(coordinator, db):
    need = record_need(db, note=TYPED)
    needs.update_need(db, need["id"], {"note": "<b>bold</b>"}, actor=ACTOR)
    html = coordinator.get("/audit?entity=need&lang=en").get_data(as_text=True)
    assert TYPED not in html and "<b>bold" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert f"Note: {escaped} → &lt;b&gt;bold&lt;/b&gt;" in html  # changed
    assert f"Note: {escaped}</li>" in html  # as recorded


def test_an_unknown_entry_shows_as_recorded_with_the_day_filter(coordinator, db):
    db.execute("INSERT INTO audit (at, actor, via, action, entity, entity_id, before, after) "
               "VALUES ('2026-11-30T16:00:00+00:00', 'sato', 'form', 'frobnicate', 'gadget', "
               "'G1', NULL, ?)", ['{"size": {"w": 3}}'])
    html = coordinator.get("/audit?actor=sato&since=2026-12-01&lang=en").get_data(as_text=True)
    [row] = table(html)
    assert row.endswith("sato (—, form) frobnicate gadget G1 Size: w: 3")
