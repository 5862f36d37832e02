"""The center's desk: consultations taken while on the phone, rumours answered by a
notice, and the shift hand-over sheet, through the real app on a temporary database."""

import datetime
import html
import io
import random
import re

import pytest

from disaster_support.audit.log import Actor
from disaster_support.db import utcnow
from disaster_support.desk import consultations, handover, help_requests, rumours
from disaster_support.needs import records as needs
from disaster_support.notices import records as notices
from disaster_support.personal_data import purge
from disaster_support.shelters import registry
from disaster_support.vocabulary import desk_vocabulary, languages

from conftest import KAMIMIZO, YOKOYAMA, csrf_token, sign_in

ACTOR = Actor("sato", "coordinator", "test")
OTHER = Actor("tanaka", "coordinator", "test")


@pytest.fixture
def desk(app, people):
    return sign_in(app.test_client(), "coordinator")


def take(client, **values):
    token = csrf_token(client, "/desk/")
    data = {"csrf_token": token, "client_id": "consult-0001", "channel": "phone",
            "language": "ne", "topic": "residence",
            "question": "My residence card expires next week; is the office open?", **values}
    return client.post("/desk/consultations?lang=en", data=data)


def taken(db, client_id="consult-0001"):
    """The id of the consultation a form recorded."""
    return db.execute("SELECT id FROM consultation WHERE client_id = ?",
                      [client_id]).fetchone()[0]


def test_a_consultation_is_taken_once_and_answered(desk, db):
    before = db.execute("SELECT count(*) FROM consultation").fetchone()[0]
    assert take(desk).status_code == 302
    assert take(desk).status_code == 302  # the same form sent twice
    assert db.execute("SELECT count(*) FROM consultation").fetchone()[0] == before + 1
    cid = taken(db)
    row = consultations.get_consultation(db, cid)
    assert (row["language"], row["topic"], row["status"], row["created_by"]) == (
        "ne", "residence", "open", "coordinator")
    page = desk.get("/desk/?lang=en").get_data(as_text=True)
    assert f'data-consultation="{cid}"' in page and "Waiting for an answer" in page
    token = csrf_token(desk, f"/desk/consultations/{cid}")
    answered = desk.post(f"/desk/consultations/{cid}?lang=en", data={
        "csrf_token": token, "answer": "Immigration extends cards after a disaster; "
        "we will call back when the office opens.", "referral": "immigration",
        "follow_up_due": "2026-12-04T10:00", "status": "follow_up"})
    assert answered.status_code == 302
    row = consultations.get_consultation(db, cid)
    assert (row["status"], row["referral"]) == ("follow_up", "immigration")
    assert row["follow_up_due"] == "2026-12-04T01:00:00+00:00"  # Japan time, kept in UTC
    queue = desk.get("/needs?lang=en").get_data(as_text=True)
    assert "2 consultations waiting at the desk" in queue  # and the fixture's


def test_bad_input_names_the_field_and_keeps_nothing(desk, db):
    response = take(desk, channel="pigeon", language="xx", question="",
                    contact_phone="090-1111-2222")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("How it came in: choose one of the list.",
                    "Language: choose one of the list.", "Question: required.",
                    "The person agreed that the center keeps this contact: tick it"):
        assert message in page
    assert db.execute("SELECT count(*) FROM consultation WHERE client_id = 'consult-0001'"
                      ).fetchone()[0] == 0
    personal = take(desk, question="Call Maya at 090-1234-5678 about her visa")
    assert personal.status_code == 400 and "Keep names and contact details out" in \
        personal.get_data(as_text=True)


def test_a_contact_only_with_consent_is_seen_by_coordinators_and_purged(desk, db, app):
    assert take(desk, contact_name="<b>Maya</b>", contact_phone="090-1234-5678",
                consent="1").status_code == 302
    cid = taken(db)
    page = desk.get(f"/desk/consultations/{cid}").get_data(as_text=True)
    assert "090-1234-5678" in page and "&lt;b&gt;Maya&lt;/b&gt;" in page
    audit = " ".join(r[0] or "" for r in db.execute("SELECT after FROM audit"))
    assert "090-1234-5678" not in audit and "Maya" not in audit
    assert sign_in(app.test_client(), "staff").get(f"/desk/consultations/{cid}"
                                                  ).status_code == 403
    removed = purge(db, actor=ACTOR)
    assert removed["contacts of consultations"] == 1
    assert "090-1234-5678" not in desk.get(f"/desk/consultations/{cid}").get_data(as_text=True)


