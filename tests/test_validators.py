"""Validators (issue 22, item 3): a reload of an unchanged page costs a 304, a changed
one is sent again; a person's pages are never stored, so they get none."""

import gzip
import json
import re

from disaster_support.audit.log import Actor
from disaster_support.needs import records
from disaster_support.shelters import registry
from disaster_support.validators import page_etag

from conftest import KAMIMIZO

# a public page without a clock (a notice board says when it was drawn, to the minute)
BOARD = "/board/map?lang=vi"
ACTOR = Actor("test", "admin", "test")


def test_an_unchanged_public_page_is_a_304_without_a_body_or_a_new_nonce(app, people):
    client = app.test_client()
    first = client.get(BOARD)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    again = client.get(BOARD, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # the browser keeps the page it has with the policy (and nonce) that came with it
    assert "Content-Security-Policy" not in again.headers
    assert again.headers["ETag"] == etag
    # a render a moment later has a new nonce, and the same tag
    assert client.get(BOARD).headers["ETag"] == etag
    other_language = client.get("/board/map?lang=ne", headers={"If-None-Match": etag})
    assert other_language.status_code == 200 and other_language.headers["ETag"] != etag


def test_a_change_to_the_data_sends_the_page_again(app, people, db):
    client = app.test_client()
    etag = client.get("/board/map?lang=en").headers["ETag"]
    assert client.get("/board/map?lang=en",
                      headers={"If-None-Match": etag}).status_code == 304
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "120",
                                           "capacity": "600"}, actor=ACTOR)
    changed = client.get("/board/map?lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    data = re.search(r'id="map-data">(.*?)</script>', changed.get_data(as_text=True)).group(1)
    # the place's own row says open now: [id, lat, lon, status, ...]
    assert re.search(rf'\["{KAMIMIZO}",[^,]+,[^,]+,"open"', data)


def test_a_gzipped_304_stays_empty(app, people):
    client = app.test_client()
    first = client.get(BOARD, headers={"Accept-Encoding": "gzip"})
    assert 'lang="vi"' in gzip.decompress(first.data).decode()
    again = client.get(BOARD, headers={"Accept-Encoding": "gzip",
                                       "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert "Content-Encoding" not in again.headers


def test_a_tablet_form_is_never_reused_from_the_cache(app, people):
    """Each tablet form carries a fresh submission ID (a retry of one submission is
    recognised by it): a cached form would make two needs look like one."""
    tablet = app.test_client()
    tablet.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people['device_token']}"
    url = f"/shelters/{KAMIMIZO}/tablet"
    first = tablet.get(url)
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = tablet.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_the_tag_ignores_the_nonce_and_form_token_but_not_the_session_secret():
    """A 304 reuses the page's nonce and form token: the tag reads the page without
    them, and with the session's CSRF secret, so a token of another session is never
    reused."""
    page = b'<script nonce="N1">x</script><input name="csrf_token" value="T1">'
    same = b'<script nonce="N2">x</script><input name="csrf_token" value="T2">'
    assert page_etag(page, ("N1", "T1"), "s") == page_etag(same, ("N2", "T2"), "s")
    assert page_etag(page, ("N1", "T1"), "s") != page_etag(page, ("N1", "T1"), "other")
    assert page_etag(page, ("N1", "T1"), "s") != page_etag(page.replace(b"x", b"y"),
                                                           ("N1", "T1"), "s")


def test_a_persons_pages_are_never_stored_but_a_live_redraw_may_revalidate(coordinator):
    page = coordinator.get("/map?lang=en")
    assert page.headers["Cache-Control"] == "private, no-store"
    # the live redraw (static/js/live.js) sends the tag it last had
    again = coordinator.get("/map?lang=en", headers={"If-None-Match": page.headers["ETag"],
                                                     "X-Live-Redraw": "1"})
    assert again.status_code == 304 and again.data == b""


def test_the_queue_count_follows_every_write(app, coordinator, db, people):
    """The queue's total is kept per version of the data: a new need shows at once."""
    def count():
        text = coordinator.get("/needs?lang=en").get_data(as_text=True)
        return re.search(r'id="count">([^<]*)<', text).group(1)

    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "50",
                                           "capacity": "600"}, actor=ACTOR)
    before = count()
    records.record_need(db, KAMIMIZO, {"category": "water", "language": "vi", "people": "3",
                                       "urgency": "high", "client_id": "validators-1"},
                        actor=ACTOR)
    assert before == "1 need · 2 people"
    assert count() == "2 needs · 5 people"


def test_the_coordinator_map_keeps_its_layers_only_until_the_next_write(app, coordinator, db):
    def needs_of_kamimizo():
        text = coordinator.get("/map?lang=en").get_data(as_text=True)
        data = re.search(r'id="map-data"[^>]*>(.*?)</script>', text).group(1)
        return json.loads(data)["needs"].get(KAMIMIZO)

    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": "50",
                                           "capacity": "600"}, actor=ACTOR)
    before = needs_of_kamimizo()
    assert before == needs_of_kamimizo()  # kept: the same answer
    records.record_need(db, KAMIMIZO, {"category": "water", "language": "ne", "people": "4",
                                       "urgency": "critical", "client_id": "validators-2"},
                        actor=ACTOR)
    after = needs_of_kamimizo()
    assert after != before and len(after) == len(before or []) + 5
    groups = [after[i:i + 5] for i in range(0, len(after), 5)]
    assert [1, 4, 1] in [g[2:] for g in groups]  # one need, four people, critical


def test_a_page_drawn_a_moment_later_is_still_unchanged(app, people, monkeypatch):
    """Public and tablet pages say when they were drawn (the connection bar, to the
    second): that alone does not make a page new."""
    from disaster_support import db as database

    moments = iter(["2026-12-03T10:00:00+00:00", "2026-12-03T10:00:07+00:00"])
    monkeypatch.setattr(database, "utcnow", lambda: next(moments))
    client = app.test_client()
    first = client.get(BOARD)
    assert 'data-rendered-at="2026-12-03T10:00:00+00:00"' in first.get_data(as_text=True)
    again = client.get(BOARD, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
