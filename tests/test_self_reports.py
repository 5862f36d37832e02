"""Evacuees report needs from their own phones (issue 19 item 3), over real HTTP on the
real app: a report arrives unverified, in its own lane, is confirmed (counted once),
merged or dismissed; the question and the rate limits keep a bounded flood out; a
call-back number is seen by coordinators only and removed by ``purge``."""

import datetime
import re

import pytest

from disaster_support import create_app
from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.needs import situation
from disaster_support.reports import records, review
from disaster_support.shelters import registry
from disaster_support.text import _l
from disaster_support.vocabulary import languages

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")
REPORT = f"/board/{KAMIMIZO}/report"
PHONE = "090-1234-5678"


@pytest.fixture
def coordinator(app, people):
    """The coordinator, reading English (the flashed messages are checked in English)."""
    client = sign_in(app.test_client(), "coordinator")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def opened(people, db):
    """Kamimizo open (the fixture's shelters are closed)."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    return people


def fresh_form(client, path=REPORT, lang="en"):
    """The hidden fields and the right answer of the report page, as a person reads it."""
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    a, b = re.search(r'id="challenge-question"[^>]*>(\d+) \+ (\d+)<', page).groups()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return {**hidden, "answer": str(int(a) + int(b))}


def send(client, path=REPORT, lang="en", json=False, form=None, **values):
    form = form or fresh_form(client, path, lang)
    data = {**form, "category": "water", "language": "vi", "people": "2", **values}
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"{path}?lang={lang}", data=data, headers=headers), data


def need_by_client_id(db, client_id):
    rows = list(db.query("SELECT * FROM need WHERE client_id = ?", [client_id]))
    assert len(rows) <= 1
    return rows[0] if rows else None


def totals(db):
    table = situation.need_table(db)["total"]
    return table["needs"], table["people"], tuple(needs.count_needs(db))


def text(response):
    return response.get_data(as_text=True)


def in_language(app, tag, message):
    """A message as the app says it to a reader of ``tag``."""
    with app.test_request_context(f"/?lang={tag}"):
        return str(message)


# --- Arrives unverified, confirmed, counted once -----------------------------------------

def test_a_report_arrives_unverified_is_confirmed_and_counted_once(app, opened, db,
                                                                   coordinator):
    public = app.test_client()
    board = text(public.get(f"/board/{KAMIMIZO}?lang=en"))
    assert f'href="/board/{KAMIMIZO}/report?lang=en"' in board
    assert 'href="/board/report?lang=en"' in text(public.get("/board?lang=en"))
    before = totals(db)

    response, sent = send(public, people="3")
    assert response.status_code == 200
    page = text(response)
    assert "not yet verified" in page and "119" in page and "110" in page
    need = need_by_client_id(db, sent["client_id"])
    assert (need["status"], need["origin"], need["people"], need["shelter_id"]) == (
        "reported", "self_report", 3, KAMIMIZO)
    # unverified: no count, no queue, no API list sees it
    assert totals(db) == before
    assert need["id"] not in [n["id"] for n in needs.list_needs(db, limit=0)]
    listed = coordinator.get("/api/v1/needs?limit=1000").get_json()["needs"]
    assert need["id"] not in [n["id"] for n in listed]

    # sent again (the phone's retry, a double tap): the same report, nothing new
    again = public.post(f"{REPORT}?lang=en", data=sent)
    assert again.status_code == 200 and "already received" in text(again)
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] == 1

    # in its own lane, for coordinators only
    lane = text(coordinator.get("/reports/"))
    assert f'data-report="{need["id"]}"' in lane
    assert public.get("/reports/").status_code == 302  # to the sign-in page
    assert [r["id"] for r in review.reported_needs(db)] == [need["id"]]

    token = csrf_token(coordinator, "/reports/")
    confirmed = coordinator.post(f"/reports/{need['id']}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/needs")
    assert needs.get_need(db, need["id"])["status"] == "open"
    after = totals(db)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 3
    assert after[2] == (before[2][0] + 1, before[2][1] + 3)
    # confirmed twice: still one need, and the coordinator is told
    twice = coordinator.post(f"/reports/{need['id']}/confirm",
                             data={"csrf_token": token, "back": "/reports/"},
                             follow_redirects=True)
    assert "not a report waiting to be verified" in text(twice)
    assert totals(db) == after
    assert review.reported_needs(db) == []
    steps = [(e["from_status"], e["to_status"]) for e in needs.need_events(db, need["id"])]
    assert steps == [(None, "reported"), ("reported", "open")]


def test_the_json_answers_of_the_phone_script_are_exactly_once(app, opened, db):
    public = app.test_client()
    first, sent = send(public, json=True)
    assert first.status_code == 201 and first.get_json()["created"] is True
    again = public.post(f"{REPORT}?lang=en", data=sent, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert db.execute("SELECT count(*) FROM need WHERE client_id = ?",
                      [sent["client_id"]]).fetchone()[0] == 1
    bad, _ = send(public, json=True, category="nothing")
    assert bad.status_code == 400 and "What is needed" in bad.get_json()["errors"]["category"]


def test_the_city_wide_page_reports_to_the_wards_people_at_home(app, opened, db):
    public = app.test_client()
    page = text(public.get("/board/report?lang=en"))
    assert 'name="ward" value="chuo"' in page
    missing, _ = send(public, "/board/report")
    assert missing.status_code == 400 and "Ward: choose one of the city" in text(missing)
    first, sent = send(public, "/board/report", ward="chuo")
    assert first.status_code == 200
    need = need_by_client_id(db, sent["client_id"])
    place = registry.get_shelter(db, need["shelter_id"])
    assert (place["kind"], place["ward"], need["status"]) == ("at_home", "chuo", "reported")
    _, other = send(public, "/board/report", ward="chuo", category="food")
    assert need_by_client_id(db, other["client_id"])["shelter_id"] == place["id"]  # one group


# --- Merge and dismiss -------------------------------------------------------------------

def test_merge_moves_the_call_back_and_dismiss_counts_nowhere(app, opened, db, coordinator):
    known = opened["need"]  # open, at Kamimizo: food for two Vietnamese speakers
    public = app.test_client()
    _, sent = send(public, category="food", callback="1", phone=PHONE, consent="1")
    report = need_by_client_id(db, sent["client_id"])
    lane = text(coordinator.get("/reports/"))
    assert f'<option value="{known}">' in lane  # offered: same place, same category
    before = totals(db)
    token = csrf_token(coordinator, "/reports/")

    for into, message in (("", "give the number of a need"),
                          (str(report["id"]), "choose another need"),
                          ("999999", "does not exist")):
        answer = coordinator.post(f"/reports/{report['id']}/merge",
                                  data={"csrf_token": token, "into": into},
                                  follow_redirects=True)
        assert message in text(answer)
    assert needs.get_need(db, report["id"])["status"] == "reported"

    merged = coordinator.post(f"/reports/{report['id']}/merge",
                              data={"csrf_token": token, "into": f"#{known}"})
    assert merged.status_code == 303
    report_now = needs.get_need(db, report["id"])
    assert report_now["status"] == "cancelled"
    assert needs.need_events(db, report["id"])[-1]["reason"] == f"merged into #{known}"
    assert needs.need_events(db, known)[-1]["reason"] == (
        f"report #{report['id']} merged into this need")
    assert records.callback_of(db, known)["phone"] == PHONE
    assert records.callback_of(db, report["id"]) is None
    assert totals(db) == before  # merged: counted nowhere

    _, spam = send(public, category="hygiene", callback="1", phone="03-1111-2222", consent="1")
    spam = need_by_client_id(db, spam["client_id"])
    dismissed = coordinator.post(f"/reports/{spam['id']}/dismiss",
                                 data={"csrf_token": token, "reason": "a joke"})
    assert dismissed.status_code == 303
    assert needs.get_need(db, spam["id"])["status"] == "cancelled"
    assert needs.need_events(db, spam["id"])[-1]["reason"] == "a joke"
    assert records.callback_of(db, spam["id"]) is None  # nobody will call
    assert totals(db) == before
    # a resolved need takes no merge: the report is confirmed instead
    _, late = send(public, category="food")
    late = need_by_client_id(db, late["client_id"])
    needs.transition(db, known, "resolved", actor=ACTOR)
    answer = coordinator.post(f"/reports/{late['id']}/merge",
                              data={"csrf_token": token, "into": str(known)},
                              follow_redirects=True)
    assert "merge only into a need not yet resolved" in text(answer)
    assert needs.get_need(db, late["id"])["status"] == "reported"


def test_only_reports_can_be_decided_in_the_lane(app, opened, db, coordinator):
    token = csrf_token(coordinator, "/reports/")
    answer = coordinator.post(f"/reports/{opened['need']}/dismiss",
                              data={"csrf_token": token}, follow_redirects=True)
    assert "not a report waiting to be verified" in text(answer)
    assert needs.get_need(db, opened["need"])["status"] == "open"
    assert coordinator.post("/reports/99999999/confirm",
                            data={"csrf_token": token}).status_code == 404


# --- The question --------------------------------------------------------------------------

def test_a_wrong_missing_replayed_or_expired_answer_is_refused(app, opened, db, monkeypatch):
    public = app.test_client()
    wrong, _ = send(public, answer="99")
    assert wrong.status_code == 400
    assert "Answer to the question: this is not the right answer" in text(wrong)
    missing, _ = send(public, answer="")
    assert "Answer to the question: required." in text(missing)
    tampered, _ = send(public, challenge="9999999999.AAAAAAAAAAAAAAAA." + "0" * 32)
    assert "not the right answer" in text(tampered)
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] == 0

    form = fresh_form(public)
    ok, _ = send(public, form=form)
    assert ok.status_code == 200
    replayed, _ = send(public, form={**form, "client_id": "another-report-1"})
    assert replayed.status_code == 400 and "already answered once" in text(replayed)
    # full-width digits, as a Japanese phone keyboard types them
    form = fresh_form(public)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in form["answer"])
    assert send(public, form={**form, "answer": wide})[0].status_code == 200

    form = fresh_form(public)
    later = datetime.datetime.now(datetime.timezone.utc) + records.CHALLENGE_TTL + \
        datetime.timedelta(minutes=1)
    monkeypatch.setattr(records, "NOW", lambda: later)
    expired, _ = send(public, form=form)
    assert expired.status_code == 400 and "the question has expired" in text(expired)
    # a queued report a day old still goes (the question lasts 24 h)
    monkeypatch.setattr(records, "NOW", lambda: later - datetime.timedelta(minutes=2))
    assert send(public, form=fresh_form(public))[0].status_code == 200


def test_refusals_name_the_field_in_the_readers_language(app, opened, db):
    public = app.test_client()
    for tag in ("vi", "ne", "ja"):
        response, _ = send(public, lang=tag, people="0", answer="1000")
        page = text(response)
        assert response.status_code == 400 and f'<html lang="{tag}">' in page
        people = in_language(app, tag, records.FIELD_LABELS["people"])
        assert people in page
        expected = in_language(app, tag, _l(
            "%(field)s: a whole number from 1 to %(max)s.", field=records.FIELD_LABELS["people"],
            max=records.MAX_PEOPLE))
        assert expected in page.replace("&#34;", '"')
        assert in_language(app, tag, records.FIELD_LABELS["answer"]) in page
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] == 0
    # the Vietnamese label is not the English one: the catalog said it
    assert in_language(app, "vi", records.FIELD_LABELS["people"]) != "Number of people"


# --- The limits ---------------------------------------------------------------------------------

def accepted_of(responses):
    return sum(r.status_code == 200 for r in responses)


def test_one_phone_is_limited_under_a_flood(app, opened, db):
    public = app.test_client()
    answers = [send(public)[0] for _ in range(50)]
    assert accepted_of(answers) == records.PER_DEVICE
    refused = [r for r in answers if r.status_code != 200]
    assert {r.status_code for r in refused} == {429}
    assert "Too many reports from this phone or network" in text(refused[0])
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] \
        == records.PER_DEVICE
    # the phone script is told so too
    answer, _ = send(public, json=True)
    assert answer.status_code == 429 and "Too many reports" in answer.get_json()["error"]


def test_one_address_is_limited_whatever_its_cookies(app, opened, db):
    answers = []
    for _ in range(50):
        public = app.test_client()  # a new device cookie for every report
        answers.append(send(public)[0])
    assert accepted_of(answers) == records.PER_ADDRESS
    # without any device cookie the address stands for the device
    bare = app.test_client()
    bare.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    results = []
    for _ in range(10):
        form = fresh_form(bare)
        bare.delete_cookie(records.DEVICE_COOKIE)
        results.append(send(bare, form=form)[0])
    assert accepted_of(results) == records.PER_DEVICE


def test_one_device_is_limited_from_many_addresses(app, opened, db):
    public = app.test_client()
    answers = []
    for n in range(30):
        public.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        answers.append(send(public)[0])
    assert accepted_of(answers) == records.PER_DEVICE
    # IPv6: a phone's addresses in one /64 are one address
    keys = {records.keys(f"2001:db8:1:2::{n:x}", None, secret="k") for n in range(1, 9)}
    assert len(keys) == 1


def test_a_place_takes_a_bounded_number_from_everyone(app, opened, db, monkeypatch):
    monkeypatch.setattr(records, "PER_PLACE", 8)
    answers = []
    for n in range(12):
        public = app.test_client()
        public.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        answers.append(send(public)[0])
    assert accepted_of(answers) == 8
    assert "Too many reports are waiting" in text(answers[-1])
    registry.update_shelter(db, YOKOYAMA, {"status": "open"}, actor=ACTOR)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    assert send(other, f"/board/{YOKOYAMA}/report")[0].status_code == 200  # another place


def test_the_lane_has_a_capacity_and_the_window_ends(app, opened, db, monkeypatch):
    monkeypatch.setattr(records, "LANE_CAPACITY", 3)
    answers = []
    for n in range(5):
        public = app.test_client()
        public.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        answers.append(send(public)[0])
    assert accepted_of(answers) == 3 and answers[-1].status_code == 429
    monkeypatch.setattr(records, "LANE_CAPACITY", 300)

    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    assert accepted_of([send(phone)[0] for _ in range(8)]) == records.PER_DEVICE
    later = datetime.datetime.now(datetime.timezone.utc) + records.WINDOW + \
        datetime.timedelta(minutes=1)
    monkeypatch.setattr(records, "NOW", lambda: later)
    assert send(phone)[0].status_code == 200  # an hour later the phone may report again
    # and only the window is kept
    oldest = db.execute("SELECT min(at) FROM report_attempt").fetchone()[0]
    assert oldest >= (later - records.WINDOW).isoformat()[:19]


def test_guessing_the_answer_is_limited(app, opened, db, monkeypatch):
    monkeypatch.setattr(records, "ATTEMPTS_PER_ADDRESS", 5)
    public = app.test_client()
    answers = [send(public, answer="0")[0] for _ in range(8)]
    assert [r.status_code for r in answers] == [400] * 5 + [429] * 3
    assert send(public)[0].status_code == 429  # a right answer from there too, for now


# --- Call-back numbers -----------------------------------------------------------------------

def test_a_call_back_number_needs_consent_and_a_number(app, opened, db):
    public = app.test_client()
    no_consent, _ = send(public, callback="1", phone=PHONE)
    assert no_consent.status_code == 400
    assert "Consent to be called back: tick the box" in text(no_consent)
    no_number, _ = send(public, callback="1", consent="1")
    assert "Phone number: write the number" in text(no_number)
    not_a_number, _ = send(public, callback="1", phone="12", consent="1")
    assert "Phone number: digits, spaces" in text(not_a_number)
    in_the_note, _ = send(public, note=f"call me {PHONE}")
    assert "Note: this looks like a phone number" in text(in_the_note)
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM need_callback").fetchone()[0] == 0
    page = text(public.get(f"{REPORT}?lang=en"))
    assert "deleted after the disaster" in page and "coordinators" in page


def test_a_call_back_number_is_for_coordinators_only_and_purged(app, opened, db, coordinator,
                                                                cli):
    public = app.test_client()
    done, sent = send(public, callback="1", phone="０９０ー１２３４ー５６７８", consent="1")
    assert done.status_code == 200 and "call you back in Tiếng Việt" in text(done)
    need = need_by_client_id(db, sent["client_id"])
    assert need["note"] is None
    assert records.callback_of(db, need["id"])["phone"] == PHONE  # digits made plain
    assert PHONE not in text(done)

    lane = text(coordinator.get("/reports/"))
    assert PHONE in lane
    # never on public pages, exports, the API or the audit log
    for url in (f"/board/{KAMIMIZO}?lang=en", "/board?lang=en", f"{REPORT}?lang=en",
                "/board/report?lang=en", "/board/map"):
        assert PHONE not in text(public.get(url)), url
    token = csrf_token(coordinator, "/reports/")
    coordinator.post(f"/reports/{need['id']}/confirm", data={"csrf_token": token})
    for url in ("/exports/needs.csv", "/exports/shelters.csv",
                "/exports/volunteer-coverage.csv", "/api/v1/needs?limit=1000&status=all",
                f"/api/v1/needs/{need['id']}", "/api/v1/situation", "/audit", "/audit.csv"):
        response = coordinator.get(url)
        assert response.status_code == 200, url
        body = text(response)
        assert PHONE not in body and "09012345678" not in body, url

    result = cli("purge", "--yes")
    assert result.exit_code == 0, result.output
    assert "call-back numbers of evacuees' reports: 1" in result.output
    assert db.execute("SELECT count(*) FROM need_callback").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM report_attempt").fetchone()[0] == 0
    everything = "\n".join(db.conn.iterdump())
    assert PHONE not in everything and "09012345678" not in everything  # nowhere at all
    assert needs.get_need(db, need["id"])["status"] == "open"  # the need itself stays


# --- Hostile and broken input --------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_hostile_input_is_escaped_everywhere(app, opened, db, coordinator):
    public = app.test_client()
    done, sent = send(public, note=SCRIPT)
    assert done.status_code == 200
    need = need_by_client_id(db, sent["client_id"])
    assert need["note"] == SCRIPT
    for page in (text(coordinator.get("/reports/")), text(coordinator.get("/needs?status=all")),
                 text(coordinator.get(f"/needs/{need['id']}"))):
        assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(coordinator.get("/reports/"))

    for field, value in (("phone", SCRIPT), ("category", SCRIPT), ("language", SCRIPT),
                         ("people", SCRIPT), ("client_id", SCRIPT)):
        response, _ = send(public, **{field: value, "callback": "1", "consent": "1",
                                      **({} if field == "phone" else {"phone": PHONE})})
        assert response.status_code == 400, field
        assert SCRIPT not in text(response), field
    city, _ = send(public, "/board/report", ward=SCRIPT)
    assert city.status_code == 400 and SCRIPT not in text(city)
    assert db.execute("SELECT count(*) FROM need_callback").fetchone()[0] == 0


def test_broken_requests_never_fail_the_server(app, opened, db):
    public = app.test_client()
    assert public.get("/board/NO-SUCH-PLACE/report").status_code == 404
    assert public.post(f"{REPORT}?lang=en", data={}).status_code == 400  # no CSRF token
    form = fresh_form(public)
    for data in ({"csrf_token": form["csrf_token"]},
                 {**form, "people": "9" * 40, "category": "water", "language": "vi"},
                 {**form, "note": "x" * 5000, "category": "water", "language": "vi",
                  "people": "1"},
                 {**form, "challenge": "..", "category": "water", "language": "vi",
                  "people": "1"},
                 {**form, "answer": "9" * 5000, "category": "water", "language": "vi",
                  "people": "1"}):
        response = public.post(f"{REPORT}?lang=en", data=data)
        assert response.status_code == 400, (data, response.status_code)
    assert db.execute("SELECT count(*) FROM need WHERE origin = 'self_report'").fetchone()[0] == 0


def test_a_closed_place_refuses_reports_with_a_clear_message(app, people, db):
    public = app.test_client()  # Kamimizo is closed in the fixture
    page = text(public.get(f"{REPORT}?lang=en"))
    assert "This place is closed" in page and 'id="report-form"' not in page
    form = {**fresh_form(public, "/board/report"), "client_id": "closed-place-1"}
    response, _ = send(public, form=form)
    assert response.status_code == 400 and "is closed" in text(response)
    assert need_by_client_id(db, "closed-place-1") is None


def test_every_language_gets_the_page_and_a_city_without_wards_no_city_wide_one(
        app, opened, tmp_path, kanazawa_city):
    public = app.test_client()
    for tag in languages():
        response = public.get(f"{REPORT}?lang={tag}")
        assert response.status_code == 200, tag
        page = text(response)
        assert f'<html lang="{tag}">' in page
        assert re.search(rf'name="language" value="{re.escape(tag)}" required checked', page)
    other = create_app({"TESTING": True, "CITY_DIR": str(kanazawa_city)},
                       instance_path=tmp_path / "kanazawa-instance").test_client()
    assert other.get("/board/report").status_code == 404
    assert "/board/report" not in text(other.get("/board?lang=en"))
