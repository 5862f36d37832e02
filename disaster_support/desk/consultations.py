"""Consultations: what people ask the center by phone, at the desk, through social media
or a three-way call with an interpreter, and what the center answered.

Counts and topics by default: the question and the answer are about the matter, not the
person. A name or a phone number is kept only with the caller's consent, apart
(consultation_contact: coordinators see it, exports never, ``purge`` removes it). Each
intake carries a client id: a double click or a retry records it once. A consultation
can become a need at a place in one step (exactly once too).
"""

import datetime

from ..audit.log import record
from ..db import NOW, to_utc, utcnow, write_transaction
from ..needs import records as needs
from ..parameters import choice, whole_number
from ..personal_data import looks_personal, purger
from ..shelters import registry
from ..shelters.places import current_id
from ..text import _l
from ..vocabulary import desk_vocabulary, languages, need_categories

STATUSES = {
    "open": _l("Waiting for an answer"),
    "answered": _l("Answered"),
    "follow_up": _l("Follow-up due"),
    "closed": _l("Closed"),
}
FIELD_LABELS = {
    "client_id": _l("Submission ID"),
    "channel": _l("How it came in"),
    "language": _l("Language"),
    "topic": _l("Topic"),
    "people": _l("Number of people"),
    "place_id": _l("Place"),
    "ward": _l("Ward"),
    "question": _l("Question"),
    "answer": _l("Answer given"),
    "referral": _l("Referred to"),
    "follow_up_due": _l("Follow-up due"),
    "status": _l("Status"),
    "interpreter_id": _l("Interpreter"),
    "contact_name": _l("Name (only with consent)"),
    "contact_phone": _l("Phone number (only with consent)"),
    "consent": _l("The person agreed that the center keeps this contact"),
    "confirm_personal": _l("It is not personal data"),
}
MAX_QUESTION = 1000
MAX_ANSWER = 2000
MAX_CONTACT = 100
MAX_PEOPLE = 1000


class ConsultationNotFound(LookupError):
    pass


def _text(values, field, errors, limit, required=False):
    raw = values.get(field)
    if raw is not None and not isinstance(raw, str):
        errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
        return None
    value = (raw or "").strip()
    if required and not value:
        errors[field] = _l("%(field)s: required.", field=FIELD_LABELS[field])
    elif len(value) > limit:
        errors[field] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                           field=FIELD_LABELS[field], max=limit, count=len(value))
    elif value and field in ("question", "answer") and looks_personal(value) and \
            values.get("confirm_personal") not in (True, "1", "yes"):
        errors[field] = _l(
            "%(field)s: this looks like %(what)s. Keep names and contact details out of "
            "the question and the answer (use the contact fields, with consent), or "
            "confirm that it is not personal.", field=FIELD_LABELS[field],
            what=", ".join(str(label) for _, label in looks_personal(value)))
    return value or None


