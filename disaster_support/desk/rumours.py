"""Rumours: what is being said (Kumamoto 2016, Osaka 2018: rumours about foreigners that
flooded the phone lines), where and in which languages it was heard, how often, whether
it is true, and the notice that answers it.

Each hearing is a row of rumour_report, so "how often" and "since when" are facts, not
a counter someone typed. Answering publishes nothing by itself: it drafts a notice from
the reviewed "rumour-false" template with the city's words in its note, which then goes
through translation and publishing like any notice.
"""

import json

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..notices import records as notices
from ..parameters import choice
from ..personal_data import looks_personal
from ..shelters.registry import ValidationError
from ..text import _l
from ..vocabulary import desk_vocabulary, languages

STATUSES = {
    "checking": _l("Being checked"),
    "false": _l("Not true"),
    "true": _l("True"),
    "answered": _l("Answered by a notice"),
}
ACTIVE = ("checking", "false", "true")  # still to answer
FIELD_LABELS = {
    "text": _l("What people say"),
    "source": _l("Where it was heard"),
    "language": _l("Language"),
    "status": _l("Status"),
    "fact": _l("What the city says (the facts)"),
}
MAX_TEXT = 500
TEMPLATE = "rumour-false"


class RumourNotFound(LookupError):
    pass


def _clean_text(values, field, errors, required=False):
    raw = values.get(field)
    if raw is not None and not isinstance(raw, str):
        errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
        return None
    value = (raw or "").strip()
    if required and not value:
        errors[field] = _l("%(field)s: required.", field=FIELD_LABELS[field])
    elif len(value) > MAX_TEXT:
        errors[field] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                           field=FIELD_LABELS[field], max=MAX_TEXT, count=len(value))
    elif value and looks_personal(value):
        errors[field] = _l("%(field)s: this looks like %(what)s. A rumour is logged without "
                           "names or contact details.", field=FIELD_LABELS[field],
                           what=", ".join(str(label) for _, label in looks_personal(value)))
    return value or None


def _hearing(values, errors):
    source = choice(values.get("source"), desk_vocabulary()["rumour_sources"])
    if not source:
        errors["source"] = _l("%(field)s: choose one of the list.",
                              field=FIELD_LABELS["source"])
    language = values.get("language") or None
    if language is not None and not choice(language, languages()):
        errors["language"] = _l("%(field)s: choose one of the listed languages.",
                                field=FIELD_LABELS["language"])
    return source, language


def log_rumour(db, values, *, actor, at=None):
    """A rumour heard for the first time; returns its id."""
    errors = {}
    text = _clean_text(values, "text", errors, required=True)
    source, language = _hearing(values, errors)
    if errors:
        raise ValidationError(errors)
    now = at or utcnow()
    with write_transaction(db):
        rumour_id = db.execute(
            "INSERT INTO rumour (text, languages, status, created_at, created_by, updated_at) "
            "VALUES (?, ?, 'checking', ?, ?, ?)",
            [text, json.dumps([language] if language else []), now, actor.name, now]).lastrowid
        db.execute("INSERT INTO rumour_report (rumour_id, at, source, language, actor) "
                   "VALUES (?, ?, ?, ?, ?)", [rumour_id, now, source, language, actor.name])
        record(db, actor, "create", "rumour", rumour_id, at=now,
               after={"source": source, "language": language})
    return rumour_id


def heard_again(db, rumour_id, values, *, actor, at=None):
    """The same rumour, heard again (where, in which language)."""
    errors = {}
    source, language = _hearing(values, errors)
    if errors:
        raise ValidationError(errors)
    now = at or utcnow()
    with write_transaction(db):
        rumour = get_rumour(db, rumour_id)
        db.execute("INSERT INTO rumour_report (rumour_id, at, source, language, actor) "
                   "VALUES (?, ?, ?, ?, ?)", [rumour_id, now, source, language, actor.name])
        if language and language not in rumour["languages"]:
            db.execute("UPDATE rumour SET languages = ?, updated_at = ? WHERE id = ?",
                       [json.dumps(rumour["languages"] + [language]), now, rumour_id])


def set_status(db, rumour_id, values, *, actor):
    """Checked: true or not true (with the facts), or back to being checked."""
    errors = {}
    status = choice(values.get("status"), ("checking", "false", "true"))
    if not status:
        errors["status"] = _l("%(field)s: choose one of the list.",
                              field=FIELD_LABELS["status"])
    fact = _clean_text(values, "fact", errors)
    if status == "false" and not fact:
        errors["fact"] = _l("%(field)s: say what is true instead, for the notice that "
                            "answers the rumour.", field=FIELD_LABELS["fact"])
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        rumour = get_rumour(db, rumour_id)
        now = utcnow()
        db.execute("UPDATE rumour SET status = ?, fact = ?, updated_at = ? WHERE id = ?",
                   [status, fact or rumour["fact"], now, rumour_id])
        record(db, actor, "update", "rumour", rumour_id, at=now,
               before={"status": rumour["status"]}, after={"status": status})


def answer(db, rumour_id, *, actor):
    """Draft the notice that answers a rumour found not true (the "rumour-false"
    template, the rumour and the facts in its note) and link it; returns the notice id.
    Publishing and translating it are the notices' own steps."""
    with write_transaction(db):
        rumour = get_rumour(db, rumour_id)
        if rumour["notice_id"]:
            return rumour["notice_id"]
        if rumour["status"] != "false" or not rumour["fact"]:
            raise ValidationError({"status": _l(
                "%(field)s: only a rumour found not true, with the facts, is answered by "
                "this notice.", field=FIELD_LABELS["status"])})
        note = f"「{rumour['text']}」\n{rumour['fact']}"
        notice_id = notices.create_notice(db, template_id=TEMPLATE, slots={"note": note},
                                          source_language="ja", actor=actor)
        now = utcnow()
        db.execute("UPDATE rumour SET notice_id = ?, status = 'answered', updated_at = ? "
                   "WHERE id = ?", [notice_id, now, rumour_id])
        record(db, actor, "update", "rumour", rumour_id, at=now,
               before={"status": rumour["status"]},
               after={"status": "answered", "notice_id": notice_id})
        return notice_id


_SELECT = """
SELECT r.*, (SELECT count(*) FROM rumour_report WHERE rumour_id = r.id) AS heard,
       (SELECT max(at) FROM rumour_report WHERE rumour_id = r.id) AS last_heard,
       (SELECT json_group_array(DISTINCT source) FROM rumour_report
         WHERE rumour_id = r.id) AS sources_json,
       n.status AS notice_status
FROM rumour r LEFT JOIN notice n ON n.id = r.notice_id
"""


def _row(row):
    row = dict(row)
    row["languages"] = json.loads(row["languages"])
    row["sources"] = json.loads(row.pop("sources_json") or "[]")
    return row


def get_rumour(db, rumour_id):
    rows = list(db.query(_SELECT + " WHERE r.id = ?", [rumour_id]))
    if not rows:
        raise RumourNotFound(rumour_id)
    return _row(rows[0])


def list_rumours(db, *, active_only=False, limit=100):
    where = f" WHERE r.status IN ({', '.join(repr(s) for s in ACTIVE)})" if active_only else ""
    return [_row(r) for r in db.query(
        _SELECT + where + " ORDER BY r.status = 'answered', last_heard DESC LIMIT ?", [limit])]
