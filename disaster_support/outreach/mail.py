"""Notices by e-mail to the people who asked for them, in their language.

Someone subscribes from a place's board, in the board's language: the address waits
(pending) until they follow the link of the confirmation mail (double opt-in; consent
recorded). The center sends a published notice to the active subscribers of its area,
each in their language (a language the notice does not read in yet is skipped and
counted). Every mail goes through the outbox: one row per notice and subscriber (so a
second click queues nothing new), sent by ``deliver`` through the configured SMTP relay;
while the relay cannot be reached the rows wait and go out, once, when it can. Each
mail carries an unsubscribe link (and RFC 8058 one-click headers).

Addresses are personal data: coordinators only, removed by ``purge``, never exported.
"""

import datetime
import re
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid

from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..personal_data import purger
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import languages

EMAIL = re.compile(r"^[^@\s\x00-\x1f<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
MAX_ATTEMPTS = 50
CLAIM_EXPIRES = datetime.timedelta(minutes=10)  # a worker that held a row this long died
BATCH = 200
FIELDS = {"email": _l("E-mail address"), "consent": _l("Consent")}


class MailNotConfigured(RuntimeError):
    pass


def _token():
    return secrets.token_urlsafe(24)


def subscribe(db, email, language, place, *, consent):
    """A pending subscription and its confirmation mail queued; (subscriber id,
    queued). Subscribing again (the same address, place and language) queues a new
    confirmation for a pending one and nothing for an active one."""
    email = (email or "").strip() if isinstance(email, str) else ""
    errors = {}
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = _l("%(field)s: an address such as name@example.com.",
                             field=FIELDS["email"])
    if not consent:
        errors["consent"] = _l("%(field)s: tick the box to agree that the city keeps your "
                               "address to send you notices.", field=FIELDS["consent"])
    if language not in languages():
        errors["language"] = _l("Language: choose one of the listed languages.")
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    with write_transaction(db):
        row = db.execute("SELECT id, status FROM mail_subscriber WHERE email = ? AND "
                         "place = ? AND language = ?", [email.lower(), place, language]
                         ).fetchone()
        if row and row[1] == "active":
            return row[0], False
        if row:
            subscriber_id = row[0]
            db.execute("UPDATE mail_subscriber SET status = 'pending', token = ?, "
                       "consent_at = ?, unsubscribed_at = NULL WHERE id = ?",
                       [_token(), now, subscriber_id])
        else:
            subscriber_id = db.execute(
                "INSERT INTO mail_subscriber (email, language, place, token, consent_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [email.lower(), language, place, _token(), now, now]).lastrowid
        db.execute("DELETE FROM mail_outbox WHERE subscriber_id = ? AND kind = 'confirm' "
                   "AND sent_at IS NULL", [subscriber_id])
        db.execute("INSERT INTO mail_outbox (kind, subscriber_id, notice_id, queued_at) "
                   "VALUES ('confirm', ?, NULL, ?)", [subscriber_id, now])
        return subscriber_id, True


def subscriber_by_token(db, token):
    rows = list(db.query("SELECT * FROM mail_subscriber WHERE token = ?", [token or ""]))
    return rows[0] if rows else None


def confirm(db, token):
    """Follow the confirmation link: active from now (True), or None for no such link."""
    with write_transaction(db):
        subscriber = subscriber_by_token(db, token)
        if subscriber is None or subscriber["status"] == "unsubscribed":
            return None
        if subscriber["status"] == "pending":
            db.execute("UPDATE mail_subscriber SET status = 'active', confirmed_at = ? "
                       "WHERE id = ?", [utcnow(), subscriber["id"]])
        return subscriber


def unsubscribe(db, token):
    """The link in every mail: no more mail; mails still waiting are dropped."""
    with write_transaction(db):
        subscriber = subscriber_by_token(db, token)
        if subscriber is None:
            return None
        db.execute("UPDATE mail_subscriber SET status = 'unsubscribed', unsubscribed_at = ? "
                   "WHERE id = ?", [utcnow(), subscriber["id"]])
        db.execute("DELETE FROM mail_outbox WHERE subscriber_id = ? AND sent_at IS NULL",
                   [subscriber["id"]])
        return subscriber


def send_notice(db, notice, texts, *, actor):
    """Queue the notice for the active subscribers of its area: {"queued", "already",
    "untranslated"} (counts). A second call queues only subscribers added since."""
    places = set(notices.area_places(db, notice))
    counts = {"queued": 0, "already": 0, "untranslated": 0}
    now = utcnow()
    with write_transaction(db):
        for subscriber_id, language, place in db.execute(
                "SELECT id, language, place FROM mail_subscriber WHERE status = 'active'"
                ).fetchall():
            if place not in places:
                continue
            if texts[language].needs_translation:
                counts["untranslated"] += 1
                continue
            cursor = db.execute(
                "INSERT OR IGNORE INTO mail_outbox (kind, subscriber_id, notice_id, queued_at) "
                "VALUES ('notice', ?, ?, ?)", [subscriber_id, notice["id"], now])
            counts["queued" if cursor.rowcount else "already"] += 1
        record(db, actor, "mail", "notice", notice["id"], at=now, after=counts)
    return counts


def outbox_counts(db, notice_id=None):
    where, params = ("WHERE notice_id = ?", [notice_id]) if notice_id else ("", [])
    row = db.execute(f"SELECT sum(sent_at IS NOT NULL), sum(sent_at IS NULL) FROM mail_outbox "
                     f"{where}", params).fetchone()
    return {"sent": row[0] or 0, "waiting": row[1] or 0}


def subscribers(db):
    """For coordinators: every subscription with its address (personal data)."""
    return [dict(r) for r in db.query(
        "SELECT m.*, s.name AS place_name FROM mail_subscriber m LEFT JOIN shelter s "
        "ON s.id = m.place ORDER BY m.created_at DESC")]


# --- Delivery -------------------------------------------------------------------------

def settings_of(config):
    """The relay from the app's settings (SMTP_HOST …); MailNotConfigured without one."""
    host = config.get("SMTP_HOST")
    if not host:
        raise MailNotConfigured("SMTP_HOST is not set")
    return {"host": host, "port": int(config.get("SMTP_PORT") or 25),
            "user": config.get("SMTP_USER"), "password": config.get("SMTP_PASSWORD"),
            "starttls": str(config.get("SMTP_STARTTLS", "")).lower() in ("1", "true", "yes"),
            "sender": config.get("MAIL_FROM") or f"disaster-support@{host}",
            "timeout": float(config.get("SMTP_TIMEOUT") or 20)}


def _message(row, settings, link):
    """The mail of an outbox row, written in the subscriber's language."""
    email, tag, token = row["email"], row["language"], row["token"]
    message = EmailMessage()
    message["From"] = settings["sender"]
    message["To"] = email
    message["Date"] = format_datetime(localtime())
    message["Message-ID"] = make_msgid(f"outbox{row['id']}")
    unsubscribe_url = link("unsubscribe", token)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with force_locale(languages()[tag]["locale"]):
        if row["kind"] == "confirm":
            message["Subject"] = _("Please confirm: notices by e-mail")
            body = _("You asked to receive the city's notices for this place by e-mail. "
                     "To confirm, open this link:") + "\n" + link("confirm", token) + "\n\n" + \
                _("If you did not ask for this, ignore this mail: nothing will be sent.")
        else:
            title, text, url = row["texts"]
            message["Subject"] = title
            body = f"{text}\n\n{url}"
        body += "\n\n-- \n" + _("To receive no more mail, open: %(url)s", url=unsubscribe_url)
    message.set_content(body)
    message["Content-Language"] = tag  # after set_content, which resets Content-* headers
    return message


def deliver(db, settings, *, link, texts_of, limit=BATCH):
    """Send what waits in the outbox (oldest first) through the relay: (sent, failed).

    Each row is claimed first (so two workers never send one mail twice) and marked
    sent only after the relay accepted it; if the relay cannot be reached the claims
    are released and the rows wait for the next round. ``link(kind, token)`` makes the
    confirm/unsubscribe URLs; ``texts_of(notice_id, tag)`` gives (title, text, url)."""
    now = utcnow()
    with write_transaction(db):
        # a claim older than ten minutes: its worker died; the row waits again
        stale = (datetime.datetime.fromisoformat(now) - CLAIM_EXPIRES).isoformat()
        db.execute("UPDATE mail_outbox SET claimed_at = NULL WHERE sent_at IS NULL AND "
                   "claimed_at < ?", [stale])
        ids = [r[0] for r in db.execute(
            "SELECT id FROM mail_outbox WHERE sent_at IS NULL AND claimed_at IS NULL AND "
            "attempts < ? ORDER BY id LIMIT ?", [MAX_ATTEMPTS, limit])]
        if ids:
            db.execute(f"UPDATE mail_outbox SET claimed_at = ?, attempts = attempts + 1 WHERE "
                       f"id IN ({', '.join('?' * len(ids))})", [now, *ids])
    if not ids:
        return 0, 0
    rows = [dict(r) for r in db.query(
        f"SELECT o.*, m.language, m.email, m.token FROM mail_outbox o JOIN mail_subscriber m ON "
        f"m.id = o.subscriber_id WHERE o.id IN ({', '.join('?' * len(ids))}) ORDER BY o.id",
        ids)]
    sent = failed = 0
    try:
        relay = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        _release(db, ids, str(error))
        return 0, len(ids)
    try:
        for row in rows:
            if row["kind"] == "notice":
                row["texts"] = texts_of(row["notice_id"], row["language"])
                if row["texts"] is None:  # withdrawn before it went out: not sent at all
                    with write_transaction(db):
                        db.execute("DELETE FROM mail_outbox WHERE id = ?", [row["id"]])
                    continue
            try:
                relay.send_message(_message(row, settings, link))
            except smtplib.SMTPRecipientsRefused as error:
                _release(db, [row["id"]], str(error))  # this address: tried again later
                failed += 1
                continue
            with write_transaction(db):
                db.execute("UPDATE mail_outbox SET sent_at = ?, last_error = NULL WHERE id = ?",
                           [utcnow(), row["id"]])
            sent += 1
    except (OSError, smtplib.SMTPException) as error:
        waiting = [r["id"] for r in rows if not _is_sent(db, r["id"])]
        _release(db, waiting, str(error))
        failed += len(waiting)
    finally:
        try:
            relay.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent, failed


def _is_sent(db, row_id):
    return db.execute("SELECT sent_at IS NOT NULL FROM mail_outbox WHERE id = ?",
                      [row_id]).fetchone()[0]


def _release(db, ids, error):
    if not ids:
        return
    with write_transaction(db):
        db.execute(f"UPDATE mail_outbox SET claimed_at = NULL, last_error = ? WHERE id IN "
                   f"({', '.join('?' * len(ids))})", [error[:300], *ids])


def _connect(settings):
    relay = smtplib.SMTP(settings["host"], settings["port"], timeout=settings["timeout"])
    if settings["starttls"]:
        relay.starttls(context=ssl.create_default_context())
    if settings["user"]:
        relay.login(settings["user"], settings["password"] or "")
    return relay


@purger("e-mail addresses of subscribers")
def _subscribers(db):
    db.execute("DELETE FROM mail_outbox")
    return db.execute("DELETE FROM mail_subscriber").rowcount
