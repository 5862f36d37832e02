"""Whatever a request carries, the answer is a 4xx that names the field, nothing is
written and nothing is logged as an error: numbers SQLite cannot hold, numbers Python
will not convert (over 4,300 digits), lists or objects where the API expects text,
JSON nested 100,000 deep, a lone surrogate in a note, an over-long CSV field."""

import io
import json
import logging

import pytest

from disaster_support.accounts import users
from disaster_support.audit.log import Actor
from disaster_support.needs import records
from disaster_support.shelters import registry

from conftest import KAMIMIZO, csrf_token

ACTOR = Actor("test", "coordinator", "test")
HUGE = "99999999999999999999"    # past SQLite's 64-bit integers
DIGITS = "9" * 5000              # past Python's 4,300-digit limit for int()
DEEP = "[" * 100_000 + "]" * 100_000
TABLES = ("need", "need_event", "shelter", "shelter_change", "shelter_language", "audit",
          "volunteer", "volunteer_language", "volunteer_availability", "user")


def snapshot(db):
    """Rows and last change of every table a refused request could write."""
    return {t: db.execute(f"SELECT count(*), max(rowid) FROM [{t}]").fetchone()
            for t in TABLES} | {"shelter_state": db.execute(
                "SELECT group_concat(updated_at) FROM shelter").fetchone()}


def as_json(values):
    """The body, with "DIGITS" as a JSON number of 5,000 digits (which Python itself
    cannot write: str() of such an int is refused too)."""
    return json.dumps(values).replace('"DIGITS"', DIGITS)


def in_english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def setting(app, people, db):
    """Kamimizo open, its need resolved (reopening it needs a reason)."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "100"}, actor=ACTOR)
    records.transition(db, people["need"], "resolved", actor=ACTOR)
    return people


@pytest.fixture
def tablet(app, setting):
    client = in_english(app.test_client())
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {setting['device_token']}"
    client.people = setting
    return client


@pytest.fixture
def signed_in(coordinator, setting):
    return in_english(coordinator)


def refused(response, field, db, before, caplog, status=400):
    """The request was answered with ``status``, a message naming ``field``, nothing
    written and no error logged."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert field in text, text[:2000]
    assert snapshot(db) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-2000:]


# --- Before sign-in ------------------------------------------------------------------

def test_a_need_id_past_sqlite_is_no_need_before_sign_in(app, setting, db, caplog):
    anonymous = in_english(app.test_client())
    before = snapshot(db)
    # no route takes an id SQLite cannot hold: no such page, before any access check
    refused(anonymous.get(f"/needs/{HUGE}"), "There is no such page.", db, before, caplog,
            status=404)
    refused(anonymous.get(f"/api/v1/needs/{HUGE}"), "There is no such page.", db, before,
            caplog, status=404)


# --- Ids in the address: no such record ------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", f"/needs/{HUGE}"),
    ("post", f"/needs/{HUGE}/status"),
    ("post", f"/needs/{HUGE}/answer"),
    ("get", f"/volunteers/{HUGE}"),
    ("post", f"/volunteers/{HUGE}"),
    ("post", f"/volunteers/{HUGE}/presence"),
    ("post", f"/assignments/{HUGE}/confirm"),
])
def test_an_id_past_sqlite_in_a_page_address_is_not_found(signed_in, db, caplog, method, url):
    before = snapshot(db)
    data = {"csrf_token": csrf_token(signed_in, "/needs"), "status": "resolved"}
    response = getattr(signed_in, method)(url, **({"data": data} if method == "post" else {}))
    refused(response, "There is no such page.", db, before, caplog, status=404)


@pytest.mark.parametrize("method", ["get", "patch"])
def test_an_id_past_sqlite_in_the_api_is_no_need(app, tablet, db, caplog, method):
    center = in_english(app.test_client())
    token = users.create_token(db, tablet.people["coordinator"], actor=ACTOR, label="test")
    center.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    before = snapshot(db)
    body = {"json": {"note": "x"}} if method == "patch" else {}
    # no route takes an id SQLite cannot hold: the same answer for everyone
    for client in (center, tablet):
        response = getattr(client, method)(f"/api/v1/needs/{HUGE}", **body)
        refused(response, "There is no such page.", db, before, caplog, status=404)


