"""The mail outbox, sent: once now (``disaster-support mail send``), or every half
minute beside ``serve`` while SMTP_HOST is set. The live database only: a drill has no
subscribers (drills/runs.py leaves them out)."""

import functools
import threading

from ..db import connect
from ..notices import records as notices
from ..notices.render import render
from . import mail

EVERY_SECONDS = 30


def public_base(app):
    return (app.config.get("PUBLIC_URL") or "http://localhost:5000").rstrip("/")


def deliver_now(app):
    """Send what waits: (sent, failed). MailNotConfigured without a relay."""
    settings = mail.settings_of(app.config)
    base = public_base(app)
    db = connect(app.config["DATABASE"])
    try:
        with app.app_context():
            @functools.cache  # a notice to 500 subscribers: read and written once per language
            def texts_of(notice_id, tag):
                try:
                    notice = notices.get_notice(db, notice_id)
                except notices.NoticeNotFound:
                    return None
                if notice["state"] != "published":
                    return None
                text = render(notice, tag, notices.names_for(db, [notice]))
                return text.title, text.body, f"{base}/n/{notice_id}/{tag}"

            return mail.deliver(db, settings, texts_of=texts_of,
                                link=lambda kind, token: f"{base}/mail/{kind}/{token}")
    finally:
        db.close()


class MailWorker(threading.Thread):
    def __init__(self, app):
        super().__init__(name="mail-outbox", daemon=True)
        self.app, self.woken = app, threading.Event()

    def wake(self):
        self.woken.set()

    def run(self):
        while True:
            self.woken.wait(EVERY_SECONDS)
            self.woken.clear()
            try:
                sent, failed = deliver_now(self.app)
                if sent or failed:
                    self.app.logger.info(f"mail: {sent} sent, {failed} waiting for the relay")
            except Exception as error:  # the server goes on; the mails wait
                self.app.logger.warning(f"mail: {error}")


def start(app):
    """From ``serve``: the worker, when a relay is configured."""
    if not app.config.get("SMTP_HOST"):
        return None
    worker = MailWorker(app)
    app.extensions["mail_worker"] = worker
    worker.start()
    return worker
