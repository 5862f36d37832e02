"""The overview says first what needs action: each count is a link into the queue (or
the shelter list) that shows exactly those."""

import datetime
import re
from html.parser import HTMLParser

from disaster_support import db as database
from disaster_support.audit.log import Actor
from disaster_support.needs import records as needs
from disaster_support.shelters import registry

from conftest import KAMIMIZO, YOKOYAMA

ACTOR = Actor("test", "coordinator", "test")


class Attention(HTMLParser):
    """The items of the overview's "needs action first" list: (class, link, text)."""

    def __init__(self, page):
        super().__init__()
        self.items, self._inside, self._depth = [], False, 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("class") == "attention-list":
            self._inside = True
        elif self._inside and tag == "li":
            self.items.append({"class": attrs.get("class"), "href": None, "text": ""})
        elif self._inside and tag == "a" and self.items and self.items[-1]["href"] is None:
            self.items[-1]["href"] = attrs["href"].replace("&amp;", "&")

    def handle_endtag(self, tag):
        if tag == "ul":
            self._inside = False

    def handle_data(self, data):
        if self._inside and self.items:
            self.items[-1]["text"] += data


def attention(client):
    return {item["class"]: item for item in Attention(
        client.get("/?lang=en").get_data(as_text=True)).items}


def first_number(text):
    return int(re.search(r"\d+", text).group())


def api_count(client, href):
    query = href.split("?", 1)[1] if "?" in href else ""
    return client.get(f"/api/v1/needs?{query}").get_json()["count"]


def situation(db, monkeypatch):
    """Kamimizo and Yokoyama open; three needs, one of them critical and one three hours
    old; Kamimizo counted now, Yokoyama never."""
    registry.update_shelter(db, KAMIMIZO, {"status": "open", "evacuees": 40}, actor=ACTOR)
    registry.update_shelter(db, YOKOYAMA, {"status": "open"}, actor=ACTOR)
    earlier = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3)
    monkeypatch.setattr(database, "NOW", lambda: earlier)
    needs.record_need(db, YOKOYAMA, {"client_id": "overview-old", "category": "food",
                                     "language": "ne", "people": 4}, actor=ACTOR)
    monkeypatch.undo()
    needs.record_need(db, KAMIMIZO, {"client_id": "overview-critical", "category": "medicine",
                                     "language": "vi", "people": 1, "urgency": "critical"},
                      actor=ACTOR)


def test_each_item_counts_what_its_link_shows(coordinator, people, db, monkeypatch):
    situation(db, monkeypatch)
    items = attention(coordinator)
    assert list(items)[:2] == ["critical", "waiting"]  # the most pressing first
    for kind in ("critical", "waiting", "unresolved"):
        shown = first_number(items[kind]["text"])
        assert shown == api_count(coordinator, items[kind]["href"]), kind
    assert first_number(items["critical"]["text"]) == 1
    assert "older_than=120" in items["waiting"]["href"]
    assert first_number(items["unresolved"]["text"]) == 3  # with the fixture's own need
    assert "2 hours" in items["waiting"]["text"] and "people" in items["unresolved"]["text"]


def test_needs_nobody_can_serve_are_named_by_language(coordinator, people, db, monkeypatch):
    situation(db, monkeypatch)
    unserved = [i for i in Attention(coordinator.get("/?lang=en").get_data(
        as_text=True)).items if i["class"] == "unserved"]
    languages = {re.search(r"language=([\w-]+)", i["href"]).group(1) for i in unserved}
    assert "ne" in languages  # no Nepali speaker among the volunteers
    assert any("Nepali" in i["text"] or "नेपाली" in i["text"] for i in unserved)


def test_shelters_whose_head_counts_are_old_come_first_in_the_list(coordinator, people, db,
                                                                  monkeypatch):
    situation(db, monkeypatch)
    item = attention(coordinator)["counted"]
    assert first_number(item["text"]) == 1 and "6 hours" in item["text"]  # Yokoyama
    listed = coordinator.get(item["href"] + "&status=open").get_data(as_text=True)
    assert listed.index(YOKOYAMA) < listed.index(KAMIMIZO)


def test_proposals_waiting_link_to_matching(coordinator, people, db):
    # the fixture holds one proposed assignment
    item = attention(coordinator)["proposals"]
    assert first_number(item["text"]) == 1 and item["href"] == "/matching"


def test_nothing_waiting_is_said_plainly(coordinator, people, db):
    needs.transition(db, people["need"], "cancelled", actor=ACTOR, reason="test")
    db.execute("DELETE FROM assignment")
    page = coordinator.get("/?lang=en").get_data(as_text=True)
    assert "Nothing waits for action now." in page
    assert Attention(page).items == []