# --- Numbers in query strings and forms ----------------------------------------------

@pytest.mark.parametrize("url, field", [
    (f"/needs?page={HUGE}", "Page: a whole number from 1 to 1,000,000."),
    (f"/needs?page={DIGITS}", "Page: a whole number from 1 to 1,000,000."),
    ("/needs?page=²", "Page: a whole number"),  # a digit to str.isdigit, not to int()
    (f"/shelters/?page={HUGE}", "Page: a whole number from 1 to 1,000,000."),
    (f"/shelters/?page={DIGITS}", "Page: a whole number from 1 to 1,000,000."),
])
def test_a_page_number_out_of_range_is_named(signed_in, db, caplog, url, field):
    before = snapshot(db)
    refused(signed_in.get(url), field, db, before, caplog)


@pytest.mark.parametrize("query, field", [
    (f"offset={HUGE}", "offset: a whole number from 0 to 9,223,372,036,854,775,807."),
    (f"offset={DIGITS}", "offset: a whole number from 0 to"),
    (f"limit={HUGE}", "limit: a whole number from 1 to 1,000."),
    (f"limit={DIGITS}", "limit: a whole number from 1 to 1,000."),
])
def test_limit_and_offset_out_of_range_are_named(tablet, db, caplog, query, field):
    before = snapshot(db)
    response = tablet.get(f"/api/v1/needs?{query}")
    refused(response, field, db, before, caplog)
    assert field.split(":")[0] in response.get_json()["errors"]


@pytest.mark.parametrize("ids", [[HUGE], [DIGITS], ["1", "²"]])
def test_bulk_ids_out_of_range_are_named(signed_in, db, caplog, ids):
    before = snapshot(db)
    response = signed_in.post("/needs/bulk", data={
        "csrf_token": csrf_token(signed_in, "/needs"), "ids": ids, "status": "cancelled"})
    refused(response, "Need: a whole number from 1 to", db, before, caplog)


@pytest.mark.parametrize("url, data, field", [
    (f"/shelters/{KAMIMIZO}", {"status": "open", "evacuees": DIGITS},
     "Evacuees in total: give a whole number"),
    (f"/shelters/{KAMIMIZO}/headcount", {"evacuees": DIGITS},
     "Evacuees in total: give a whole number"),
    (f"/shelters/{KAMIMIZO}/needs", {"client_id": "form-need-0001", "category": "food",
                                     "language": "vi", "people": DIGITS},
     "Number of people: a whole number from 1 to"),
    ("/volunteers", {"name": "Ana", "consent_date": "2026-11-01", "level-pt": "native",
                     "max_assignments": DIGITS}, "Assignments at the same time: a whole"),
    ("/volunteers", {"name": "Ana", "consent_date": "2026-11-01", "level-pt": "native",
                     "max_assignments": "²"}, "Assignments at the same time: a whole"),
    # the form shown again with what was typed (the availability as times)
    ("/volunteers", {"name": "Ana", "consent_date": "2026-11-01", "level-pt": "native",
                     "phone": "abc", "availability": "2026-11-26T09:00/2026-11-26T17:00"},
     "Phone: digits, spaces"),
    # Japan's midnight of 1 January of year 1 is in year 0 in UTC, which Python has not
    ("/volunteers", {"name": "Ana", "consent_date": "2026-11-01", "level-pt": "native",
                     "availability": "0001-01-01T00:00/0001-01-01T10:00"}, "Availability:"),
])
def test_numbers_in_forms_out_of_range_are_named(signed_in, db, caplog, url, data, field):
    before = snapshot(db)
    response = signed_in.post(url, data={**data, "csrf_token": csrf_token(signed_in, "/needs")})
    refused(response, field, db, before, caplog)


# --- JSON bodies -----------------------------------------------------------------------

NEW_NEED = {"client_id": "api-need-0001", "shelter_id": KAMIMIZO, "category": "food",
            "language": "vi", "people": 2}