def parse_consultation(db, values, city, *, partial=False):
    """Check a consultation's fields (form strings or JSON); raise ValidationError."""
    errors, clean = {}, {}
    vocabulary = desk_vocabulary()

    def given(field):
        return field in values or not partial

    if not partial:
        client_id = values.get("client_id")
        if not isinstance(client_id, str) or not needs.CLIENT_ID.match(client_id):
            errors["client_id"] = _l(
                "%(field)s: 8 to 64 letters, digits, '-' or '_' (made by the tablet).",
                field=FIELD_LABELS["client_id"])
        clean["client_id"] = client_id
    for field, allowed in (("channel", vocabulary["channels"]),
                           ("language", languages()), ("topic", vocabulary["topics"])):
        if given(field):
            clean[field] = choice(values.get(field), allowed)
            if not clean[field]:
                errors[field] = _l("%(field)s: choose one of the list.",
                                   field=FIELD_LABELS[field])
    if given("people"):
        people = whole_number(values.get("people") or 1)
        if people is None or not 1 <= people <= MAX_PEOPLE:
            errors["people"] = _l("%(field)s: a whole number from 1 to %(max)s.",
                                  field=FIELD_LABELS["people"], max=f"{MAX_PEOPLE:,}")
        clean["people"] = people
    if given("place_id"):
        place = values.get("place_id") or None
        if place is not None:
            place = current_id(db, str(place))
            if not db.execute("SELECT 1 FROM shelter WHERE id = ?", [place]).fetchone():
                errors["place_id"] = _l("%(field)s: no place with this ID.",
                                        field=FIELD_LABELS["place_id"])
        clean["place_id"] = place
    if given("ward"):
        ward = values.get("ward") or None
        if ward is not None and not city.ward(ward):
            errors["ward"] = _l("%(field)s: choose one of the city's wards.",
                                field=FIELD_LABELS["ward"])
        clean["ward"] = ward
    if given("question"):
        clean["question"] = _text(values, "question", errors, MAX_QUESTION, required=True)
    if given("answer"):
        clean["answer"] = _text(values, "answer", errors, MAX_ANSWER)
    if given("referral"):
        referral = values.get("referral") or None
        if referral is not None and not choice(referral, vocabulary["referrals"]):
            errors["referral"] = _l("%(field)s: choose one of the list.",
                                    field=FIELD_LABELS["referral"])
        clean["referral"] = referral
    if given("follow_up_due"):
        due = values.get("follow_up_due") or None
        if due is not None:
            try:
                due = to_utc(str(due))
            except ValueError:
                errors["follow_up_due"] = _l("%(field)s: a date and time such as "
                                             "2026-12-02T14:30.",
                                             field=FIELD_LABELS["follow_up_due"])
        clean["follow_up_due"] = due
    if given("interpreter_id"):
        interpreter = values.get("interpreter_id") or None
        if interpreter is not None:
            interpreter = whole_number(interpreter)
            if not interpreter or not db.execute("SELECT 1 FROM volunteer WHERE id = ?",
                                                 [interpreter]).fetchone():
                errors["interpreter_id"] = _l("%(field)s: choose a volunteer of the list.",
                                              field=FIELD_LABELS["interpreter_id"])
        clean["interpreter_id"] = interpreter
    if "status" in values:
        clean["status"] = choice(values.get("status"), STATUSES)
        if not clean["status"]:
            errors["status"] = _l("%(field)s: choose one of the list.",
                                  field=FIELD_LABELS["status"])
    contact = {k: _text(values, k, errors, MAX_CONTACT)
               for k in ("contact_name", "contact_phone")}
    if any(contact.values()) and values.get("consent") not in (True, "1", "yes", "on"):
        errors["consent"] = _l("%(field)s: tick it, or leave the name and phone number "
                               "empty.", field=FIELD_LABELS["consent"])
    clean["contact"] = contact if any(contact.values()) else None
    if errors:
        raise registry.ValidationError(errors)
    return clean


def _status(clean, current=None):
    """A status given wins; else: a follow-up due → follow_up; an answer → answered."""
    if clean.get("status"):
        return clean["status"]
    merged = {**(current or {}), **{k: v for k, v in clean.items() if v is not None}}
    if merged.get("follow_up_due") and (current or {}).get("status") != "closed":
        return "follow_up"
    if merged.get("answer"):
        return "answered"
    return (current or {}).get("status", "open")


COLUMNS = ("channel", "language", "topic", "people", "place_id", "ward", "question",
           "answer", "referral", "follow_up_due", "interpreter_id")


def record_consultation(db, values, city, *, actor, at=None):
    """Record a consultation exactly once (by client id): (consultation, created)."""
    clean = parse_consultation(db, values, city)
    with write_transaction(db):
        row = db.execute("SELECT id FROM consultation WHERE client_id = ?",
                         [clean["client_id"]]).fetchone()
        if row:
            return get_consultation(db, row[0]), False
        now = at or utcnow()
        cursor = db.execute(
            f"INSERT INTO consultation (client_id, at, {', '.join(COLUMNS)}, status, "
            f"created_by, updated_at, updated_by) VALUES (?, ?, "
            f"{', '.join('?' * len(COLUMNS))}, ?, ?, ?, ?)",
            [clean["client_id"], now, *[clean[c] for c in COLUMNS], _status(clean),
             actor.name, now, actor.name])
        consultation_id = cursor.lastrowid
        if clean["contact"]:
            _keep_contact(db, consultation_id, clean["contact"], now)
        record(db, actor, "create", "consultation", consultation_id, at=now,
               after={**{c: clean[c] for c in COLUMNS if c not in ("question", "answer")},
                      "contact": bool(clean["contact"])})
        return get_consultation(db, consultation_id), True


def _keep_contact(db, consultation_id, contact, at):
    db.execute("INSERT INTO consultation_contact (consultation_id, name, phone, consent_at) "
               "VALUES (?, ?, ?, ?) ON CONFLICT (consultation_id) DO UPDATE SET "
               "name = excluded.name, phone = excluded.phone, consent_at = excluded.consent_at",
               [consultation_id, contact["contact_name"], contact["contact_phone"], at])


