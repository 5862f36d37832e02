"""The matching page as a coordinator uses it under pressure: in the top menu, proposals
by urgency with the newest marked, a decision that keeps the coordinator's place and
says what happened there, and "confirm all critical" in one action."""

import re

from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.shelters import registry
from disaster_support.volunteers import registry as volunteers

from conftest import KAMIMIZO, csrf_token, sign_in

ACTOR = Actor("test", "coordinator", "test")


def propose(db, people, urgency, at, n):
    need, _ = needs.record_need(db, KAMIMIZO, {"client_id": f"matching-page-{n}",
                                               "category": "interpretation", "language": "vi",
                                               "people": 1, "urgency": urgency}, actor=ACTOR)
    db.execute("INSERT INTO assignment (kind, need_id, language, volunteer_id, status, reasons, "
               "created_at, created_by, updated_at) VALUES ('need', ?, 'vi', ?, 'proposed', "
               "'{}', ?, 'test', ?)", [need["id"], people["volunteer_record"], at, at])
    return db.execute("SELECT max(id) FROM assignment").fetchone()[0]


def proposals(db, people):
    """Two critical (the newest batch) and one high, with the fixture's normal one."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    return {"high": propose(db, people, "high", "2026-11-25T01:00:00+00:00", 1),
            "critical": [propose(db, people, "critical", "2026-11-25T02:00:00+00:00", n)
                         for n in (2, 3)]}


def status_of(db, assignment_id):
    return db.execute("SELECT status FROM assignment WHERE id = ?", [assignment_id]).fetchone()[0]


def test_matching_is_in_the_top_menu(coordinator, people):
    page = coordinator.get("/?lang=en").get_data(as_text=True)
    nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/matching"' in nav and ">Matching<" in nav
    matching = coordinator.get("/matching?lang=en").get_data(as_text=True)
    assert re.search(r'href="/matching" aria-current="page"', matching)


def test_proposals_are_grouped_by_urgency_with_the_newest_marked(coordinator, people, db):
    made = proposals(db, people)
    page = coordinator.get("/matching?lang=en").get_data(as_text=True)
    order = [page.index(f'id="group-{key}"') for key in ("critical", "high", "normal")]
    assert order == sorted(order)
    critical = page.split('id="group-critical"', 1)[1].split("</section>", 1)[0]
    assert all(f'data-assignment="{i}" class="newest"' in critical for i in made["critical"])
    assert critical.count(">new<") == 2
    assert 'class="newest"' not in page.split('id="group-high"', 1)[1].split("</section>")[0]


def test_a_decision_keeps_the_place_and_says_what_happened_there(coordinator, people, db):
    made = proposals(db, people)
    answer = coordinator.post(f"/assignments/{made['high']}/confirm?lang=en",
                              data={"csrf_token": csrf_token(coordinator, "/matching")})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("#group-high")
    assert status_of(db, made["high"]) == "confirmed"
    page = coordinator.get(answer.headers["Location"].split("#")[0] + "&lang=en").get_data(
        as_text=True)
    group = page.split('id="group-high"', 1)[1].split("</section>", 1)[0]
    assert "Confirmed: Nguyen Thi Lan is asked to help." in group  # said where it happened
    assert "No proposal" not in group

    declined = coordinator.post(f"/assignments/{made['critical'][0]}/decline",
                                data={"csrf_token": csrf_token(coordinator, "/matching")})
    assert declined.headers["Location"].endswith("#group-critical")
    assert status_of(db, made["critical"][0]) == "declined"


def test_confirm_all_critical_confirms_those_only(coordinator, people, db):
    made = proposals(db, people)
    page = coordinator.get("/matching?lang=en").get_data(as_text=True)
    assert "Confirm all critical proposals" in page
    answer = coordinator.post("/matching/confirm-all", data={
        "csrf_token": csrf_token(coordinator, "/matching"), "urgency": "critical"})
    assert answer.status_code == 302
    assert [status_of(db, i) for i in made["critical"]] == ["confirmed", "confirmed"]
    assert status_of(db, made["high"]) == "proposed"
    assert status_of(db, people["assignment"]) == "proposed"
    refused = coordinator.post("/matching/confirm-all", data={
        "csrf_token": csrf_token(coordinator, "/matching"), "urgency": "everything"})
    assert refused.status_code == 400


def test_the_check_in_select_shows_where_the_volunteer_is(coordinator, people, db):
    volunteer = people["volunteer_record"]
    registry.update_shelter(db, KAMIMIZO, {"status": "open"}, actor=ACTOR)
    volunteers.check_in(db, volunteer, KAMIMIZO, actor=ACTOR)
    page = coordinator.get(f"/volunteers/{volunteer}").get_data(as_text=True)
    assert f'<option value="{KAMIMIZO}" selected>' in page
    registry.update_shelter(db, KAMIMIZO, {"status": "closed"}, actor=ACTOR)  # even closed now
    page = coordinator.get(f"/volunteers/{volunteer}").get_data(as_text=True)
    assert f'<option value="{KAMIMIZO}" selected>' in page
    volunteers.check_in(db, volunteer, "center", actor=ACTOR)
    page = coordinator.get(f"/volunteers/{volunteer}").get_data(as_text=True)
    assert '<option value="center" selected>' in page


def test_the_volunteers_page_says_where_to_go(app, people, db):
    db.execute("UPDATE assignment SET status = 'confirmed' WHERE id = ?", [people["assignment"]])
    db.execute("UPDATE shelter SET phone = '042-000-0000' WHERE id = ?", [KAMIMIZO])
    db.execute("UPDATE need SET note = '<b>豚肉なし</b>' WHERE id = ?", [people["need"]])
    page = sign_in(app.test_client(), "volunteer").get("/me?lang=en").get_data(as_text=True)
    item = page.split(f'data-assignment="{people["assignment"]}"', 1)[1].split("</li>", 1)[0]
    assert "Address: 神奈川県相模原市中央区横山5-19-54" in item
    assert '<a href="tel:042-000-0000">042-000-0000</a>' in item
    assert "Note: &lt;b&gt;豚肉なし&lt;/b&gt;" in item  # as text
    assert 'href="/board/map"' in item
