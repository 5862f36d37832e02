"""Translations checked by a second person (issue 21, item 5): draft → translated →
reviewed, never by the translator; the work list by urgency × readers; the glossary
beside the form and flagged when dropped; XLIFF 2.0 packs out and back."""

import re
import xml.etree.ElementTree as ET

from conftest import KAMIMIZO, csrf_token, sign_in
from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.notices import records
from disaster_support.shelters import registry
from disaster_support.translating import packs, review, worklist

CITY = Actor("city-staff", "coordinator", "test")
XLIFF = "{urn:oasis:names:tc:xliff:document:2.0}"


def free_text(db, body="上溝中学校で 給水を します。水筒を 持って きて ください。"):
    notice_id = records.create_notice(db, title="給水のお知らせ", body=body, category="water",
                                      source_language="ja", actor=CITY)
    records.publish(db, notice_id, actor=CITY, area_kind="shelters", area=[KAMIMIZO])
    return notice_id


def test_a_translation_is_reviewed_by_someone_else_and_a_new_one_needs_a_new_review(
        app, people, coordinator):
    db = connect(app.config["DATABASE"])
    notice_id = free_text(db)
    notice = records.get_notice(db, notice_id)
    assert review.notice_text_state(notice, "vi") == "draft"
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    coordinator.post(f"/notices/{notice_id}/translations/vi", data={
        "csrf_token": token, "title": "Cấp nước", "body": "Có nước uống tại trường."})
    notice = records.get_notice(db, notice_id)
    assert notice["translations"]["vi"]["translated_by"] == "coordinator"
    assert review.notice_text_state(notice, "vi") == "translated"
    refused = coordinator.post(f"/notices/{notice_id}/translations/vi/review?lang=en",
                               data={"csrf_token": token}, follow_redirects=True)
    assert "reviewed by someone other than its translator" in refused.get_data(as_text=True)
    assert review.notice_text_state(records.get_notice(db, notice_id), "vi") == "translated"

    admin = sign_in(app.test_client(), "admin")
    admin.post(f"/notices/{notice_id}/translations/vi/review",
               data={"csrf_token": csrf_token(admin, f"/notices/{notice_id}")})
    notice = records.get_notice(db, notice_id)
    assert notice["translations"]["vi"]["reviewed_by"] == "admin"
    assert review.notice_text_state(notice, "vi") == "reviewed"
    # a new translation goes back to "translated"
    records.add_translation(db, notice_id, "vi", title="Cấp nước", body="Nước uống.",
                            actor=CITY)
    assert review.notice_text_state(records.get_notice(db, notice_id), "vi") == "translated"
    # a template's text: reviewed for its text as it is now
    assert review.template_text_state_of("aftershock", "ko", review.template_reviews(db)) \
        == "translated"
    review.review_template_text(db, "aftershock", "ko", actor=CITY)
    assert review.template_text_state_of("aftershock", "ko", review.template_reviews(db)) \
        == "reviewed"


def test_the_work_list_puts_the_most_urgent_for_the_most_readers_first(app, people,
                                                                       coordinator):
    db = connect(app.config["DATABASE"])
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "100",
                                           "languages": {"vi": 12, "ne": 57}}, actor=CITY)
    notice_id = free_text(db)
    items = [i for i in worklist.work_list(db) if i["notice"]["id"] == notice_id]
    assert [(i["language"], i["action"]) for i in items[:2]] == [("ne", "translate"),
                                                                  ("vi", "translate")]
    assert items[0]["weight"] == 3 * 58 and items[1]["weight"] == 3 * 13
    page = coordinator.get("/notices/translations?lang=en").get_data(as_text=True)
    assert page.index(f'data-item="translate-{notice_id}-ne"') < page.index(
        f'data-item="translate-{notice_id}-vi"')
    # the glossary beside the form: 給水 is "water distribution" in English
    detail = coordinator.get(f"/notices/{notice_id}?lang=en").get_data(as_text=True)
    form = detail.split('id="translate-en"', 1)[1].split("</form>", 1)[0]
    assert "給水" in form and "water distribution" in form
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    saved = coordinator.post(f"/notices/{notice_id}/translations/en?lang=en", data={
        "csrf_token": token, "title": "Water", "body": "Water at Kamimizo Junior High."},
        follow_redirects=True).get_data(as_text=True)
    assert "Check the fixed terms" in saved and "給水 → water distribution" in saved


def test_a_pack_goes_out_in_xliff_and_comes_back_checked(app, people, coordinator):
    db = connect(app.config["DATABASE"])
    first = free_text(db)
    second = free_text(db, body="明日 {time} から 説明会を します。")
    answer = coordinator.get("/translations/pack/vi.xlf")
    assert answer.status_code == 200 and answer.mimetype == "application/xliff+xml"
    root = ET.fromstring(answer.data)
    assert root.get("version") == "2.0" and root.get("trgLang") == "vi"
    units = {u.get("id"): u for u in root.iter(f"{XLIFF}unit")}
    assert {f"notice-{first}-title", f"notice-{first}-body", f"notice-{second}-body"} <= set(
        units)
    notes = [n.text for n in units[f"notice-{first}-body"].iter(f"{XLIFF}note")]
    assert any(n.startswith("給水 = ") for n in notes) and "2000" in notes

    fill = {f"notice-{first}-title": "Cấp nước", f"notice-{first}-body": "Có nước uống ở trường.",
            f"notice-{second}-title": "Họp", f"notice-{second}-body": "Ngày mai có họp."}
    for unit_id, text in fill.items():
        units[unit_id].find(f"{XLIFF}segment/{XLIFF}target").text = text
    returned = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    returned = returned.replace(b"</file></xliff>", b"</file><file id=\"x\"><unit id="
                                b"\"notice-999-body\"><segment><source>a</source><target>b"
                                b"</target></segment></unit></file></xliff>")
    token = csrf_token(coordinator, "/notices/translations")
    page = coordinator.post("/translations/pack?lang=en", data={
        "csrf_token": token, "translator": "Linh (remote)",
        "pack": [(__import__("io").BytesIO(returned), "vi.xlf")]},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "1 notices translated" in page or "Pack read: 1" in page
    assert f"notice-{second}-body: refused" in page  # {time} was dropped
    assert "notice-999-body: refused" in page
    assert re.search(rf"notice-{first}-body: check the fixed terms", page)
    notice = records.get_notice(db, first)
    assert notice["translations"]["vi"]["translated_by"] == "Linh (remote)"
    assert "vi" not in records.get_notice(db, second)["translations"]
    # the person who read the pack in is not its translator: they may review it
    review.review_notice_translation(db, first, "vi", actor=Actor("coordinator"))
    assert review.notice_text_state(records.get_notice(db, first), "vi") == "reviewed"
    # the same pack again: nothing waits any more for the first notice
    again = packs.import_pack(db, returned, actor=CITY, translator="Linh")
    assert again["imported"] == [] and f"notice-{first}-title" in again["refused"]
