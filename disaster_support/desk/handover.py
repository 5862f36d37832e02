"""The shift hand-over: a sheet built from the data when the outgoing coordinator asks,
then kept as it was (a snapshot: what was handed over, not what is true later), with
their notes, who is on the next shift, and the incoming coordinator's acknowledgement.

Items, each a list of plain rows (JSON in handover.items):
- critical needs still unresolved;
- follow-ups due before the end of the next shift (consultations);
- promises made to places (open follow-ups of patrol visits);
- consultations waiting for an answer;
- notices waiting: drafts, and languages still to translate in live notices;
- languages nobody checked in can serve (needs by language);
- active rumours.
"""

import datetime
import json

from ..audit.log import record
from ..db import NOW, write_transaction
from ..notices import records as notices
from ..shelters.registry import ValidationError
from ..text import _l
from ..volunteers import assignments, matching
from . import consultations, rumours

SHIFT_HOURS = 12  # day and night: what falls due before the next hand-over
SECTIONS = {
    "critical_needs": _l("Critical needs not yet resolved"),
    "follow_ups": _l("Follow-ups due before the end of the next shift"),
    "promises": _l("Promises made to places (patrol follow-ups)"),
    "consultations": _l("Consultations waiting for an answer"),
    "notices": _l("Notices waiting for review or translation"),
    "unserved": _l("Languages nobody can serve now"),
    "rumours": _l("Active rumours"),
}
FIELD_LABELS = {
    "shift_label": _l("Shift"),
    "next_shift": _l("On the next shift"),
    "notes": _l("Notes for the next shift"),
}
MAX_NOTES = 2000


class HandoverNotFound(LookupError):
    pass


def build_items(db, now=None):
    """What the sheet lists now, as plain rows."""
    now = now or NOW()
    until = (now + datetime.timedelta(hours=SHIFT_HOURS)).replace(microsecond=0).isoformat()
    critical = [{"id": r["id"], "place": r["shelter_name"], "category": r["category"],
                 "language": r["language"], "people": r["people"], "since": r["created_at"]}
                for r in db.query(
                    "SELECT n.id, n.category, n.language, n.people, n.created_at, "
                    "s.name AS shelter_name FROM need n JOIN shelter s ON s.id = n.shelter_id "
                    "WHERE n.urgency = 'critical' AND n.status IN ('open', 'matched', "
                    "'in_progress') ORDER BY n.created_at, n.id")]
    follow_ups = [{"id": c["id"], "due": c["follow_up_due"], "topic": c["topic"],
                   "language": c["language"], "question": c["question"]}
                  for c in consultations.due_before(db, until)]
    promises = [{"id": v["id"], "place": v["place_name"], "promise": v["follow_up"],
                 "since": v["at"]} for v in db.query(
                     "SELECT v.id, v.follow_up, v.at, s.name AS place_name FROM visit v "
                     "JOIN shelter s ON s.id = v.place_id WHERE v.follow_up_status = 'open' "
                     "ORDER BY v.at, v.id")]
    waiting = [{"id": c["id"], "topic": c["topic"], "language": c["language"],
                "since": c["at"], "question": c["question"]}
               for c in consultations.list_consultations(db, status="open")]
    waiting.sort(key=lambda c: (c["since"], c["id"]))
    drafts = {}
    for notice in notices.list_notices(db, states=("draft",)):
        drafts[notice["id"]] = {"id": notice["id"], "what": notice["title"] or
                                notice["template_id"], "draft": True, "languages": []}
    for notice, tag in notices.missing_translations(db):
        entry = drafts.setdefault(notice["id"], {
            "id": notice["id"], "what": notice["title"] or notice["template_id"],
            "draft": notice["state"] == "draft", "languages": []})
        entry["languages"].append(tag)
    need_list, volunteers = assignments.engine_input(db)
    unserved = matching.group_unserved(need_list, matching.unreachable(need_list, volunteers))
    active = [{"id": r["id"], "text": r["text"], "status": r["status"],
               "heard": r["heard"], "languages": r["languages"]}
              for r in rumours.list_rumours(db, active_only=True)]
    return {"critical_needs": critical, "follow_ups": follow_ups, "promises": promises,
            "consultations": waiting, "notices": sorted(drafts.values(), key=lambda d: d["id"]),
            "unserved": unserved, "rumours": active}


def _line(values, field, errors, limit):
    raw = values.get(field)
    if raw is not None and not isinstance(raw, str):
        errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
        return None
    value = (raw or "").strip()
    if len(value) > limit:
        errors[field] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                           field=FIELD_LABELS[field], max=limit, count=len(value))
    return value or None


def hand_over(db, values, *, actor, now=None):
    """Keep the sheet as it is now, with the outgoing coordinator's words; its id."""
    errors = {}
    label = _line(values, "shift_label", errors, 80)
    if not label and "shift_label" not in errors:
        errors["shift_label"] = _l("%(field)s: required.", field=FIELD_LABELS["shift_label"])
    next_shift = _line(values, "next_shift", errors, 200)
    notes = _line(values, "notes", errors, MAX_NOTES)
    if errors:
        raise ValidationError(errors)
    now = now or NOW()
    items = build_items(db, now)
    at = now.replace(microsecond=0).isoformat()
    with write_transaction(db):
        handover_id = db.execute(
            "INSERT INTO handover (shift_label, created_at, created_by, items, notes, "
            "next_shift) VALUES (?, ?, ?, ?, ?, ?)",
            [label, at, actor.name, json.dumps(items, ensure_ascii=False), notes,
             next_shift]).lastrowid
        record(db, actor, "create", "handover", handover_id, at=at,
               after={"shift": label, **{k: len(v) for k, v in items.items()}})
    return handover_id


def acknowledge(db, handover_id, *, actor, now=None):
    """The incoming coordinator has read it: recorded once, by someone else."""
    with write_transaction(db):
        sheet = get_handover(db, handover_id)
        if sheet["acknowledged_at"]:
            return False
        if sheet["created_by"] == actor.name:
            raise ValidationError({"acknowledged_by": _l(
                "The coordinator of the next shift acknowledges the hand-over, not the one "
                "who wrote it.")})
        at = (now or NOW()).replace(microsecond=0).isoformat()
        db.execute("UPDATE handover SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
                   [at, actor.name, handover_id])
        record(db, actor, "acknowledge", "handover", handover_id, at=at)
        return True


def get_handover(db, handover_id):
    rows = list(db.query("SELECT * FROM handover WHERE id = ?", [handover_id]))
    if not rows:
        raise HandoverNotFound(handover_id)
    sheet = dict(rows[0])
    sheet["items"] = json.loads(sheet["items"])
    return sheet


def list_handovers(db, limit=30):
    return list(db.query("SELECT id, shift_label, created_at, created_by, acknowledged_at, "
                         "acknowledged_by FROM handover ORDER BY id DESC LIMIT ?", [limit]))