@pytest.mark.parametrize("change, field", [
    ({"category": ["food"]}, "What is needed: choose one of the pictograms."),
    ({"category": {"food": 1}}, "What is needed: choose one of the pictograms."),
    ({"language": ["vi"]}, "Language: choose one of the listed languages."),
    ({"language": {}}, "Language: choose one of the listed languages."),
    ({"urgency": ["high"]}, "Urgency: choose critical, high, normal or low."),
    ({"urgency": []}, "Urgency: choose critical, high, normal or low."),
    ({"note": "Bitte \ud800"}, "Note: not valid Unicode text."),
    ({"people": "DIGITS"}, "Number of people: a whole number from 1 to 1,000."),
])
def test_a_new_need_with_a_value_of_the_wrong_kind_is_refused(tablet, db, caplog, change,
                                                              field):
    before = snapshot(db)
    body = as_json({**NEW_NEED, **change})
    response = tablet.post("/api/v1/needs", data=body, content_type="application/json")
    refused(response, field, db, before, caplog)


@pytest.mark.parametrize("change, field", [
    ({"status": ["open"], "reason": "back"}, "Status: choose one of: open, matched"),
    ({"status": {"open": True}}, "Status: choose one of: open, matched"),
    ({"status": "open", "reason": ["lost"]}, "Reason: text only."),
    ({"status": "open", "reason": "x", "expected_status": ["resolved"]},
     "expected_status: choose one of"),
    ({"note": "\ud800"}, "Note: not valid Unicode text."),
    ({"people": "DIGITS"}, "Number of people: a whole number from 1 to 1,000."),
])
def test_a_need_change_with_a_value_of_the_wrong_kind_is_refused(tablet, setting, db, caplog,
                                                                 change, field):
    before = snapshot(db)
    body = as_json(change)
    response = tablet.patch(f"/api/v1/needs/{setting['need']}", data=body,
                            content_type="application/json")
    refused(response, field, db, before, caplog)


@pytest.mark.parametrize("change, field", [
    ({"status": ["open"]}, "Status: choose one of: preparing, open, full, closed."),
    ({"status": {}}, "Status: choose one of: preparing, open, full, closed."),
    ({"staff_languages": [["vi"]]}, "Languages staff can use: choose from the listed"),
    ({"staff_languages": [{"vi": 1}]}, "Languages staff can use: choose from the listed"),
    ({"evacuees": 5, "expected": {"status": ["open"]}}, "Status: choose one of"),
    ({"evacuees": "DIGITS"}, "Evacuees in total: give a whole number of people"),
    ({"languages": {"vi": [[[[[[[[[[1]]]]]]]]]]}},
     "Foreign evacuees by language: nested more than 8 levels deep."),
])
def test_a_shelter_change_with_a_value_of_the_wrong_kind_is_refused(tablet, db, caplog,
                                                                    change, field):
    before = snapshot(db)
    body = as_json(change)
    response = tablet.patch(f"/api/v1/shelters/{KAMIMIZO}", data=body,
                            content_type="application/json")
    refused(response, field, db, before, caplog)


@pytest.mark.parametrize("method, url", [
    ("post", "/api/v1/needs"),
    ("patch", "/api/v1/needs/{need}"),
    ("patch", f"/api/v1/shelters/{KAMIMIZO}"),
])
def test_json_nested_100_000_deep_is_refused(tablet, setting, db, caplog, method, url):
    before = snapshot(db)
    response = getattr(tablet, method)(url.format(need=setting["need"]), data=DEEP,
                                       content_type="application/json")
    refused(response, "body: nested more than 8 levels deep.", db, before, caplog)
    assert "body" in response.get_json()["errors"]


def test_a_lone_surrogate_in_a_field_name_is_refused(tablet, db, caplog):
    before = snapshot(db)
    response = tablet.post("/api/v1/needs", data='{"n\\ud800te": "x"}',
                           content_type="application/json")
    refused(response, "not valid Unicode text", db, before, caplog)


# --- CSV files -------------------------------------------------------------------------

def test_a_volunteer_csv_field_over_the_csv_limit_names_its_line(signed_in, db, caplog):
    before = snapshot(db)
    data = ("name,consent_date,languages,note\n"
            "Ana,2026-11-01,pt:native,\n"
            f"Bui,2026-11-01,vi:native,{'x' * 131_073}\n").encode()
    response = signed_in.post("/volunteers/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(signed_in, "/needs"), "file": (io.BytesIO(data), "v.csv")})
    refused(response, "v.csv, line 3: broken CSV (field larger than field limit", db, before,
            caplog)
