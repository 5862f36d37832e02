"""What reached whom (issue 21, item 4): views counted per place × language, tablets'
"posted on the wall", and each notice's reach against the languages in its area."""

import datetime

from conftest import KAMIMIZO, YOKOYAMA
from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.notices import records
from disaster_support.notices.render import render_all
from disaster_support.outreach import reach
from disaster_support.shelters import registry

ACTOR = Actor("test", "coordinator", "test")


def published_in_chuo(db):
    notice_id = records.create_notice(db, template_id="water-supply", actor=ACTOR, slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:30"})
    records.publish(db, notice_id, actor=ACTOR, area_kind="wards", area=["chuo"])
    return notice_id


def tablet(app, people):
    client = app.test_client()
    with client.session_transaction() as session:
        session["device"] = people["device"]
    return client


def test_reach_counts_views_and_postings_and_flags_the_languages_left_out(
        app, people, coordinator):
    db = connect(app.config["DATABASE"])
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "100",
                                           "languages": {"vi": 12, "ne": 57}}, actor=ACTOR)
    registry.update_shelter(db, YOKOYAMA, {"status": "open", "evacuees": "40",
                                           "languages": {"vi": 3, "ko": 2}}, actor=ACTOR)
    notice_id = published_in_chuo(db)
    # the script: three views of Kamimizo's board in Vietnamese, one of Yokoyama's, one
    # through the short link; one in Korean seven hours ago
    public = app.test_client()
    for _ in range(3):
        answer = public.get(f"/board/{KAMIMIZO}?lang=vi")
        assert answer.status_code == 200
    # without ?lang= the board keeps the language chosen before (its only cookie)
    assert "Set-Cookie" not in public.get(f"/board/{YOKOYAMA}").headers
    public.get(f"/n/{notice_id}/vi")
    earlier = (datetime.datetime.now(datetime.timezone.utc)
               - datetime.timedelta(hours=7)).isoformat()
    reach.count_views(db, [notice_id], YOKOYAMA, "ko", at=earlier)

    counted = {(p, t): v for p, t, v in db.execute(
        "SELECT place, language, sum(views) FROM notice_view WHERE notice_id = ? "
        "GROUP BY place, language", [notice_id])}
    assert counted == {(KAMIMIZO, "vi"): 3, (YOKOYAMA, "vi"): 1, ("", "vi"): 1,
                       (YOKOYAMA, "ko"): 1}

    device = tablet(app, people)
    url = f"/shelters/{KAMIMIZO}/notices/{notice_id}/posted"
    token = device.get(f"/shelters/{KAMIMIZO}/tablet").get_data(as_text=True).split(
        'name="csrf_token" value="')[1].split('"')[0]
    first = device.post(url, json={}, headers={"X-CSRFToken": token})
    again = device.post(url, json={}, headers={"X-CSRFToken": token})
    assert (first.get_json(), again.get_json()) == ({"created": True}, {"created": False})
    other = records.create_notice(db, template_id="aftershock", actor=ACTOR, slots={})
    assert device.post(f"/shelters/{KAMIMIZO}/notices/{other}/posted", json={},
                       headers={"X-CSRFToken": token}).status_code == 409  # a draft
    assert device.post(f"/shelters/{YOKOYAMA}/notices/{notice_id}/posted", json={},
                       headers={"X-CSRFToken": token}).status_code == 403  # not its place

    notice = records.get_notice(db, notice_id)
    rows = {r["language"]: r for r in reach.reach(
        db, notice, render_all(notice, records.names_for(db, [notice])))}
    assert [r for r in rows] == ["ne", "vi", "ko"]  # the most people first
    assert (rows["ne"]["people"], rows["ne"]["views"], rows["ne"]["gap"]) == (57, 0, True)
    assert (rows["vi"]["people"], rows["vi"]["views"], rows["vi"]["gap"]) == (15, 5, False)
    assert (rows["ko"]["views"], rows["ko"]["recent_views"], rows["ko"]["gap"]) == (1, 0, True)
    assert rows["vi"]["posted"] == 1

    page = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    assert "Nepali (<span lang=\"ne\">नेपाली</span>): 57 people in the area, no view in 6 " \
           "hours." in page or "Nepali (नेपाली): 57 people in the area, no view in 6 hours." \
           in page
    assert "Posted on the wall at 1 place" in page
    wall = device.get(f"/shelters/{KAMIMIZO}/tablet?lang=en").get_data(as_text=True)
    assert "Posted on the wall" in wall and f'data-notice="{notice_id}"' in wall