def test_a_consultation_becomes_a_need_at_a_place_once(desk, db):
    registry.update_shelter(db, YOKOYAMA, {"status": "open"}, actor=ACTOR)
    take(desk, people="3")
    cid = taken(db)
    token = csrf_token(desk, f"/desk/consultations/{cid}")
    first = desk.post(f"/desk/consultations/{cid}/need",
                      data={"csrf_token": token, "place_id": YOKOYAMA, "category": "residence"})
    again = desk.post(f"/desk/consultations/{cid}/need",
                      data={"csrf_token": token, "place_id": YOKOYAMA, "category": "residence"})
    assert first.status_code == again.status_code == 302
    need_id = consultations.get_consultation(db, cid)["need_id"]
    need = needs.get_need(db, need_id)
    assert (need["shelter_id"], need["language"], need["people"], need["category"]) == (
        YOKOYAMA, "ne", 3, "residence")
    assert db.execute("SELECT count(*) FROM need WHERE client_id LIKE 'consultation-%'"
                      ).fetchone()[0] == 1


def test_a_rumour_is_answered_by_a_notice(desk, db):
    token = csrf_token(desk, "/desk/rumours")
    desk.post("/desk/rumours", data={"csrf_token": token, "source": "sns", "language": "vi",
                                     "text": "Foreigners are not allowed in the shelters"})
    rid = db.execute("SELECT max(id) FROM rumour").fetchone()[0]
    desk.post(f"/desk/rumours/{rid}/heard", data={"csrf_token": token, "source": "phone",
                                                  "language": "tl"})
    rumour = rumours.get_rumour(db, rid)
    assert (rumour["heard"], rumour["languages"], rumour["status"]) == (2, ["vi", "tl"],
                                                                        "checking")
    assert set(rumour["sources"]) == {"sns", "phone"}
    situation = desk.get("/situation?lang=en").get_data(as_text=True)
    assert "Foreigners are not allowed in the shelters" in situation
    refused = desk.post(f"/desk/rumours/{rid}/status?lang=en",
                        data={"csrf_token": token, "status": "false", "fact": ""})
    assert refused.status_code == 400 and "say what is true instead" in \
        refused.get_data(as_text=True)
    desk.post(f"/desk/rumours/{rid}/status", data={
        "csrf_token": token, "status": "false",
        "fact": "Every shelter takes everyone, whatever their nationality."})
    answered = desk.post(f"/desk/rumours/{rid}/answer", data={"csrf_token": token})
    notice_id = int(answered.headers["Location"].rsplit("/", 1)[1])
    notice = notices.get_notice(db, notice_id)
    assert notice["template_id"] == "rumour-false" and notice["state"] == "draft"
    assert "whatever their nationality" in notice["slots"]["note"]
    assert rumours.get_rumour(db, rid)["status"] == "answered"
    assert rid not in {r["id"] for r in rumours.list_rumours(db, active_only=True)}
    again = desk.post(f"/desk/rumours/{rid}/answer", data={"csrf_token": token})
    assert again.headers["Location"].endswith(f"/notices/{notice_id}")  # the same notice


