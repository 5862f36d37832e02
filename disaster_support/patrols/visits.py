"""Visits: what a patrol team found at a place.

A visit counts who was met by language (never names), records what they need with the
same fields as a shelter tablet (each need its own client id), lists the notices
handed over, and may leave a follow-up task for the center. It carries a client id
like a need: a phone that was offline sends it when the network is back, and a second
sending records nothing. At a place the center added, the counts met become the
place's head counts (nobody else counts there); a shelter keeps its own staff's.
"""

import datetime
import json

from ..audit.log import record
from ..db import to_utc, utcnow, write_transaction
from ..needs import records as needs
from ..parameters import choice, whole_number
from ..personal_data import looks_personal
from ..shelters import registry
from ..shelters.places import current_id
from ..text import _l
from ..vocabulary import languages

FIELD_LABELS = {
    "client_id": _l("Submission ID"),
    "place_id": _l("Place"),
    "team_id": _l("Team"),
    "at": _l("Time of the visit"),
    "languages": _l("People met by language"),
    "needs": _l("What they need"),
    "notices": _l("Notices handed over"),
    "note": _l("Note"),
    "follow_up": _l("Follow-up for the center"),
}
MAX_NOTE = 500
MAX_NEEDS = 30
MAX_PEOPLE = 10_000


class VisitNotFound(LookupError):
    pass


def parse_visit(db, values):
    """Check a visit (JSON or form values); raise registry.ValidationError."""
    errors, clean = {}, {}
    for field in sorted(set(values) - set(FIELD_LABELS)):
        errors[field] = _l("Unknown field “%(field)s”.", field=field)
    client_id = values.get("client_id")
    if not isinstance(client_id, str) or not needs.CLIENT_ID.match(client_id):
        errors["client_id"] = _l(
            "%(field)s: 8 to 64 letters, digits, '-' or '_' (made by the tablet).",
            field=FIELD_LABELS["client_id"])
    clean["client_id"] = client_id
    place_id = values.get("place_id")
    place = None
    if isinstance(place_id, str) and place_id:
        try:
            place = registry.get_shelter(db, current_id(db, place_id))
        except registry.ShelterNotFound:
            pass
    if place is None:
        errors["place_id"] = _l("%(field)s: no place with this ID.",
                                field=FIELD_LABELS["place_id"])
    clean["place"] = place
    team_id = values.get("team_id")
    if team_id in (None, ""):
        clean["team_id"] = None
    else:
        number = whole_number(team_id)
        exists = number and db.execute("SELECT 1 FROM patrol_team WHERE id = ?",
                                       [number]).fetchone()
        if not exists:
            errors["team_id"] = _l("%(field)s: no patrol team with this number.",
                                   field=FIELD_LABELS["team_id"])
        clean["team_id"] = number
    clean["at"] = None
    if values.get("at"):
        try:
            clean["at"] = to_utc(str(values["at"]))
        except ValueError:
            errors["at"] = _l("%(field)s: a date and time such as 2026-12-02T14:30.",
                              field=FIELD_LABELS["at"])
        else:
            late = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
            if clean["at"] > late.isoformat():
                errors["at"] = _l("%(field)s: this time is in the future.",
                                  field=FIELD_LABELS["at"])
    counts, bad = {}, []
    raw_counts = values.get("languages") or {}
    if not isinstance(raw_counts, dict):
        raw_counts, bad = {}, ["—"]
    for tag, raw in raw_counts.items():
        number = 0 if raw in (None, "") else whole_number(raw)
        if not choice(tag, languages()) or number is None or not 0 <= number <= MAX_PEOPLE:
            bad.append(str(tag))
        elif number:
            counts[tag] = number
    if bad:
        errors["languages"] = _l(
            "%(field)s: give a whole number from 0 to %(max)s for each known language "
            "(problem with: %(tags)s).", field=FIELD_LABELS["languages"],
            max=f"{MAX_PEOPLE:,}", tags=", ".join(bad))
    clean["languages"] = counts
    raw_needs = values.get("needs") or []
    clean["needs"] = []
    if not isinstance(raw_needs, list) or len(raw_needs) > MAX_NEEDS:
        errors["needs"] = _l("%(field)s: at most %(max)s needs in one visit.",
                             field=FIELD_LABELS["needs"], max=MAX_NEEDS)
    else:
        for number, raw in enumerate(raw_needs, 1):
            try:
                if not isinstance(raw, dict):
                    raise registry.ValidationError({"needs": ""})
                clean["needs"].append(needs.parse_need(raw))
            except registry.ValidationError as exc:
                errors["needs"] = _l("%(field)s, need %(number)s: %(problem)s",
                                     field=FIELD_LABELS["needs"], number=number,
                                     problem="; ".join(str(m) for m in exc.errors.values()))
                break
    raw_notices = values.get("notices") or []
    ids = [whole_number(n) for n in raw_notices] if isinstance(raw_notices, list) else [None]
    known = {r[0] for r in db.execute(
        f"SELECT id FROM notice WHERE id IN ({', '.join('?' * len(ids))})",
        [i or 0 for i in ids])} if ids else set()
    if any(i not in known for i in ids):
        errors["notices"] = _l("%(field)s: choose from the notices listed.",
                               field=FIELD_LABELS["notices"])
    clean["notices"] = sorted(known)
    for field in ("note", "follow_up"):
        text = values.get(field)
        if text is not None and not isinstance(text, str):
            errors[field] = _l("%(field)s: text only.", field=FIELD_LABELS[field])
            continue
        text = (text or "").strip()
        if len(text) > MAX_NOTE:
            errors[field] = _l("%(field)s: at most %(max)s characters (now %(count)s).",
                               field=FIELD_LABELS[field], max=MAX_NOTE, count=len(text))
        elif text and looks_personal(text):
            errors[field] = _l(
                "%(field)s: this looks like %(what)s. Visits never hold names or contact "
                "details of evacuees: remove it.", field=FIELD_LABELS[field],
                what=", ".join(str(label) for _, label in looks_personal(text)))
        clean[field] = text or None
    if errors:
        raise registry.ValidationError(errors)
    return clean