def update_consultation(db, consultation_id, values, city, *, actor):
    """Answer, refer, set a follow-up, close: the fields given. Returns the changes."""
    clean = parse_consultation(db, values, city, partial=True)
    with write_transaction(db):
        current = get_consultation(db, consultation_id)
        columns = {c: clean[c] for c in COLUMNS if c in clean and clean[c] != current[c]}
        status = _status(clean, current)
        if status != current["status"]:
            columns["status"] = status
        if clean.get("contact"):
            _keep_contact(db, consultation_id, clean["contact"], utcnow())
        if not columns and not clean.get("contact"):
            return {}
        now = utcnow()
        if columns:
            db.execute(f"UPDATE consultation SET {', '.join(f'{c} = :{c}' for c in columns)}, "
                       "updated_at = :now, updated_by = :by WHERE id = :id",
                       {**columns, "now": now, "by": actor.name, "id": consultation_id})
        shown = {c: v for c, v in columns.items() if c not in ("question", "answer")}
        record(db, actor, "update", "consultation", consultation_id, at=now,
               before={c: current[c] for c in shown}, after=shown)
        return columns


_SELECT = """
SELECT c.*, s.name AS place_name, v.name AS interpreter_name,
       k.name AS contact_name, k.phone AS contact_phone, k.consent_at
FROM consultation c
LEFT JOIN shelter s ON s.id = c.place_id
LEFT JOIN volunteer v ON v.id = c.interpreter_id
LEFT JOIN consultation_contact k ON k.consultation_id = c.id
"""


def get_consultation(db, consultation_id):
    rows = list(db.query(_SELECT + " WHERE c.id = ?", [consultation_id]))
    if not rows:
        raise ConsultationNotFound(consultation_id)
    return rows[0]


def list_consultations(db, *, status=None, limit=200):
    """Newest first; ``status``: one of STATUSES, or "waiting" (all but closed)."""
    where, params = "", []
    if status == "waiting":
        where = " WHERE c.status != 'closed'"
    elif status:
        where, params = " WHERE c.status = ?", [status]
    return list(db.query(_SELECT + where + " ORDER BY c.at DESC, c.id DESC LIMIT ?",
                         [*params, limit]))


def waiting(db, now=None, limit=100):
    """What the desk must do: open consultations and follow-ups, the due ones first
    (overdue at the top), then the oldest waiting for an answer."""
    now = (now or NOW()).replace(microsecond=0).isoformat()
    rows = list(db.query(
        _SELECT + " WHERE c.status IN ('open', 'follow_up') ORDER BY "
        "c.follow_up_due IS NULL, c.follow_up_due, c.at LIMIT ?", [limit]))
    for row in rows:
        row["overdue"] = bool(row["follow_up_due"] and row["follow_up_due"] <= now)
    return rows


def due_before(db, moment):
    """Follow-ups due before ``moment`` (an ISO time), for the hand-over sheet."""
    return list(db.query(_SELECT + " WHERE c.status = 'follow_up' AND c.follow_up_due <= ? "
                         "ORDER BY c.follow_up_due", [moment]))


def to_need(db, consultation_id, place_id, category, *, actor):
    """The consultation as a need at a place (its language, people, topic as note):
    exactly once (the need's client id is the consultation's)."""
    consultation = get_consultation(db, consultation_id)
    if category not in need_categories():
        raise registry.ValidationError({"category": _l(
            "%(field)s: choose one of the pictograms.", field=needs.FIELD_LABELS["category"])})
    place_id = place_id or consultation["place_id"]
    if not place_id:
        raise registry.ValidationError({"place_id": _l(
            "%(field)s: choose the place where the need is.", field=FIELD_LABELS["place_id"])})
    with write_transaction(db):
        need, created = needs.record_need(db, place_id, {
            "client_id": f"consultation-{consultation_id:08d}", "category": category,
            "language": consultation["language"], "people": consultation["people"],
            "note": None}, actor=actor)
        if created or consultation["need_id"] != need["id"]:
            db.execute("UPDATE consultation SET need_id = ?, updated_at = ?, updated_by = ? "
                       "WHERE id = ?", [need["id"], utcnow(), actor.name, consultation_id])
        return need, created


def counts_by_topic(db, since, until):
    """{(topic, language): consultations} taken between two ISO times, for the report."""
    return {(t, l): n for t, l, n in db.execute(
        "SELECT topic, language, count(*) FROM consultation WHERE at >= ? AND at < ? "
        "GROUP BY topic, language", [since, until])}


@purger("contacts of consultations")
def _contacts(db):
    return db.execute("DELETE FROM consultation_contact").rowcount


def hours_until(moment, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (datetime.datetime.fromisoformat(moment) - now).total_seconds() / 3600
