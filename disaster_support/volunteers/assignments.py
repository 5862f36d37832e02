"""Assignments: proposals from the engine, the coordinator's confirmation, the
volunteer's answer, and translation tasks for notices not yet in a language.

need:        proposed → confirmed (need "matched") → accepted (need "in progress")
             → done (need "resolved"); declined or cancelled at any point before done
translation: proposed → confirmed → accepted → done (the translation is on the boards)
"""

import json

from ..audit.log import record
from ..db import utcnow, write_transaction
from ..needs import records as needs
from ..notices import records as notices
from ..shelters.registry import ValidationError
from ..text import _l, lazy_pgettext
from ..vocabulary import need_categories
from . import matching
from .registry import get_volunteer, is_available, list_volunteers

STATUSES = {
    "proposed": lazy_pgettext("assignment status", "proposed"),
    "confirmed": lazy_pgettext("assignment status", "confirmed"),
    "accepted": lazy_pgettext("assignment status", "accepted"),
    "declined": lazy_pgettext("assignment status", "declined"),
    "done": lazy_pgettext("assignment status", "done"),
    "cancelled": lazy_pgettext("assignment status", "cancelled"),
}
OPEN_STATUSES = ("proposed", "confirmed", "accepted")
ACTIVE_STATUSES = ("confirmed", "accepted")


class AssignmentNotFound(LookupError):
    pass


def _place(db, volunteer):
    """Where a volunteer is: the shelter they checked in at, else their home."""
    place = volunteer["checked_in_place"]
    if place and place != "center":
        row = db.execute("SELECT lat, lon FROM shelter WHERE id = ?", [place]).fetchone()
        if row and row[0] is not None:
            return row
    return volunteer["lat"], volunteer["lon"]


def engine_input(db, now=None):
    """Open needs with no open assignment, and available volunteers, as the engine wants."""
    rows = db.query(
        "SELECT n.id, n.language, n.category, n.urgency, n.people, s.lat, s.lon "
        "FROM need n JOIN shelter s ON s.id = n.shelter_id WHERE n.status = 'open' AND "
        "NOT EXISTS (SELECT 1 FROM assignment a WHERE a.need_id = n.id AND a.status IN "
        "('proposed', 'confirmed', 'accepted')) ORDER BY n.priority, n.created_at, n.id")
    categories = need_categories()
    need_list = [matching.Need(r["id"], r["language"], r["category"], r["urgency"], r["people"],
                               r["lat"], r["lon"],
                               tuple(categories.get(r["category"], {}).get("skills", ())))
                 for r in rows]
    pending = dict(db.execute("SELECT volunteer_id, count(*) FROM assignment WHERE status = "
                              "'proposed' GROUP BY volunteer_id").fetchall())
    volunteers = []
    for v in list_volunteers(db):
        if not is_available(v, now):
            continue
        lat, lon = _place(db, v)
        capacity = v["max_assignments"] - v["active"] - pending.get(v["id"], 0)
        volunteers.append(matching.Volunteer(v["id"], v["languages"], frozenset(v["skills"]),
                                             lat, lon, capacity, v["active"]))
    return need_list, volunteers


def propose(db, *, actor, now=None, exclude=None):
    """Run the engine over every open need and store its proposals.

    ``exclude``: {need id: {volunteer ids}} not to propose again (they declined).
    Returns the engine's Result (proposals and the unservable needs).
    """
    need_list, volunteers = engine_input(db, now)
    declined = exclude if exclude is not None else _declined(db)
    result = matching.match(need_list, volunteers, excluded=frozenset(
        (need_id, volunteer_id) for need_id, ids in declined.items() for volunteer_id in ids))
    with write_transaction(db):
        at = utcnow()
        for proposal in result.proposals:
            db.execute(
                "INSERT INTO assignment (kind, need_id, language, volunteer_id, status, cost, "
                "reasons, created_at, created_by, updated_at) "
                "VALUES ('need', ?, ?, ?, 'proposed', ?, ?, ?, ?, ?)",
                [proposal.need_id, proposal.reasons["language"], proposal.volunteer_id,
                 proposal.cost, json.dumps(proposal.reasons, ensure_ascii=False), at,
                 actor.name, at])
        record(db, actor, "propose", "assignment", at=at,
               after={"proposals": len(result.proposals), "unserved": len(result.unserved)})
    return result


def _declined(db):
    declined = {}
    for need_id, volunteer_id in db.execute(
            "SELECT need_id, volunteer_id FROM assignment WHERE status = 'declined' AND "
            "kind = 'need'"):
        declined.setdefault(need_id, set()).add(volunteer_id)
    return declined