def test_the_hand_over_lists_exactly_what_is_due(app, db, people):
    """Generated data: the sheet's items are computed here independently."""
    rng = random.Random(7)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    critical = set()
    for n in range(12):
        urgency = rng.choice(["critical", "high", "normal"])
        need, _ = needs.record_need(db, KAMIMIZO, {
            "client_id": f"handover-need-{n:03d}", "category": "water", "language": "vi",
            "people": 2, "urgency": urgency}, actor=ACTOR)
        if urgency == "critical":
            if rng.random() < 0.3:
                needs.transition(db, need["id"], "resolved", actor=ACTOR)
            else:
                critical.add(need["id"])
    due, waiting = set(), {people["consultation"]}
    city = app.extensions["city"]
    for n in range(10):
        hours = rng.choice([None, 2, 11, 13, 30])
        values = {"client_id": f"handover-c-{n:03d}", "channel": "phone", "language": "ne",
                  "topic": "housing", "question": f"Question {n}"}
        if hours is not None:
            values["follow_up_due"] = (now + datetime.timedelta(hours=hours)).isoformat()
        row, _ = consultations.record_consultation(db, values, city, actor=ACTOR)
        if hours is not None and hours <= handover.SHIFT_HOURS:
            due.add(row["id"])
        if hours is None:
            waiting.add(row["id"])
    active = {people["rumour"], rumours.log_rumour(db, {"text": "r1", "source": "sns"},
                                                   actor=ACTOR)}
    done = rumours.log_rumour(db, {"text": "r2", "source": "sns"}, actor=ACTOR)
    rumours.set_status(db, done, {"status": "false", "fact": "no"}, actor=ACTOR)
    rumours.answer(db, done, actor=ACTOR)
    items = handover.build_items(db, now)
    assert {r["id"] for r in items["critical_needs"]} == critical
    assert {r["id"] for r in items["follow_ups"]} == due
    assert {r["id"] for r in items["consultations"]} == waiting
    assert {r["id"] for r in items["rumours"]} == active
    assert [r["id"] for r in items["promises"]] == [people["visit"]]  # the fixture's visit
    assert any(n["id"] == notices.list_notices(db, states=("draft",))[0]["id"]
               for n in items["notices"])

    client = sign_in(app.test_client(), "coordinator")
    token = csrf_token(client, "/desk/handover")
    missing = client.post("/desk/handover?lang=en", data={"csrf_token": token})
    assert missing.status_code == 400 and "Shift: required." in missing.get_data(as_text=True)
    kept = client.post("/desk/handover", data={"csrf_token": token, "shift_label": "Night 1",
                                               "next_shift": "Tanaka, Nguyen",
                                               "notes": "Nepali interpreters are short"})
    sheet_url = kept.headers["Location"]
    sheet = handover.get_handover(db, int(sheet_url.rsplit("/", 1)[1]))
    assert {r["id"] for r in sheet["items"]["follow_ups"]} == due
    page = client.get(sheet_url + "?lang=en").get_data(as_text=True)
    assert "Nepali interpreters are short" in page and "not yet acknowledged" in page
    own = client.post(sheet_url + "/acknowledge?lang=en", data={"csrf_token": token})
    assert own.status_code == 400  # the writer does not acknowledge their own sheet
    incoming = sign_in(app.test_client(), "admin")
    token = csrf_token(incoming, sheet_url)
    assert incoming.post(sheet_url + "/acknowledge", data={"csrf_token": token}
                         ).status_code == 302
    sheet = handover.get_handover(db, sheet["id"])
    assert sheet["acknowledged_by"] == "admin" and sheet["acknowledged_at"]
    # the sheet is what was handed over: later changes do not rewrite it
    consultations.record_consultation(db, {
        "client_id": "handover-late-1", "channel": "phone", "language": "ne", "topic": "work",
        "question": "late", "follow_up_due": utcnow()}, city, actor=ACTOR)
    assert {r["id"] for r in handover.get_handover(db, sheet["id"])["items"]["follow_ups"]} \
        == due


def test_hostile_text_is_escaped_on_every_desk_page(desk, db, app):
    take(desk, question="<script>alert(1)</script>")
    rumours.log_rumour(db, {"text": "<img src=x onerror=alert(2)>", "source": "sns"},
                       actor=ACTOR)
    for url in ("/desk/", f"/desk/consultations/{taken(db)}", "/desk/rumours",
                "/desk/handover", "/situation"):
        page = desk.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url