def record_visit(db, values, *, actor):
    """Record a visit exactly once (by its client id): (visit, created)."""
    clean = parse_visit(db, values)
    with write_transaction(db):
        row = db.execute("SELECT id FROM visit WHERE client_id = ?",
                         [clean["client_id"]]).fetchone()
        if row:
            return get_visit(db, row[0]), False
        place = clean["place"]
        now = utcnow()
        at = clean["at"] or now
        cursor = db.execute(
            "INSERT INTO visit (client_id, place_id, team_id, at, recorded_at, actor, people, "
            "note, follow_up, follow_up_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [clean["client_id"], place["id"], clean["team_id"], at, now, actor.name,
             sum(clean["languages"].values()), clean["note"], clean["follow_up"],
             "open" if clean["follow_up"] else None])
        visit_id = cursor.lastrowid
        db.conn.executemany("INSERT INTO visit_language (visit_id, language, people) "
                            "VALUES (?, ?, ?)",
                            [(visit_id, t, n) for t, n in clean["languages"].items()])
        db.conn.executemany("INSERT INTO visit_notice (visit_id, notice_id) VALUES (?, ?)",
                            [(visit_id, n) for n in clean["notices"]])
        for need in clean["needs"]:
            needs.record_need(db, place["id"], need, actor=actor, at=at, origin="patrol",
                              visit_id=visit_id)
        if not place["official"] and clean["languages"]:
            counts = {**place["languages"], **clean["languages"]}
            registry.update_shelter(db, place["id"], {
                "languages": counts,
                "evacuees": max(place["evacuees"], sum(counts.values()))}, actor=actor)
        record(db, actor, "create", "visit", visit_id, at=now, after={
            "place_id": place["id"], "team_id": clean["team_id"], "at": at,
            "languages": clean["languages"], "needs": len(clean["needs"]),
            "notices": clean["notices"], "follow_up": bool(clean["follow_up"])})
        return get_visit(db, visit_id), True


_SELECT = """
SELECT v.*, s.name AS place_name, s.ward AS ward, t.name AS team_name,
       (SELECT json_group_object(language, people) FROM visit_language
         WHERE visit_id = v.id) AS languages_json,
       (SELECT count(*) FROM need WHERE visit_id = v.id) AS needs,
       (SELECT json_group_array(notice_id) FROM visit_notice WHERE visit_id = v.id)
         AS notices_json
FROM visit v JOIN shelter s ON s.id = v.place_id
LEFT JOIN patrol_team t ON t.id = v.team_id
"""


def _row(row):
    row = dict(row)
    row["languages"] = json.loads(row.pop("languages_json") or "{}")
    row["notices"] = json.loads(row.pop("notices_json") or "[]")
    return row


def get_visit(db, visit_id):
    rows = list(db.query(_SELECT + " WHERE v.id = ?", [visit_id]))
    if not rows:
        raise VisitNotFound(visit_id)
    return _row(rows[0])


def recent_visits(db, place_id=None, *, team_id=None, limit=20):
    where, params = [], []
    if place_id:
        where.append("v.place_id = ?")
        params.append(place_id)
    if team_id:
        where.append("v.team_id = ?")
        params.append(team_id)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    return [_row(r) for r in db.query(sql + " ORDER BY v.at DESC, v.id DESC LIMIT ?",
                                      [*params, limit])]


def last_visit(db, place_id):
    row = db.execute("SELECT max(at) FROM visit WHERE place_id = ?", [place_id]).fetchone()
    return row[0]


def last_visits(db):
    """{place id: time of its last visit}."""
    return dict(db.execute("SELECT place_id, max(at) FROM visit GROUP BY place_id").fetchall())


def hours_since(at, now=None):
    if not at:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (now - datetime.datetime.fromisoformat(at)).total_seconds() / 3600)


def open_follow_ups(db, limit=100):
    return [_row(r) for r in db.query(
        _SELECT + " WHERE v.follow_up_status = 'open' ORDER BY v.at LIMIT ?", [limit])]


def finish_follow_up(db, visit_id, *, actor):
    with write_transaction(db):
        visit = get_visit(db, visit_id)
        if visit["follow_up_status"] != "open":
            return False
        now = utcnow()
        db.execute("UPDATE visit SET follow_up_status = 'done', follow_up_done_at = ?, "
                   "follow_up_done_by = ? WHERE id = ?", [now, actor.name, visit_id])
        record(db, actor, "update", "visit", visit_id, at=now,
               before={"follow_up_status": "open"}, after={"follow_up_status": "done"})
        return True