def list_assignments(db, *, status=None, volunteer_id=None, kind=None, need_id=None,
                     assignment_id=None):
    where, params = [], []
    for column, value in (("a.status", status), ("a.volunteer_id", volunteer_id),
                          ("a.kind", kind), ("a.need_id", need_id), ("a.id", assignment_id)):
        if value:
            if isinstance(value, (tuple, list)):
                where.append(f"{column} IN ({', '.join('?' * len(value))})")
                params += list(value)
            else:
                where.append(f"{column} = ?")
                params.append(value)
    sql = ("SELECT a.*, v.name AS volunteer_name, n.category, n.people, n.urgency, "
           "n.note AS need_note, n.shelter_id, s.name AS shelter_name, "
           "s.address AS shelter_address, s.phone AS shelter_phone FROM assignment a "
           "JOIN volunteer v ON v.id = a.volunteer_id LEFT JOIN need n ON n.id = a.need_id "
           "LEFT JOIN shelter s ON s.id = n.shelter_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY n.priority, a.id"
    return [dict(r, reasons=json.loads(r["reasons"])) for r in db.query(sql, params)]


def get_assignment(db, assignment_id):
    rows = list(db.query("SELECT * FROM assignment WHERE id = ?", [assignment_id]))
    if not rows:
        raise AssignmentNotFound(assignment_id)
    return dict(rows[0], reasons=json.loads(rows[0]["reasons"]))


def _set(db, assignment, status, actor, at):
    db.execute("UPDATE assignment SET status = ?, updated_at = ? WHERE id = ?",
               [status, at, assignment["id"]])
    record(db, actor, status, "assignment", assignment["id"], at=at,
           before={"status": assignment["status"]}, after={"status": status})


def _need_to(db, need_id, status, actor, at, reason=None):
    need = needs.get_need(db, need_id)
    if need["status"] != status and status in needs.TRANSITIONS[need["status"]]:
        needs.apply_transition(db, need_id, status, actor=actor, reason=reason, only=None, at=at)


def confirm(db, assignment_id, *, actor):
    """The coordinator agrees: the volunteer is asked; the need is matched."""
    with write_transaction(db):
        assignment = get_assignment(db, assignment_id)
        if assignment["status"] != "proposed":
            raise ValidationError({"status": _l("Only a proposal can be confirmed.")})
        at = utcnow()
        _set(db, assignment, "confirmed", actor, at)
        if assignment["kind"] == "need":
            _need_to(db, assignment["need_id"], "matched", actor, at)


def decline_proposal(db, assignment_id, *, actor):
    """The coordinator does not want this proposal; it is not made again."""
    with write_transaction(db):
        assignment = get_assignment(db, assignment_id)
        if assignment["status"] != "proposed":
            raise ValidationError({"status": _l("Only a proposal can be declined here.")})
        _set(db, assignment, "declined", actor, utcnow())


def respond(db, assignment_id, answer, *, actor, volunteer_id, translation=None):
    """The volunteer accepts, declines or completes their own assignment."""
    with write_transaction(db):
        assignment = get_assignment(db, assignment_id)
        if assignment["volunteer_id"] != volunteer_id:
            raise AssignmentNotFound(assignment_id)
        at = utcnow()
        current = assignment["status"]
        if answer == "accept" and current == "confirmed":
            _set(db, assignment, "accepted", actor, at)
            if assignment["kind"] == "need":
                _need_to(db, assignment["need_id"], "in_progress", actor, at)
        elif answer == "decline" and current in ("confirmed", "accepted"):
            _set(db, assignment, "declined", actor, at)
            if assignment["kind"] == "need":
                _need_to(db, assignment["need_id"], "open", actor, at,
                         reason="the volunteer could not")
        elif answer == "done" and current in ("confirmed", "accepted"):
            if assignment["kind"] == "translation":
                notices.add_translation(db, assignment["notice_id"], assignment["language"],
                                        actor=actor, **(translation or {}))
            _set(db, assignment, "done", actor, at)
            if assignment["kind"] == "need":
                need = needs.get_need(db, assignment["need_id"])
                if need["status"] == "matched":
                    _need_to(db, need["id"], "in_progress", actor, at)
                _need_to(db, need["id"], "resolved", actor, at)
        else:
            raise ValidationError({"status": _l("This assignment cannot be changed that way "
                                                "now.")})
    if answer == "decline" and assignment["kind"] == "need":
        propose(db, actor=actor)  # a decline re-proposes, never to the same volunteer


# --- Translation tasks ------------------------------------------------------------

def propose_translations(db, *, actor, now=None):
    """Missing translations of published notices → tasks for volunteers with
    document-translation skill, native or fluent in that language."""
    missing = [(n, tag) for n, tag in notices.missing_translations(db)
               if n["state"] == "published"]
    open_tasks = {(r[0], r[1]) for r in db.execute(
        "SELECT notice_id, language FROM assignment WHERE kind = 'translation' AND status IN "
        "('proposed', 'confirmed', 'accepted')")}
    volunteers = [v for v in list_volunteers(db) if is_available(v, now)
                  and "translation" in v["skills"]]
    load = {v["id"]: v["active"] for v in volunteers}
    created = 0
    with write_transaction(db):
        at = utcnow()
        for notice, tag in missing:
            if (notice["id"], tag) in open_tasks:
                continue
            able = [v for v in volunteers if v["languages"].get(tag) in ("native", "fluent")
                    and load[v["id"]] < v["max_assignments"]]
            if not able:
                continue
            chosen = min(able, key=lambda v: (load[v["id"]], v["id"]))
            load[chosen["id"]] += 1
            reasons = {"language": tag, "level": chosen["languages"][tag], "km": None,
                       "skills": ["translation"], "missing_skills": [],
                       "active": chosen["active"]}
            db.execute(
                "INSERT INTO assignment (kind, notice_id, language, volunteer_id, status, "
                "reasons, created_at, created_by, updated_at) "
                "VALUES ('translation', ?, ?, ?, 'proposed', ?, ?, ?, ?)",
                [notice["id"], tag, chosen["id"], json.dumps(reasons), at, actor.name, at])
            created += 1
        if created:
            record(db, actor, "propose", "translation", at=at, after={"tasks": created})
    return created


def volunteer_of_user(db, user_id):
    row = db.execute("SELECT id FROM volunteer WHERE user_id = ?", [user_id]).fetchone()
    return get_volunteer(db, row[0]) if row else None