def test_the_daily_report_counts_what_the_data_says(app, db, people, desk):
    """One day in Japan time (30 November): the figures, worked out here by hand."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": 50,
                                           "languages": {"vi": 7, "ne": 3}}, actor=ACTOR)

    def need(client_id, at, category="water", language="vi", origin="staff"):
        return needs.record_need(db, KAMIMIZO, {
            "client_id": client_id, "category": category, "language": language,
            "people": 2}, actor=ACTOR, at=at, origin=origin)[0]["id"]

    a = need("daily-need-a", "2026-11-30T01:00:00+00:00")                 # 10:00 in Japan
    needs.transition(db, a, "in_progress", actor=ACTOR, at="2026-11-30T01:30:00+00:00")
    needs.transition(db, a, "resolved", actor=ACTOR, at="2026-11-30T03:00:00+00:00")
    need("daily-need-b", "2026-11-30T05:00:00+00:00", category="food", language="ne")
    c = need("daily-need-c", "2026-11-29T10:00:00+00:00")                 # the day before
    needs.transition(db, c, "resolved", actor=ACTOR, at="2026-11-30T02:00:00+00:00")
    d = need("daily-need-d", "2026-11-30T14:00:00+00:00")                 # 23:00 in Japan
    needs.transition(db, d, "matched", actor=ACTOR, at="2026-11-30T16:00:00+00:00")  # next day
    need("daily-need-e", "2026-11-30T06:00:00+00:00", origin="self_report")  # never confirmed
    city = app.extensions["city"]
    for n, (at, topic, language) in enumerate([
            ("2026-11-30T00:30:00+00:00", "residence", "ne"),
            ("2026-11-30T08:00:00+00:00", "residence", "ne"),
            ("2026-11-30T09:00:00+00:00", "work", "vi"),
            ("2026-11-30T15:30:00+00:00", "work", "vi")]):          # 00:30 the next day
        consultations.record_consultation(db, {
            "client_id": f"daily-consult-{n}", "channel": "phone", "language": language,
            "topic": topic, "question": "q"}, city, actor=ACTOR, at=at)

    report = desk.get("/desk/daily.csv?day=2026-11-30&hxl=1").get_data(as_text=True)
    lines = report.splitlines()
    assert lines[1].startswith("#date,#indicator+name")
    figures = {tuple(line.split(",")[1:6]): int(line.split(",")[6]) for line in lines[2:]}
    assert figures[("needs_opened", "vi", "water", "", "")] == 2      # a and d
    assert figures[("needs_opened", "ne", "food", "", "")] == 1       # b
    assert figures[("needs_resolved", "vi", "water", "", "")] == 2    # a, and c of the day before
    assert figures[("needs_open", "vi", "water", "", "")] == 1        # d: matched the next day
    assert figures[("needs_open", "ne", "food", "", "")] == 1         # b
    assert ("needs_opened", "vi", "water", "", "") in figures and not any(
        k[0] == "needs_opened" and v == 3 for k, v in figures.items())  # e is not a need
    assert figures[("median_first_action_minutes", "", "", "", "")] == 30  # a only
    assert figures[("median_resolution_minutes", "", "", "", "")] == 120
    assert figures[("consultations", "ne", "residence", "", "")] == 2
    assert figures[("consultations", "vi", "work", "", "")] == 1
    assert figures[("foreign_evacuees", "vi", "", "chuo", "shelters")] == 7
    page = desk.get("/desk/daily?day=2026-11-30&lang=en").get_data(as_text=True)
    assert "Daily report on foreign residents: 2026-11-30" in page
    assert desk.get("/desk/daily?day=yesterday").status_code == 404


def test_an_answered_consultation_becomes_a_question_on_the_boards(app, db, people, desk):
    """Taken and answered in Nepali and Japanese, made a Q&A notice with translation
    tasks for the other languages, published, and shown on a board."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": 10,
                                           "languages": {"ne": 4}}, actor=ACTOR)
    take(desk, answer="区役所で発行します。明日から。")
    cid = taken(db)
    token = csrf_token(desk, f"/desk/consultations/{cid}")
    refused = desk.post(f"/desk/consultations/{cid}/question?lang=en",
                        data={"csrf_token": token, "question_ja": "在留カードは？"})
    assert refused.status_code == 400
    text = html.unescape(refused.get_data(as_text=True))
    assert "Answer in Japanese: required." in text
    assert "Question in the asker's language: required." in text
    made = desk.post(f"/desk/consultations/{cid}/question", data={
        "csrf_token": token, "question_ja": "在留カードの期限が切れそうです。",
        "answer_ja": "災害のときは、入管が期限を延ばします。",
        "question_asker": "मेरो निवास कार्डको म्याद सकिँदैछ।",
        "answer_asker": "विपद्को बेला अध्यागमनले म्याद थप्छ।"})
    notice_id = int(made.headers["Location"].rsplit("/", 1)[1])
    notice = notices.get_notice(db, notice_id)
    assert notice["question_answer"] == 1 and notice["state"] == "draft"
    assert set(notice["translations"]) == {"ne"}
    missing = {tag for n, tag in notices.missing_translations(db) if n["id"] == notice_id}
    assert "vi" in missing and "ne" not in missing and "ja" not in missing
    assert consultations.get_consultation(db, cid)["qa_notice_id"] == notice_id
    notices.publish(db, notice_id, actor=ACTOR)
    board = app.test_client().get(f"/board/{KAMIMIZO}?lang=ne").get_data(as_text=True)
    questions = board.split('id="questions"', 1)[1]
    assert "मेरो निवास कार्डको म्याद सकिँदैछ।" in questions
    before_questions = board.split('id="questions"', 1)[0]
    assert "मेरो निवास" not in before_questions  # not among the ordinary notices
    poster = desk.get(f"/shelters/{KAMIMIZO}/questions/poster?langs=ne,ja").get_data(
        as_text=True)
    assert "विपद्को बेला अध्यागमनले म्याद थप्छ।" in poster and "入管が期限を延ばします" in poster


