"""Notices by e-mail (issue 21, item 3): double opt-in from a board, each subscriber
of the area once, in their language, through a real SMTP server (aiosmtpd); an outage
of the relay loses nothing and duplicates nothing; every mail can unsubscribe."""

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from conftest import KAMIMIZO, YOKOYAMA, csrf_token
from disaster_support.audit.log import Actor
from disaster_support.db import connect
from disaster_support.notices import records
from disaster_support.notices.render import render
from disaster_support.outreach import worker

ACTOR = Actor("test", "coordinator", "test")
LINK = re.compile(r"http://board\.test/mail/(confirm|unsubscribe)/[\w-]+")


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.mails.append(email.message_from_bytes(envelope.content,
                                                   policy=email.policy.default))
        return "250 OK"

    def to(self, address):
        return [m for m in self.mails if m["To"] == address]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A local SMTP server that can go down and come back on the same port."""

    def __init__(self, inbox, port):
        self.inbox, self.port, self.controller = inbox, port, None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def relay(app, people, monkeypatch):
    port = free_port()
    inbox = Inbox()
    controller = Relay(inbox, port)
    controller.start()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TIMEOUT": "5",
                "PUBLIC_URL": "http://board.test", "MAIL_FROM": "notices@city.example"}
    app.config.update(settings)
    for key, value in settings.items():  # for the CLI's own app
        monkeypatch.setenv(f"DISASTER_SUPPORT_{key}", value)
    yield inbox, controller
    controller.stop()


def subscribe(app, shelter_id, address, tag):
    client = app.test_client()
    token = csrf_token(client, f"/board/{shelter_id}/subscribe?lang={tag}")
    return client.post(f"/board/{shelter_id}/subscribe?lang={tag}",
                       data={"csrf_token": token, "email": address, "consent": "1"})


def body(mail):
    return mail.get_body(("plain",)).get_content()


def test_subscribers_of_the_area_get_each_notice_once_in_their_language(
        app, people, relay, coordinator, cli):
    inbox, controller = relay
    db = connect(app.config["DATABASE"])
    midori = db.execute("SELECT id FROM shelter WHERE ward = 'midori' LIMIT 1").fetchone()[0]
    people_ = {"an@example.com": (KAMIMIZO, "vi"), "bishnu@example.com": (KAMIMIZO, "ne"),
               "min@example.com": (YOKOYAMA, "ko"), "far@example.com": (midori, "pt")}
    for address, (place, tag) in people_.items():
        assert subscribe(app, place, address, tag).status_code == 200
    refused = subscribe(app, KAMIMIZO, "not-an-address", "en")
    assert refused.status_code == 400 and "name@example.com" in refused.get_data(as_text=True)
    pending = app.test_client()
    page = pending.get(f"/board/{KAMIMIZO}/subscribe?lang=en")
    assert "Get the city" in page.get_data(as_text=True)
    assert worker.deliver_now(app) == (4, 0)
    # confirmation mails: a link that shows a button (a scanner opening it confirms nothing)
    for address in ("an@example.com", "bishnu@example.com", "min@example.com"):
        (mail,) = inbox.to(address)
        link = LINK.search(body(mail)).group(0)
        path = link.removeprefix("http://board.test")
        client = app.test_client()
        assert "<form" in client.get(path).get_data(as_text=True)
        token = csrf_token(client, path)
        assert client.post(path, data={"csrf_token": token}).status_code == 200
    statuses = dict(db.execute("SELECT email, status FROM mail_subscriber").fetchall())
    assert statuses["far@example.com"] == "pending" and statuses["an@example.com"] == "active"

    notice_id = records.create_notice(db, template_id="water-supply", actor=ACTOR, slots={
        "place": f"shelter:{KAMIMIZO}", "time_range": "09:00-11:30"})
    records.publish(db, notice_id, actor=ACTOR, area_kind="wards", area=["chuo"])
    token = csrf_token(coordinator, f"/notices/{notice_id}")
    answer = coordinator.post(f"/notices/{notice_id}/mail?lang=en",
                              data={"csrf_token": token}, follow_redirects=True)
    assert "E-mail: 3 queued" in answer.get_data(as_text=True)

    controller.stop()  # the relay is down: nothing lost, nothing sent
    result = cli("mail", "send")
    assert result.exit_code == 1 and "3 waiting" in result.output
    coordinator.post(f"/notices/{notice_id}/mail", data={"csrf_token": token})  # again
    assert db.execute("SELECT count(*) FROM mail_outbox WHERE kind = 'notice'"
                      ).fetchone()[0] == 3
    controller.start()
    result = cli("mail", "send")
    assert result.exit_code == 0 and "3 sent" in result.output
    assert worker.deliver_now(app) == (0, 0)

    notice = records.get_notice(db, notice_id)
    names = records.names_for(db, [notice])
    for address, (place, tag) in people_.items():
        mails = [m for m in inbox.to(address) if "/n/" in body(m)]
        if address == "far@example.com":
            assert mails == []  # not confirmed, and not in the area
            continue
        (mail,) = mails
        assert mail["Subject"] == render(notice, tag, names).title
        assert mail["Content-Language"] == tag
        assert f"http://board.test/n/{notice_id}/{tag}" in body(mail)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert LINK.search(mail["List-Unsubscribe"]).group(1) == "unsubscribe"

    # one click in a mail program: no form token, the link's own token is enough
    (mail,) = [m for m in inbox.to("an@example.com") if "/n/" in body(m)]
    path = LINK.search(mail["List-Unsubscribe"]).group(0).removeprefix("http://board.test")
    assert app.test_client().post(path, data="List-Unsubscribe=One-Click",
                                  content_type="application/x-www-form-urlencoded"
                                  ).status_code == 200
    later = records.create_notice(db, template_id="aftershock", actor=ACTOR, slots={})
    records.publish(db, later, actor=ACTOR)
    coordinator.post(f"/notices/{later}/mail", data={"csrf_token": token})
    assert worker.deliver_now(app) == (2, 0)
    assert len(inbox.to("an@example.com")) == 2  # the confirmation and the first notice

    listing = coordinator.get("/outreach/subscribers").get_data(as_text=True)
    assert "bishnu@example.com" in listing
    assert "bishnu@example.com" not in app.test_client().get(
        f"/board/{KAMIMIZO}?lang=ne").get_data(as_text=True)
    assert cli("purge", "--yes").exit_code == 0
    assert db.execute("SELECT count(*) FROM mail_subscriber").fetchone()[0] == 0