def test_a_help_request_round_trips_and_its_interpreters_arrive(app, db, people, desk):
    """Nobody speaks Nepali: the request goes to the prefecture as an EDXL-RM file; the
    file, imported by a partner, says the same; the interpreters arrive and get records
    and accounts that end with the request."""
    token = csrf_token(desk, "/desk/help")
    made = desk.post("/desk/help?lang=en", data={
        "csrf_token": token, "partner": "Kanagawa multilingual support center",
        "languages": ["ne", "my"], "people": "2", "skills": ["medical_interpretation"],
        "place": "Sagamihara disaster support center, city hall", "contact": "042-000-0000",
        "starts_at": "2026-12-03T09:00", "ends_at": "2026-12-06T18:00",
        "note": "Night shifts too"})
    assert made.status_code == 302, made.get_data(as_text=True)[-1500:]
    request_id = int(made.headers["Location"].rsplit("/", 1)[1])
    page = desk.get(f"/desk/help/{request_id}?lang=en").get_data(as_text=True)
    assert "Kanagawa multilingual support center" in page and "Drafted" in page
    xml = desk.get(f"/desk/help/{request_id}.xml")
    assert xml.mimetype == "application/xml"
    body = xml.get_data()
    assert b"urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg" in body
    assert b"<MessageContentType>RequestResource</MessageContentType>" in body

    # a partner city imports the file: the same request, received
    partner = sign_in(app.test_client(), "admin")
    token = csrf_token(partner, "/desk/help")
    db.execute("UPDATE help_request SET message_id = message_id || '-here' WHERE id = ?",
               [request_id])  # the partner's own database never held ours
    received = partner.post("/desk/help/import", data={
        "csrf_token": token, "file": (io.BytesIO(body), "request.xml")},
        content_type="multipart/form-data")
    assert received.status_code == 302, received.get_data(as_text=True)[-1500:]
    copy = help_requests.get_request(db, int(received.headers["Location"].rsplit("/", 1)[1]))
    original = help_requests.get_request(db, request_id)
    for field in ("languages", "people", "skills", "place", "starts_at", "ends_at", "contact",
                  "note"):
        assert copy[field] == original[field], field
    assert copy["direction"] == "received" and copy["partner"].startswith("Sagamihara")
    again = partner.post("/desk/help/import?lang=en", data={
        "csrf_token": token, "file": (io.BytesIO(body), "request.xml")},
        content_type="multipart/form-data")
    assert again.status_code == 400 and "imported before" in again.get_data(as_text=True)
    could = partner.get(f"/desk/help/{copy['id']}?lang=en").get_data(as_text=True)
    assert "What this city could send" in could
    bad = partner.post("/desk/help/import?lang=en", data={
        "csrf_token": token, "file": (io.BytesIO(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"),
                                      "evil.xml")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "not an EDXL-RM RequestResource" in \
        bad.get_data(as_text=True)

    # the interpreters arrive
    token = csrf_token(desk, f"/desk/help/{request_id}")
    arrived = desk.post(f"/desk/help/{request_id}/arrivals?lang=en", data={
        "csrf_token": token, "name-0": "Sita Gurung", "language-0": "ne",
        "name-1": "Aung Aung", "language-1": "my"})
    page = arrived.get_data(as_text=True)
    assert arrived.status_code == 200 and "Accounts: shown only now" in page
    request_after = help_requests.get_request(db, request_id)
    assert (request_after["status"], request_after["filled"]) == ("filled", 2)
    names = {v["name"] for v in request_after["arrived"]}
    assert names == {"Sita Gurung", "Aung Aung"}
    account = db.execute("SELECT u.username, u.expires_at FROM user u JOIN volunteer v ON "
                         "v.user_id = u.id WHERE v.name = 'Sita Gurung'").fetchone()
    assert account[1] == original["ends_at"]
    password = re.search(rf"<code>{account[0]}</code></td><td><code>([^<]+)</code>",
                         page).group(1)
    interpreter = app.test_client()
    token = csrf_token(interpreter, "/sign-in")
    signed = interpreter.post("/sign-in", data={"csrf_token": token, "username": account[0],
                                                "password": password})
    assert signed.status_code == 302 and "/sign-in" not in signed.headers["Location"]
    db.execute("UPDATE user SET expires_at = '2026-01-01T00:00:00+00:00' WHERE username = ?",
               [account[0]])
    assert interpreter.get("/account").status_code in (302, 401)  # the account has ended


def test_the_desk_lists_are_named_in_every_language():
    vocabulary = desk_vocabulary()
    tags = list(languages())
    for kind, entries in vocabulary.items():
        for key, labels in entries.items():
            missing = [t for t in tags if not labels.get(t)]
            assert not missing, (kind, key, missing)
